"""What a run watches while it trains: kNN accuracy of h on the validation split, and the batch's top-1 match."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from simclr.data import Dataset, load_dataset
from simclr.holdout import Holdout, validation_split
from simclr.loss import logits
from simclr.train_config import TrainConfig


@torch.no_grad()
def contrastive_accuracy(z1: torch.Tensor, z2: torch.Tensor) -> torch.Tensor:
    """Fraction of the 2N views whose most similar other view is their positive (z1, z2: (N, D)), a 0-dim tensor.

    A tensor on z's device, so the training step need not wait for the device to read it.
    """
    anchor_logits, positive = logits(z1.detach(), z2.detach(), 1.0)  # (2N, 2N), (2N,)
    return (anchor_logits.argmax(1) == positive).float().mean()


@dataclass
class KnnProbe:
    """kNN accuracy of h on the validation split (simclr.holdout): what training watches and best.pt is chosen by.

    The test split is never loaded: queries and memory are both training images, and never the same ones.
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

        validation = validation_split(config.dataset, load, config.eval_images)
        return None if validation is None else cls(validation, config.knn_k)

    def baselines(self, model: torch.nn.Module, device: torch.device) -> dict:
        """summary.json's starting figures: kNN of raw pixels and of the untrained model, and the split's label."""
        return {"knn_pixels": self.pixels(), "knn_before": self(model, device), "validation_split": self.validation.label}

    def pixels(self) -> float:
        """kNN accuracy on raw pixels: the baseline a representation should beat."""
        return self.validation.knn(self.validation.pixels(), self.k)

    def __call__(self, model: torch.nn.Module, device: torch.device) -> float:
        """kNN accuracy of h = f(x) for `model` (on `device`; its train/eval mode is restored)."""
        return self.validation.knn(self.validation.embedded(model, device)["h"], self.k)
