"""Augmentation sliders shared by every page that draws views; their values survive page switches."""

from dataclasses import asdict, fields

import streamlit as st

from simclr.augment.views import PRESETS, AugmentConfig
from ui.classroom import presenter
from ui.links import CUSTOM, DEFAULT_PRESET, KEEP, apply_preset, base_preset, number_args, preset_state, same, select_args


def _key(field: str) -> str:
    return f"aug_{field}"


def _slider(label: str, field: str, help: str | None = None) -> None:
    """The slider of AugmentConfig's `field`: range and step from its URL table row, value from the preset."""
    st.slider(label, **number_args(_key(field)), key=_key(field), **KEEP, help=help)


def _apply_preset() -> None:
    apply_preset(st.session_state["aug_preset"])


def _custom_when_changed() -> None:
    """Name the settings "custom" once a control no longer matches the preset the box names."""
    name = st.session_state.get("aug_preset")
    if name in PRESETS and any(not same(st.session_state.get(k), v) for k, v in preset_state(name).items()):
        st.session_state["aug_preset"] = CUSTOM


def augment_controls(size: int | None = None) -> AugmentConfig:
    """Render the preset picker and one control per op; return the config they describe."""
    if "aug_preset_applied" not in st.session_state:  # first visit: every control starts from the default preset
        apply_preset(st.session_state.get("aug_preset", DEFAULT_PRESET))
    _custom_when_changed()
    st.selectbox(
        "Preset", **select_args("aug_preset"), key="aug_preset", on_change=_apply_preset, **KEEP,
        help="paper-imagenet: the paper's defaults (s=1, blur). paper-cifar: s=0.5 and no blur "
        "(appendix B.9). course-unit7: the Deep Learning Fundamentals notebook. none: views equal the image. "
        "custom: the controls below no longer match a preset.",
    )
    advanced = not presenter()  # presenter mode hides these controls; their values stay in effect
    st.markdown("**Random resized crop**")
    st.toggle("Crop", key=_key("crop"), **KEEP, help="The paper's most important op together with colour.")
    _slider(
        "Crop area (fraction of the image)", "crop_scale",
        help="Each view keeps a random fraction of the area in this range, then is resized back. "
        "Small crops make the task harder: two views may share little of the image.",
    )
    if advanced:
        _slider("Crop aspect ratio", "crop_ratio",
                help="Width / height of the crop before resizing. The paper uses 3/4 to 4/3.")
    st.markdown("**Flip**")
    st.toggle("Horizontal flip", key=_key("flip"), **KEEP)
    if advanced:
        _slider("Flip probability", "flip_p")
    st.markdown("**Colour jitter**")
    st.toggle("Colour jitter", key=_key("jitter"), **KEEP)
    _slider(
        "Jitter strength s", "jitter_strength",
        help="Brightness, contrast and saturation vary by up to 0.8·s, hue by up to 0.2·s. "
        "Without colour jitter the network can match views by their colour histogram alone (paper Fig. 6).",
    )
    if advanced:
        _slider("Jitter probability", "jitter_p")
    st.markdown("**Grayscale**")
    st.toggle("Random grayscale", key=_key("grayscale"), **KEEP)
    if advanced:
        _slider("Grayscale probability", "grayscale_p")
    st.markdown("**Gaussian blur**")
    st.toggle("Blur", key=_key("blur"), **KEEP)
    if advanced:
        _slider("Blur probability", "blur_p")
        _slider("Blur sigma", "blur_sigma",
                help="The paper draws sigma from 0.1 to 2.0 with a kernel 10% of the image side.")
    values = {f.name: st.session_state[_key(f.name)] for f in fields(AugmentConfig) if _key(f.name) in st.session_state}
    base = PRESETS[base_preset()]
    return AugmentConfig(**{**asdict(base), **values, "size": size})
