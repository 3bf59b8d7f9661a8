"""SimCLR Playground: see self-supervised contrastive learning happen on real images."""

import streamlit as st

from app_pages import PAGES, page
from ui.classroom import current_step, enter_step, lecture_banner, presenter_toggle
from ui.links import copy_link, open_link, refused_by_widgets, set_values
from ui.sidebar import dataset_sidebar
from ui.umap_warmup import start_umap_warmup

st.set_page_config(page_title="SimCLR Playground", page_icon="assets/icon.png", layout="wide")
start_umap_warmup()  # numba compiles UMAP in the background while the first page is read
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
    ignored += refused_by_widgets()
    if ignored:
        st.toast(f"Ignored link parameters this view does not know or could not use: {', '.join(ignored)}.")
