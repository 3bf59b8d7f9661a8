"""Classroom: presenter mode and the guided lecture's steps and banner (links: ui.links)."""

from dataclasses import dataclass

import plotly.graph_objects as go
import streamlit as st

from ui.links import KEEP, URL_KEYS, set_values
from ui.navigation import page
from ui.run_picker import DEMO_RUN

PRESENTER_CSS = """
<style>
html { font-size: 112%; }
[data-testid="stSidebar"] { font-size: 90%; min-width: 250px !important; max-width: 250px !important; }
[data-testid="stMainBlockContainer"] { padding: 1.2rem 1.5rem 2rem 1.5rem; max-width: none; }
h1 { font-size: 2rem !important; padding: 0.2rem 0 !important; }
[data-testid="stMetricValue"] { font-size: 2.4rem; }
[data-testid="stMetricLabel"] p { white-space: normal; }
.stElementContainer:has(h1) + .stElementContainer:has([data-testid="stCaptionContainer"]) { display: none; }
</style>
"""  # fits a 1280 x 720 projector: a narrow sidebar, little padding, no intro under the title: the lecturer says it
STEP_CSS = "<style>.stElementContainer:has(h1) { display: none; }</style>"  # presenting a step: its box names it


def presenter() -> bool:
    """Whether presenter mode is on: larger type, advanced controls hidden."""
    return bool(st.session_state.get("present", False))


def presenter_toggle() -> None:
    st.toggle(
        "Presenter mode", value=URL_KEYS["present"].default, key="present", **KEEP,
        help="Larger type for a projector; seeds, probabilities and other advanced controls are hidden.",
    )
    if presenter():
        st.html(PRESENTER_CSS)


@dataclass(frozen=True)
class Step:
    page: str  # the name of the page that shows this step (app_pages.PAGES)
    params: dict  # widget values that set the page up for it; they win over what the session had
    title: str
    text: str  # one or two sentences
    question: str  # asked to the room before the answer is revealed
    answer: str


# The shipped demo run, on its own images and views: the steps whose text says training changed things.
TRAINED = {"dataset": "mnist-5k", "encoder_choice": DEMO_RUN.name, "loss_views": "run", "loss_seed": 0,
           "loss_anchor": "1a"}
LOSS_START = {**TRAINED, "loss_space": "z", "loss_n": 8, "temperature": 0.5}

STEPS = (
    Step("loss", {**LOSS_START, "loss_n": 4}, "Cosine similarity",
         "SimCLR compares images by the angle between their embeddings: cos = u·v / (|u| |v|), from -1 to 1.",
         "Why the angle and not the distance between the vectors?",
         "The length of an embedding carries no meaning here; normalising leaves only the direction, so the loss "
         "cannot cheat by making vectors longer or shorter."),
    Step("augmentations", {"aug_preset": "paper-imagenet"}, "Two views of one image",
         "Each image becomes two random views: crop, flip, colour jitter, grayscale, blur. The network must "
         "recognise them as the same image.",
         "Which two operations matter most, and why?",
         "Random crop and colour distortion together (paper Fig. 5): crops alone can be matched by their colour "
         "histogram, so colour jitter takes that shortcut away."),
    Step("loss", LOSS_START, "Positives and negatives",
         "In a batch of N images each view has one positive (its other view) and 2(N-1) negatives: the matrix "
         "marks the positives with black squares.",
         "With N = 8, how many negatives does each anchor have?",
         "14 = 2(N-1): every view of every other image in the batch."),
    Step("loss", {**LOSS_START, "temperature": 0.1}, "NT-Xent and the temperature",
         "The loss is a softmax over the 2N-1 candidates that should pick the positive; at chance it is ln(2N-1).",
         "What happens to the loss when the temperature drops?",
         "Similarities are divided by τ, so a low τ sharpens the softmax: the hardest negatives dominate and "
         "the loss punishes them hard. Move the slider and watch."),
    Step("loss", LOSS_START, "The projection head: h or z?",
         "The loss sees z = g(h), a small MLP on top of the representation h. Switch Embedding to h: the loss "
         "rises towards chance, yet after training we keep h and throw g away.",
         "Why add a transformation only to throw it away?",
         "The loss wants z invariant to colour, crop and orientation; g can discard that information so that h "
         "keeps it. The paper found h better than z by over 10% (Fig. 8)."),
    Step("train", {}, "A short training run",
         "Start the CPU demo: one minute on mnist-5k. Watch the loss fall below the chance line and the kNN "
         "accuracy climb.",
         "Nobody gave the network a label. Where does the kNN accuracy come from?",
         "Labels are used only to measure: held-out digits are classified by the labels of their nearest "
         "neighbours in h. Training never saw them."),
    Step("embeddings", {"emb_run": DEMO_RUN.name}, "Embeddings before and after",
         "The same images, placed by UMAP from the random network (left) and the trained one (right).",
         "What should happen to the digits of one class?",
         "They gather: without labels, training pulled together images that look alike under augmentation."),
    Step("embeddings", {"emb_run": DEMO_RUN.name}, "Transfer: using what was learned",
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


def enter_step(number: int | None) -> None:
    """Set the page up for lecture step `number` when the URL's step changes (its own settings win)."""
    if st.session_state.get("step_entered") != number:
        st.session_state["step_entered"] = number
        if number:
            set_values(STEPS[number - 1].params)


def _go_to_step(number: int) -> None:
    st.query_params["step"] = str(number)


def step_link(number: int, label: str, here: str | None = None) -> None:
    """A link to step `number`: the URL names only the step; entering it sets the rest.

    On the page already shown (`here`), a button that rewrites the URL's step: a link to the same page would
    leave the old step in the URL, and "Reveal the answer" would then jump back to it.
    """
    target, help_text = STEPS[number - 1].page, f"Step {number}: {STEPS[number - 1].title}"
    if target == here:
        st.button(label, key=f"go_step_{number}", on_click=_go_to_step, args=(number,), help=help_text, type="tertiary")
    else:
        st.page_link(page(target), label=label, query_params={"step": str(number)}, help=help_text)


def presenter_fonts(figure: go.Figure) -> go.Figure:
    """Larger chart text in presenter mode, readable from the back of a lecture hall."""
    if presenter():
        figure.update_layout(font_size=17, title_font_size=20)
    return figure


def lecture_banner(number: int) -> None:
    """The step's text and question above the page it happens on; the answer waits for a click."""
    step = STEPS[number - 1]
    if presenter():
        st.html(STEP_CSS)
    with st.container(border=True, key="lecture_banner"):
        st.markdown(f"**Step {number} of {len(STEPS)}: {step.title}.** {step.text}")
        st.markdown(f"**Ask the room:** {step.question}")
        reveal, back, forward = st.columns([3, 2, 2], vertical_alignment="center")
        shown = reveal.toggle("Reveal the answer", key=f"reveal_{number}")
        with back:
            if number > 1:
                step_link(number - 1, f"← Step {number - 1}", step.page)
        with forward:
            if number < len(STEPS):
                step_link(number + 1, f"Step {number + 1} →", step.page)
        if shown:
            st.success(step.answer)
