"""SimCLR Playground: see self-supervised contrastive learning happen on real images."""

import sys

import streamlit as st

st.set_page_config(page_title="SimCLR Playground", page_icon="assets/icon.png", layout="wide")
starting = st.empty()
if "torch" not in sys.modules:  # the first visit after a server start waits for PyTorch: say so
    starting.info("Starting the app: loading PyTorch (once per server start, a few seconds)…",
                  icon=":material/hourglass_top:")

import torch  # noqa: E402

from simclr.device import training_threads  # noqa: E402
from ui.chart_preload import preload_charts  # noqa: E402
from ui.classroom import current_step, enter_step, lecture_banner, presenter_toggle  # noqa: E402
from ui.links import copy_link, open_link, refused_by_widgets, set_values  # noqa: E402
from ui.navigation import PAGES, page  # noqa: E402
from ui.sidebar import dataset_sidebar  # noqa: E402
from ui.umap_warmup import start_umap_warmup  # noqa: E402

starting.empty()
# The server's own tensors are small, and PyTorch's threads stall each other whenever a training run holds a core:
# beside a CPU-bound process a slider's rerun took 0.13-0.19 s on 2 threads, 0.09 s on 1 (2 cores).
torch.set_num_threads(training_threads(torch.device("cpu")))
opened, ignored = open_link()  # before any widget: a link's values (first run only)
step = current_step()
enter_step(step)  # a lecture step's own settings, then the link's where it names more
set_values(opened)
current = st.navigation([page(name) for name in PAGES])
dataset_sidebar()
with st.sidebar:
    presenter_toggle()
    copy_link(current.url_path)
if step:
    lecture_banner(step)
try:
    current.run()
finally:
    # After the page has been drawn, so its views never wait for them: numba (once per server process) and
    # the browser's chart module (once per tab).
    start_umap_warmup()
    preload_charts()
    ignored += refused_by_widgets()
    if ignored:
        st.toast(f"Ignored link parameters this view does not know or could not use: {', '.join(ignored)}.")
