"""SimCLR Playground: see self-supervised contrastive learning happen on real images."""

import sys

import streamlit as st

st.set_page_config(page_title="SimCLR Playground", page_icon="assets/icon.png", layout="wide")
starting = st.empty()
if "torch" not in sys.modules:  # the first visit after a server start waits for PyTorch: say so
    starting.info("Starting the app: loading PyTorch (once per server start, a few seconds)…",
                  icon=":material/hourglass_top:")

from ui.classroom import copy_link, current_step, ignored_parameters, lecture_banner, link_parameters, presenter_toggle  # noqa: E402,E501
from ui.sidebar import dataset_sidebar  # noqa: E402
from ui.umap_warmup import start_umap_warmup  # noqa: E402

starting.empty()
given = link_parameters()

pages = [
    st.Page("app_pages/augmentations.py", title="Augmentations", icon=":material/flip:", default=True),
    st.Page("app_pages/loss.py", title="Similarity and loss", icon=":material/grid_on:"),
    st.Page("app_pages/train.py", title="Training", icon=":material/model_training:"),
    st.Page("app_pages/embeddings.py", title="Embeddings", icon=":material/scatter_plot:"),
    st.Page("app_pages/lecture.py", title="Lecture", icon=":material/school:"),
]
page = st.navigation(pages)
dataset_sidebar()
with st.sidebar:
    presenter_toggle()
    copy_link(page.url_path)
step = current_step()
if step:
    lecture_banner(step)
try:
    page.run()
finally:
    # Once per server process, after the first page has been drawn: its views never wait for numba or plotly.
    start_umap_warmup()
    ignored = ignored_parameters(given)
    if ignored:
        st.toast(f"Ignored link parameters this view does not know or could not use: {', '.join(ignored)}.")
