"""Similarity and loss: the 2N x 2N similarity matrix of a real batch and the NT-Xent behind it."""

import numpy as np
import streamlit as st

from app_pages.loss.charts import loss_temperature_curve, similarity_heatmap, softmax_row
from app_pages.loss.encoder_picker import encoder_picker
from simclr.augment.views import PRESETS
from simclr.similarity import similarity_view
from ui.augment_controls import augment_controls
from ui.classroom import presenter, presenter_fonts
from ui.links import KEEP, URL_KEYS, current, number_args, segment_args
from ui.pictures import to_picture
from ui.plain import plain
from ui.sidebar import current_dataset

TAU = URL_KEYS["temperature"]  # the loss curve spans the temperature slider's range


def _as_trained(run_config) -> str:
    """The run's augmentation preset and what it changed, e.g. "paper-cifar with flip off, crop_scale (0.2, 1.0)"."""
    preset = PRESETS[run_config.preset]
    changed = {k: v for k, v in run_config.augment.items() if getattr(preset, k, v) != v}
    words = [f"{k} {'on' if v else 'off'}" if isinstance(v, bool) else f"{k} {v}" for k, v in changed.items()]
    return run_config.preset + (f" with {', '.join(words)}" if words else "")


st.title("Similarity and loss")
st.caption(
    "A batch of N images gives 2N views. For each view (the anchor) the other view of the same image is "
    "the positive; the remaining 2(N-1) views are negatives. NT-Xent asks a softmax over cosine "
    "similarities to pick the positive."
)

controls, main = st.columns([1, 3], gap="large")
with main:
    dataset = current_dataset()
with controls:
    n = st.slider("Images in the batch (N)", **number_args("loss_n"), key="loss_n",
                  help="2N views, 2(N-1) negatives per anchor.", **KEEP)
    temperature = st.slider(
        "Temperature τ", **number_args("temperature"), key="temperature",
        help="Similarities are divided by τ before the softmax. A low τ sharpens it: the hardest negatives "
        "dominate the loss and the loss grows when they are close. A high τ flattens it: every negative "
        "counts alike and the loss moves towards ln(2N-1). The paper found 0.1 to 0.5 work well.", **KEEP,
    )
    space = st.segmented_control(
        "Embedding", **segment_args("loss_space"), key="loss_space", required=True,
        help="h: the encoder's representation (what we keep after training). z = g(h): after the projection "
        "head (what the loss sees). The paper found h transfers better: the head may discard information, "
        "such as colour or orientation, that the loss asks it to ignore.", **KEEP,
    )
    if not presenter():
        st.number_input("Batch seed", **number_args("loss_seed"), key="loss_seed",
                        help="Another number draws other images and views.", **KEEP)
    model, model_caption, run_config = encoder_picker(dataset)
    config, views_caption = None, "Views drawn with the augmentation settings below."
    if run_config is not None:
        own = st.segmented_control(
            "Views", **segment_args("loss_views"), key="loss_views", required=True, **KEEP,
            format_func={"run": "as the run trained", "page": "the settings below"}.get,
            help="A trained encoder is judged fairly on the kind of views it learned to match; views it "
            "never saw (flips of digits, tiny crops) can fool it.",
        )
        if own == "run":
            config = run_config.augment_config()
            views_caption = f"Views drawn as run {st.session_state['encoder_choice']} trained: {_as_trained(run_config)}."
    with st.expander("Augmentation settings (shared with the Augmentations page)"):
        page_views = augment_controls(size=model.config.image_size)  # the side the encoder was trained on
    config = config or page_views

