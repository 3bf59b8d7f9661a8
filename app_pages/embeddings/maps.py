"""The Embeddings page's two maps (before and after training) and the gallery of the images selected on them.

Everything that draws or selects on the maps lives here; the page calls `maps_section` once.
"""
import hashlib
import math
from dataclasses import dataclass
from functools import partial

import numpy as np
import streamlit as st
import torch

from app_pages.embeddings.charts import embedding_map, spread_sample
from app_pages.embeddings.map_controls import MapSettings
from simclr.data import Dataset
from simclr.maps.reduce import UMAP_MIN_POINTS
from ui.charts import data_uri
from ui.hover_preview import hover_preview
from ui.pictures import to_picture
from ui.run_embeddings import Embeddings, Shown, clusters, hover_sprite, layouts

GALLERY_MAX = 120  # selected images shown at once
THUMB = 72  # px of a thumbnail in the galleries


@dataclass
class Points:
    """The shown images as the maps colour and caption them; row i is point i."""

    images: torch.Tensor  # (N, C, H, W) uint8
    groups: np.ndarray  # (N,) colour group of each point: its label, or its k-means cluster
    names: list[str]  # group id -> legend name
    captions: list[str]  # "#i · group · file name"


def points_of(shown: Shown, dataset: Dataset, found: Embeddings, space: str, settings: MapSettings) -> Points:
    """Colour groups and captions of the shown images: labels where the user colours by label, else clusters."""
    if settings.colour_by == "label":
        groups, names = dataset.labels[torch.from_numpy(found.ids)].numpy(), list(dataset.classes)
    else:
        groups = clusters(shown, space, settings.clusters)
        names = [f"cluster {i}" for i in range(int(groups.max()) + 1)]
    images = dataset.images[torch.from_numpy(found.ids)]
    image_names = [dataset.names[i] for i in found.ids] if dataset.names else [""] * len(found.ids)
    captions = [f"#{i} · {names[g]}" + (f" · {n}" if n else "") for i, (g, n) in enumerate(zip(groups, image_names))]
    return Points(images, groups, names, captions)


def _selected(side: str) -> None:
    """Remember which map was selected last; a single clicked point becomes the neighbours' query."""
    st.session_state["emb_selected_from"] = side
    points = st.session_state[f"emb_map_{side}"].selection.points
    if len(points) == 1:
        st.session_state["emb_pick"] = int(points[0]["customdata"])


def maps_section(shown: Shown, points: Points, space: str, method: str, settings: MapSettings, seed: int,
                 step: int | None, marked: list[str]) -> None:
    """Both maps side by side with images under the points and a hover preview, then the selected images.

    seed: the run's, which made the random initialisation; step: the checkpoint's training step, if known;
    marked: group names to highlight on both maps. Images selected on one map are highlighted on the other.
    """
    count = len(points.images)
    before, after = layouts(shown, space, method, settings.n_neighbors, settings.min_dist)
    token = "emb-" + hashlib.sha1(repr(shown).encode()).hexdigest()[:12]
    hover_preview(token, hover_sprite(shown), math.ceil(math.sqrt(count)), points.captions)
    drawn = "PCA" if method == "PCA" or count < UMAP_MIN_POINTS else "UMAP"
    at_step = f", step {step:,}" if step is not None else ""
    titles = {
        "before": f"Before training<br><sup>random initialisation, seed {seed} · {drawn} of {space}</sup>",
        "after": f"After training<br><sup>{shown.checkpoint.name}{at_step} · {drawn} of {space}</sup>",
    }
    selected_on = st.session_state.get("emb_selected_from")
    selection = st.session_state.get(f"emb_map_{selected_on}") if selected_on else None
    chosen = np.array(sorted({int(p["customdata"]) for p in selection.selection.points}) if selection else [], dtype=int)
    by_label = np.flatnonzero(np.isin(points.groups, [points.names.index(m) for m in marked])) if marked else None
    maps = {}
    for column, (side, xy) in zip(st.columns(2), (("before", before), ("after", after))):
        sample = spread_sample(xy, settings.cells) if settings.thumbnails else []
        thumbs = {int(r): data_uri(to_picture(points.images[r], min_side=0)) for r in sample}
        mirrored = chosen if len(chosen) and side != selected_on else None  # the other map shows the same images
        parts = [rows for rows in (mirrored, by_label) if rows is not None]
        highlight = np.union1d(*parts) if len(parts) == 2 else parts[0] if parts else None
        figure = embedding_map(xy, points.groups, points.names, titles[side], token, thumbs, settings.cells, highlight)
        with column:
            maps[side] = st.plotly_chart(
                figure, key=f"emb_map_{side}", on_select=partial(_selected, side),
                selection_mode=("points", "box", "lasso"),
            )
    st.caption(
        "Hover over a point to see its image; click one to look at its neighbours below. To see a whole region, "
        "pick the lasso or box tool (toolbar, top right of each map) and draw around it: the same images light up "
        "on the other map. Double-click clears."
    )
    side = st.session_state.get("emb_selected_from", "after")
    rows = sorted({int(p["customdata"]) for p in maps[side].selection.points})
    if rows:
        st.subheader(f"{len(rows):,} images selected on the {side} map")
        if len(rows) > GALLERY_MAX:
            st.caption(f"The first {GALLERY_MAX} are shown.")
        chosen = rows[:GALLERY_MAX]
        st.image([to_picture(points.images[r], THUMB) for r in chosen], caption=[points.captions[r] for r in chosen],
                 width=THUMB)
