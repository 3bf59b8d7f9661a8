"""What is checked before a run starts or resumes: settings that cannot work raise ConfigError, with what to
choose instead (validate, check_fits); a resumed run's config is read against its checkpoint (resume_config)."""
from __future__ import annotations

import math
from dataclasses import fields, replace
from pathlib import Path

import torch

from simclr.augment.views import PRESETS, AugmentConfig
from simclr.data import DATASETS
from simclr.data.decode import MIN_SIDE
from simclr.device import DEVICE_CHOICES, PRECISIONS
from simclr.model.networks import ENCODERS
from simclr.runs import folder
from simclr.runs.config import CONFIG_TYPES, TrainConfig, run_config
from simclr.train.optim import OPTIMIZERS, SCHEDULES


class ConfigError(ValueError):
    """A setting that cannot work; the message says which and what to choose instead."""



def validate(config: TrainConfig) -> None:
    """Raise ConfigError for settings that cannot work; checks needing the data happen once it is loaded."""
    def need(ok: bool, message: str) -> None:
        if not ok:
            raise ConfigError(message)

    choices = {"dataset": DATASETS, "encoder": ENCODERS, "optimizer": OPTIMIZERS, "preset": PRESETS,
               "device": DEVICE_CHOICES, "precision": PRECISIONS, "schedule": SCHEDULES}
    for name, allowed in choices.items():
        value = getattr(config, name)
        need(value in allowed, f"Unknown {name} {value!r}; choose one of {', '.join(allowed)}.")
    need(config.batch_size >= 2, f"The batch size must be at least 2 images (got {config.batch_size}): "
         "each image's negatives are the other images of the batch.")
    need(config.temperature > 0, f"The temperature must be above 0 (got {config.temperature}); "
         "0.5 works well for batch 256, lower it (0.1-0.2) for batches of thousands.")
    need(config.lr > 0, f"The learning rate must be above 0 (got {config.lr}).")
    need(config.weight_decay >= 0, f"The weight decay cannot be negative (got {config.weight_decay}).")
    need(0 <= config.warmup < 1, f"The warmup is a fraction of the run in [0, 1) (got {config.warmup}).")
    need(any(b is not None for b in (config.seconds, config.epochs, config.max_steps)),
         "Give the run a budget: seconds, epochs or max_steps.")
    need(config.seconds is None or 0 < config.seconds < math.inf,
         f"The time budget must be above 0 seconds, and finite (got {config.seconds}).")
    need(config.epochs is None or 0 < config.epochs < math.inf,
         f"The number of epochs must be above 0, and finite (got {config.epochs}).")
    need(config.size is None or config.size >= MIN_SIDE,
         f"The image size must be at least {MIN_SIDE} pixels (got {config.size}); crops of smaller images hold "
         "nothing to learn from.")
    need(config.max_steps is None or config.max_steps >= 1, f"max_steps must be at least 1 (got {config.max_steps}).")
    need(config.subset is None or config.subset >= 2, f"The subset must hold at least 2 images (got {config.subset}).")
    need(config.threads is None or config.threads >= 1, f"threads must be at least 1 (got {config.threads}).")
    for name in ("width", "pool", "head_hidden", "head_dim", "eval_every", "knn_k", "log_every", "checkpoint_every"):
        need(getattr(config, name) >= 1, f"{name} must be at least 1 (got {getattr(config, name)}).")
    for name in ("eval_images", "validation_images"):
        need(getattr(config, name) is None or getattr(config, name) >= 1,
             f"{name} must be at least 1 (got {getattr(config, name)}).")
    need(config.eval_overhead is None or 0 < config.eval_overhead <= 1,
         f"eval_overhead is a share of the training time in (0, 1] (got {config.eval_overhead}).")
    need(config.split != "test", "Training on the test split would leave no held-out images to report on: "
         "the test split only scores the finished encoder. Train on 'train' (stl10: or 'unlabeled').")
    unknown = set(config.augment) - {f.name for f in fields(AugmentConfig)}
    need(not unknown, f"Unknown augmentation setting(s) {', '.join(sorted(unknown))}; "
         f"AugmentConfig has {', '.join(f.name for f in fields(AugmentConfig))}.")
    try:
        config.augment_config()
    except (TypeError, ValueError, IndexError) as error:  # IndexError: a range given as one number
        raise ConfigError(f"Bad augmentation setting: {error!s}") from error


def check_fits(config: TrainConfig, images: int, processes: int) -> None:
    """The checks that need the dataset size and the number of processes."""
    if config.batch_size > images:
        raise ConfigError(f"The batch of {config.batch_size} images is larger than the {images} training images; "
                          f"choose a batch size of at most {images}.")
    if config.batch_size % processes:
        raise ConfigError(f"The batch of {config.batch_size} images does not split evenly over {processes} "
                          "processes; choose a multiple of the process count.")


RESUMABLE = (  # what a resumed run may change; the rest must fit the checkpoint
    "seconds", "epochs", "max_steps", "device", "threads", "precision", "channels_last", "compile", "eval_every",
    "eval_overhead", "log_every", "checkpoint_every")


def resume_config(run_dir: Path, *, seconds: float | None = None, epochs: float | None = None,
                  max_steps: int | None = None, **changes) -> TrainConfig:
    """A run's config for `train(..., resume=True)`: a budget given here counts from its last checkpoint and
    replaces the run's old budgets (a max-steps run resumed with seconds=2 trains 2 s more).

    Without one the run gets what is left of its old budget. `changes` may set device, threads, precision,
    channels_last, compile and the eval/log/checkpoint intervals; anything else would not fit the checkpoint.
    """
    run_dir = Path(run_dir)
    saved = folder.read_json(run_dir / folder.CONFIG)
    if not saved or not (run_dir / folder.LAST).is_file():
        raise ConfigError(f"{run_dir} has no config.json and last.pt to resume from; start a new run instead.")
    if set(changes) - set(RESUMABLE):
        raise ConfigError(f"A resumed run keeps its settings; only {', '.join(RESUMABLE)} can change.")
    damaged = folder.typed(saved, CONFIG_TYPES, folder.CONFIG)[1]
    if damaged:
        raise ConfigError(f"{run_dir / folder.CONFIG} is damaged ({'; '.join(damaged)}); start a new run instead.")
    for flag, more in (("seconds", seconds), ("epochs", epochs), ("max_steps", max_steps)):
        if more is not None and not 0 < more < math.inf:
            raise ConfigError(f"--{flag.replace('_', '-')} with --resume is how much more to train: a number "
                              f"above 0 (got {more}).")
    config = replace(run_config(saved), **changes)
    if any(more is not None for more in (seconds, epochs, max_steps)):
        config.seconds = config.epochs = config.max_steps = None  # the budget given replaces the old ones
    try:
        done = torch.load(run_dir / folder.LAST, map_location="cpu", weights_only=True)["extra"]
    except Exception as error:  # torch raises several types for truncated, foreign or unsafe files
        raise ConfigError(f"{run_dir / folder.LAST} cannot be read ({type(error).__name__}); it is damaged. "
                          f"Start a new run, or resume from a copy of best.pt renamed last.pt.") from None
    if seconds is not None:
        config.seconds = done["seconds"] + seconds
    if epochs is not None:
        config.epochs = done["epoch"] + epochs
    if max_steps is not None:
        config.max_steps = done["step"] + max_steps
    return config
