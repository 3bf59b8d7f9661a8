"""Embeddings: a run's images mapped before and after training, the images under the points, and what was learned."""

import hashlib
import math
from functools import partial

import streamlit as st
import torch

from simclr.data import DataError
from simclr.device import resolve_device
from simclr.evaluate import nearest_neighbours
from simclr.export import encoder_weights, projector_zip
from simclr.model import ModelError
from simclr.project import UMAP_MIN_POINTS
from ui.charts import data_uri
from ui.embedding_charts import embedding_map, spread_sample, transfer_chart
from ui.hover_preview import hover_preview
from ui.images import to_picture
from ui.plain import plain
from ui.map_controls import map_controls
from ui.run_embeddings import Checkpoint, Shown, clusters, embeddings, encoders, hover_sprite, layouts, run_images
from ui.run_picker import run_picker
from ui.run_scores import accuracy_table, labelled_split, transfer
from ui.umap_warmup import start_umap_warmup, wait_for_umap

DEFAULT_COUNT = 2000  # images on the maps unless the user asks for more or fewer
MIN_SLIDER = 100  # datasets smaller than this show all their images
GALLERY_MAX = 120  # selected images shown at once
THUMB = 72  # px of a thumbnail in the galleries


def _selected(side: str) -> None:
    """Remember which map was selected last; a single clicked point becomes the neighbours' query."""
    st.session_state["emb_selected_from"] = side
    points = st.session_state[f"emb_map_{side}"].selection.points
    if len(points) == 1:
        st.session_state["emb_pick"] = int(points[0]["customdata"])


def _request_transfer(shown: Shown) -> None:
    st.session_state["emb_transfer_for"] = shown


st.title("Embeddings")
st.caption(
    "Each point is one image, placed by its embedding: near points are images the encoder finds similar. "
    "Left, the network before training (random weights, the run's own seed); right, after. The right map is "
    "turned (and mirrored if need be) to match the left one, so a point that moves is an image whose neighbours "
    "changed."
)
ready = start_umap_warmup()

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
            "UMAP takes about a second per 2,000 images and the scores below take longer.",
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

use = method if method == "PCA" or ready.is_set() else "PCA"
if use != method:
    wait_for_umap(ready)
before, after = layouts(shown, space, use, settings.n_neighbors, settings.min_dist)
if settings.colour_by == "label":
    groups, names = dataset.labels[torch.from_numpy(found.ids)].numpy(), list(dataset.classes)
else:
    groups = clusters(shown, space, settings.clusters)
    names = [f"cluster {i}" for i in range(int(groups.max()) + 1)]
images = dataset.images[torch.from_numpy(found.ids)]  # (N, C, H, W) uint8, row i = point i
image_names = [dataset.names[i] for i in found.ids] if dataset.names else [""] * count
captions = [f"#{i} · {names[g]}" + (f" · {n}" if n else "") for i, (g, n) in enumerate(zip(groups, image_names))]

token = "emb-" + hashlib.sha1(repr(shown).encode()).hexdigest()[:12]
hover_preview(token, hover_sprite(shown), math.ceil(math.sqrt(count)), captions)
drawn = "PCA" if use == "PCA" or count < UMAP_MIN_POINTS else "UMAP"
step = extra.get("step")
titles = {
    "before": f"Before training<br><sup>random initialisation, seed {config.seed} · {drawn} of {space}</sup>",
    "after": f"After training<br><sup>{checkpoint_path.name}{f', step {step:,}' if step is not None else ''} · "
    f"{drawn} of {space}</sup>",
}
maps = {}
for column, (side, xy) in zip(st.columns(2), (("before", before), ("after", after))):
    sample = spread_sample(xy, settings.cells) if settings.thumbnails else []
    thumbs = {int(r): data_uri(to_picture(images[r], min_side=0)) for r in sample}
    figure = embedding_map(xy, groups, names, titles[side], token, thumbs, settings.cells)
    with column:
        maps[side] = st.plotly_chart(
            figure, key=f"emb_map_{side}", on_select=partial(_selected, side),
            selection_mode=("points", "box", "lasso"),
        )
st.caption(
    "Hover over a point to see its image; click one to look at its neighbours below. To see a whole region, "
    "pick the lasso or box tool (toolbar, top right of each map) and draw around it; double-click clears."
)

