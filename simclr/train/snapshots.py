"""Watch it learn: the training loop's hook that saves h of a fixed sample of held-out images every few seconds.

The files are simclr.runs.snapshot_files; pages draw a map per snapshot (simclr.maps.live). A snapshot pauses the
training clock as the kNN check does; with the defaults it costs about 2% of training time, never over
max_overhead (`python -m bench` measures it). When a long run has taken `max_snapshots`, every other one is
deleted and the interval doubles, so a run keeps a few MB at most.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import torch

from simclr.data import DATASETS
from simclr.data.dataset import Dataset
from simclr.evaluate.embed import embed
from simclr.runs.snapshot_files import drop, held_out_sample, steps, write, write_sample


SNAPSHOT_BATCH = 500  # images per forward pass


@dataclass
class SnapshotConfig:
    images: int = 1000  # held-out images on the map: enough to show ten classes, ~0.25 MB of h per snapshot
    every_seconds: float = 3.0  # training seconds between snapshots: a live map that moves every few seconds
    every_steps: int | None = None  # or every so many steps, whichever comes first; None: by time only
    max_snapshots: int = 24  # beyond this, every other snapshot goes and the interval doubles (~6 MB for 128-d h)
    max_overhead: float = 0.02  # snapshots wait at least their own cost / this, so they never take over 2% of the
    # training time, even on a slow or busy machine (a snapshot costs about one training step of batch 256: on
    # CIFAR-10 a live map that moves every 5-8 s)


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
        labels = None if sample.labels is None else sample.labels.tolist()
        info = {"split": "test" if "test" in DATASETS[dataset].splits else "train", "count": len(sample),
                "seed": seed, "labels": labels, "classes": list(sample.classes or [])}
        write_sample(run_dir, info)
        snaps = cls(run_dir, sample, device, config)
        if resume_step is None:
            snaps.take(model, 0)
        else:
            for step in steps(run_dir):
                if step > resume_step:
                    drop(run_dir, step)
            snaps.last_step, snaps.last_seconds = resume_step, seconds
        return snaps

    def take(self, model: torch.nn.Module, step: int) -> float:
        """Embed the sample now and save h for `step`; returns the seconds it took."""
        tick = time.perf_counter()
        h, _ = embed(model, self.sample.images, SNAPSHOT_BATCH, self.device)  # eval mode, float32 on the CPU
        write(self.run_dir, step, h)
        self.last_step = step
        kept = steps(self.run_dir)
        if len(kept) > self.config.max_snapshots:  # keep step 0 and the newest; thin the rest
            for old in kept[1:-1:2]:
                drop(self.run_dir, old)
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
