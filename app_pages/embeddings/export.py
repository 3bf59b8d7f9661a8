"""The Embeddings page's downloads: embeddings for TensorBoard's projector, and the trained encoder's weights."""
from pathlib import Path

import streamlit as st

from app_pages.embeddings.maps import Points
from simclr.maps.projector import encoder_weights, projector_zip
from simclr.model.networks import SimCLRModel
from ui.run_embeddings import Embeddings


def export_section(points: Points, found: Embeddings, trained: SimCLRModel, run_name: str, checkpoint: Path) -> None:
    st.subheader("Export")
    labels = [points.names[g] for g in points.groups]
    tensors = {f"{name} {s}": found.get(encoder, s)
               for encoder, name in (("trained", "trained"), ("random", "random init")) for s in ("h", "z")}
    stem = f"{run_name}-{checkpoint.stem}"
    left, right = st.columns(2)
    left.download_button(
        "Embeddings for TensorBoard's projector (.zip)", key="emb_download_projector", icon=":material/download:",
        data=lambda: projector_zip(tensors, labels, points.images),
        file_name=f"{stem}-projector.zip", mime="application/zip",
        help="h and z of both encoders for the images on the maps, their labels (or clusters) and a sprite of the "
        "images. Unzip into a folder and run `tensorboard --logdir <folder>` (Projector tab) to explore them in 3-D.",
    )
    right.download_button(
        "Trained encoder weights (.pt)", key="emb_download_weights", icon=":material/download:",
        data=lambda: encoder_weights(trained), file_name=f"{stem}-encoder.pt", mime="application/octet-stream",
        help="The base encoder f's state_dict, without the projection head, as you would keep it after "
        "pretraining. Load it into simclr.model.networks.build_model(config).encoder; it expects (x - 0.5) / 0.25 "
        "inputs.",
    )
