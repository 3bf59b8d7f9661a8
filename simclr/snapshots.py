"""Watch it learn: h of a fixed sample of held-out images, saved every few seconds while a run trains.

    runs/<name>/snapshots/
        sample.json      which images (split, count, seed), their labels and class names
        h-000120.npy     h = f(x) of the sample at step 120, float16 (N, feature_dim); step 0 is the random init

The training process writes them (rank 0 only under torchrun); pages read them like metrics.jsonl and draw
a map per snapshot (simclr.live_map). A snapshot pauses the training clock as the kNN check does; with the
defaults it costs about 2% of training time, never over max_overhead (`python -m bench` measures it). When a long run has taken
`max_snapshots`, every other one is deleted and the interval doubles, so a run keeps a few MB at most.
"""
from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from simclr.data import DATASETS, load_dataset
from simclr.data.dataset import Dataset, subset_indices
from simclr.evaluate import as_input

SNAPSHOTS, SAMPLE = "snapshots", "sample.json"
NAME = re.compile(r"(?:h|map)-(\d{6,})\.npy")  # a map (simclr.live_map) stands for its snapshot where h is gone


@dataclass
class SnapshotConfig:
    images: int = 1000  # held-out images on the map: enough to show ten classes, ~0.25 MB of h per snapshot
    every_seconds: float = 3.0  # training seconds between snapshots: a live map that moves every few seconds
    every_steps: int | None = None  # or every so many steps, whichever comes first; None: by time only
    max_snapshots: int = 24  # beyond this, every other snapshot goes and the interval doubles (~6 MB for 128-d h)
    max_overhead: float = 0.02  # snapshots wait at least their own cost / this, so they never take over 2% of the
    # training time, even on a slow or busy machine (a snapshot costs about one training step of batch 256: on
    # CIFAR-10 a live map that moves every 5-8 s)


def held_out_sample(name: str, count: int, seed: int, train_set: Dataset | None = None, **load) -> Dataset:
    """The images the live map shows: a seeded choice of `count` from the dataset's test split, never trained on.

    Without a test split (an image folder), a seeded choice of the training images (`train_set`) instead.
    The one place that decides, so it can move to a validation split. `load` goes to load_dataset.
    """
    if "test" in DATASETS[name].splits:
        return load_dataset(name, split="test", subset=count, seed=seed, **load)
    if train_set is None:
        raise ValueError(f"{name} has no test split; pass its training images.")
    chosen = subset_indices(len(train_set), count, seed)
    return train_set if chosen is None else train_set.select(chosen)


def _path(run_dir: Path, step: int) -> Path:
    return Path(run_dir) / SNAPSHOTS / f"h-{step:06d}.npy"


def _drop(run_dir: Path, step: int) -> None:
    """Delete a snapshot and the map drawn from it (simclr.live_map keeps map-<step>.npy beside it)."""
    for prefix in ("h", "map"):
        (Path(run_dir) / SNAPSHOTS / f"{prefix}-{step:06d}.npy").unlink(missing_ok=True)


def steps(run_dir: Path) -> list[int]:
    """The steps with a snapshot (h, or only its map as the shipped demo run keeps them), oldest first."""
    folder = Path(run_dir) / SNAPSHOTS
    found = [NAME.fullmatch(p.name) for p in folder.iterdir()] if folder.is_dir() else []
    return sorted({int(m.group(1)) for m in found if m})


def read(run_dir: Path, step: int) -> np.ndarray:
    """h of the sample at `step`, float32 (N, feature_dim)."""
    return np.load(_path(run_dir, step)).astype(np.float32)


