"""The Augmentations -> Training hand-off: "Train with these views" leaves the views here, the form takes them.

A named contract in session state, so neither page imports the other.
"""
from dataclasses import dataclass

import streamlit as st

KEY = "views_to_train"  # session-state key of the views waiting for the Training form


@dataclass(frozen=True)
class Views:
    preset: str  # an augmentation preset (simclr.augment.views.PRESETS)
    augment: dict  # the AugmentConfig fields changed from the preset
    dataset: str  # the dataset the views were drawn from


def send_views(views: Views) -> None:
    """Leave `views` for the Training form (then switch to the Training page)."""
    st.session_state[KEY] = views


def take_views() -> Views | None:
    """The views left for the Training form, once: a second call returns None."""
    return st.session_state.pop(KEY, None)
