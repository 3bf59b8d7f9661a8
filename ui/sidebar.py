"""The shared sidebar: the dataset every page works on, and the device in use."""

from pathlib import Path

import streamlit as st

from simclr import data
from simclr.device import describe_device, resolve_device
from ui.links import KEEP, select_args
from ui.plain import plain

SPLITS = {"stl10": ("train", "test", "unlabeled")}  # datasets with a split worth choosing
DEFAULT_SUBSET = 5000  # images loaded from large sets unless the user asks for more


@st.cache_resource(show_spinner="Loading the dataset…", max_entries=4)
def load(name: str, split: str, subset: int | None, path: str | None) -> data.Dataset:
    """Load once per server; pages treat the result as read-only."""
    return data.load_dataset(name, split=split, subset=subset, path=Path(path) if path else None)


def folder_inside_root(text: str) -> Path:
    """Resolve a typed folder path; it must lie inside the data root, so a page cannot read elsewhere."""
    root = data.default_data_root().resolve()
    path = (root / text.strip()).resolve()
    if not path.is_relative_to(root):
        raise data.DataError(
            f"The folder must be inside the data root {root}. Copy your images into a folder there "
            "(class subfolders become labels), or start the app with SIMCLR_DATA set to a parent folder."
        )
    return path


def dataset_sidebar() -> None:
    """Widgets that choose the dataset; `current_dataset()` reads them on any page."""
    with st.sidebar:
        st.selectbox(
            "Dataset", **select_args("dataset"), key="dataset", **KEEP,
            help="mnist-5k and photos ship with the installed packages and work offline. "
            "CIFAR-10 and STL-10 need a one-time download; 'folder' reads your own images.",
        )
        name = st.session_state["dataset"]
        if name in SPLITS:
            st.selectbox("Split", SPLITS[name], key="split")
        if data.DATASETS[name].needs == "root":
            st.number_input(
                "Images to load", 100, 100_000, DEFAULT_SUBSET, step=500, key="subset",
                help="A random subset keeps memory and start-up small; STL-10's unlabeled split has 100,000.",
            )
        if name == "folder":
            st.text_input(
                "Folder (inside the data root)", key="folder",
                help=f"A folder under {data.default_data_root()}. Class subfolders become labels; "
                "a flat folder is unlabeled.",
            )
        st.caption(f"Device: {describe_device(resolve_device('auto'))}")


def offer_download(name: str) -> None:
    """A download button with a progress bar, for datasets torchvision can fetch."""
    root = data.default_data_root()
    if not st.button(f"Download {name} into {root}", key=f"download_{name}", type="primary"):
        return
    bar = st.progress(0.0, text=f"Downloading {name}…")

    def progress(done: int, total: int) -> None:
        bar.progress(min(done / total, 1.0) if total else 0.0, text=f"{done / 1e6:.0f} of {total / 1e6:.0f} MB")

    try:
        data.download(name, root, progress)
    except data.DataError as err:
        st.error(plain(str(err)))
        return
    load.clear()
    st.rerun()


def current_dataset() -> data.Dataset:
    """The dataset chosen in the sidebar; a clear message and a stop when it cannot be loaded."""
    name = st.session_state.get("dataset", next(iter(data.DATASETS)))
    try:
        path = str(folder_inside_root(st.session_state.get("folder", ""))) if name == "folder" else None
        if name == "folder" and not st.session_state.get("folder", "").strip():
            st.info("Type a folder name in the sidebar to read your own images.")
            st.stop()
        subset = st.session_state.get("subset", DEFAULT_SUBSET) if data.DATASETS[name].needs == "root" else None
        split = st.session_state.get("split", "train") if name in SPLITS else "train"
        dataset = load(name, split, subset, path)
    except data.DataError as err:
        st.warning(plain(str(err)))
        if data.DATASETS[name].needs == "root":
            offer_download(name)
        st.stop()
    for warning in dataset.warnings:
        st.caption(f":warning: {plain(warning)}")
    return dataset
