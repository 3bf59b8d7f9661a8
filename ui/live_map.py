"""The live map of a run, as the Training page shows it while the run trains: read from its snapshots on disk."""

import hashlib
import math
from pathlib import Path

import streamlit as st

from simclr.data import DataError
from simclr.maps import live
from simclr.runs import progress, snapshot_files
from simclr.runs.config import run_config
from ui.hover_preview import hover_preview, sprite_data_uri
from ui.live_map_charts import live_map_figure
from ui.run_embeddings import run_images
from ui.umap_warmup import start_umap_warmup

HOVER_CELL = 48  # px of one image in the hover sprite


@st.cache_data(show_spinner=False, max_entries=8)
def _sprite(run_dir: str, config: dict, count: int) -> str | None:
    """The live map's images as one sprite data URI (cell i = sample row i); None when they cannot be loaded."""
    train = run_config(config)
    load = {"size": train.size, "path": Path(train.path) if train.path else None}
    try:
        train_set = None if snapshot_files.read_sample(Path(run_dir)).get("split") == "test" else run_images(train)
        sample = snapshot_files.held_out_sample(train.dataset, count, train.seed, train_set, **load)
    except DataError:
        return None
    return sprite_data_uri(sample.images, HOVER_CELL)


def map_sample(run_dir: Path, config: dict) -> tuple[dict, str]:
    """sample.json of the run, and the token of its hover sprite (registered on the page when it loads)."""
    sample = snapshot_files.read_sample(run_dir)
    token = "live-" + hashlib.sha1(str(run_dir.resolve()).encode()).hexdigest()[:12]
    uri = _sprite(str(run_dir), config, sample["count"])
    if uri is not None:
        labels, classes = sample.get("labels"), sample.get("classes") or []
        captions = [f"#{i}" + (f" · {classes[y]}" if labels and classes else "") for i, y in
                    enumerate(labels or [0] * sample["count"])]
        hover_preview(token, uri, math.ceil(math.sqrt(sample["count"])), captions)
    return sample, token


def map_split(sample: dict) -> str:
    """Which images a map shows, as its title names them: "test", or "training" where the dataset has no test split."""
    return "test" if sample.get("split") == "test" else "training"


def live_map_panel(run_dir: Path, summary: dict, rows: list[dict], config: dict) -> None:
    """The newest snapshot's map with the kNN accuracy of that moment, each figure naming its split; nothing before
    the first snapshot."""
    if not snapshot_files.steps(run_dir) or not snapshot_files.read_sample(run_dir):
        st.caption("The map of held-out images appears with the run's first snapshot.")
        return
    if not start_umap_warmup().is_set():
        st.caption("The map appears once UMAP has compiled (once per server start, 15-25 s).")
        return
    sample, token = map_sample(run_dir, config)
    maps = live.maps(run_dir)
    step, xy = list(maps.items())[-1]
    st.plotly_chart(live_map_figure(xy, sample.get("labels"), sample.get("classes") or [],
                                    live_map_title(sample, summary, rows, step), token),
                    key=f"live_map_{run_dir.name}")


def live_map_title(sample: dict, summary: dict, rows: list[dict], step: int) -> str:
    """The map's images and the kNN figure of that moment, each with its split: the map shows test images, the
    figure was measured on the validation split, e.g. "map: 1,000 test images" over "step 1,200 · kNN 91.0%"
    and "kNN on validation"."""
    knn = [(s, value) for s, value in progress.knn_points(summary, rows) if s <= step]
    said = ""
    if knn:
        at, value = knn[-1]
        said = f" · kNN {value:.1%}" + (f" at step {at:,}" if at != step else "") + \
            f"<br>kNN on {summary.get('validation_split', 'validation')}"  # its own line: a cap makes it long
    return f"map: {sample['count']:,} {map_split(sample)} images<br><sup>step {step:,}{said}</sup>"
