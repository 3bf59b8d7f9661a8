"""Which labelled images judge a run: a validation split for choosing, the test split for reporting.

Pretraining reads no labels, so it sees every image of its training split, as the paper's pretraining sees
all of ImageNet's training images (Sec. 2.3); labels only enter here, to evaluate.

- validation: everything that chooses (best.pt, the kNN curve during training). VALIDATION_SHARE of the
  labelled train split, drawn with SPLIT_SEED, are the queries; the rest of the train split is the memory
  (kNN) or fit set (linear probe). The test split is never loaded for it.
- test: the final report only (summary.json's *_test figures, the Embeddings page's table, few-label
  transfer). The whole labelled train split is the memory, the whole test split the queries, the standard
  protocol for CIFAR-10 and STL-10 (DINO's eval_knn.py): mnist-5k 4,000 / 1,000, CIFAR-10 50,000 / 10,000,
  STL-10 5,000 / 8,000.
- A labelled folder has no test split: TEST_SHARE of its images (SPLIT_SEED) become the test queries and
  VALIDATION_SHARE of them the validation queries; the other images are the validation memory, and with the
  validation images the test memory. Pretraining on a folder sees its test images unlabelled.

A cap (`limit`: TrainConfig.eval_images; for the validation split also validation_images) keeps at most that many
images on each side, a seeded choice, and says so in the split's label ("validation, 10,000 memory images").
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from simclr.data import DATASETS, Dataset
from simclr.data.dataset import subset_indices
from simclr.evaluate.embed import embed
from simclr.evaluate.knn import Vote, knn_predictions
from simclr.evaluate.linear_probe import linear_probe

VALIDATION_SHARE = 0.1  # of the labelled train split: 400 of mnist-5k's 4,000 digits, 5,000 of CIFAR-10's 50,000
TEST_SHARE = 0.2  # of a labelled folder, which has no test split of its own
SPLIT_SEED = 0  # fixed, not the run's seed: every run of a dataset is validated and tested on the same images
MIN_LABELLED = 10  # fewer labelled images than this cannot be carved into memory, validation and test


@dataclass
class Holdout:
    """Labelled memory and queries for one split: the queries are classified, the memory votes or is fitted."""

    split: str  # "validation" or "test"
    memory: Dataset  # labelled images whose features vote (kNN) or are fitted (linear probe, transfer)
    queries: Dataset  # labelled images to classify; never among the memory
    where: str  # where each side comes from, one sentence for the page
    cap: str = ""  # what a limit shortened, e.g. "2,000 queries"; "" when every image counts

    @property
    def label(self) -> str:
        """The split as figures are labelled with it: "validation", "test" or "test, 2,000 queries"."""
        return f"{self.split}, {self.cap}" if self.cap else self.split

    def pixels(self) -> Features:
        """Raw pixels in [0, 1] as features: memory (N, C*H*W), queries (M, C*H*W)."""
        return self.memory.images.flatten(1).float() / 255, self.queries.images.flatten(1).float() / 255

    def embedded(self, model: nn.Module, device: torch.device | str) -> dict[str, Features]:
        """{"h": (memory, queries), "z": (memory, queries)} through `model` (already on `device`)."""
        (h_memory, z_memory), (h_queries, z_queries) = (
            embed(model, side.images, device=device) for side in (self.memory, self.queries))
        return {"h": (h_memory, h_queries), "z": (z_memory, z_queries)}

    def knn(self, features: Features, votes: Sequence[Vote]) -> list[float]:
        """Accuracy of the queries' k-nearest-neighbour vote among the memory (cosine), one per (k, temperature)."""
        predictions = knn_predictions(features[0], self.memory.labels, features[1], votes)
        return [(found.cpu() == self.queries.labels).float().mean().item() for found in predictions]

    def linear(self, features: Features) -> float:
        """Accuracy on the queries of logistic regression fitted on the memory (the paper's linear evaluation)."""
        return linear_probe(features[0], self.memory.labels, features[1], self.queries.labels)


Features = tuple[torch.Tensor, torch.Tensor]  # memory (N, D) and queries (M, D), row i is image i of each side
Loader = Callable[[str], Dataset]  # split name -> that whole split of the run's dataset, at the run's image size


def validation_split(dataset: str, load: Loader, limit: int | None = None) -> Holdout | None:
    """Queries and memory both from the training images; the test split is never loaded. None without labels."""
    train = load("train")
    carved = _carve(dataset, train)
    if carved is None:
        return None
    memory_ids, val_ids, _ = carved
    return _holdout("validation", _pick(train, memory_ids), _pick(train, val_ids), limit,
                    f"of the {len(train):,} training images (seed {SPLIT_SEED})", "others")


def test_split(dataset: str, load: Loader, limit: int | None = None) -> Holdout | None:
    """The whole train split as memory, the whole test split as queries (a carved one for folders)."""
    train = load("train")
    carved = _carve(dataset, train)
    if carved is None:
        return None
    memory_ids, val_ids, test_ids = carved
    if test_ids is None:
        return _holdout("test", train, load("test"), limit, f"of the {DATASETS[dataset].title} test split",
                        "of its train split")
    return _holdout("test", _pick(train, np.concatenate([memory_ids, val_ids])), _pick(train, test_ids), limit,
                    f"of the {len(train):,} images (seed {SPLIT_SEED}), kept out as a test split", "others")


def _carve(dataset: str, train: Dataset) -> tuple[np.ndarray, np.ndarray, np.ndarray | None] | None:
    """Ids of (memory, validation, carved test) in `train`; test None where the dataset has its own test split."""
    if train.labels is None or len(train.labels.unique()) < 2 or len(train) < MIN_LABELLED:
        return None
    order = np.random.default_rng(SPLIT_SEED).permutation(len(train))
    n_val = max(1, round(VALIDATION_SHARE * len(train)))
    if "test" in DATASETS[dataset].splits:
        return order[n_val:], order[:n_val], None
    n_test = max(1, round(TEST_SHARE * len(train)))
    return order[n_test + n_val:], order[n_test:n_test + n_val], order[:n_test]


def _pick(dataset: Dataset, ids: np.ndarray) -> Dataset:
    return dataset.select(np.sort(ids))


def _holdout(split: str, memory: Dataset, queries: Dataset, limit: int | None, queries_are: str,
             memory_are: str) -> Holdout:
    """Cap each side at `limit` images (a seeded choice) and say what is left, e.g. "400 images of the ..."."""
    chosen = [subset_indices(len(side), limit, SPLIT_SEED) for side in (memory, queries)]
    memory, queries = (side if ids is None else side.select(ids) for side, ids in zip((memory, queries), chosen))
    where = f"{len(queries):,} images {queries_are}, classified by {len(memory):,} {memory_are}"
    cap = ", ".join(f"{len(side):,} {name}" for side, ids, name in zip(
        (queries, memory), chosen[::-1], ("queries", "memory images")) if ids is not None)
    if cap:
        where += f" (at most {limit:,} a side, a seeded choice)"
    return Holdout(split, memory, queries, where, cap)
