"""Choose the encoder a page looks through: a random initialisation or a saved run's checkpoint."""

import streamlit as st

from simclr.data import Dataset
from simclr.model import ENCODERS, ModelConfig, SimCLRModel, build_model

INIT_SEED = 0  # random initialisations are reproducible: the same seed gives the same weights


@st.cache_resource(show_spinner="Building the encoder…", max_entries=8)
def random_model(encoder: str, channels: int, size: int) -> SimCLRModel:
    return build_model(ModelConfig(encoder=encoder, in_channels=channels, image_size=size), seed=INIT_SEED).eval()


def encoder_picker(dataset: Dataset) -> tuple[SimCLRModel, str]:
    """A selectbox of encoders; returns the model (eval mode, CPU) and a caption that says what it is."""
    _, channels, size, _ = dataset.images.shape
    choices = [f"random init: {name}" for name in ENCODERS]
    choice = st.selectbox(
        "Encoder", choices, key="encoder_choice",
        help="A random initialisation already maps similar pixels to similar embeddings; training makes "
        "the two views of an image agree while their crops and colours differ.",
    )
    encoder = choice.removeprefix("random init: ")
    return random_model(encoder, channels, size), f"{encoder}, random initialisation (seed {INIT_SEED})"
