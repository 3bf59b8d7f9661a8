"""Augmentations: two random SimCLR views of the same image, and every op's dial."""

from dataclasses import asdict

import streamlit as st

from simclr import data
from simclr.augment.gallery import view_gallery
from simclr.augment.views import PRESETS, ViewParams, skipped_ops
from ui.augment_controls import augment_controls
from ui.classroom import presenter
from ui.handoff import Views, send_views
from ui.links import KEEP, base_preset, current, number_args
from ui.navigation import page
from ui.pictures import VIEW_COLOURS, to_picture, with_boxes
from ui.plain import plain
from ui.sidebar import current_dataset

UPLOAD_TYPES = ["png", "jpg", "jpeg", "gif", "bmp", "webp", "tif", "tiff", "zip"]


def _next_seed() -> None:
    st.session_state["view_seed"] = current("view_seed") + 1


def _uploaded(uploads: list) -> data.Dataset:
    """The uploads as a dataset, decoded once per set of files: a rerun reuses it, the session's end frees it."""
    key = tuple((f.file_id, f.name, f.size) for f in uploads)
    held = st.session_state.get("_aug_uploaded")
    if held is None or held[0] != key:
        try:
            result = data.load_uploads([(f.name, f.getvalue()) for f in uploads])
        except data.DataError as err:
            result = err
        st.session_state["_aug_uploaded"] = held = (key, result)
    if isinstance(held[1], data.DataError):
        raise held[1]
    return held[1]


def _describe(params: ViewParams, i: int, channels: int) -> str:
    return "  \n".join(f"**{op}**: {text}" for op, text in params.describe(i, channels).items())


st.title("Augmentations")
st.caption(
    "SimCLR learns by making two random views of each image agree. What the views keep in common is what "
    "the network is pushed to notice; what the augmentations change is what it learns to ignore."
)

controls, main = st.columns([1, 3], gap="large")
with controls:
    source = st.radio("Images from", ["Dataset", "My own images"], horizontal=True, key="aug_source")
    count = st.slider("Images", **number_args("aug_count"), key="aug_count", **KEEP,
                      help="How many images to show, each with two views.")
    if not presenter():
        st.number_input("Image pick seed", **number_args("image_seed"), key="image_seed", **KEEP,
                        help="Another number picks other images.")
        st.number_input("View seed", **number_args("view_seed"), key="view_seed", **KEEP,
                        help="The same seed replays the same views.")
    st.button("Resample views", on_click=_next_seed, key="resample", type="primary", use_container_width=True)
    with st.expander("Augmentation settings", expanded=True):
        config = augment_controls()
    if st.button("Train with these views", key="train_with_views", icon=":material/model_training:",
                 use_container_width=True,
                 help="Open the Training form with these augmentation settings, e.g. colour jitter off to rerun "
                 "the paper's Fig. 5 ablation."):
        preset = PRESETS[base_preset()]
        changes = {k: v for k, v in asdict(config).items() if k != "size" and getattr(preset, k) != v}
        send_views(Views(base_preset(), changes, st.session_state.get("dataset", "")))
        st.switch_page(page("train"), query_params={})  # {}: the bound widgets write their own back

if source == "My own images":
    with main:
        uploads = st.file_uploader(
            "Upload images or a .zip", type=UPLOAD_TYPES, accept_multiple_files=True, key="aug_uploads",
            help="PNG, JPEG, GIF, BMP, WebP or TIFF files, or one .zip of them (class folders become labels).",
        )
    if not uploads:
        st.session_state.pop("_aug_uploaded", None)  # the decoded images of files the user removed
        main.info("Upload one or more images (or a .zip) to see their views.")
        st.stop()
    try:
        dataset = _uploaded(uploads)
    except data.DataError as err:
        main.error(plain(str(err)))
        st.stop()
    for warning in dataset.warnings:
        main.warning(plain(warning))
else:
    with main:
        dataset = current_dataset()

gallery = view_gallery(dataset.images, count, config, current("image_seed"), current("view_seed"))
count, channels = gallery.images.shape[:2]

with main:
    st.caption(plain(dataset.description))
    skipped = skipped_ops(config, channels)
    if skipped:
        st.info(f"These images are grayscale, so {', '.join(skipped)} change nothing and are skipped.")
    pairs, one_op = st.tabs(["Two views per image", "One op at a time"])
    with pairs:
        red, blue = (f"rgb{c}" for c in VIEW_COLOURS)
        st.markdown(
            f"Each row: the image with the two crop boxes (<span style='color:{red}'>view 1</span>, "
            f"<span style='color:{blue}'>view 2</span>), then the two views with the parameters drawn.",
            unsafe_allow_html=True,
        )
        for i in range(count):
            original, first, second = st.columns(3)
            boxes = [tuple(gallery.params.crop[i].tolist()), tuple(gallery.params.crop[count + i].tolist())]
            original.image(with_boxes(to_picture(gallery.images[i]), boxes), caption=f"image {int(gallery.picked[i])}")
            first.image(to_picture(gallery.views[i]), caption="view 1")
            first.markdown(_describe(gallery.params, i, channels))
            second.image(to_picture(gallery.views[count + i]), caption="view 2")
            second.markdown(_describe(gallery.params, count + i, channels))
    with one_op:
        st.caption("Each op alone, always applied, on the first image (as in the paper's Figure 4).")
        columns = st.columns(len(gallery.alone) + 1)
        columns[0].image(to_picture(gallery.images[0]), caption="original")
        for column, (name, (view, params)) in zip(columns[1:], gallery.alone.items()):
            column.image(to_picture(view), caption=name)
            column.markdown(_describe(params, 0, channels))
