"""Named starting points for a run (the Training page's presets, `--recipe` on the command line).

Each recipe is a TrainConfig and a note saying where it comes from and how it differs from its source.
Augmentation presets live in simclr.augment.PRESETS; a recipe names one.
"""
from __future__ import annotations

from dataclasses import dataclass

from simclr.train_config import TrainConfig


@dataclass(frozen=True)
class Recipe:
    config: TrainConfig  # the settings
    note: str  # the source, and every way the recipe differs from it


RECIPES: dict[str, Recipe] = {
    "CPU 1-minute demo": Recipe(
        TrainConfig(),
        "mnist-5k, small-cnn of width 8 (8-16-32-64 channels) pooled to 2 x 2, batch 128, tau 0.5, Adam 1e-2, "
        "views 'digits' (no flips, crops of at least 20%, jitter strength 1, no blur), 60 s on one CPU thread; each "
        "chosen on validation digits in 60 s runs on this machine (README).",
    ),
    "Paper B.9 (CIFAR-10)": Recipe(
        TrainConfig(dataset="cifar10", encoder="resnet18", batch_size=1024, optimizer="lars", lr=1.0,
                    weight_decay=1e-6, temperature=0.5, warmup=0.1, head_hidden=512, seconds=600,
                    preset="paper-cifar"),
        "Chen et al. 2020, appendix B.9: CIFAR stem (3x3 conv, no max-pool), views s = 0.5 without blur, LARS "
        "with weight decay 1e-6, batch 1024, lr 1.0 and tau 0.5 (B.9 sweeps lr 0.5/1.0/1.5, tau 0.1/0.5/1.0). "
        "Differs: ResNet-18 instead of ResNet-50, 10 minutes instead of up to 1,000 epochs; warmup 10% of "
        "the budget (the paper: 10 epochs). Wants a GPU.",
    ),
    "Course Unit 7.7": Recipe(
        TrainConfig(dataset="cifar10", encoder="resnet18", batch_size=256, optimizer="adam", lr=5e-4,
                    weight_decay=0.0, temperature=0.07, head_hidden=512, head_dim=256, head_norm=False,
                    seconds=600, preset="course-unit7"),
        "Deep Learning Fundamentals Unit 7.7 notebook: ResNet-18, 128 px views (course-unit7), head "
        "512-512-256 without BatchNorm, tau 0.07, Adam 5e-4. Differs: the notebook's own batch size and "
        "epochs were not copied (batch 256, 10 minutes here); the notebook's blur and jitter are the "
        "course-unit7 augmentation preset. Wants a GPU.",
    ),
}
