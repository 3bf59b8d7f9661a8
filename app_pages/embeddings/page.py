"""Embeddings: a run's images mapped before and after training, the images under the points, and what was learned.

Top to bottom: the run and what to show, then the sections, each in a file beside this one: maps (maps.py),
neighbours (neighbours.py), the checkpoint's report (report.py), export (export.py) and the replay (replay.py).
"""
import streamlit as st

from app_pages.embeddings.export import export_section
from app_pages.embeddings.map_controls import map_controls
from app_pages.embeddings.maps import maps_section, points_of
from app_pages.embeddings.neighbours import neighbours_section, start_on_most_changed
from app_pages.embeddings.replay import replay_section
from app_pages.embeddings.report import report_section
from simclr.data import DataError
from simclr.device import resolve_device
from simclr.maps.stored import DEFAULT_COUNT
from simclr.model.networks import ModelError
from ui.classroom import presenter
from ui.plain import plain
from ui.run_embeddings import Checkpoint, Shown, embeddings, encoders, run_images, umap_stored
from ui.run_picker import run_picker
from ui.umap_warmup import start_umap_warmup, wait_for_umap

MIN_SLIDER = 100  # datasets smaller than this show all their images

st.title("Embeddings")
st.caption(
    "Each point is one image, placed by its embedding: near points are images the encoder finds similar. "
    "Left, the network before training (random weights, the run's own seed); right, after. The right map is "
    "turned (and mirrored if need be) to match the left one, so a point that moves is an image whose neighbours "
    "changed."
)
ready = start_umap_warmup()
# On a projector the maps come first, right under the lecture step, and the controls below them: the first
# screen of 1280 x 720 shows both maps (the controls are read first, the maps drawn into this slot).
maps_slot = st.container() if presenter() else None

picker, sizes = st.columns([3, 2], gap="large")
with picker:
    picked = run_picker("emb")
if picked is None:
    st.stop()
run, checkpoint_path, config = picked
try:
    dataset = run_images(config)
except DataError as err:
    st.error(plain(f"The images of run {run.name} cannot be loaded: {err}"))
    st.stop()

with sizes:
    if len(dataset) > MIN_SLIDER:
        count = st.slider(
            "Images on the maps", MIN_SLIDER, len(dataset), min(DEFAULT_COUNT, len(dataset)), step=100,
            key="emb_count",
            help="A seeded choice among the run's training images. More images show the structure better; "
            "UMAP takes about a second per 2,000 images. The accuracy table below does not depend on it.",
        )
    else:
        count = len(dataset)
        st.caption(plain(f"All {count} images of {config.dataset} are shown."))
    space = st.segmented_control(
        "Embedding", ["h", "z"], default="h", key="emb_space", required=True,
        help="h: the encoder's output, what you keep for other tasks. z = g(h): after the projection head, what "
        "the loss compares. The paper finds h better for downstream tasks: g learns to ignore what the "
        "augmentations change (colour, crop position), and so discards it.",
    )
    method = st.segmented_control(
        "Map", ["UMAP", "PCA"], default="UMAP", key="emb_method", required=True,
        help="UMAP keeps each image's nearest neighbours near it: clusters show, but distances between "
        "clusters mean little. PCA is a linear projection on the two directions of most variance: honest "
        "about global distances, blind to curved structure.",
    )

with st.expander("Map settings"):
    settings = map_controls(dataset.labels is not None)

device = resolve_device("auto").type
shown = Shown(Checkpoint.of(checkpoint_path), count, device)
try:
    found = embeddings(shown)
    _, trained, extra = encoders(shown.checkpoint, device)
except ModelError as err:
    st.error(plain(f"Run {run.name}: {err}"))
    st.stop()

# UMAP maps on disk (the demo run ships its first ones) need no fit, so they need not wait for numba either
drawable = method == "PCA" or ready.is_set() or umap_stored(shown, space, settings.n_neighbors, settings.min_dist)
use = method if drawable else "PCA"
if use != method:
    wait_for_umap(ready)
points = points_of(shown, dataset, found, space, settings)
start_on_most_changed(shown, points, found, space)
if "emb_highlight" in st.session_state:  # labels and clusters are different names: keep those still there
    st.session_state["emb_highlight"] = [m for m in st.session_state["emb_highlight"] if m in points.names]
marked = picker.multiselect(  # under the run picker, where the column has room: the maps stay on the first screen
    "Highlight", points.names, key="emb_highlight", placeholder="labels to highlight on both maps",
    help="The points of these labels stay dark on both maps while the rest fade: see where one class went.",
)
with maps_slot or st.container():
    maps_section(shown, points, space, use, settings, config.seed, extra.get("step"), marked)
replay_section(run)
neighbours_section(points, found, space)
report_section(shown.checkpoint, device, config.knn_k)
export_section(points, found, trained, run.name, checkpoint_path)
