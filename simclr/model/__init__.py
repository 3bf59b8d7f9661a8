"""The network and its files.

- networks.py: ModelConfig, the base encoder f (SmallCNN, ResNet-18) and head g, SimCLRModel, build_model
- checkpoint.py: save_checkpoint / load_checkpoint (weights_only-safe), checkpoint_sha256
- encoders.py: a run's random-init and trained encoders, side by side
"""
