"""`python -m simclr.train`: pretrain SimCLR from the command line with a progress bar; torchrun-ready.

    python -m simclr.train --dataset mnist-5k --seconds 60 --out runs/demo
    python -m simclr.train --resume runs/demo --seconds 30
    torchrun --nproc_per_node=2 -m simclr.train --seconds 60 --out runs/ddp

Ctrl-C (SIGINT) or SIGTERM finishes the current step, saves a checkpoint and ends the run "stopped";
a second one stops at once. Creating the file STOP in the run folder does the same from elsewhere.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import fields
from pathlib import Path

from tqdm import tqdm

from simclr.augment.views import AugmentConfig
from simclr.data import DataError
from simclr.evaluate.report import labelled_figures
from simclr.model.networks import ModelError
from simclr.runs import folder
from simclr.runs.config import TrainConfig, saved_settings
from simclr.train.checks import RESUMABLE, ConfigError, resume_config
from simclr.train.flags import build_parser
from simclr.train.loop import train
from simclr.train.recipes import RECIPES


def config_from_args(given: dict) -> tuple[TrainConfig, Path, bool]:
    """(config, run folder, resume) from the flags that were given; ConfigError when they cannot work."""
    given = {key.replace("-", "_"): value for key, value in given.items()}
    overrides = [_aug_value(text) for text in given.pop("aug", [])]
    start = _start_from(given.pop("recipe", None), given.pop("config", None))
    if "resume" in given:
        run_dir = given.pop("resume")
        if set(given) - set(RESUMABLE) or overrides:
            raise ConfigError(f"--resume keeps the run's settings; only {', '.join(RESUMABLE)} may be given.")
        return resume_config(run_dir, **given), run_dir, True
    if ("epochs" in given or "max_steps" in given) and "seconds" not in given:
        given["seconds"] = None  # the 60 s default applies only when no other budget is given
    if "dataset" in given and "preset" not in given and "preset" not in start:
        given["preset"] = None  # the new dataset's own preset
    if "preset" in given:
        start.pop("augment", None)  # a preset given here is used as it is
    if overrides:
        given["augment"] = start.pop("augment", {}) | dict(overrides)
    run_dir = given.pop("out", None)
    if run_dir is not None and run_dir.exists() and not run_dir.is_dir():
        raise ConfigError(f"--out {run_dir} is a file; give a folder for the run (a new one, or an empty one).")
    config = TrainConfig.from_dict(start | given)
    name = f"{config.dataset}-{config.encoder}-{time.strftime('%Y%m%d-%H%M%S')}"
    return config, run_dir or folder.default_root() / name, False


def _start_from(recipe: str | None, path: Path | None) -> dict:
    """The settings flags change: a recipe's, a config file's (config.json's shape), or none (the defaults)."""
    if recipe is not None and path is not None:
        raise ConfigError("Give --recipe or --config, not both.")
    if recipe is not None:
        return RECIPES[recipe].config.to_dict()
    if path is None:
        return {}
    saved = folder.read_json(path)
    if not saved:
        raise ConfigError(f"{path} holds no settings (missing, or not a JSON object).")
    return saved_settings(saved)


def _aug_value(text: str) -> tuple[str, object]:
    """'crop_scale=0.2,1' -> ('crop_scale', (0.2, 1.0)), typed by AugmentConfig's default for the field."""
    key, _, raw = text.partition("=")
    defaults = {f.name: f.default for f in fields(AugmentConfig)}
    if key not in defaults or not raw:
        raise ConfigError(f"--aug wants KEY=VALUE with KEY one of {', '.join(defaults)} (got {text!r}).")
    default, raw = defaults[key], raw.strip().lower()
    try:
        if isinstance(default, bool):
            if raw not in ("true", "false", "yes", "no", "1", "0"):
                raise ValueError
            return key, raw in ("true", "yes", "1")
        if isinstance(default, tuple):
            values = tuple(float(v) for v in raw.split(","))
            if len(values) != len(default):
                raise ValueError
            return key, values
        if default is None or isinstance(default, int) and not isinstance(default, bool):
            return key, None if raw == "none" else int(raw)
        return key, float(raw)
    except ValueError:
        example = ",".join(map(str, default)) if isinstance(default, tuple) else default
        raise ConfigError(f"--aug {key}: cannot read {raw!r}; write it like {key}={example}.") from None


def git_sha() -> str:
    """The commit this code runs from, marked when there are uncommitted changes; 'unknown' outside git."""
    here = Path(__file__).resolve().parent
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=here, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return sha.stdout.strip() + (" (with uncommitted changes)" if dirty.stdout.strip() else "")


def main(argv: list[str] | None = None) -> int:
    """Flags in, a run folder out, with a progress bar; returns the exit status.

    0: finished or stopped; 1: failed or diverged; 2: bad flags; 130: interrupted twice.
    """
    parser = build_parser()
    given = vars(parser.parse_args(argv))
    main_process = int(os.environ.get("RANK", 0)) == 0
    try:
        config, run_dir, resume = config_from_args(given)
    except ConfigError as error:
        parser.error(str(error))
    if main_process:
        print(f"git: {git_sha()}\nrun folder: {run_dir}{' (resumed)' if resume else ''}", flush=True)
    stop = []

    def on_signal(signum, frame):
        if stop:
            raise KeyboardInterrupt  # the second signal stops at once
        stop.append(signum)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    bar = None
    try:
        for row in train(config, run_dir, resume, should_stop=lambda: bool(stop)):  # train() validates config
            if bar is None and main_process:  # the settings are printed once they have passed validation
                print("\n".join(f"{key}: {value}" for key, value in sorted(config.to_dict().items())), flush=True)
                bar = _progress_bar(config)
            if bar is not None:
                done = row["seconds"] if config.seconds else row["step"]
                bar.update(min(done, bar.total or done) - bar.n)  # the last step may overrun the budget a little
                if "loss" in row:
                    bar.set_postfix(loss=f"{row['loss']:.3f}", views_s=f"{row['views_per_second']:.0f}",
                                    **({"knn": f"{row['knn']:.3f}"} if "knn" in row else {}), refresh=False)
    except ConfigError as error:
        parser.error(str(error))
    except (DataError, ModelError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted before the checkpoint; --resume continues from the last one", file=sys.stderr)
        return 130
    finally:
        if bar is not None:
            bar.close()
    if not main_process:
        return 0
    info = folder.run_info(run_dir)
    figures = {key: info.summary.get(key) for key in ("steps", "seconds", "views_per_second", "final_loss")}
    print(f"{info.status}: " + ", ".join(f"{k} {v:.4g}" for k, v in figures.items() if v is not None))
    for label, value in labelled_figures(info.summary).items():
        print(f"{label}: {value:.3f}")
    if info.message:
        print(info.message, file=sys.stderr)
    return 0 if info.status in ("finished", "stopped") else 1


def _progress_bar(config: TrainConfig) -> tqdm:
    """Time-based when the run has a time budget, else counted in steps; a resumed run's first step jumps ahead."""
    if config.seconds:
        return tqdm(total=config.seconds, unit="s", dynamic_ncols=True,
                    bar_format="{l_bar}{bar}| {n:.0f}/{total:.0f} s [{elapsed}<{remaining}{postfix}]")
    return tqdm(total=config.max_steps, unit="step", dynamic_ncols=True)
