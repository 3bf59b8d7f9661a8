"""`python -m simclr.train`'s flags: one argparse parser whose help gives the defaults and advice, as DINO's does."""
from __future__ import annotations

import argparse
from dataclasses import fields
from pathlib import Path

from simclr.augment.views import PRESETS, AugmentConfig
from simclr.data import DATASETS
from simclr.device import DEVICE_CHOICES, PRECISIONS
from simclr.model.networks import ENCODERS
from simclr.runs.config import TrainConfig, default_preset
from simclr.train.optim import OPTIMIZERS, SCHEDULES
from simclr.train.recipes import RECIPES

D = TrainConfig()  # the defaults shown in --help


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m simclr.train", argument_default=argparse.SUPPRESS,
        description="Pretrain a SimCLR encoder (Chen et al. 2020) and keep the run in a folder: config.json, "
        "metrics.jsonl, summary.json, last.pt and best.pt. Flags left out take TrainConfig's defaults.",
        epilog="Stop a run with Ctrl-C or SIGTERM, or by creating the file STOP in its folder: it finishes the "
        "step, saves last.pt and can be resumed. Under torchrun every process takes batch-size / nproc images of "
        "each step, and the loss sees the negatives of all of them, as the paper's global batch. On GPUs "
        "BatchNorm is synchronised over the processes (the paper's global BN, Sec. 2.2); on the CPU each "
        "process normalises over its own shard, where both views of an image sit, so BatchNorm can leak "
        "which views are a pair and the loss gets easier than it should (paper Sec. 2.2): prefer one process "
        "on a CPU.")
    parser.add_argument("--recipe", choices=list(RECIPES),
                        help="start from a named recipe; flags given after it change it. " + " ".join(
                            f"'{name}': {recipe.note}".replace("%", "%%") for name, recipe in RECIPES.items()))
    parser.add_argument("--config", type=Path, metavar="FILE",
                        help="read the settings from a config.json-shaped file (as the app writes); other "
                        "flags change them")
    data = parser.add_argument_group("data")
    data.add_argument("--dataset", choices=list(DATASETS), help=f"images to learn from (default {D.dataset})")
    data.add_argument("--split", help="stl10: 'unlabeled' trains on its 100,000 unlabelled images (default train)")
    data.add_argument("--subset", type=int, metavar="N",
                      help="train on this many images, a seeded random choice (default all)")
    data.add_argument("--path", help="the image folder, for --dataset folder; class subfolders become labels")
    data.add_argument("--size", type=int, metavar="PX",
                      help="resize images to this side in pixels (default: the dataset's)")
    model = parser.add_argument_group("model")
    model.add_argument("--encoder", choices=ENCODERS,
                       help="small-cnn trains at thousands of views/s on a laptop CPU; resnet18 is the paper's "
                       f"CIFAR-10 net and wants a GPU (default {D.encoder})")
    model.add_argument("--width", type=int, metavar="N",
                       help="small-cnn's channels in its first block, doubled by each of the next three; on "
                       "mnist-5k 8 makes 1.6x the views/s of 16 on a CPU thread and learns more in a minute (default "
                       "8 on mnist-5k, 32 on colour images)")
    model.add_argument("--pool", type=int, metavar="N",
                       help="small-cnn: h averages each cell of an N x N grid of its last feature map; 1 is global "
                       "average pooling (ResNet's), 2 keeps where in the image a feature is and learned better "
                       f"digits in a minute (default {D.pool})")
    model.add_argument("--head-hidden", type=int, metavar="N",
                       help=f"hidden width of the projection head (default {D.head_hidden})")
    model.add_argument("--head-dim", type=int, metavar="N",
                       help=f"dimension of z; the paper finds it hardly matters (default {D.head_dim})")
    model.add_argument("--head-norm", action=argparse.BooleanOptionalAction,
                       help="BatchNorm in the head's hidden layer, as the paper's code (default); the course "
                       "notebook's head has none")
    loss = parser.add_argument_group("loss and optimisation")
    loss.add_argument("--batch-size", type=int, metavar="N",
                      help="images per step; each has 2N-2 negatives. Larger helps (paper Fig. 9) until the CPU "
                      "slows down; with torchrun, the global batch (default 128 on mnist-5k, 256 on colour images)")
    loss.add_argument("--temperature", type=float, metavar="TAU",
                      help="tau of the loss, above 0; lower values weigh the hardest negatives more. 0.5 suits "
                      "the digits; on CIFAR-10 0.1 learned far faster than 0.5 at batch 256 (default 0.5 on "
                      "mnist-5k, 0.1 on colour images)")
    loss.add_argument("--optimizer", choices=OPTIMIZERS,
                      help="adam is forgiving at small batches; lars is the paper's choice for batches of "
                      f"thousands (default {D.optimizer})")
    loss.add_argument("--lr", type=float, help="peak learning rate as used (not per 256 images); default adam 1e-3 (1e-2 on "
                      "mnist-5k, chosen on validation), sgd and lars 0.3 x batch / 256 (paper). If the run "
                      "diverges, halve it")
    loss.add_argument("--weight-decay", type=float, metavar="WD",
                      help=f"L2 on weight matrices (default {D.weight_decay})")
    loss.add_argument("--warmup", type=float, metavar="FRACTION",
                      help=f"fraction of the run with a rising learning rate (default {D.warmup})")
    loss.add_argument("--schedule", choices=SCHEDULES,
                      help="the learning rate after the warmup: cosine decays it to 0 (the paper's); constant holds "
                      f"the peak, as the course notebook's Adam (with --warmup 0) (default {D.schedule})")
    budget = parser.add_argument_group("budget (the run stops at the first one reached)")
    budget.add_argument("--seconds", type=float, metavar="S",
                        help="training time; evaluation does not count. With --resume: seconds more "
                        f"(default {D.seconds:.0f} when neither --epochs nor --max-steps is given)")
    budget.add_argument("--epochs", type=float, metavar="E", help="passes over the images. With --resume: epochs more")
    budget.add_argument("--max-steps", type=int, metavar="N",
                        help="at most this many steps (quick tests). With --resume: steps more")
    aug = parser.add_argument_group("augmentation")
    aug.add_argument("--preset", choices=list(PRESETS),
                     help=f"views as in the paper or the course (default: {default_preset('mnist-5k')} on mnist-5k, "
                     f"paper-cifar elsewhere; digits is paper-cifar without flips and with crops of at least 20%%)")
    aug.add_argument("--aug", action="append", metavar="KEY=VALUE",
                     help="change one AugmentConfig field, e.g. crop_scale=0.2,1 or jitter=false; repeat for more. "
                     "Fields: " + ", ".join(f.name for f in fields(AugmentConfig)))
    run = parser.add_argument_group("run")
    run.add_argument("--out", type=Path, metavar="FOLDER",
                     help="run folder (default $SIMCLR_RUNS or runs, then <dataset>-<encoder>-<date-time>)")
    run.add_argument("--resume", type=Path, metavar="RUN",
                     help="continue RUN from its last.pt: same step count, optimizer state, metrics appended; "
                     "only budget, device and interval flags may change")
    run.add_argument("--seed", type=int, metavar="N",
                     help=f"weights, batch order and views all follow from it (default {D.seed})")
    run.add_argument("--device", choices=DEVICE_CHOICES, help="auto picks CUDA, then Apple MPS, then the CPU")
    run.add_argument("--threads", type=int, metavar="N",
                     help="CPU threads (default: half the cores, at most 8; 1 on a 2-core machine; the app uses "
                     "the same). PyTorch's threads wait for each other after every operator, so one thread "
                     "whose core is busy stalls them all: on 2 busy cores 2 threads made 0.16x the views/s of 1")
    run.add_argument("--precision", choices=PRECISIONS,
                     help="auto: bf16 (or fp16) autocast on CUDA, bf16 on a CPU that computes it natively "
                     "(AVX512-BF16 or AMX: 1.3-1.7x the views/s), float32 elsewhere; bf16; fp32 (default auto)")
    run.add_argument("--channels-last", action=argparse.BooleanOptionalAction,
                     help="NHWC tensors for the convolutions (default: on CUDA; small-cnn always uses them)")
    run.add_argument("--compile", action="store_true",
                     help="torch.compile the model: tens of seconds of compiling, so only for long GPU runs")
    run.add_argument("--eval-every", type=int, metavar="STEPS",
                     help=f"steps between kNN checks of h on the validation images (default {D.eval_every})")
    run.add_argument("--eval-overhead", type=_share, metavar="SHARE",
                     help="the largest share of the training time the kNN checks may take: a check also waits "
                     "until the training time since the last one is that one's cost / SHARE; none: every "
                     f"--eval-every steps, whatever they cost (default {D.eval_overhead})")
    run.add_argument("--knn-k", type=int, metavar="K",
                     help=f"neighbours that vote in the kNN check (default {D.knn_k})")
    run.add_argument("--eval-images", type=int, metavar="N",
                     help="cap on the labelled images of each side (memory, queries) of the kNN checks and the "
                     "final test report, a seeded choice written beside the figures (default: all)")
    run.add_argument("--validation-images", type=_count, metavar="N",
                     help="a further cap on each side of the validation kNN checks alone, a fixed seeded choice "
                     f"written beside the figure; none: all (default {D.validation_images:,})")
    run.add_argument("--log-every", type=int, metavar="STEPS",
                     help=f"steps per metrics.jsonl line (default {D.log_every})")
    run.add_argument("--checkpoint-every", type=int, metavar="STEPS",
                     help=f"steps between last.pt saves (default {D.checkpoint_every})")
    return parser


def _share(text: str) -> float | None:
    """--eval-overhead's value: a number, or none."""
    return None if text.strip().lower() == "none" else float(text)


def _count(text: str) -> int | None:
    """--validation-images' value: a whole number, or none."""
    return None if text.strip().lower() == "none" else int(text)
