"""What a run watches: the batch's top-1 match against a loop, the kNN check's splits and its pixel baseline."""

import numpy as np
import torch

from simclr.data.dataset import Dataset
from simclr.probe import KnnProbe, contrastive_accuracy
from simclr.train_config import TrainConfig


def top1_reference(z1: np.ndarray, z2: np.ndarray) -> float:
    """For each of the 2N views, is its most cosine-similar other view its positive? Plain loops."""
    z = np.concatenate([z1, z2])
    n2 = len(z)
    hits = 0
    for k in range(n2):
        best, best_sim = None, -np.inf
        for j in range(n2):
            if j == k:
                continue
            sim = z[k] @ z[j] / (np.linalg.norm(z[k]) * np.linalg.norm(z[j]))
            if sim > best_sim:
                best, best_sim = j, sim
        hits += best == (k + n2 // 2) % n2
    return hits / n2


def test_contrastive_accuracy_matches_loops():
    g = torch.Generator().manual_seed(0)
    for noise in (0.1, 1.0, 3.0):  # from easy (most positives win) to hard
        z1 = torch.randn(12, 8, generator=g, dtype=torch.float64)
        z2 = z1 + noise * torch.randn(12, 8, generator=g, dtype=torch.float64)
        assert abs(contrastive_accuracy(z1, z2) - top1_reference(z1.numpy(), z2.numpy())) < 1e-6


def labelled(n: int) -> Dataset:
    g = torch.Generator().manual_seed(1)
    images = torch.randint(0, 256, (n, 1, 6, 6), generator=g, dtype=torch.uint8)
    return Dataset("folder", images, torch.arange(n) % 3, ["a", "b", "c"], "test images")


def folder_probe(data: Dataset) -> KnnProbe | None:
    return KnnProbe.for_run(TrainConfig(dataset="folder", path="unused", knn_k=5), data)


def test_a_labelled_folder_is_validated_on_a_tenth_that_is_neither_memory_nor_test():
    data = labelled(50)
    probe = folder_probe(data)
    memory = {tuple(x.flatten().tolist()) for x in probe.validation.memory.images}
    queries = {tuple(x.flatten().tolist()) for x in probe.validation.queries.images}
    assert len(probe.validation.memory) == 35 and len(probe.validation.queries) == 5 and not memory & queries


def test_no_labels_no_probe():
    data = labelled(20)
    data.labels = None
    assert folder_probe(data) is None


class Pixels(torch.nn.Module):
    """A "model" whose representation h is the image itself, flattened."""

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(1)

    def head(self, h: torch.Tensor) -> torch.Tensor:
        return h


def test_a_model_that_keeps_the_pixels_scores_the_pixel_baseline():
    probe = folder_probe(labelled(60))
    assert probe(Pixels(), torch.device("cpu")) == probe.pixels()