side = st.session_state.get("emb_selected_from", "after")
rows = sorted({int(p["customdata"]) for p in maps[side].selection.points})
if rows:
    st.subheader(f"{len(rows):,} images selected on the {side} map")
    if len(rows) > GALLERY_MAX:
        st.caption(f"The first {GALLERY_MAX} are shown.")
    shown_rows = rows[:GALLERY_MAX]
    st.image([to_picture(images[r], THUMB) for r in shown_rows], caption=[captions[r] for r in shown_rows], width=THUMB)

st.subheader("Nearest neighbours, before and after")
query_column, neighbour_columns = st.columns([1, 5], gap="large")
with query_column:
    pick = st.number_input(  # no value=: a clicked point sets it through session state
        "Image #", 0, count - 1, key="emb_pick",
        help="The number shown when hovering over a point; clicking a point on either map picks it too.",
    )
    n_shown = st.slider(
        "Neighbours", 1, min(24, count - 1), min(8, count - 1), key="emb_neighbours_shown",
        help="The most cosine-similar images in the chosen space (h or z), most similar first.",
    )
    st.image(to_picture(images[pick], 120), caption=captions[pick])
with neighbour_columns:
    for encoder, label in (("random", "Random initialisation"), ("trained", "Trained")):
        near = nearest_neighbours(torch.from_numpy(found.get(encoder, space)), pick, n_shown).tolist()
        same = f": {sum(groups[r] == groups[pick] for r in near)} of {len(near)} share its colour" if near else ""
        st.markdown(f"**{label}**{same}")
        st.image([to_picture(images[r], THUMB) for r in near], caption=[captions[r] for r in near], width=THUMB)

st.subheader("What was learned, in numbers")
split = labelled_split(shown)
if split is None:
    st.info(
        f"These {config.dataset} images have no labels (or a single one), so accuracy cannot be scored; "
        "the maps and the neighbours tell the story."
    )
else:
    st.caption(
        f"Accuracy on held-out images ({split.description}). kNN: a vote of the 20 most cosine-similar "
        "training images; linear probe: logistic regression on the frozen features, the paper's evaluation. "
        "Training should beat both raw pixels and the random network, and h should beat z."
    )
    percent = {"format": "percent", "min_value": 0.0, "max_value": 1.0}
    st.dataframe(
        accuracy_table(shown), key="emb_scores", hide_index=True,
        column_config={"kNN": st.column_config.ProgressColumn("kNN", **percent),
                       "linear probe": st.column_config.ProgressColumn("linear probe", **percent)},
    )
    budgets = ", ".join(str(b) for b in split.budgets())
    st.button(
        "Run transfer comparison", key="emb_transfer", on_click=_request_transfer, args=(shown,),
        help=f"With {budgets} labelled images per class: a linear probe on the frozen trained h, fine-tuning the "
        "trained encoder, and the same network trained from its random initialisation. Pretraining pays off "
        "where labels are few (paper Sec. 7). Takes seconds for the small CNN, minutes for ResNet-18 on a CPU.",
    )
    if st.session_state.get("emb_transfer_for") == shown:
        st.plotly_chart(transfer_chart(transfer(shown)), key="emb_transfer_chart")
        st.caption(
            "Accuracy on the same held-out images. Where the trained lines lie above 'from scratch', pretraining "
            "without labels saved labelling work; the gap is widest with the fewest labels."
        )

st.subheader("Export")
labels = [names[g] for g in groups]
tensors = {f"{name} {s}": found.get(encoder, s) for encoder, name in (("trained", "trained"), ("random", "random init"))
           for s in ("h", "z")}
stem = f"{run.name}-{checkpoint_path.stem}"
left, right = st.columns(2)
left.download_button(
    "Embeddings for TensorBoard's projector (.zip)", key="emb_download_projector", icon=":material/download:",
    data=lambda: projector_zip(tensors, labels, images),
    file_name=f"{stem}-projector.zip", mime="application/zip",
    help="h and z of both encoders for the images on the maps, their labels (or clusters) and a sprite of the "
    "images. Unzip into a folder and run `tensorboard --logdir <folder>` (Projector tab) to explore them in 3-D.",
)
right.download_button(
    "Trained encoder weights (.pt)", key="emb_download_weights", icon=":material/download:",
    data=lambda: encoder_weights(trained), file_name=f"{stem}-encoder.pt", mime="application/octet-stream",
    help="The base encoder f's state_dict, without the projection head, as you would keep it after "
    "pretraining. Load it into simclr.model.build_model(config).encoder; it expects (x - 0.5) / 0.25 inputs.",
)
