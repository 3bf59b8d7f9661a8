"""What the Augmentations page shows, computable from a script: two random views of a few images with
what was drawn for each, and each op alone on one image (the paper's Figure 4).

    gallery = view_gallery(dataset.images, 4, PRESETS["paper-imagenet"], image_seed=0, view_seed=0)
"""
from dataclasses import dataclass, replace

import torch

from simclr.augment.views import AugmentConfig, ViewParams, apply_params, draw_params

OPS_OFF = dict(crop=False, flip=False, jitter=False, grayscale=False, blur=False)  # every op switched off
ALONE = {  # op name -> the switches that make it the only op, always applied
    "crop": dict(crop=True),
    "flip": dict(flip=True, flip_p=1.0),
    "colour jitter": dict(jitter=True, jitter_p=1.0),
    "grayscale": dict(grayscale=True, grayscale_p=1.0),
    "blur": dict(blur=True, blur_p=1.0),
}


@dataclass
class ViewGallery:
    """K picked images, their 2K views and the draws behind them, and each op alone on the first image."""

    picked: torch.Tensor  # (K,) int64: where the shown images sit in the dataset
    images: torch.Tensor  # (K, C, H, W) the picked images as stored
    views: torch.Tensor  # (2K, C, S, S) float in [0, 1]: view 1 of every image, then view 2 of every image
    params: ViewParams  # what was drawn for each of the 2K views, in the same order
    alone: dict[str, tuple[torch.Tensor, ViewParams]]  # op name -> (C, S, S) view of images[0] with only it, its draw


def each_op_alone(cfg: AugmentConfig) -> dict[str, AugmentConfig]:
    """One config per op: that op always applied with cfg's strength, every other op off (paper Fig. 4)."""
    off = replace(cfg, **OPS_OFF)
    return {name: replace(off, **switches) for name, switches in ALONE.items()}


def view_gallery(images: torch.Tensor, count: int, cfg: AugmentConfig, image_seed: int,
                 view_seed: int) -> ViewGallery:
    """Pick `count` of the (N, C, H, W) images with `image_seed`, draw two views of each with `view_seed`.

    The same seeds give the same gallery; each op alone replays `view_seed`, so an op's draw does not
    depend on which other ops are switched on.
    """
    picked = torch.randperm(len(images), generator=torch.Generator().manual_seed(image_seed))[:count]
    shown = images[picked]  # (K, C, H, W)
    k, _, height, width = shown.shape
    params = draw_params(cfg, 2 * k, height, width, torch.Generator().manual_seed(view_seed))
    views = apply_params(shown.repeat(2, 1, 1, 1), params, cfg)  # (2K, C, S, S)
    alone = {}
    for name, op_cfg in each_op_alone(cfg).items():
        op_params = draw_params(op_cfg, 1, height, width, torch.Generator().manual_seed(view_seed))
        alone[name] = (apply_params(shown[:1], op_params, op_cfg)[0], op_params)
    return ViewGallery(picked, shown, views, params, alone)
