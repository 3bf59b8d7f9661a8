"""Augmentations: two random SimCLR views of the same image, and every op's dial."""

from dataclasses import replace

import streamlit as st
import torch

from simclr import augment, data
from ui.augment_controls import KEEP, augment_controls
from ui.classroom import presenter
from ui.images import VIEW_COLOURS, to_picture, with_boxes
from ui.plain import plain
from ui.sidebar import current_dataset

UPLOAD_TYPES = ["png", "jpg", "jpeg", "gif", "bmp", "webp", "tif", "tiff", "zip"]


def _next_seed() -> None:
    st.session_state["view_seed"] = st.session_state.get("view_seed", 0) + 1


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


def _describe(params: augment.ViewParams, i: int, channels: int) -> str:
    return "  \n".join(f"**{op}**: {text}" for op, text in params.describe(i, channels).items())


st.title("Augmentations")
st.caption(
    "SimCLR learns by making two random views of each image agree. What the views keep in common is what "
    "the network is pushed to notice; what the augmentations change is what it learns to ignore."
)

controls, main = st.columns([1, 3], gap="large")
with controls:
    source = st.radio("Images from", ["Dataset", "My own images"], horizontal=True, key="aug_source")
    count = st.slider("Images", 1, 8, 4, key="aug_count", help="How many images to show, each with two views.", **KEEP)
    if not presenter():
        st.number_input("Image pick seed", 0, 10**6, key="image_seed", help="Another number picks other images.",
                        **KEEP)
        st.number_input("View seed", 0, 10**6, key="view_seed", help="The same seed replays the same views.", **KEEP)
    st.button("Resample views", on_click=_next_seed, key="resample", type="primary", use_container_width=True)
    with st.expander("Augmentation settings", expanded=True):
        config = augment_controls()

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

pick = torch.randperm(len(dataset.images), generator=torch.Generator().manual_seed(st.session_state.get("image_seed", 0)))
images = dataset.images[pick[:count]]  # (K, C, H, W) uint8
count, channels, height, width = images.shape
generator = torch.Generator().manual_seed(st.session_state.get("view_seed", 0))
params = augment.draw_params(config, 2 * count, height, width, generator)
views = augment.apply_params(images.repeat(2, 1, 1, 1), params, config)  # (2K, C, H, W): view 1s then view 2s

with main:
    st.caption(plain(dataset.description))
    skipped = augment.skipped_ops(config, channels)
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
            boxes = [tuple(params.crop[i].tolist()), tuple(params.crop[count + i].tolist())]
            original.image(with_boxes(to_picture(images[i]), boxes), caption=f"image {int(pick[i])}")
            first.image(to_picture(views[i]), caption="view 1")
            first.markdown(_describe(params, i, channels))
            second.image(to_picture(views[count + i]), caption="view 2")
            second.markdown(_describe(params, count + i, channels))
    with one_op:
        st.caption("Each op alone, always applied, on the first image (as in the paper's Figure 4).")
        off = replace(
            config, crop=False, flip=False, jitter=False, grayscale=False, blur=False,
        )
        alone = {
            "crop": replace(off, crop=True),
            "flip": replace(off, flip=True, flip_p=1.0),
            "colour jitter": replace(off, jitter=True, jitter_p=1.0),
            "grayscale": replace(off, grayscale=True, grayscale_p=1.0),
            "blur": replace(off, blur=True, blur_p=1.0),
        }
        columns = st.columns(len(alone) + 1)
        columns[0].image(to_picture(images[0]), caption="original")
        for column, (name, op_config) in zip(columns[1:], alone.items()):
            op_generator = torch.Generator().manual_seed(st.session_state.get("view_seed", 0))
            op_params = augment.draw_params(op_config, 1, height, width, op_generator)
            column.image(to_picture(augment.apply_params(images[:1], op_params, op_config)[0]), caption=name)
            column.markdown(_describe(op_params, 0, channels))
