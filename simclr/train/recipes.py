"""Named starting points for a run (the Training page's presets, `--recipe` on the command line).

Each recipe is a TrainConfig and a note saying where it comes from and how it differs from its source.
Augmentation presets live in simclr.augment.views.PRESETS; a recipe names one.
"""
from __future__ import annotations

from dataclasses import dataclass

from simclr.runs.config import TrainConfig


@dataclass(frozen=True)
class Recipe:
    config: TrainConfig  # the settings
    note: str  # the source, and every way the recipe differs from it


RECIPES: dict[str, Recipe] = {
    "CPU 1-minute demo": Recipe(
        TrainConfig(),
        "mnist-5k, small-cnn of width 8 (8-16-32-64 channels) pooled to 2 x 2, batch 128, tau 0.5, Adam 1e-2, "
        "views 'digits' (no flips, crops of at least 20%, jitter strength 1, no blur), 60 s on one CPU thread; each "
        "chosen on validation digits in 60 s runs on this machine (docs/learning.md).",
    ),
    "CPU 10-minute CIFAR-10": Recipe(
        TrainConfig(dataset="cifar10", seconds=600),
        "cifar10, small-cnn of width 32 (32-64-128-256 channels) pooled to 2 x 2, batch 256, tau 0.1, Adam 1e-3, "
        "views 'paper-cifar' (appendix B.9's s = 0.5 without blur), bf16 autocast where the CPU computes bf16 "
        "natively, 10 minutes; the defaults for colour images, chosen on validation images in CPU runs on this "
        "machine (docs/learning.md).",
    ),
    "Paper B.9 (CIFAR-10)": Recipe(
        TrainConfig(dataset="cifar10", encoder="resnet18", batch_size=1024, optimizer="lars",
                    lr=4.0,  # B.9's 1.0 per 256 images x 1024 / 256: TrainConfig.lr is the absolute peak
                    weight_decay=1e-6, temperature=0.5, warmup=0.1, head_hidden=512, seconds=600,
                    preset="paper-cifar"),
        "Chen et al. 2020 (arXiv 2002.05709), appendix B.9: the CIFAR stem (3x3 conv of stride 1, no max-pool; "
        "32 px views pick it), views s = 0.5 without blur, batch 1024, tau 0.5, lr 1.0 (B.9 sweeps lr "
        "0.5/1.0/1.5, tau 0.1/0.5/1.0, batch 256-4096), the rest as its ImageNet runs: LARS, weight decay 1e-6, "
        "biases and BatchNorm without LARS adaptation or weight decay, linear warmup then cosine decay, the lr "
        "given per 256 images (4.8 = 0.3 x 4096 / 256). The reference code (google-research/simclr tf2/run.py "
        "learning_rate, tf2/model.py WarmUpAndCosineDecay) scales it linearly too: the peak here is "
        "1.0 x 1024 / 256 = 4.0. Differs: ResNet-18 (as the reference README's CIFAR-10 command, "
        "resnet_depth=18) instead of B.9's ResNet-50; 10 minutes instead of epochs (the README's command: "
        "1,000 epochs at batch 512, lr 1.0, weight decay 1e-4); warmup 10% of the budget instead of 10 epochs; "
        "the paper's 2-layer head 512-512-128 with BatchNorm after the hidden layer (tf2's default: 3 layers, "
        "BatchNorm on each); the loss is Algorithm 1's mean over the 2N anchors, half the reference's sum of "
        "two means: LARS's trust ratio cancels that on weight matrices, but biases and BatchNorm take half the "
        "reference's steps and weight decay 1e-6 weighs as 2e-6 would there (matching it exactly takes 5e-7 "
        "and twice their rate); LARS momentum in PyTorch's convention (simclr.train.optim). Wants a GPU.",
    ),
    "Course Unit 7.7": Recipe(
        TrainConfig(dataset="cifar10", encoder="resnet18", batch_size=256, optimizer="adam", lr=5e-4,
                    weight_decay=0.0, warmup=0.0, schedule="constant", temperature=0.07, head_hidden=512,
                    head_dim=256, head_norm=False, seconds=600, preset="course-unit7", seed=123),
        "Deep Learning Fundamentals Unit 7.7 notebook (Lightning-AI/dl-fundamentals, unit07-computer-vision/"
        "7.7-self-supervised/7.7-part-4-SimCLR.ipynb): torchvision's ResNet-18 with its ImageNet stem (7x7 conv "
        "of stride 2, max-pool; 128 px views pick it), views RandomResizedCrop(128), flip, ColorJitter(0.8, 0.8, "
        "0.8, 0.2) w.p. 0.8, grayscale w.p. 0.2 and GaussianBlur(9, sigma 0.1-0.5) always (the course-unit7 "
        "preset), fc replaced by a 512-512-256 head without BatchNorm, tau 0.07, Adam 5e-4 at a constant rate "
        "(no warmup, no decay, no weight decay), batch 256, seed 123. Differs: 10 minutes instead of 50 epochs; "
        "the jitter runs brightness, contrast, saturation, hue in a fixed order (torchvision shuffles it per "
        "image), with the other op-level differences simclr.augment lists; inputs are standardised as "
        "(x - 0.5) / 0.25 inside the model (the notebook feeds [0, 1]); seed 123 draws other images and views "
        "than Lightning's. Wants a GPU.",
    ),
}
