"""What a run watches while it trains: kNN accuracy of h on held-out labelled images, and the batch's top-1 match."""
from __future__ import annotations

from dataclasses import dataclass

import torch

from simclr.data import DATASETS, DataError, Dataset, load_dataset
from simclr.data.dataset import subset_indices
from simclr.evaluate import embed, knn_accuracy
from simclr.loss import logits


@torch.no_grad()
def contrastive_accuracy(z1: torch.Tensor, z2: torch.Tensor) -> torch.Tensor:
    """Fraction of the 2N views whose most similar other view is their positive (z1, z2: (N, D)), a 0-dim tensor.

    A tensor on z's device, so the training step need not wait for the device to read it.
    """
    anchor_logits, positive = logits(z1.detach(), z2.detach(), 1.0)  # (2N, 2N), (2N,)
    return (anchor_logits.argmax(1) == positive).float().mean()


@dataclass
class KnnProbe:
    """Labelled memory and query images: kNN accuracy of the queries' h against the memory's h (DINO's eval_knn)."""

    memory: Dataset  # labelled images whose h vote
    queries: Dataset  # held-out labelled images to classify
    k: int  # neighbours that vote

    @classmethod
    def for_run(cls, name: str, train_set: Dataset, k: int, limit: int, seed: int, **load) -> KnnProbe | None:
        """The dataset's test split as queries, its labelled training images as memory; None without labels.

        A labelled folder (no test split) is split 80/20 instead. `load` goes to load_dataset (size, path, root).
        Each side keeps at most `limit` images, a seeded choice.
        """
        spec = DATASETS[name]
        if spec.labelled and "test" in spec.splits:
            memory = train_set if train_set.labels is not None else \
                load_dataset(name, split="train", subset=limit, seed=seed, **load)
            queries = load_dataset(name, split="test", subset=limit, seed=seed, **load)
        elif train_set.labels is not None and len(train_set) >= 10:
            order = torch.randperm(len(train_set), generator=torch.Generator().manual_seed(seed)).numpy()
            cut = len(order) // 5
            memory, queries = train_set.select(order[cut:]), train_set.select(order[:cut])
        else:
            return None
        if memory.labels is None:
            raise DataError(f"{name} has no labelled training images for the kNN check.")
        return cls(_capped(memory, limit, seed), _capped(queries, limit, seed), k)

    def pixels(self) -> float:
        """kNN accuracy on raw pixels: the baseline a representation should beat."""
        def flat(d: Dataset) -> torch.Tensor:
            return d.images.flatten(1).float()

        return knn_accuracy(flat(self.memory), self.memory.labels, flat(self.queries), self.queries.labels, k=self.k)

    def __call__(self, model: torch.nn.Module, device: torch.device) -> float:
        """kNN accuracy of h = f(x) for `model` (on `device`; its train/eval mode is restored)."""
        h_memory, _ = embed(model, self.memory.images, device=device)
        h_queries, _ = embed(model, self.queries.images, device=device)
        return knn_accuracy(h_memory, self.memory.labels, h_queries, self.queries.labels, k=self.k)


def _capped(dataset: Dataset, limit: int, seed: int) -> Dataset:
    chosen = subset_indices(len(dataset), limit, seed)
    return dataset if chosen is None else dataset.select(chosen)
