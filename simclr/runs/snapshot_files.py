"""The snapshot files of a run: h of a fixed sample of held-out images at steps while it trains.

    runs/<name>/snapshots/
        sample.json      which images (split, count, seed), their labels and class names
        h-000120.npy     h = f(x) of the sample at step 120, float16 (N, feature_dim); step 0 is the random init
        map-000120.npy   the live map drawn from it (simclr.maps.live), float32 (N, 2), by whoever draws it first

simclr.train.snapshots writes them (rank 0 only under torchrun); pages read them like metrics.jsonl.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import torch

from simclr import atomic
from simclr.data import DATASETS, load_dataset
from simclr.data.dataset import Dataset, subset_indices

SNAPSHOTS, SAMPLE = "snapshots", "sample.json"
NAME = re.compile(r"(?:h|map)-(\d{6,})\.npy")  # a map stands for its snapshot where h is gone


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


def h_path(run_dir: Path, step: int) -> Path:
    return Path(run_dir) / SNAPSHOTS / f"h-{step:06d}.npy"


def map_path(run_dir: Path, step: int) -> Path:
    return Path(run_dir) / SNAPSHOTS / f"map-{step:06d}.npy"


def drop(run_dir: Path, step: int) -> None:
    """Delete a snapshot and the map drawn from it."""
    for path in (h_path(run_dir, step), map_path(run_dir, step)):
        path.unlink(missing_ok=True)


def steps(run_dir: Path) -> list[int]:
    """The steps with a snapshot (h, or only its map as the shipped demo run keeps them), oldest first."""
    folder = Path(run_dir) / SNAPSHOTS
    found = [NAME.fullmatch(p.name) for p in folder.iterdir()] if folder.is_dir() else []
    return sorted({int(m.group(1)) for m in found if m})


def read(run_dir: Path, step: int) -> np.ndarray:
    """h of the sample at `step`, float32 (N, feature_dim)."""
    return np.load(h_path(run_dir, step)).astype(np.float32)


def read_sample(run_dir: Path) -> dict:
    """sample.json: {split, count, seed, labels (list or None), classes}; {} when there is none."""
    try:
        return json.loads((Path(run_dir) / SNAPSHOTS / SAMPLE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def write_sample(run_dir: Path, info: dict) -> None:
    """Write sample.json (creating the snapshots folder)."""
    folder = Path(run_dir) / SNAPSHOTS
    folder.mkdir(parents=True, exist_ok=True)
    atomic.write_bytes(folder / SAMPLE, json.dumps(info).encode("utf-8"))


def write(run_dir: Path, step: int, h: torch.Tensor) -> None:
    """Save h (N, D) of the sample at `step`, as float16."""
    atomic.write_with(h_path(run_dir, step), lambda file: np.save(file, h.numpy().astype(np.float16)))


def write_map(run_dir: Path, step: int, xy: np.ndarray) -> None:
    """Save the live map (N, 2) drawn from the snapshot at `step`, as float32."""
    atomic.write_with(map_path(run_dir, step), lambda file: np.save(file, xy.astype(np.float32)))
