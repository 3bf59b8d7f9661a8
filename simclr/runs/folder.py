"""Run folders: what a pretraining run keeps on disk, so it survives a browser refresh or a crash.

    runs/<name>/
        config.json      the TrainConfig as a dict (augmentation nested), written once (simclr.runs.config)
        metrics.jsonl    one JSON object per logged step, flushed line by line for live readers
        summary.json     status, pid, device and the figures so far (knn_*: validation, knn_*_test: test, at the
                         end; simclr.evaluate.splits), and once training is over, the phase the run is in ("final
                         report: ..."), until it ends; rewritten atomically
        last.pt, best.pt checkpoints (simclr.model.checkpoint); best by validation kNN, else by loss
        eval-best.json   the report for best.pt (simclr.evaluate.report), keyed by the checkpoint's SHA-256
        maps-best-*.npz  the Embeddings page's UMAP maps of best.pt (simclr.maps.stored), keyed the same way
        snapshots/       h of a fixed sample while it trains, and the live map's maps (simclr.runs.snapshot_files)
        STOP             created by whoever wants the run to stop; the run checks for it every step
        train.log        the process's output, when simclr.train.launch started it

Every file is replaced atomically (simclr.atomic), so a reader never sees half a file. A summary that says
"running" while its process is gone reads as "failed"; the process is known by its pid and, where /proc exists,
by its start time in this boot (simclr.runs.process), so a reused pid (after a crash or a reboot) does not pass
for the run. Whatever the files hold, reading them gives values of the types below (config.json's: CONFIG_TYPES,
from TrainConfig's fields): a value of another type is left out and named in RunInfo.problems.
"""
from __future__ import annotations

import json
import math
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from simclr import atomic
from simclr.runs.config import CONFIG_TYPES
from simclr.runs.process import INT_LIMIT, pid_alive, process_identity

CONFIG, METRICS, SUMMARY = "config.json", "metrics.jsonl", "summary.json"
LAST, BEST, STOP = "last.pt", "best.pt", "STOP"
STATUSES = ("running", "finished", "stopped", "failed", "diverged")
NUMBER = float  # in the tables below: any finite int or float (JSON has one number type)
SUMMARY_TYPES = {"status": str, "message": str, "pid": int, "process": str, "device": str, "processes": int,
                 "images": int, "dataset": str, "knn_pixels": NUMBER, "knn_before": NUMBER, "knn_after": NUMBER,
                 "steps": int, "epochs": NUMBER, "seconds": NUMBER, "views_per_second": NUMBER,
                 "final_loss": NUMBER, "best_metric": str, "best_value": NUMBER, "best_step": int, "phase": str}
METRIC_TYPES = {"step": int, "epoch": NUMBER, "seconds": NUMBER, "loss": NUMBER, "contrastive_acc": NUMBER,
                "lr": NUMBER, "views_per_second": NUMBER, "knn": NUMBER}
CRASHED = "The training process ended without finishing (killed or crashed); resume it from its last checkpoint."


def default_root() -> Path:
    """Where runs live unless told otherwise: $SIMCLR_RUNS, else ./runs (shared by the app and the CLI)."""
    return Path(os.environ.get("SIMCLR_RUNS") or "runs")


class RunError(Exception):
    """A message fit to show a user as-is."""


def write_json(path: Path, obj: dict) -> None:
    """Write `obj` to `path` atomically (simclr.atomic); non-finite floats become null (valid JSON for any reader)."""
    atomic.write_bytes(path, (json.dumps(_finite(obj), indent=2) + "\n").encode("utf-8"))


def read_json(path: Path) -> dict:
    """The JSON object in `path`; {} when it is missing or unreadable."""
    try:
        obj = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return obj if isinstance(obj, dict) else {}


def typed(obj: dict, types: dict[str, type], source: str) -> tuple[dict, list[str]]:
    """`obj` without the values whose type is not the one `types` names (null is always allowed), and a
    sentence for each value left out, e.g. 'summary.json: pid is "x", not a whole number'."""
    kept, problems = {}, []
    for key, value in obj.items():
        want = types.get(key)
        if want is None or value is None or _is_a(value, want):
            kept[key] = value
        else:
            shown = json.dumps(value)
            shown = shown if len(shown) <= 40 else shown[:37] + "..."
            problems.append(f"{source}: {key} is {shown}, not {_TYPE_WORDS[want]}")
    return kept, problems


_TYPE_WORDS = {str: "text", int: "a whole number", NUMBER: "a number", bool: "true or false", dict: "a table"}


def _is_a(value, want: type) -> bool:
    if want is bool or isinstance(value, bool):
        return want is bool and isinstance(value, bool)
    if want is int:
        return isinstance(value, int) and -INT_LIMIT < value < INT_LIMIT
    if want is NUMBER:
        return isinstance(value, (int, float)) and math.isfinite(value)
    return isinstance(value, want)


