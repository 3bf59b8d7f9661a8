"""The one result every loader returns (`Dataset`), the error they raise, and seeded subsets."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import torch
import torch.nn.functional as F


class DataError(Exception):
    """A message fit to show a user as-is (what went wrong and what to do)."""


@dataclass
class Dataset:
    """Images with optional labels, as loaded from any source in `simclr.data.DATASETS`."""

    name: str
    images: torch.Tensor  # uint8 (N, C, H, W), C in {1, 3}
    labels: torch.Tensor | None  # int64 (N,), or None when unlabeled
    classes: list[str]  # class names, labels index into it ([] when unlabeled)
    description: str  # one or two sentences for the page
    warnings: list[str] = field(default_factory=list)  # skipped files and the like, for the page to show
    names: list[str] = field(default_factory=list)  # per image: file or photo name ([] when they have none)

    def __len__(self) -> int:
        return self.images.shape[0]

    def select(self, indices: np.ndarray) -> Dataset:
        """The images at `indices` (1-D int array), with their labels and names."""
        index = torch.as_tensor(indices, dtype=torch.long)
        return replace(
            self,
            images=self.images[index],
            labels=None if self.labels is None else self.labels[index],
            names=[self.names[i] for i in indices] if self.names else [],
            warnings=list(self.warnings),
        )

    def resized(self, size: int) -> Dataset:
        """The same images resized to `size` x `size` with antialiasing (no-op when already that size)."""
        _, _, h, w = self.images.shape
        if (h, w) == (size, size):
            return self
        x = F.interpolate(self.images.float(), size=(size, size), mode="bilinear", antialias=True, align_corners=False)
        return replace(self, images=x.round().clamp(0, 255).to(torch.uint8))


def subset_indices(n: int, subset: int | None, seed: int) -> np.ndarray | None:
    """Sorted indices of a seeded random `subset` of range(n); None when all n are kept.

    Uses its own generator, never the global RNG, so the same seed picks the same images.
    """
    if subset is None or subset >= n:
        return None
    if subset < 1:
        raise DataError(f"The subset size must be at least 1 image (got {subset}).")
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, size=subset, replace=False))
