"""The Embeddings page's numbers: simclr.compare's report for a checkpoint, cached per server process.

The report itself is kept on disk beside the checkpoint (eval-best.json), so it survives restarts and is
shared by sessions; this cache only spares re-reading it on every rerun. The shipped demo run's folder is
never written: its report ships with it (regenerate with `python -m simclr.compare assets/demo-run --transfer`).
"""

import streamlit as st

from simclr import compare
from ui.run_embeddings import Checkpoint, load_images


@st.cache_data(show_spinner="Scoring raw pixels, the random and the trained encoder (kNN and linear probe)…",
               max_entries=16)
def report(checkpoint: Checkpoint, device: str) -> compare.Report:
    """The checkpoint's accuracy table (and transfer results, when stored); raises DataError, ModelError."""
    return _evaluate(checkpoint, device, transfer=False)


@st.cache_data(show_spinner="Training classifiers with 1, 10 and 100 labels per class (linear, fine-tune, scratch)…",
               max_entries=16)
def report_with_transfer(checkpoint: Checkpoint, device: str) -> compare.Report:
    """The report with few-label transfer results, computed and stored the first time they are asked for."""
    return _evaluate(checkpoint, device, transfer=True)


def _evaluate(checkpoint: Checkpoint, device: str, transfer: bool) -> compare.Report:
    config = checkpoint.config()

    def load(split: str):
        return load_images(config.dataset, split, None, config.size, config.path, config.seed)

    return compare.evaluate_checkpoint(checkpoint.path, device, transfer, keep=checkpoint.writable, load=load)
