"""Choose the encoder a page looks through: a random initialisation or a saved run's checkpoint."""

from pathlib import Path

import streamlit as st

from simclr.data import Dataset
from simclr.model.checkpoint import load_checkpoint
from simclr.model.networks import ENCODERS, ModelConfig, ModelError, SimCLRModel, build_model
from simclr.runs import folder
from simclr.runs.config import TrainConfig, run_config
from ui.links import KEEP
from ui.plain import plain
from ui.run_picker import checkpoint_of, runs_with_checkpoints

INIT_SEED = 0  # random initialisations are reproducible: the same seed gives the same weights
RANDOM = "random init: "


@st.cache_resource(show_spinner="Building the encoder…", max_entries=8)
def random_model(encoder: str, channels: int, size: int) -> SimCLRModel:
    return build_model(ModelConfig(encoder=encoder, in_channels=channels, image_size=size), seed=INIT_SEED).eval()


@st.cache_resource(show_spinner="Loading the checkpoint…", max_entries=8)
def trained_model(path: str, modified: float) -> SimCLRModel:
    """A checkpoint, cached until the file changes (`modified` is its mtime)."""
    return load_checkpoint(Path(path))[0]


def encoder_picker(dataset: Dataset) -> tuple[SimCLRModel, str, TrainConfig | None]:
    """A selectbox of encoders; returns the model (eval mode, CPU), a caption that says what it is, and the
    training run's config (None for a random initialisation).

    Stops the page with a message when a checkpoint is unreadable or was trained on other images.
    """
    _, channels, size, _ = dataset.images.shape
    trained = {run.name: run for run in runs_with_checkpoints(folder.default_root())}
    choices = [RANDOM + name for name in ENCODERS] + list(trained)
    if st.session_state.get("encoder_choice", choices[0]) not in choices:  # a run that is gone (a link, a step)
        del st.session_state["encoder_choice"]
    choice = st.selectbox(
        "Encoder", choices, key="encoder_choice", **KEEP,
        help="A random initialisation maps every image to nearly the same direction: the loss sits at chance. "
        "A trained run's encoder makes the two views of an image agree while their crops and colours differ.",
    )
    if choice.startswith(RANDOM):
        encoder = choice.removeprefix(RANDOM)
        return random_model(encoder, channels, size), f"{encoder}, random initialisation (seed {INIT_SEED})", None
    run = trained[choice]
    path = checkpoint_of(run)
    try:
        model = trained_model(str(path), path.stat().st_mtime)
    except ModelError as error:
        st.error(plain(str(error)))
        st.stop()
    config = run_config(run.config) if run.config else None
    fits = config is not None and model.config in config.saved_model_configs(channels, size)  # views maybe resized
    if not fits and (model.config.in_channels, model.config.image_size) != (channels, size):
        st.error(plain(
            f"Run {run.name} was trained on {model.config.in_channels}-channel {model.config.image_size} px images "
            f"({run.config.get('dataset', 'another dataset')}); this dataset has {channels}-channel {size} px images. "
            "Pick the run's dataset in the sidebar, or another encoder."
        ))
        st.stop()
    caption = f"{model.config.encoder} trained by run {run.name} ({path.name}, {run.summary.get('steps', '?')} steps)"
    return model, caption, config