def _finite(obj):
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


class MetricsLog:
    """Appends rows to metrics.jsonl, one flushed line each; `after_step` drops rows a resumed run redoes."""

    def __init__(self, run_dir: Path, after_step: int | None = None):
        path = Path(run_dir) / METRICS
        if after_step is not None and path.exists():
            kept = [row for row in read_metrics(run_dir) if row["step"] <= after_step]
            atomic.write_bytes(path, "".join(json.dumps(row) + "\n" for row in kept).encode("utf-8"))
        self._file = open(path, "a", encoding="utf-8")

    def write(self, row: dict) -> None:
        self._file.write(json.dumps(_finite(row)) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()


def read_metrics(run_dir: Path) -> list[dict]:
    """Every logged row of a run, oldest first; a half-written or corrupt line, or one whose step is not a
    whole number, is skipped, and values of the wrong type (METRIC_TYPES) are left out of their row."""
    try:
        lines = (Path(run_dir) / METRICS).read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    rows = []
    for line in lines:
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict) and _is_a(row.get("step"), int):
            rows.append(typed(row, METRIC_TYPES, METRICS)[0])
    return rows


def request_stop(run_dir: Path) -> None:
    """Ask a run to stop after its current step (it saves a checkpoint and ends as "stopped")."""
    (Path(run_dir) / STOP).touch()


def stop_requested(run_dir: Path) -> bool:
    return (Path(run_dir) / STOP).exists()


def clear_stop(run_dir: Path) -> None:
    (Path(run_dir) / STOP).unlink(missing_ok=True)


def status(summary: dict) -> str:
    """The summary's status, with "running" turned into "failed" when its process is gone.

    Where /proc tells process start times, "running" needs the process the summary names (its "process"),
    not just any live process with that pid.
    """
    state = summary.get("status", "failed")
    if state == "running" and not _run_process_alive(summary):
        return "failed"
    return state if state in STATUSES else "failed"


def _run_process_alive(summary: dict) -> bool:
    pid = summary.get("pid")
    if not _is_a(pid, int) or not pid_alive(pid):
        return False
    now = process_identity(pid)
    return now is None or summary.get("process") == now


def remove_temporaries(run_dir: Path) -> list[Path]:
    """Delete the temporary files (.NAME.*.tmp) a process killed while saving left; returns them.

    Call it only where no other process writes the run, as train() does before it marks the run running.
    """
    found = sorted(Path(run_dir).glob(".*.tmp"))
    for path in found:
        path.unlink(missing_ok=True)
    return found


def is_running(run_dir: Path) -> bool:
    return run_info(run_dir).status == "running"


@dataclass
class RunInfo:
    """One run folder as the runs page lists it."""

    name: str  # folder name
    path: Path  # the folder
    config: dict  # config.json
    summary: dict  # summary.json as written (status may say "running" for a crashed run)
    status: str  # one of STATUSES, with crash detection
    message: str  # why it stopped, for "failed" and "diverged" ("" otherwise)
    problems: list[str]  # values of the wrong type left out of config and summary, one sentence each


def run_info(run_dir: Path) -> RunInfo:
    """A run folder read with the types of CONFIG_TYPES and SUMMARY_TYPES, whatever its files hold."""
    run_dir = Path(run_dir)
    config, config_problems = typed(read_json(run_dir / CONFIG), CONFIG_TYPES, CONFIG)
    summary, summary_problems = typed(read_json(run_dir / SUMMARY), SUMMARY_TYPES, SUMMARY)
    state = status(summary)
    message = summary.get("message", "") if state == summary.get("status") else CRASHED
    return RunInfo(run_dir.name, run_dir, config, summary, state, message or "", config_problems + summary_problems)


def list_runs(root: Path) -> list[RunInfo]:
    """Every run folder (one holding config.json) directly under `root`, newest first."""
    root = Path(root)
    if not root.is_dir():
        return []
    folders = [p for p in root.iterdir() if (p / CONFIG).is_file()]
    folders.sort(key=lambda p: (p / CONFIG).stat().st_mtime, reverse=True)
    return [run_info(p) for p in folders]


def delete_run(run_dir: Path, root: Path) -> None:
    """Delete a run folder; only a run folder directly inside `root`, and never a running one."""
    root, run_dir = Path(root).resolve(), Path(run_dir).resolve()
    if run_dir.parent != root or not (run_dir / CONFIG).is_file():
        raise RunError(f"{run_dir} is not a run folder inside {root}; nothing was deleted.")
    if is_running(run_dir):
        raise RunError(f"Run {run_dir.name} is still training; stop it before deleting it.")
    shutil.rmtree(run_dir)
