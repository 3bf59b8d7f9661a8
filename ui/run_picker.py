"""Choose a saved pretraining run and one of its checkpoints; a clear way out when there is none."""

from pathlib import Path

import streamlit as st

from simclr.data import DataError
from simclr.runs import folder
from simclr.runs.config import TrainConfig, run_config
from simclr.train.checks import ConfigError, validate
from ui.navigation import page
from ui.plain import plain
from ui.sidebar import folder_inside_root

CHECKPOINTS = (folder.BEST, folder.LAST)
CHECKPOINT_HELP = {
    folder.BEST: "the step with the best kNN accuracy on the validation split, a tenth of the training images "
    "(lowest loss when there are no labels)",
    folder.LAST: "where training stopped",
}


DEMO_RUN = Path(__file__).resolve().parent.parent / "assets" / "demo-run"  # shipped, so before/after works at once


def runs_with_checkpoints(root: Path) -> list[folder.RunInfo]:
    """Runs under `root` holding best.pt or last.pt, newest first, then the demo run shipped in assets/."""
    found = [run for run in folder.list_runs(root) if any((run.path / name).is_file() for name in CHECKPOINTS)]
    if (DEMO_RUN / folder.BEST).is_file():
        found.append(folder.run_info(DEMO_RUN))
    return found


def checkpoint_of(run: folder.RunInfo) -> Path:
    """The run's best checkpoint, else its last."""
    return next(run.path / name for name in CHECKPOINTS if (run.path / name).is_file())


def _describe(run: folder.RunInfo) -> str:
    config = run.config
    return f"{run.name} · {config.get('dataset', '?')} · {config.get('encoder', '?')} · {run.status}"


def no_runs_message(root: Path) -> None:
    """Say where runs come from, with a link to the Training page."""
    st.info(
        f"No trained runs with a checkpoint in `{root.resolve()}` yet. Train one first "
        "(or from a terminal: `python -m simclr.train --seconds 60`), then come back.",
        icon=":material/model_training:",
    )
    st.page_link(page("train"), label="Train a model", icon=":material/model_training:")


def run_picker(key: str) -> tuple[folder.RunInfo, Path, TrainConfig] | None:
    """A run, a checkpoint and the run's config, chosen with two widgets keyed `{key}_run` and `{key}_checkpoint`.

    None (after a message) when there is no run with a checkpoint, or the chosen run's config.json is damaged
    or names a folder outside the data root (the sidebar refuses the same folder).
    """
    root = folder.default_root()
    found = {run.name: run for run in runs_with_checkpoints(root)}
    if not found:
        no_runs_message(root)
        return None
    name = st.selectbox(
        "Run", list(found), format_func=lambda n: _describe(found[n]), key=f"{key}_run",
        help=f"Pretraining runs in {root} (set SIMCLR_RUNS to look elsewhere). The images shown come from "
        "the run's own dataset, so the map shows what this encoder learned from.",
    )
    run = found[name]
    present = [c for c in CHECKPOINTS if (run.path / c).is_file()]
    checkpoint = st.segmented_control(
        "Checkpoint", present, default=present[0], key=f"{key}_checkpoint", required=True,
        help="; ".join(f"{c}: {CHECKPOINT_HELP[c]}" for c in present) + ". Early in a run both are close; "
        "a long run's best.pt can be earlier than its last.pt when the kNN check peaked.",
    )
    damaged = [p for p in run.problems if p.startswith(folder.CONFIG)]
    if not run.config or damaged:  # folder.read_json gives {} for a file it cannot parse
        st.error(plain(f"The config.json of run {run.name} is damaged, so its images cannot be found. "
                       + "; ".join(damaged)))
        return None
    try:
        config = run_config(run.config)
        validate(config)
        if config.path is not None:
            folder_inside_root(config.path)
    except (ConfigError, DataError, TypeError) as error:  # TypeError: augment settings of the wrong kind
        st.error(plain(f"Run {run.name} cannot be shown: {error}"))
        return None
    return run, run.path / checkpoint, config
