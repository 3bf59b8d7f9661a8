"""The SimCLR network: base encoder f(.) giving h, projection head g(.) giving z (paper Sec. 2.1).

Checkpoints of it are written and read by simclr.model.checkpoint.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn

ENCODERS = ("small-cnn", "resnet18")
LEGACY_WIDTH = 16  # small-cnn's first-block width in runs and checkpoints from before `width` existed
LEGACY_POOL = 1  # and its pooling (global average) from before `pool` existed
CIFAR_STEM_MAX_SIZE = 64  # resnet18 uses the paper's CIFAR-10 stem up to this input side (px)


class ModelError(Exception):
    """A message fit to show a user as-is (what went wrong and what to do)."""


@dataclass
class ModelConfig:
    # base encoder f(.): "small-cnn" trains at thousands of views/s on a laptop CPU; "resnet18" is a smaller
    # sibling of the paper's ResNet-50
    encoder: str = "small-cnn"
    in_channels: int = 1  # 1 for grayscale (MNIST), 3 for colour
    image_size: int = 28  # side in px of the views it trains on; resnet18 takes the CIFAR stem at <= 64 px (App. B.9)
    head_hidden: int = 512  # width of g(.)'s hidden layer (the reference code uses the width of h: 2048 for ResNet-50)
    head_dim: int = 128  # dimension of z; the paper's default (Sec. 2.3; Fig. 8: the size hardly matters)
    head_norm: bool = True  # BatchNorm after g's hidden layer, as the reference code; the course notebook has none
    width: int = 8  # small-cnn: channels of its first block, doubled by each of the next three (8-16-32-64)
    pool: int = 2  # small-cnn: h averages each cell of a pool x pool grid of the last feature map (1: global average)

    def __post_init__(self) -> None:
        if self.encoder not in ENCODERS:
            raise ModelError(f"Unknown encoder {self.encoder!r}; choose one of {', '.join(ENCODERS)}.")
        if self.in_channels not in (1, 3):
            raise ModelError(f"in_channels must be 1 (grayscale) or 3 (colour), got {self.in_channels}.")
        for name in ("image_size", "head_hidden", "head_dim", "width", "pool"):
            if getattr(self, name) < 1:
                raise ModelError(f"{name} must be a positive integer, got {getattr(self, name)}.")

    def describe(self) -> str:
        name = f"{self.encoder} (width {self.width}, pool {self.pool})" if self.encoder == "small-cnn" else self.encoder
        return f"{name} for {self.in_channels}-channel {self.image_size} px images, z of {self.head_dim} dims"


def _conv_block(cin: int, cout: int) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class SmallCNN(nn.Module):
    """Four conv3x3-BN-ReLU blocks of w-2w-4w-8w channels, each halving the side, then average pooling to p x p.

    (B, C, H, W) -> h (B, 8w p^2); 28 px goes 14, 7, 4, 2. Strided convolutions rather than stride 1 + max-pool:
    a full-resolution first block cost 3x the time per view on a 2-core CPU for the same channels.
    w = 8 (the default) makes 6,500 views/s on one CPU thread against 4,000 for w = 16; in a 60 s run on
    mnist-5k that speed buys better features than the width. p = 2 averages each quadrant instead of the whole
    map (ResNet's global pooling, p = 1), so h keeps where in the image a stroke is: on mnist-5k it gave
    validation kNN 0.952 against 0.944 (three seeds, 60 s each; docs/learning.md, "how the recipe was chosen").
    Runs in channels_last, oneDNN's fast layout for these small convolutions.
    """

    def __init__(self, in_channels: int, width: int = 8, pool: int = 2):
        super().__init__()
        widths = (in_channels, width, 2 * width, 4 * width, 8 * width)
        blocks = [layer for cin, cout in zip(widths, widths[1:]) for layer in _conv_block(cin, cout)]
        self.features = nn.Sequential(*blocks)
        self.pool = pool
        self.feature_dim = widths[-1] * pool * pool
        self.to(memory_format=torch.channels_last)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        maps = self.features(x.contiguous(memory_format=torch.channels_last))  # (B, 8w, H/16, W/16)
        if maps.shape[-2:] != (self.pool, self.pool):  # 32 px views end at 2 x 2 already: pooling would only cost
            maps = nn.functional.adaptive_avg_pool2d(maps, self.pool)  # (its backward: 7% of a CIFAR-10 step)
        return maps.flatten(1)  # (B, 8w p^2)


def _resnet18(in_channels: int, image_size: int) -> nn.Module:
    """torchvision's ResNet-18 without its fc layer: (B, C, H, W) -> h (B, 512).

    Up to 64 px it uses the paper's CIFAR-10 stem (App. B.9): conv1 3x3 stride 1, no max-pool.
    """
    import torchvision  # only ResNet-18 needs it: the small CNN's pages skip its import (seconds on 2 loaded cores)

    net = torchvision.models.resnet18(weights=None)
    net.fc = nn.Identity()
    if image_size <= CIFAR_STEM_MAX_SIZE:
        net.conv1 = nn.Conv2d(in_channels, 64, kernel_size=3, stride=1, padding=1, bias=False)
        net.maxpool = nn.Identity()
    elif in_channels != 3:
        net.conv1 = nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3, bias=False)
    nn.init.kaiming_normal_(net.conv1.weight, mode="fan_out", nonlinearity="relu")  # as torchvision inits conv1
    return net


class SimCLRModel(nn.Module):
    """f(.) then g(.): x float in [0, 1] (B, C, H, W) -> h = f(x) (B, feature_dim) -> z = g(h) (B, head_dim).

    Inputs are standardised inside as (x - 0.5) / 0.25, so augmentation outputs go in directly.
    g is Sec. 2.1's two-layer MLP z = W2 ReLU(W1 h) with BatchNorm after W1, as in the reference
    implementation (google-research/simclr) and lightly's SimCLRProjectionHead (head_norm=False: without
    it, as the course notebook). BatchNorm needs batches of 2 or more in training mode.
    """

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        if config.encoder == "small-cnn":
            self.encoder = SmallCNN(config.in_channels, config.width, config.pool)
            self.feature_dim = self.encoder.feature_dim
        else:
            self.encoder = _resnet18(config.in_channels, config.image_size)
            self.feature_dim = 512
        hidden = [nn.Linear(self.feature_dim, config.head_hidden, bias=False), nn.BatchNorm1d(config.head_hidden)] \
            if config.head_norm else [nn.Linear(self.feature_dim, config.head_hidden)]  # BN's shift replaces the bias
        self.head = nn.Sequential(*hidden, nn.ReLU(inplace=True), nn.Linear(config.head_hidden, config.head_dim))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """h = f(x): the representation used downstream. x (B, C, H, W) in [0, 1] -> (B, feature_dim)."""
        return self.encoder((x - 0.5) / 0.25)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """z = g(f(x)): what the contrastive loss sees. x (B, C, H, W) in [0, 1] -> (B, head_dim)."""
        return self.head(self.encode(x))


def build_model(cfg: ModelConfig, seed: int | None = None) -> SimCLRModel:
    """A freshly initialised model; with a seed the weights depend only on it and the global RNG is left as it was."""
    if seed is None:
        return SimCLRModel(cfg)
    with torch.random.fork_rng(devices=[]):
        torch.default_generator.manual_seed(seed)
        return SimCLRModel(cfg)