with main:
    if n > len(dataset.images):
        st.error(f"N = {n} is more than the {len(dataset.images)} images in this dataset: lower N.")
        st.stop()
    batch = similarity_view(dataset.images, model, config, n, temperature, current("loss_seed"), space,
                            curve_range=(TAU.low, TAU.high))
    sim, parts = batch.sim.numpy(), batch.breakdown  # (2N, 2N); per anchor

    a, b, c = st.columns(3)
    a.metric("NT-Xent loss", f"{batch.loss:.3f}", help="The mean of the 2N anchors' terms (paper Eq. 1).")
    b.metric("Chance ln(2N-1)", f"{batch.chance:.3f}", help="The loss when every candidate looks alike.")
    c.metric("Positive ranks first", f"{batch.top1:.0%}", help="How often the softmax ranks the positive first.")
    st.caption(plain(f"{model_caption}. {views_caption}"))

    labels = [f"{i + 1}{v}" for v in "ab" for i in range(n)]  # rows: view a of every image, then view b
    thumbnails = [to_picture(v, min_side=48) for v in batch.views]
    st.markdown("**Cosine similarity of every pair of views**")
    stretch = st.session_state.get("loss_stretch", True)
    positives = parts.positive_index.numpy()
    heatmap = similarity_heatmap(sim, labels, thumbnails, positives, stretch, height=520 if presenter() else 640)
    st.plotly_chart(presenter_fonts(heatmap), key="sim_heatmap")
    st.caption(
        "cos(u, v) = u·v / (|u| |v|): 1 means the same direction, 0 unrelated, -1 opposite. Black squares "
        "mark the positive pairs; the diagonal (each view with itself) is left out of the loss."
    )
    st.toggle(
        "Stretch the colours to this batch", True, key="loss_stretch",
        help="A random network maps all images to nearly the same direction (every cosine near 1). "
        "Stretching shows the small differences; switch it off to see the true -1 to 1 scale.",
    )

    st.subheader("One anchor's softmax")
    if st.session_state.get("loss_anchor") not in labels:  # N changed under the chosen anchor: start again at 1a
        st.session_state["loss_anchor"] = labels[0]
    anchor = labels.index(st.selectbox("Anchor", labels, key="loss_anchor", **KEEP))
    positive = int(parts.positive_index[anchor])
    hardest = parts.hardest[anchor].tolist()
    probs = parts.probs[anchor].numpy()
    st.plotly_chart(presenter_fonts(softmax_row(probs, labels, anchor, positive, hardest)), key="softmax_row")
    st.caption(
        f"This anchor's loss term is -ln p(positive) = {float(parts.loss[anchor]):.3f}; the positive ranks "
        f"{int(parts.rank[anchor])} of {2 * n - 1}. The dashed line is chance, 1/(2N-1): every candidate alike."
    )
    positive_term, negative_terms = float(batch.positive_term[anchor]), float(batch.negative_terms[anchor])
    st.markdown(f"**Eq. 1 for anchor {labels[anchor]}**, with this batch's numbers:")
    st.latex(
        r"\ell_{i,j} = -\log \frac{\exp(\mathrm{sim}(z_i, z_j)/\tau)}{\sum_{k \ne i} \exp(\mathrm{sim}(z_i, z_k)/\tau)}"
        rf" = -\log \frac{{\exp({sim[anchor, positive]:.2f}/{temperature:g})}}"
        rf"{{\exp({sim[anchor, positive]:.2f}/{temperature:g}) + \underbrace{{{negative_terms:.2f}}}_{{{2 * n - 2}\ \text{{negatives}}}}}}"
        rf" = -\log \frac{{{positive_term:.2f}}}{{{positive_term + negative_terms:.2f}}} = {float(parts.loss[anchor]):.3f}"
    )
    curve = loss_temperature_curve(batch.taus.numpy(), batch.curve.numpy(), temperature, batch.loss, batch.chance)
    st.plotly_chart(presenter_fonts(curve), key="loss_temperature")
    cells = st.columns(2 + len(hardest))
    cells[0].image(to_picture(batch.views[anchor]), caption=f"anchor {labels[anchor]}")
    cells[1].image(to_picture(batch.views[positive]), caption=f"positive {labels[positive]}: p = {probs[positive]:.3f}")
    for cell, j in zip(cells[2:], hardest):
        cell.image(to_picture(batch.views[j]),
                   caption=f"negative {labels[j]}: p = {probs[j]:.3f}, cos = {sim[anchor, j]:.2f}")
    if not presenter():  # the per-anchor table is detail a projector does not need
        st.dataframe(
            {
                "anchor": labels,
                "p(positive)": np.round(parts.p_positive.numpy(), 3),
                "rank of positive": parts.rank.numpy(),
                "loss term": np.round(parts.loss.numpy(), 3),
            },
            key="anchor_table", hide_index=True,
        )
