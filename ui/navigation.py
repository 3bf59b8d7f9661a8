"""The app's pages, named once: app.py builds the navigation from PAGES, ui/ and the pages link to a page by name."""

import streamlit as st

PAGES = {  # url name -> (file, title, icon); the first is the home page
    "augmentations": ("app_pages/augmentations.py", "Augmentations", ":material/flip:"),
    "loss": ("app_pages/loss/page.py", "Similarity and loss", ":material/grid_on:"),
    "train": ("app_pages/train/page.py", "Training", ":material/model_training:"),
    "embeddings": ("app_pages/embeddings/page.py", "Embeddings", ":material/scatter_plot:"),
    "lecture": ("app_pages/lecture.py", "Lecture", ":material/school:"),
}


def page(name: str) -> st.Page:
    """The st.Page called `name` (also its URL path), to pass to st.navigation, st.page_link or st.switch_page."""
    file, title, icon = PAGES[name]
    return st.Page(file, title=title, icon=icon, url_path=name, default=name == next(iter(PAGES)))


def url_path(name: str) -> str:
    """The path a browser opens page `name` at: the home page lives at the root."""
    return "" if name == next(iter(PAGES)) else name
