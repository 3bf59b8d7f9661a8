"""Links that reproduce a view: the one table of URL-bound keys (which gives each widget its range, step, options
and default: number_args, select_args, segment_args), and the helpers that open and write links.

Streamlit keeps a bound widget's value in the URL only when it differs from the widget's default, and seeds a
widget from the URL only on a session's first run. Augmentation ops start from a preset, not from the widget's
default, so a link's `aug_flip=false` would be dropped and the preset's flip shown. Hence: opening a link sets
every value it names explicitly (after the preset it names), and the link offered for copying names every value
that differs from where a fresh browser would start.
"""

from dataclasses import asdict, dataclass
from urllib.parse import urlencode, urlsplit

import streamlit as st

from simclr.augment.views import PRESETS
from simclr.data import DATASETS

KEEP = {"persist_state": "session", "bind": "query-params"}  # a widget shared across pages and kept in the link
DEFAULT_PRESET = "paper-imagenet"  # the augmentation preset a fresh browser starts from
CUSTOM = "custom"  # the preset box's name for settings that match no preset


@dataclass(frozen=True)
class Key:
    """One URL-bound value: its type, where a fresh browser starts, and the values a link may give."""

    kind: str  # "bool", "int", "float", "range" (two floats), "str"
    default: object  # the widget's starting value; a link leaves it out
    low: float | None = None  # numbers: smallest allowed
    high: float | None = None  # numbers: largest allowed
    choices: tuple | None = None  # str: the allowed values; None: the widget checks (options known only there)
    step: float | None = None  # "float" and "range": the slider's step ("int" steps by 1)


def _aug_keys() -> dict[str, Key]:
    """aug_<field> for each AugmentConfig field a slider or toggle controls; defaults from DEFAULT_PRESET."""
    start = asdict(PRESETS[DEFAULT_PRESET])
    bounds = {"crop_scale": (0.01, 1.0, 0.01), "crop_ratio": (0.25, 4.0, 0.05), "jitter_strength": (0.0, 2.0, 0.05),
              "blur_sigma": (0.1, 5.0, 0.1)}  # the sliders' ranges and steps; probabilities lie in [0, 1]
    keys = {}
    for field, value in start.items():
        if field in ("size", "blur_kernel"):
            continue
        if isinstance(value, bool):
            keys[f"aug_{field}"] = Key("bool", value)
        else:
            low, high, step = bounds.get(field, (0.0, 1.0, 0.05))
            keys[f"aug_{field}"] = Key("range" if isinstance(value, tuple) else "float", value, low, high, step=step)
    return keys


URL_KEYS: dict[str, Key] = {
    "step": Key("int", None, 1, 8),  # the lecture step shown above the page
    "present": Key("bool", False),  # presenter mode
    "dataset": Key("str", next(iter(DATASETS)), choices=tuple(DATASETS)),
    "aug_preset": Key("str", DEFAULT_PRESET, choices=(*PRESETS, CUSTOM)),
    **_aug_keys(),
    "aug_count": Key("int", 4, 1, 8),  # Augmentations: images shown
    "image_seed": Key("int", 0, 0, 10**6),
    "view_seed": Key("int", 0, 0, 10**6),
    "loss_n": Key("int", 8, 2, 32),  # Similarity: images in the batch
    "temperature": Key("float", 0.5, 0.01, 2.0, step=0.01),
    "loss_space": Key("str", "z", choices=("h", "z")),
    "loss_seed": Key("int", 0, 0, 10**6),
    "loss_views": Key("str", "run", choices=("run", "page")),  # a trained encoder's own views, or the sliders'
    "encoder_choice": Key("str", None),  # the options are the runs on disk: the selectbox checks
    "loss_anchor": Key("str", "1a"),  # the options follow N: the page checks
}


def parse(key: str, values: list[str]) -> object:
    """A link's text for `key` as the widget's value; ValueError when it is not one the widget allows."""
    spec = URL_KEYS[key]
    if spec.kind == "range":
        numbers = tuple(float(v) for v in values)
        if len(numbers) != 2 or not spec.low <= numbers[0] <= numbers[1] <= spec.high:
            raise ValueError(key)
        return numbers
    if len(values) != 1:
        raise ValueError(key)
    text = values[0]
    if spec.kind == "bool":
        if text.lower() not in ("true", "false"):
            raise ValueError(key)
        return text.lower() == "true"
    if spec.kind == "str":
        if spec.choices is not None and text not in spec.choices:
            raise ValueError(key)
        return text
    number = int(text) if spec.kind == "int" else float(text)
    if not spec.low <= number <= spec.high:
        raise ValueError(key)
    return number


def from_preset(key: str) -> bool:
    """Whether `key`'s widget starts at the augmentation preset's value, put in session state, not at its row's."""
    return key.startswith("aug_") and key not in ("aug_count", "aug_preset")


def number_args(key: str) -> dict[str, object]:
    """A slider's or number input's min_value, max_value, step and starting value, from `key`'s row.

    Augmentation ops have no value here: they start from the preset (from_preset).
    """
    spec = URL_KEYS[key]
    args = {"min_value": spec.low, "max_value": spec.high, "step": 1 if spec.kind == "int" else spec.step}
    return args if from_preset(key) else {**args, "value": spec.default}


