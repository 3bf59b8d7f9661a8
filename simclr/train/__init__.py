"""`python -m simclr.train`: the pretraining command line (simclr.train.cli); the loop itself is simclr.loop."""