def read_sample(run_dir: Path) -> dict:
    """sample.json: {split, count, seed, labels (list or None), classes}; {} when there is none."""
    try:
        return json.loads((Path(run_dir) / SNAPSHOTS / SAMPLE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _write(path: Path, h: torch.Tensor) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as file:
        np.save(file, h.numpy().astype(np.float16))
    os.replace(tmp, path)  # a reader never sees half a file


@torch.no_grad()
def encode(model: torch.nn.Module, images: torch.Tensor, device: torch.device, batch_size: int = 500) -> torch.Tensor:
    """h = f(x) of uint8 images (N, C, H, W) at the side the model trains on (simclr.evaluate.as_input), in eval
    mode (BatchNorm's running statistics) -> float32 (N, D) on the CPU; the model gets its mode back. Only h: the
    projection head is not run."""
    was_training = model.training
    model.eval()
    try:
        side = model.config.image_size
        return torch.cat([model.encode(as_input(x, side, device)).float().cpu() for x in images.split(batch_size)])
    finally:
        model.train(was_training)


class Snapshots:
    """The training loop's hook: `after_step` embeds the sample when the interval is up (rank 0 only)."""

    def __init__(self, run_dir: Path, sample: Dataset, device: torch.device, config: SnapshotConfig):
        self.run_dir, self.sample, self.device, self.config = Path(run_dir), sample, device, config
        self.every_seconds, self.every_steps = config.every_seconds, config.every_steps
        self.last_step, self.last_seconds = 0, 0.0
        self.wait = config.every_seconds  # seconds until the next snapshot: the interval, or longer when they are slow

    @classmethod
    def start(cls, run_dir: Path, dataset: str, train_set: Dataset, seed: int, model: torch.nn.Module,
              device: torch.device, resume_step: int | None, seconds: float = 0.0,
              config: SnapshotConfig | None = None, **load) -> Snapshots:
        """Choose the sample and write sample.json; a new run snapshots its random init (step 0), a resumed
        one drops the snapshots after the step it resumes from (they belong to the lost stretch)."""
        config = config or SnapshotConfig()
        sample = held_out_sample(dataset, config.images, seed, train_set, **load)
        folder = Path(run_dir) / SNAPSHOTS
        folder.mkdir(parents=True, exist_ok=True)
        labels = None if sample.labels is None else sample.labels.tolist()
        info = {"split": "test" if "test" in DATASETS[dataset].splits else "train", "count": len(sample),
                "seed": seed, "labels": labels, "classes": list(sample.classes or [])}
        (folder / SAMPLE).write_text(json.dumps(info), encoding="utf-8")
        snaps = cls(run_dir, sample, device, config)
        if resume_step is None:
            snaps.take(model, 0)
        else:
            for step in steps(run_dir):
                if step > resume_step:
                    _drop(run_dir, step)
            snaps.last_step, snaps.last_seconds = resume_step, seconds
        return snaps

    def take(self, model: torch.nn.Module, step: int) -> float:
        """Embed the sample now and save h for `step`; returns the seconds it took."""
        tick = time.perf_counter()
        _write(_path(self.run_dir, step), encode(model, self.sample.images, self.device))
        self.last_step = step
        kept = steps(self.run_dir)
        if len(kept) > self.config.max_snapshots:  # keep step 0 and the newest; thin the rest
            for old in kept[1:-1:2]:
                _drop(self.run_dir, old)
            self.every_seconds *= 2
            self.every_steps = self.every_steps and self.every_steps * 2
        spent = time.perf_counter() - tick
        self.wait = max(self.every_seconds, spent / self.config.max_overhead)
        return spent

    def after_step(self, model: torch.nn.Module, step: int, seconds: float) -> float:
        """Take a snapshot when the interval since the last one is up; the seconds spent (0.0 when none)."""
        due = seconds - self.last_seconds >= self.wait or \
            (self.every_steps is not None and step - self.last_step >= self.every_steps)
        if not due:
            return 0.0
        self.last_seconds = seconds
        return self.take(model, step)

    def finish(self, model: torch.nn.Module, step: int) -> None:
        """The last picture of a run that ended well: where training stopped."""
        if step != self.last_step:
            self.take(model, step)
