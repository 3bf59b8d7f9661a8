"""What a run watches while it trains: kNN accuracy of h on the validation split, paced by time, and the batch's
top-1 match."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from simclr.data import Dataset, load_dataset
from simclr.evaluate.knn import KNN_TEMPERATURE
from simclr.evaluate.splits import Holdout, validation_split
from simclr.loss import logits
from simclr.runs.config import TrainConfig


@torch.no_grad()
def contrastive_accuracy(z1: torch.Tensor, z2: torch.Tensor) -> torch.Tensor:
    """Fraction of the 2N views whose most similar other view is their positive (z1, z2: (N, D)), a 0-dim tensor.

    A tensor on z's device, so the training step need not wait for the device to read it.
    """
    anchor_logits, positive = logits(z1.detach(), z2.detach(), 1.0)  # (2N, 2N), (2N,)
    return (anchor_logits.argmax(1) == positive).float().mean()


@dataclass
class KnnProbe:
    """kNN accuracy of h on the validation split (simclr.evaluate.splits): what training watches and best.pt is chosen by.

    The test split is never loaded: queries and memory are both training images, and never the same ones. Each
    side is capped at TrainConfig.validation_images (and eval_images), the same seeded choice at every check.
    """

    validation: Holdout
    k: int  # neighbours that vote

    @classmethod
    def for_run(cls, config: TrainConfig, train_set: Dataset) -> KnnProbe | None:
        """The run's validation split, None when its images have no labels; `train_set` is what it trains on."""
        def load(split: str) -> Dataset:
            if split == config.split and config.subset is None:  # the whole split: no second copy in memory
                return train_set
            return load_dataset(config.dataset, split=split, size=config.size,
                                path=Path(config.path) if config.path else None)

        caps = [cap for cap in (config.eval_images, config.validation_images) if cap is not None]
        validation = validation_split(config.dataset, load, min(caps, default=None))
        return None if validation is None else cls(validation, config.knn_k)

    def baselines(self, model: torch.nn.Module, device: torch.device) -> dict:
        """summary.json's starting figures: kNN of raw pixels and of the untrained model, and the split's label."""
        return {"knn_pixels": self.pixels(), "knn_before": self(model, device), "validation_split": self.validation.label}

    def pixels(self) -> float:
        """kNN accuracy on raw pixels: the baseline a representation should beat."""
        return self.validation.knn(self.validation.pixels(), [(self.k, KNN_TEMPERATURE)])[0]

    def __call__(self, model: torch.nn.Module, device: torch.device) -> float:
        """kNN accuracy of h = f(x) for `model` (on `device`; its train/eval mode is restored)."""
        return self.validation.knn(self.validation.embedded(model, device)["h"], [(self.k, KNN_TEMPERATURE)])[0]


@dataclass
class Pace:
    """When the next check runs: at a multiple of `every` steps, or later, once the training time since the last
    check is at least its cost / `overhead`, so checks take at most that share of the run on however slow or busy
    a machine (as simclr.runs.snapshot_files paces its snapshots). The first check waits for nothing but its step."""

    every: int  # steps between checks (TrainConfig.eval_every)
    overhead: float | None  # the largest share of training time checks may take; None: every `every` steps
    last_seconds: float = 0.0  # training seconds at the last check
    wait: float = 0.0  # training seconds the next check waits after the last: the last's cost / overhead
    pending: bool = False  # a multiple of `every` has passed since the last check

    def due(self, step: int, seconds: float) -> bool:
        """Whether to check after `step`, at `seconds` of training."""
        self.pending = self.pending or step % self.every == 0
        return self.pending and seconds - self.last_seconds >= self.wait

    def done(self, seconds: float, cost: float) -> None:
        """A check ran at `seconds` of training and took `cost` seconds."""
        self.pending, self.last_seconds = False, seconds
        self.wait = 0.0 if self.overhead is None else cost / self.overhead
