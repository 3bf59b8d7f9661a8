"""SimCLR Playground: see self-supervised contrastive learning happen on real images."""

import streamlit as st

from ui.sidebar import dataset_sidebar

st.set_page_config(page_title="SimCLR Playground", page_icon="assets/icon.png", layout="wide")

pages = [
    st.Page("pages/augmentations.py", title="Augmentations", icon=":material/flip:", default=True),
    st.Page("pages/loss.py", title="Similarity and loss", icon=":material/grid_on:"),
]
page = st.navigation(pages)
dataset_sidebar()
page.run()