def select_args(key: str) -> dict[str, object]:
    """A selectbox's or radio's options and the index of the one a fresh browser starts on, from `key`'s row."""
    spec = URL_KEYS[key]
    return {"options": list(spec.choices), "index": spec.choices.index(spec.default)}


def segment_args(key: str) -> dict[str, object]:
    """A segmented control's options and the one a fresh browser starts on, from `key`'s row."""
    spec = URL_KEYS[key]
    return {"options": list(spec.choices), "default": spec.default}


def current(key: str) -> object:
    """`key`'s value: its widget's, or its row's default where the page does not draw the widget (presenter mode)."""
    return st.session_state.get(key, URL_KEYS[key].default)


def preset_state(name: str) -> dict[str, object]:
    """The aug_* widget values of preset `name`."""
    return {f"aug_{field}": value for field, value in asdict(PRESETS[name]).items() if f"aug_{field}" in URL_KEYS}


def base_preset() -> str:
    """The preset the augmentation controls last started from (custom settings are changes to it)."""
    return st.session_state.get("aug_preset_applied", DEFAULT_PRESET)


def apply_preset(name: str) -> None:
    """Set every augmentation control to preset `name` (CUSTOM keeps the controls as they are)."""
    if name != CUSTOM:
        st.session_state.update(preset_state(name))
        st.session_state["aug_preset_applied"] = name
    st.session_state["aug_preset"] = name


def set_values(values: dict[str, object]) -> None:
    """Put values into the widgets' state, the preset first so that the values named beside it win."""
    first = "aug_preset_applied" not in st.session_state and any(key in preset_state(DEFAULT_PRESET) for key in values)
    if "aug_preset" in values or first:  # on a first visit the controls start from a preset, then take the values
        apply_preset(values.get("aug_preset", DEFAULT_PRESET))
    st.session_state.update({k: v for k, v in values.items() if k != "aug_preset"})


def open_link() -> tuple[dict[str, object], list[str]]:
    """On a session's first run, the values the URL names (checked) and the parameters it could not use.

    After the first run both are empty: Streamlit keeps later URLs in step with the widgets itself.
    Values the table cannot check (options known only to the page) are left to the bound widget,
    and `refused_by_widgets` reports them after the page has run.
    """
    if st.session_state.get("link_opened"):
        return {}, []
    st.session_state["link_opened"] = True
    values, ignored = {}, []
    for key in st.query_params:
        texts, spec = st.query_params.get_all(key), URL_KEYS.get(key)
        if spec is None:
            ignored.append(key)
        elif key == "step":
            continue  # ui.classroom reads the step from the URL on every run
        elif spec.kind == "str" and spec.choices is None:
            st.session_state.setdefault("link_pending", {})[key] = texts[0]
        else:
            try:
                values[key] = parse(key, texts)
            except ValueError:
                ignored.append(key)
    for key in ignored:
        del st.query_params[key]
    return values, ignored


def refused_by_widgets() -> list[str]:
    """Parameters of the opening link whose widget did not take the value (an option that is not there)."""
    pending = st.session_state.pop("link_pending", {})
    return [key for key, text in pending.items() if key in st.session_state and str(st.session_state[key]) != text]


def same(value: object, start: object) -> bool:
    """Whether a widget's value equals `start`, numbers to within float rounding."""
    if isinstance(value, (list, tuple)) and isinstance(start, (list, tuple)):
        return len(value) == len(start) and all(same(a, b) for a, b in zip(value, start))
    if isinstance(value, bool) or isinstance(start, bool) or not isinstance(value, (int, float)):
        return value == start
    return isinstance(start, (int, float)) and abs(value - start) < 1e-9


def _start(key: str) -> object:
    """Where a fresh browser starts `key`: augmentation ops at the preset's value, the rest at the default."""
    if from_preset(key):
        return preset_state(base_preset())[key]
    return URL_KEYS[key].default


def _text(value: object) -> list[str]:
    values = value if isinstance(value, (list, tuple)) else [value]
    return [str(v).lower() if isinstance(v, bool) else str(v) for v in values]


def view_link(url_path: str) -> str:
    """The link that reopens this view: the page, and every URL-bound value that differs from a fresh start."""
    parts = urlsplit(st.context.url or "http://localhost:8501/")
    state = {key: st.session_state[key] for key in URL_KEYS if st.session_state.get(key) is not None and key != "step"}
    if "aug_preset" in state:
        state["aug_preset"] = base_preset()  # a custom setting: its preset, and what differs from it
    pairs = [(key, text) for key, value in state.items() if not same(value, _start(key)) for text in _text(value)]
    step = st.query_params.get("step")
    pairs = ([("step", step)] if step else []) + pairs
    return f"{parts.scheme}://{parts.netloc}/{url_path}" + (f"?{urlencode(pairs)}" if pairs else "")


def copy_link(url_path: str) -> None:
    """A popover with the link that reproduces this view (page, dataset, sliders, seeds, encoder, anchor)."""
    link = view_link(url_path)
    with st.popover("Link to this view", icon=":material/link:", use_container_width=True):
        st.caption("Opening this link in any browser restores this page and its settings. To copy it, hover over "
                   "the box and click the copy icon at its top right, or select the text.")
        st.code(link, language=None, wrap_lines=True)
