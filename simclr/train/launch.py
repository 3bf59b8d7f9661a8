"""Start pretraining in a background process, as the app does: `python -m simclr.train` reading one config file.

    start_run(config, run_dir)      # writes run_dir/launch.json (config.json's shape), starts the process
    resume_run(run_dir, seconds=30)
    busy_runs(root)                 # read from disk: starting (launch.json, live launcher pid) or running

A run started this way outlives a browser refresh and the server; the app follows it through its run
folder (simclr.runs.folder.read_metrics, list_runs) and stops it with simclr.runs.folder.request_stop.
"""
from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from simclr.runs import folder
from simclr.runs.config import TrainConfig
from simclr.runs.process import pid_alive
from simclr.train.checks import validate

LOG = "train.log"  # the process's output (progress bar, messages), inside the run folder
REQUEST = "launch.json"  # the settings the process was started with: TrainConfig.to_dict(), as config.json
PROCESS = "launch.pid.json"  # {"pid": ...} of the started process, for busy_runs before summary.json exists


def start_run(config: TrainConfig, run_dir: Path) -> subprocess.Popen:
    """Validate `config` (ConfigError), write it to run_dir/launch.json and train it in the background."""
    validate(config)
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    folder.write_json(run_dir / REQUEST, config.to_dict())
    return _launch([sys.executable, "-m", "simclr.train", "--config", str(run_dir / REQUEST),
                    "--out", str(run_dir)], run_dir)


def resume_run(run_dir: Path, seconds: float | None = None) -> subprocess.Popen:
    """Continue `run_dir` from its last checkpoint for `seconds` more (else what is left of its budget)."""
    return _launch([sys.executable, "-m", "simclr.train", "--resume", str(run_dir),
                    *(["--seconds", str(seconds)] if seconds is not None else [])], Path(run_dir))


def _launch(argv: list[str], run_dir: Path) -> subprocess.Popen:
    """Run `argv` in the background, output to run_dir/train.log; a thread reaps it when it ends.

    Reaping matters: an ended child that nobody waits for stays in the process table, and its pid
    would look alive to simclr.runs.folder.is_running.
    """
    run_dir.mkdir(parents=True, exist_ok=True)
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
    written = folder.read_json(run_dir / folder.SUMMARY).get("pid")  # a resumed run's old summary has the old pid
    return isinstance(pid, int) and pid_alive(pid) and written != pid


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
    return sorted(p.name for p in root.iterdir()
                  if p.is_dir() and (folder.is_running(p) or ((p / PROCESS).is_file() and starting(p))))
