"""Compile UMAP once per server process in the background, and keep a page informed until it is ready.

numba compiles umap-learn's functions on first use (15-25 s in a fresh process). app.py starts the
warm-up once per server process, right after the first visitor's first page has been drawn (so those
views never wait for it), and by the time someone opens the Embeddings page UMAP is usually ready;
until then the page shows PCA and says that UMAP is coming.
"""

import threading

import streamlit as st

from simclr.maps.reduce import warm_up_umap


@st.cache_resource(show_spinner=False)
def start_umap_warmup() -> threading.Event:
    """Start the warm-up thread (exactly once per server process); the Event is set once it has finished."""
    ready = threading.Event()
    # umap imports these too; importing them here first means the pages (plotly, scikit-learn) never
    # import them while the warm-up thread is half-way through, which Python answers with a
    # "partially initialized module" error.
    import pandas  # noqa: F401
    import scipy.sparse  # noqa: F401
    import sklearn.cluster  # noqa: F401

    def work() -> None:
        try:
            warm_up_umap()
        finally:  # a failed warm-up must not leave pages waiting; the real fit then reports the error
            ready.set()

    threading.Thread(target=work, name="umap-warmup", daemon=True).start()
    return ready


@st.fragment(run_every=1.0)
def wait_for_umap(ready: threading.Event) -> None:
    """A note that UMAP is compiling; reruns the whole page once it is ready (checked every second)."""
    if ready.is_set():
        st.rerun(scope="app")
    st.info(
        "UMAP is being compiled in the background (numba, once per server start, 15-25 s). "
        "The maps show PCA until then and switch to UMAP by themselves.",
        icon=":material/hourglass_top:",
    )
