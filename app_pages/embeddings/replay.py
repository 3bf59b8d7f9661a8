"""Embeddings page section: replay a run's map from its random init to the end, with its loss and kNN curves."""

import streamlit as st

from simclr.maps import live
from simclr.runs import folder, progress, snapshot_files
from ui.live_map import map_sample, map_split
from ui.live_map_charts import replay_figure
from ui.umap_warmup import start_umap_warmup


def replay_section(run: folder.RunInfo) -> None:
    """The run's snapshots as a film played in the browser (play button, step slider); a note when it has none."""
    st.subheader("Watch it learn: replay the training")
    if len(snapshot_files.steps(run.path)) < 2 or not snapshot_files.read_sample(run.path):
        st.caption(f"Run {run.name} has no map snapshots (runs keep them since the live map was added); "
                   "train a new run to replay it.")
        return
    if not start_umap_warmup().is_set():
        st.caption("The replay appears once UMAP has compiled (once per server start).")
        return
    sample, token = map_sample(run.path, run.config)
    with st.spinner("Drawing a map per snapshot (once per run; kept in its folder)…"):
        maps = live.maps(run.path)
    rows = folder.read_metrics(run.path)
    loss = [(row["step"], row["loss"]) for row in rows if row.get("loss") is not None]
    knn = progress.knn_points(run.summary, rows)
    images = f"{sample['count']:,} {map_split(sample)} images"
    split = run.summary.get("validation_split", "validation")
    st.plotly_chart(replay_figure(maps, sample.get("labels"), sample.get("classes") or [], loss, knn, token, images,
                                  split), key="emb_replay")
    st.caption(
        images + (", which the run never trained on," if map_split(sample) == "test" else "") +
        " embedded every few seconds of training (h, UMAP). Press Play or drag the slider: each map starts from the "
        "one before, so a point you follow is one image. The red marks show the loss and the kNN accuracy on the "
        f"{split} split at that step."
    )
