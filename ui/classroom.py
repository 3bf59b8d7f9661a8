"""Classroom: presenter mode, links that reproduce a view, and the guided lecture's banner."""

from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

import streamlit as st

LINK_KEYS = ("step", "present")  # query parameters the app reads itself; bound widgets add their own keys

PRESENTER_CSS = """
<style>
html { font-size: 125%; }
[data-testid="stSidebar"] { font-size: 90%; }
h1 { font-size: 2.6rem !important; }
[data-testid="stMetricValue"] { font-size: 3rem; }
</style>
"""


def presenter() -> bool:
    """Whether presenter mode is on: larger type, advanced controls hidden."""
    return bool(st.session_state.get("present", False))


def presenter_toggle() -> None:
    st.toggle(
        "Presenter mode", key="present", bind="query-params", persist_state="session",
        help="Larger type for a projector; seeds, probabilities and other advanced controls are hidden.",
    )
    if presenter():
        st.html(PRESENTER_CSS)


def link_parameters() -> dict[str, list[str]]:
    """The query parameters the page was opened with, before any widget reads them."""
    return {key: st.query_params.get_all(key) for key in st.query_params}


def _same(given: list[str], value: object) -> bool:
    """Whether a link's text value(s) name the widget's value (Streamlit drops a parameter equal to the default)."""
    values = list(value) if isinstance(value, (list, tuple)) else [value]
    if len(values) != len(given):
        return False
    for text, actual in zip(given, values):
        try:
            if isinstance(actual, bool) or not isinstance(actual, (int, float)):
                if text.lower() != str(actual).lower():
                    return False
            elif abs(float(text) - float(actual)) > 1e-9:
                return False
        except ValueError:
            return False
    return True


def ignored_parameters(given: dict[str, list[str]]) -> list[str]:
    """Parameters of the opening link that this view did not use: unknown names or values a widget refused."""
    ignored = []
    for key, values in given.items():
        if key in LINK_KEYS:
            continue
        if key not in st.session_state:
            ignored.append(key)
            del st.query_params[key]
        elif key not in st.query_params and not _same(values, st.session_state[key]):
            ignored.append(key)
    return ignored


def copy_link(url_path: str) -> None:
    """Show the link that reproduces this view (page, dataset, sliders, seeds, run) with a copy button."""
    parts = urlsplit(st.context.url or "http://localhost:8501/")
    query = urlencode([(key, value) for key in st.query_params for value in st.query_params.get_all(key)])
    link = f"{parts.scheme}://{parts.netloc}/{url_path}" + (f"?{query}" if query else "")
    with st.popover("Link to this view", icon=":material/link:", use_container_width=True):
        st.caption("Opening this link restores the page and its settings. Copy it with the button on the right.")
        st.code(link, language=None, wrap_lines=True)


@dataclass(frozen=True)
class Step:
    page: str  # the page that shows this step
    params: dict  # query parameters that set the page up for it
    title: str
    text: str  # one or two sentences
    question: str  # asked to the room before the answer is revealed
    answer: str


STEPS = (
    Step("app_pages/loss.py", {"loss_space": "z", "loss_n": 4}, "Cosine similarity",
         "SimCLR compares images by the angle between their embeddings: cos = u·v / (|u| |v|), from -1 to 1.",
         "Why the angle and not the distance between the vectors?",
         "The length of an embedding carries no meaning here; normalising leaves only the direction, so the loss "
         "cannot cheat by making vectors longer or shorter."),
    Step("app_pages/augmentations.py", {"aug_preset": "paper-imagenet"}, "Two views of one image",
         "Each image becomes two random views: crop, flip, colour jitter, grayscale, blur. The network must "
         "recognise them as the same image.",
         "Which two operations matter most, and why?",
         "Random crop and colour distortion together (paper Fig. 5): crops alone can be matched by their colour "
         "histogram, so colour jitter takes that shortcut away."),
    Step("app_pages/loss.py", {"loss_n": 8}, "Positives and negatives",
         "In a batch of N images each view has one positive (its other view) and 2(N-1) negatives: the matrix "
         "marks the positives with black squares.",
         "With N = 8, how many negatives does each anchor have?",
         "14 = 2(N-1): every view of every other image in the batch."),
    Step("app_pages/loss.py", {"temperature": 0.1}, "NT-Xent and the temperature",
         "The loss is a softmax over the 2N-1 candidates that should pick the positive; at chance it is ln(2N-1).",
         "What happens to the loss when the temperature drops?",
         "Similarities are divided by τ, so a low τ sharpens the softmax: the hardest negatives dominate and "
         "the loss punishes them hard. Move the slider and watch."),
    Step("app_pages/loss.py", {"loss_space": "h"}, "The projection head: h or z?",
         "The loss sees z = g(h), a small MLP on top of the representation h. After training we keep h.",
         "Why add a transformation only to throw it away?",
         "The loss wants z invariant to colour, crop and orientation; g can discard that information so that h "
         "keeps it. The paper found h better than z by over 10% (Fig. 8)."),
    Step("app_pages/train.py", {}, "A short training run",
         "Start the CPU demo: one minute on mnist-5k. Watch the loss fall below the chance line and the kNN "
         "accuracy climb.",
         "Nobody gave the network a label. Where does the kNN accuracy come from?",
         "Labels are used only to measure: held-out digits are classified by the labels of their nearest "
         "neighbours in h. Training never saw them."),
    Step("app_pages/embeddings.py", {}, "Embeddings before and after",
         "The same images, placed by UMAP from the random network (left) and the trained one (right).",
         "What should happen to the digits of one class?",
         "They gather: without labels, training pulled together images that look alike under augmentation."),
    Step("app_pages/embeddings.py", {}, "Transfer: using what was learned",
         "With a few labels we can train a new classifier on the frozen embeddings, or fine-tune all layers.",
         "With one label per class, which wins: a network trained from scratch or one pretrained with SimCLR?",
         "The pretrained one, by far: the table below compares a new classifier on the embeddings, fine-tuning, "
         "and training from scratch at 1, 10 and 100 labels per class."),
)


def current_step() -> int | None:
    """The lecture step named in the URL (?step=1..8), or None outside the lecture."""
    text = st.query_params.get("step")
    digits = text and text.isascii() and text.isdigit()  # not isdigit() alone: "²" is a digit int() refuses
    return int(text) if digits and 1 <= int(text) <= len(STEPS) else None


def step_link(number: int, label: str) -> None:
    step = STEPS[number - 1]
    params = {"step": number, **step.params} | ({"present": "true"} if presenter() else {})
    st.page_link(step.page, label=label, query_params=params)


def lecture_banner(number: int) -> None:
    """The step's text and question above the page it happens on; the answer waits for a click."""
    step = STEPS[number - 1]
    with st.container(border=True, key="lecture_banner"):
        st.markdown(f"**Step {number} of {len(STEPS)}: {step.title}**")
        st.markdown(step.text)
        st.markdown(f"**Ask the room:** {step.question}")
        if st.toggle("Reveal the answer", key=f"reveal_{number}"):
            st.success(step.answer)
        back, forward = st.columns(2)
        with back:
            if number > 1:
                step_link(number - 1, f"← Step {number - 1}: {STEPS[number - 2].title}")
        with forward:
            if number < len(STEPS):
                step_link(number + 1, f"Step {number + 1}: {STEPS[number].title} →")
