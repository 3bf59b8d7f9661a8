"""Start pretraining in a background process, as the app does: the same `python -m simclr.train` a person types.

A run started this way outlives a browser refresh; the app follows it through its run folder
(simclr.runs.read_metrics, list_runs) and stops it with simclr.runs.request_stop.
"""
from __future__ import annotations

import subprocess
import sys
import threading
from dataclasses import fields
from pathlib import Path

from simclr.augment import PRESETS
from simclr.train_config import TrainConfig

LOG = "train.log"  # the process's output (progress bar, messages), inside the run folder


def command(config: TrainConfig, run_dir: Path) -> list[str]:
    """The command line that trains `config` into `run_dir`: every setting that differs from the defaults."""
    default, flags = TrainConfig(), []
    for f in fields(TrainConfig):
        value = getattr(config, f.name)
        if f.name in ("preset", "augment") or value is None:
            continue
        if f.name == "amp":
            flags += [] if value else ["--no-amp"]
        elif value != getattr(default, f.name) or f.name == "seconds":
            flags += [f"--{f.name.replace('_', '-')}", str(value)]
    augment, preset = config.augment_config(), PRESETS[config.preset]
    changed = [f.name for f in fields(augment) if getattr(augment, f.name) != getattr(preset, f.name)]
    flags += ["--preset", config.preset]
    for name in changed:
        value = getattr(augment, name)
        flags += ["--aug", f"{name}={','.join(map(str, value)) if isinstance(value, tuple) else value}"]
    return [sys.executable, "-m", "simclr.train", *flags, "--out", str(run_dir)]


def resume_command(run_dir: Path, seconds: float | None = None) -> list[str]:
    """The command line that continues `run_dir` from its last checkpoint, for `seconds` more (else what is left)."""
    return [sys.executable, "-m", "simclr.train", "--resume", str(run_dir),
            *(["--seconds", str(seconds)] if seconds is not None else [])]


def launch(argv: list[str], run_dir: Path) -> subprocess.Popen:
    """Run `argv` in the background, output to run_dir/train.log; a thread reaps it when it ends.

    Reaping matters: an ended child that nobody waits for stays in the process table, and its pid
    would look alive to simclr.runs.is_running.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    with open(run_dir / LOG, "ab") as log:
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)  # a Ctrl-C meant for the server does not reach it
    threading.Thread(target=process.wait, daemon=True).start()
    return process
