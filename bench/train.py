"""Views per second of the whole pretraining step: simclr.train against a per-image torchvision DataLoader.

Both feed the same encoder, loss and optimizer on MNIST (28 px, 1 channel) with the same augmentation
(TrainConfig's defaults); they differ in how views are made. simclr.train indexes a device-resident
uint8 tensor and makes all 2N views in one batched call; the reference makes each view with
torchvision.transforms.v2 in a Dataset, collated by a DataLoader (in the training process with
num_workers=0, in one worker process with num_workers=1). Run: python -m bench.train --threads 2
"""
import argparse
import json
import multiprocessing
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch
from torch.utils.data import DataLoader

from simclr.data import load_dataset
from simclr.loss import nt_xent
from simclr.model.networks import ModelConfig, build_model
from simclr.runs.config import TrainConfig
from simclr.train.loop import train
from simclr.train.optim import build_optimizer


class TwoViews(torch.utils.data.Dataset):
    """Each item: two torchvision views of one uint8 image (C, H, W), made one image at a time."""

    def __init__(self, images: torch.Tensor, config: TrainConfig):
        from torchvision.transforms import v2

        aug, side = config.augment_config(), images.shape[-1]
        s = aug.jitter_strength
        self.images = images
        self.transform = v2.Compose([  # simclr.augment's ops as torchvision spells them (1 channel: no hue/saturation)
            v2.RandomResizedCrop(side, scale=aug.crop_scale, ratio=aug.crop_ratio, antialias=False),
            v2.RandomHorizontalFlip(aug.flip_p),
            v2.RandomApply([v2.ColorJitter(0.8 * s, 0.8 * s)], p=aug.jitter_p),
            v2.ToDtype(torch.float32, scale=True),
        ])

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.transform(self.images[i]), self.transform(self.images[i])


def reference_views_per_second(config: TrainConfig, workers: int, seconds: float) -> float:
    """The training step of simclr.train (same model, loss, optimizer) fed by a per-image DataLoader."""
    images = load_dataset(config.dataset).images
    model = build_model(ModelConfig(config.encoder, images.shape[1], images.shape[-1]), seed=config.seed)
    optimizer = build_optimizer(model, config.optimizer, config.lr, config.weight_decay)
    loader = DataLoader(TwoViews(images, config), batch_size=config.batch_size, shuffle=True, drop_last=True,
                        num_workers=workers, persistent_workers=workers > 0)

    def batches():
        while True:
            yield from loader

    def step(x1: torch.Tensor, x2: torch.Tensor) -> None:
        z1, z2 = model(torch.cat([x1, x2])).chunk(2)
        loss = nt_xent(z1, z2, config.temperature)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    stream = batches()
    for _ in range(2):  # not timed: worker start-up, first allocations
        step(*next(stream))
    views, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        x1, x2 = next(stream)
        step(x1, x2)
        views += 2 * len(x1)
    return views / (time.perf_counter() - start)


def project_views_per_second(config: TrainConfig, seconds: float) -> float:
    """simclr.train itself, for `seconds` of training time, in a throw-away run folder."""
    with tempfile.TemporaryDirectory() as folder:
        rows = list(train(replace(config, seconds=seconds), Path(folder) / "bench"))
    return rows[-1]["views_per_second"]


def learning(seconds: float = 60.0) -> dict:
    """The default run (TrainConfig(), the app's and the CLI's thread count) for `seconds`: its summary.json.

    knn_after (kNN of h after training) and knn_pixels (kNN on raw pixels, the baseline) are measured
    by the run itself on the same images, so they compare like with like.
    """
    with tempfile.TemporaryDirectory() as folder:
        for _ in train(TrainConfig(seconds=seconds), Path(folder) / "learn"):
            pass
        return json.loads((Path(folder) / "learn" / "summary.json").read_text())


def cifar_learning(seconds: float, threads: int) -> dict | None:
    """The "CPU 10-minute CIFAR-10" recipe for `seconds` on `threads` threads: its summary.json, with the wall time
    from start to the final report written ("wall_seconds"); None when CIFAR-10 is not in the data root."""
    from simclr.data import default_data_root
    from simclr.train.recipes import RECIPES

    if not (default_data_root() / "cifar-10-batches-py" / "test_batch").is_file():
        return None
    config = replace(RECIPES["CPU 10-minute CIFAR-10"].config, seconds=seconds, threads=threads)
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        for _ in train(config, Path(folder) / "cifar"):
            pass
        summary = json.loads((Path(folder) / "cifar" / "summary.json").read_text())
        return summary | {"wall_seconds": time.perf_counter() - start}


def _spin(stop) -> None:
    """A CPU-bound neighbour: what another user's job does to the training process."""
    x = 0
    while not stop.is_set():
        x += 1


def contended_views_per_second(threads: int, seconds: float) -> float:
    """simclr.train's views/s with `threads` threads while one CPU-bound process runs beside it."""
    stop = multiprocessing.Event()
    neighbour = multiprocessing.Process(target=_spin, args=(stop,), daemon=True)
    neighbour.start()
    try:
        return project_views_per_second(TrainConfig(threads=threads, eval_every=10**9, checkpoint_every=10**9),
                                        seconds)
    finally:
        stop.set()
        neighbour.join()


def run(threads: int = 2, seconds: float = 10.0) -> list[dict]:
    """One row per pipeline: views/s of the whole training step and the ratio to the num_workers=0 reference."""
    torch.set_num_threads(threads)
    config = TrainConfig(threads=threads, eval_every=10**9, checkpoint_every=10**9)
    figures = {
        "simclr.train (batched views on the device)": project_views_per_second(config, seconds),
        "torchvision v2 per image, DataLoader num_workers=0": reference_views_per_second(config, 0, seconds),
        "torchvision v2 per image, DataLoader num_workers=1": reference_views_per_second(config, 1, seconds),
    }
    baseline = figures["torchvision v2 per image, DataLoader num_workers=0"]
    return [{"pipeline": name, "views_per_second": value, "speedup": value / baseline}
            for name, value in figures.items()]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.train", description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    parser.add_argument("--seconds", type=float, default=10.0, help="timed training seconds per pipeline (default 10)")
    args = parser.parse_args()
    rows = run(args.threads, args.seconds)
    print(f"MNIST 28 px, small-cnn, batch {TrainConfig().batch_size}, {args.threads} threads, {args.seconds:.0f} s each")
    print(f"{'pipeline':<52} {'views/s':>9} {'vs DataLoader':>14}")
    for row in rows:
        print(f"{row['pipeline']:<52} {row['views_per_second']:>9,.0f} {row['speedup']:>13.1f}x")


if __name__ == "__main__":
    main()
