"""A run's two encoders: its random initialisation and its trained checkpoint, the "before" and "after" of every
comparison (the report, the Embeddings page)."""
from __future__ import annotations

from pathlib import Path

from simclr.model.checkpoint import load_checkpoint
from simclr.model.networks import ModelConfig, SimCLRModel, build_model


def encoders(checkpoint: Path, expect: tuple[ModelConfig, ...], seed: int) -> tuple[SimCLRModel, SimCLRModel, dict]:
    """(random init, trained, checkpoint extra) in eval mode on the CPU; raises ModelError.

    The random initialisation is the run's own starting point: the checkpoint's architecture and the run's seed.
    `expect`: the networks the run's config allows (TrainConfig.saved_model_configs: a checkpoint from before
    image_size meant the views' side is read as it was written, and evaluated at the stored side).
    """
    trained, extra = load_checkpoint(checkpoint, expect=expect)
    return build_model(trained.config, seed=seed).eval(), trained.eval(), extra
