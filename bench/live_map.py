"""The live map's costs: a snapshot (h of 1,000 held-out images) against the training time between two, and a
map update (warm-started UMAP + align) against a fresh UMAP, with how far points move between identical snapshots.

Run: python -m bench.live_map --threads 2 (also a part of `python -m bench`).
"""
import argparse
import os
import tempfile

import numpy as np
import torch

from bench.project import _features, _median_seconds
from simclr.maps.live import MapConfig, first_map, next_map
from simclr.maps.reduce import align, pca_2d, umap_2d, warm_up_umap
from simclr.model.networks import ModelConfig, build_model
from simclr.runs.snapshot_files import held_out_sample
from simclr.train.snapshots import SnapshotConfig
from simclr.train.snapshots import SnapshotConfig, Snapshots


def drift(a: np.ndarray, b: np.ndarray) -> float:
    """Mean distance a point moves from map b to map a, as a fraction of b's width."""
    return float(np.linalg.norm(a - b, axis=1).mean() / np.ptp(b, axis=0).max())


def snapshot_and_step_seconds(repeats: int) -> tuple[float, float]:
    """Median seconds of one snapshot of the small CNN on 1,000 MNIST test digits (h, written as float16) and of
    one training step at batch 256 (two views, forward, NT-Xent, backward, Adam), measured interleaved."""
    from simclr.augment.views import PRESETS, two_views
    from simclr.loss import nt_xent

    config = SnapshotConfig()
    model = build_model(ModelConfig("small-cnn", 1, 28, 512, 128), seed=0)
    sample = held_out_sample("mnist-5k", config.images, 0)
    optimizer = torch.optim.Adam(model.parameters(), 1e-3)
    batch, generator = sample.images[:256], torch.Generator().manual_seed(0)

    def step() -> None:
        x1, x2 = two_views(batch, PRESETS["paper-cifar"], generator)
        z1, z2 = model(torch.cat([x1, x2])).chunk(2)
        loss = nt_xent(z1, z2, 0.5)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    with tempfile.TemporaryDirectory() as folder:
        os.makedirs(os.path.join(folder, "snapshots"))
        snaps = Snapshots(folder, sample, torch.device("cpu"), config)
        snaps.take(model, 0)  # first calls allocate: not timed
        step()
        snap, train = [], []
        for i in range(repeats):
            snap.append(_median_seconds(lambda: snaps.take(model, i + 1), 1)[0])
            train.append(_median_seconds(step, 1)[0])
    return float(np.median(snap)), float(np.median(train))


def run(threads: int = 2, repeats: int = 5) -> list[dict]:
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(threads)
    threadpool_limits(threads)
    snap, step = snapshot_and_step_seconds(repeats)
    config = SnapshotConfig()
    interval = max(config.every_seconds, snap / config.max_overhead)  # what Snapshots waits between two
    warm_up_umap()
    map_config = MapConfig()
    before, after = _features(1000, 128)
    start = first_map(before, map_config)
    update, moved_to = _median_seconds(lambda: next_map(after, start, map_config), repeats)
    fresh, _ = _median_seconds(lambda: align(umap_2d(after, seed=1), start), repeats)
    settled = next_map(after, start, map_config)
    again = {  # the same snapshot twice: how far points move (0 is perfectly still)
        "warm UMAP": drift(next_map(after, settled, map_config), settled),
        "fresh UMAP + align": drift(align(umap_2d(after, seed=1), umap_2d(after)), umap_2d(after)),
        "PCA + align": drift(align(pca_2d(after), pca_2d(after)), pca_2d(after)),
    }
    still = ", ".join(f"{name} {value:.1%}" for name, value in again.items())
    return [
        {"name": "live map: snapshot overhead", "figure": snap / interval * 100, "unit": "%",
         "baseline": SnapshotConfig().max_overhead * 100, "notes": f"one snapshot {snap * 1000:.0f} ms (small-cnn, 1,000 digits, float16 h; a training "
         f"step at batch 256: {step * 1000:.0f} ms) every {interval:.1f} s of training; baseline: the share allowed (max_overhead)"},
        {"name": "live map: update, 1,000 points", "figure": update, "unit": "s", "baseline": fresh,
         "notes": f"UMAP warm-started from the previous map ({map_config.warm_epochs} epochs) + align; baseline: a fresh "
         f"UMAP + align; identical snapshot moves points by (share of map width): {still}"},
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2, help="torch and BLAS threads; the app has 2 cores")
    parser.add_argument("--repeats", type=int, default=5, help="timings per figure (median)")
    args = parser.parse_args()
    for row in run(args.threads, args.repeats):
        print(f"{row['name']:<36} {row['figure']:.3f} {row['unit']} (baseline {row['baseline']:.3f})  {row['notes']}")


if __name__ == "__main__":
    main()
