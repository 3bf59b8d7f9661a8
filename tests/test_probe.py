"""What a run watches: the batch's top-1 match against a loop, the kNN check's splits, cap, pixel baseline and pace."""

import time

import numpy as np
import torch

from simclr.data.dataset import Dataset
from simclr.model.networks import ModelConfig
from simclr.runs import folder
from simclr.runs.config import TrainConfig
from simclr.train.loop import train
from simclr.train.monitor import KnnProbe, Pace, contrastive_accuracy


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

    config = ModelConfig(in_channels=1, image_size=6)  # the side of labelled()'s images: read as they are

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(1)

    def head(self, h: torch.Tensor) -> torch.Tensor:
        return h


def test_a_model_that_keeps_the_pixels_scores_the_pixel_baseline():
    probe = folder_probe(labelled(60))
    assert probe(Pixels(), torch.device("cpu")) == probe.pixels()


def test_a_check_waits_until_its_cost_is_a_small_share_of_the_training_time_since_the_last():
    """A fake clock: checks fall due every 10 steps; one that cost 0.5 s delays the next until 10 s (5%) later."""
    pace = Pace(every=10, overhead=0.05)
    assert [step for step in range(1, 12) if pace.due(step, seconds=0.1 * step)] == [10, 11]  # the first waits
    pace.done(seconds=1.0, cost=0.5)  # for nothing but its step; then 0.5 / 0.05 = 10 s of training
    assert not pace.due(11, 1.1) and not pace.due(20, 2.0)
    assert not pace.due(21, 10.9) and pace.due(22, 11.0)  # due since step 20, it runs once 10 s have passed
    pace.done(seconds=11.0, cost=0.01)  # a cheap check: 0.2 s, so the steps alone decide
    assert not pace.due(29, 20.0) and pace.due(30, 20.1)
    steps_only = Pace(every=10, overhead=None)
    steps_only.done(seconds=1.0, cost=100.0)
    assert steps_only.due(10, 1.0)


def test_a_slow_check_is_delayed_and_the_validation_cap_is_written_beside_the_figure(tmp_path, monkeypatch):
    """A check that costs 0.2 s, due after every step of ~0.01 s: with the default share only the first one runs
    inside the 12 steps (the next would wait 4 s), and the last step's figure still comes; without a share, all."""
    def slow(self, model, device):
        time.sleep(0.2)
        return 0.5

    monkeypatch.setattr(KnnProbe, "__call__", slow)
    base = dict(subset=64, batch_size=32, eval_every=1, max_steps=12, log_every=1, threads=1, validation_images=100)
    checked = {}
    for name, overhead in (("paced", 0.05), ("every-step", None)):
        list(train(TrainConfig(**base, eval_overhead=overhead), tmp_path / name))
        checked[name] = [row["step"] for row in folder.read_metrics(tmp_path / name) if "knn" in row]
    assert checked == {"paced": [1], "every-step": list(range(1, 13))}
    summary = folder.read_json(tmp_path / "paced" / folder.SUMMARY)
    assert summary["knn_after"] == 0.5 and summary["best_step"] == 1  # best.pt is still chosen at checks only
    assert summary["validation_split"] == "validation, 100 queries, 100 memory images"  # of mnist-5k's 400 / 3,600


def test_the_validation_cap_is_one_fixed_choice_and_leaves_smaller_splits_whole():
    data = labelled(200)  # a folder: 140 memory images, 20 validation queries
    capped = [KnnProbe.for_run(TrainConfig(dataset="folder", path="unused", validation_images=50), data).validation
              for _ in range(2)]
    assert len(capped[0].memory) == 50 and len(capped[0].queries) == 20 and capped[0].label == (
        "validation, 50 memory images")
    assert torch.equal(capped[0].memory.images, capped[1].memory.images)  # the same images at every check
    whole = KnnProbe.for_run(TrainConfig(dataset="folder", path="unused"), data).validation  # the default cap
    assert (len(whole.memory), len(whole.queries), whole.label) == (140, 20, "validation")
    uncapped = KnnProbe.for_run(TrainConfig(dataset="folder", path="unused", validation_images=None), data)
    assert (len(uncapped.validation.memory), uncapped.validation.label) == (140, "validation")  # no cap at all
    either = KnnProbe.for_run(TrainConfig(dataset="folder", path="unused", validation_images=None, eval_images=30),
                              data).validation
    assert (len(either.memory), len(either.queries)) == (30, 20)  # eval_images caps it too
