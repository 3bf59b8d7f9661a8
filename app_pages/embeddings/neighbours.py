"""The Embeddings page's nearest neighbours of one image, through the random and the trained encoder."""
import streamlit as st
import torch

from app_pages.embeddings.maps import THUMB, Points
from simclr.evaluate.knn import nearest_neighbours
from simclr.evaluate.neighbours import most_changed
from ui.pictures import to_picture
from ui.run_embeddings import Embeddings, Shown


def start_on_most_changed(shown: Shown, points: Points, found: Embeddings, space: str) -> None:
    """On a new map, set the neighbours' query to the image whose neighbourhood training changed most."""
    if st.session_state.get("emb_pick_for") != (shown, space):
        st.session_state["emb_pick_for"] = (shown, space)
        st.session_state["emb_pick"] = most_changed(
            torch.from_numpy(found.get("random", space)), torch.from_numpy(found.get("trained", space)),
            torch.from_numpy(points.groups),
        )


def neighbours_section(points: Points, found: Embeddings, space: str) -> None:
    """A number input (set by a click on a map too), a slider, and the image's neighbours before and after."""
    count = len(points.images)
    st.subheader("Nearest neighbours, before and after")
    query_column, neighbour_columns = st.columns([1, 5], gap="large")
    with query_column:
        pick = st.number_input(  # no value=: a clicked point sets it through session state
            "Image #", 0, count - 1, key="emb_pick",
            help="The number shown when hovering over a point; clicking a point on either map picks it too. It starts "
            "on the image whose neighbours changed most: the most gained that share its label, then the fewest kept.",
        )
        n_shown = st.slider(
            "Neighbours", 1, min(24, count - 1), min(8, count - 1), key="emb_neighbours_shown",
            help="The most cosine-similar images in the chosen space (h or z), most similar first.",
        )
        st.image(to_picture(points.images[pick], 120), caption=points.captions[pick])
    with neighbour_columns:
        for encoder, label in (("random", "Random initialisation"), ("trained", "Trained")):
            near = nearest_neighbours(torch.from_numpy(found.get(encoder, space)), pick, n_shown).tolist()
            same = sum(points.groups[r] == points.groups[pick] for r in near)
            st.markdown(f"**{label}**" + (f": {same} of {len(near)} share its colour" if near else ""))
            st.image([to_picture(points.images[r], THUMB) for r in near], caption=[points.captions[r] for r in near],
                     width=THUMB)
