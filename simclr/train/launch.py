"""Start pretraining in a background process, as the app does: `python -m simclr.train` reading one config file.
The rules a script or a page starting runs keeps are here: run names, and one run at a time under a root.

    started = start_run(root, config, name=None)  # RunError: one is training, or the name is bad or taken
    started.run_dir, started.process              # ConfigError (a ValueError): settings that cannot work
    resume_run(run_dir, seconds=30)               # RunError: a run beside it is training
    busy_runs(root)                               # read from disk: starting (live launcher pid) or running

Every refusal is a simclr.runs.folder.RunError or a ConfigError whose message is fit to show a user as-is.
A run started this way outlives a browser refresh and the server; the app follows it through its run
folder (simclr.runs.folder.read_metrics, list_runs), stops it with simclr.runs.folder.request_stop and
deletes it with simclr.runs.folder.delete_run.
"""
from __future__ import annotations

import itertools
import os
import subprocess
import sys
import threading
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from simclr.runs import folder
from simclr.runs.config import TrainConfig
from simclr.runs.process import pid_alive
from simclr.train.checks import validate

LOG = "train.log"  # the process's output (progress bar, messages), inside the run folder
REQUEST = "launch.json"  # the settings the process was started with: TrainConfig.to_dict(), as config.json
PROCESS = "launch.pid.json"  # {"pid": ...} of the started process, for busy_runs before summary.json exists


class Started(NamedTuple):
    """A run start_run set going: its folder (the run's name is run_dir.name) and its training process."""

    run_dir: Path
    process: subprocess.Popen


def new_run_name(root: Path, config: TrainConfig, when: datetime | None = None) -> str:
    """dataset-encoder-time of `when` (default now), e.g. "mnist-5k-small-cnn-20261208-031500", with "-2", "-3",
    ... after it where anything under `root` has that name already (a file, a folder, a link, even a broken one)."""
    stem = f"{config.dataset}-{config.encoder}-{(when or datetime.now()).strftime('%Y%m%d-%H%M%S')}"
    names = itertools.chain([stem], (f"{stem}-{n}" for n in itertools.count(2)))
    return next(name for name in names if not os.path.lexists(Path(root) / name))


def start_run(root: Path, config: TrainConfig, name: str | None = None) -> Started:
    """Train `config` in the background in root/<name>, from a new folder: root/<name>/launch.json, then the process.

    `name` loses surrounding spaces; empty or None: new_run_name. Refused before anything is written, with
    RunError while a run under `root` trains or starts (naming it), for a name that is not a plain folder name
    or one taken already; with ConfigError for settings that cannot work (simclr.train.checks.validate).
    """
    root, name = Path(root), (name or "").strip()
    busy = busy_runs(root)
    if busy:
        raise folder.RunError(f"{busy[0]} is training on this machine; stop it or let it finish first.")
    if name and (Path(name).name != name or name.startswith(".") or not name.isprintable()):
        raise folder.RunError("A run name is a plain folder name: no slashes, no control characters, and not "
                              "starting with a dot.")
    validate(config)
    run_dir = _claim(root, name, config)
    folder.write_json(run_dir / REQUEST, config.to_dict())
    return Started(run_dir, _launch([sys.executable, "-m", "simclr.train", "--config", str(run_dir / REQUEST),
                                     "--out", str(run_dir)], run_dir))


def _claim(root: Path, name: str, config: TrainConfig) -> Path:
    """Create root/<name> (new_run_name's name if `name` is empty); creating is atomic, so of two starts
    choosing one name only one gets it, and no folder already there is written into."""
    while True:
        run_dir = root / (name or new_run_name(root, config))
        try:
            run_dir.mkdir(parents=True)
            return run_dir
        except FileExistsError:
            if name:
                raise folder.RunError(f"A run called {name} exists already; choose another name.") from None


def resume_run(run_dir: Path, seconds: float | None = None) -> subprocess.Popen:
    """Continue `run_dir` from its last checkpoint for `seconds` more (else what is left of its budget).

    Refused with RunError while a run in the same root (run_dir's parent) trains or starts, this one included.
    """
    run_dir = Path(run_dir)
    busy = busy_runs(run_dir.parent)
    if busy:
        raise folder.RunError(f"{busy[0]} is training; one run at a time on this machine.")
    return _launch([sys.executable, "-m", "simclr.train", "--resume", str(run_dir),
                    *(["--seconds", str(seconds)] if seconds is not None else [])], run_dir)


def _launch(argv: list[str], run_dir: Path) -> subprocess.Popen:
    """Run `argv` in the background, output to run_dir/train.log; a thread reaps it when it ends.

    Reaping matters: an ended child that nobody waits for stays in the process table, and its pid
    would look alive to simclr.runs.folder.is_running.
    """
    run_dir.mkdir(parents=True, exist_ok=True)  # a resume of a missing folder: the CLI's refusal goes to its log
    folder.clear_stop(run_dir)
    with open(run_dir / LOG, "ab") as log:
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)  # a Ctrl-C meant for the server does not reach it
    folder.write_json(run_dir / PROCESS, {"pid": process.pid})
    threading.Thread(target=process.wait, daemon=True).start()
    return process


def starting(run_dir: Path) -> bool:
    """Whether a process started here is alive and has not yet written its run status (loading data, ...)."""
    run_dir = Path(run_dir)
    pid = folder.read_json(run_dir / PROCESS).get("pid")
    if not isinstance(pid, int) or not pid_alive(pid):
        return False
    return folder.read_json(run_dir / folder.SUMMARY).get("pid") != pid  # a resumed run's old summary: the old pid


def is_busy(run_dir: Path) -> bool:
    """Whether run `run_dir` is starting or training: what the one-run rule counts, and what a page follows (a
    resumed run before its summary.json says "running" again). Starting is read first, so the moment the
    process writes "running" is not missed between the two reads."""
    return starting(run_dir) or folder.is_running(run_dir)


def refusal(run_dir: Path) -> str:
    """Why the last process started for `run_dir` ended before it wrote its run status, from its log; "" if it
    did not (e.g. a resume of a damaged last.pt is refused with exit 2 before it touches summary.json)."""
    run_dir = Path(run_dir)
    pid = folder.read_json(run_dir / PROCESS).get("pid")
    written = folder.read_json(run_dir / folder.SUMMARY).get("pid")
    if not isinstance(pid, int) or pid_alive(pid) or written == pid or not (run_dir / LOG).is_file():
        return ""
    lines = (run_dir / LOG).read_text(errors="replace").splitlines()
    errors = [line.split("error: ", 1)[1] for line in lines if "error: " in line]
    return errors[-1] if errors else "see train.log in the run folder."


def busy_runs(root: Path) -> list[str]:
    """Names of the runs under `root` that are training now or starting, read from their folders."""
    root = Path(root)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and is_busy(p))
