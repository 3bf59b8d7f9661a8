"""Pretraining: SimCLR's loop and everything around it.

- loop.py: train(config, run_dir), the paper's Algorithm 1 as a generator of per-step metrics
- checks.py: what is checked before a run starts or resumes (validate, check_fits, resume_config)
- recipes.py: named starting points (a TrainConfig each; TrainConfig itself is simclr.runs.config)
- optim.py: Adam, SGD, LARS and the warmup + cosine schedule
- distributed.py: several processes, one global batch (torchrun, DDP)
- writer.py: the run folder's bookkeeping during training (summary, metrics, checkpoints)
- monitor.py: what training watches: the validation kNN of h, its pace, the batch's top-1 match
- snapshots.py: the live map's snapshots of h while it trains
- launch.py: starting and resuming runs in a background process, with the rules a start keeps (run names, one run
  at a time under a root)
- cli.py, flags.py, __main__.py: `python -m simclr.train`
"""
