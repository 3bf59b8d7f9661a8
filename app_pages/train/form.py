"""The New-run form of the Train page: run presets, then every field editable; returns a TrainConfig."""

from dataclasses import asdict

import streamlit as st

from simclr.augment.views import PRESETS as AUGMENT_PRESETS
from simclr.data import DATASETS, DataError
from simclr.device import DEVICE_CHOICES
from simclr.model.networks import ENCODERS
from simclr.runs.config import TrainConfig
from simclr.train.optim import OPTIMIZERS
from simclr.train.recipes import RECIPES
from ui.handoff import take_views
from ui.plain import plain
from ui.sidebar import folder_inside_root

RUN_PRESETS: dict[str, TrainConfig] = {name: recipe.config for name, recipe in RECIPES.items()}
FIELDS = ("dataset", "encoder", "batch_size", "temperature", "optimizer", "lr", "weight_decay", "seconds",
          "preset", "seed", "device", "eval_every")


def _key(field: str) -> str:
    return f"train_{field}"


def _apply_preset() -> None:
    config = RUN_PRESETS[st.session_state["train_run_preset"]]
    for field in FIELDS:
        st.session_state[_key(field)] = getattr(config, field)
    st.session_state["train_augment"] = dict(config.augment)
    st.session_state["train_augment_for"] = config.preset


def _start_form() -> None:
    """A first visit starts from the CPU demo preset."""
    if _key("dataset") not in st.session_state:
        st.session_state["train_run_preset"] = next(iter(RUN_PRESETS))
        _apply_preset()


def _adopt_views() -> None:
    """Start the form from the views another page left (ui.handoff, "Train with these views")."""
    views = take_views()
    if views is None:
        return
    st.session_state[_key("preset")] = views.preset
    st.session_state["train_augment"] = dict(views.augment)
    st.session_state["train_augment_for"] = views.preset
    if views.dataset in DATASETS:
        st.session_state[_key("dataset")] = views.dataset


def _drop_changes() -> None:
    st.session_state["train_augment"] = {}


def train_form() -> TrainConfig:
    """Widgets for a new run; a first visit starts from the CPU demo preset, or from the views a page left."""
    _start_form()
    _adopt_views()
    st.selectbox(
        "Preset", list(RUN_PRESETS), key="train_run_preset", on_change=_apply_preset,
        help="A starting point; every field below stays editable. " + " ".join(
            f"**{name}**: {recipe.note}" for name, recipe in RECIPES.items()),
    )
    left, right = st.columns(2)
    left.selectbox("Dataset", list(DATASETS), key=_key("dataset"), help="What the encoder learns from.")
    right.selectbox(
        "Encoder", ENCODERS, key=_key("encoder"),
        help="small-cnn trains at thousands of views per second on a CPU; resnet18 is the paper's CIFAR "
        "network and wants a GPU.",
    )
    left.number_input(
        "Batch size N", 2, 8192, key=_key("batch_size"),
        help="Each image's negatives are the other 2N-2 views of the batch. Larger batches help (paper Fig. 9) "
        "until the device runs out of speed or memory.",
    )
    right.number_input(
        "Temperature τ", 0.01, 5.0, step=0.05, key=_key("temperature"), format="%.2f",
        help="0.5 works well for batches of a few hundred; lower it (0.1-0.2) for batches of thousands. "
        "Too low and the loss chases the hardest negatives; too high and every negative looks alike.",
    )
    left.selectbox("Optimizer", OPTIMIZERS, key=_key("optimizer"), help="Adam is forgiving at small batches; "
                   "LARS is the paper's choice for batches of thousands.")
    right.number_input(
        "Learning rate (empty: the optimizer's default)", min_value=1e-6, max_value=10.0, value=None, step=1e-4,
        format="%.5f", key=_key("lr"), help="Default: 1e-3 for Adam, 0.3 x N / 256 for SGD and LARS. If the "
        "loss turns NaN, halve it.",
    )
    left.number_input("Weight decay", 0.0, 0.1, step=1e-6, format="%.6f", key=_key("weight_decay"))
    right.number_input(
        "Time budget (seconds)", 1.0, 24 * 3600.0, step=10.0, format="%.0f", key=_key("seconds"),
        help="Training time; the kNN checks pause the clock. A minute on the CPU demo is enough to beat raw pixels.",
    )
    left.selectbox(
        "Augmentation preset", list(AUGMENT_PRESETS), key=_key("preset"),
        help="The views the run learns from, as on the Augmentations page. 'digits' is made for 28 px "
        "digits: no flips, crops of at least 20% of the image, no blur, brightness and contrast jitter 0.8.",
    )
    right.number_input("Seed", 0, 10**6, key=_key("seed"), help="Initial weights, batch order and views follow from it.")
    left.selectbox("Device", DEVICE_CHOICES, key=_key("device"), help="auto picks CUDA, then Apple MPS, then the CPU.")
    right.number_input(
        "kNN check every (steps)", 1, 100_000, key=_key("eval_every"),
        help="How often held-out labelled images are classified by their nearest neighbours in h.",
    )
    values = {field: st.session_state[_key(field)] for field in FIELDS}
    base = asdict(RUN_PRESETS[st.session_state["train_run_preset"]])
    kept = values["preset"] == st.session_state.get("train_augment_for")  # changes belong to the preset they were made to
    augment = st.session_state["train_augment"] if kept else {}
    if augment:
        changes = ", ".join(f"{k} {'on' if v else 'off'}" if isinstance(v, bool) else f"{k} {v}" for k, v in augment.items())
        left.caption(f"Changes to {values['preset']}: {changes}.")
        left.button("Use the preset as it is", key="train_drop_changes", on_click=_drop_changes)
    if values["dataset"] == "folder":  # the folder typed in the sidebar, checked to lie inside the data root
        try:
            values["path"] = str(folder_inside_root(st.session_state.get("folder", "")))
        except DataError as error:
            st.warning(plain(str(error)))
    return TrainConfig(**{**base, **values, "augment": augment})
