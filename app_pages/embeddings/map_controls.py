"""The Embeddings page's map settings: UMAP's two dials, the colouring, and the images under the points."""

from dataclasses import dataclass

import streamlit as st

from simclr.maps.stored import DEFAULT_MIN_DIST, DEFAULT_NEIGHBORS


@dataclass(frozen=True)
class MapSettings:
    n_neighbors: int  # UMAP's neighbourhood size
    min_dist: float  # UMAP's minimum distance between packed points
    colour_by: str  # "label" or "k-means cluster"
    clusters: int  # k of k-means, when colouring by cluster
    thumbnails: bool  # draw a spread-out sample of the images under their points
    cells: int  # thumbnails across (and down) the map


def map_controls(labelled: bool) -> MapSettings:
    """The settings in three columns; without labels the points are coloured by k-means clusters."""
    a, b, c = st.columns(3)
    n_neighbors = a.slider(
        "UMAP neighbours", 2, 100, DEFAULT_NEIGHBORS, key="emb_neighbors",
        help="How many neighbours define each point's neighbourhood. Small values show fine local groups "
        "(and split clusters); large values show the global layout. 15 is UMAP's default.",
    )
    min_dist = a.slider(
        "UMAP minimum distance", 0.0, 0.99, DEFAULT_MIN_DIST, step=0.01, key="emb_min_dist",
        help="How tightly UMAP may pack points. Near 0: dense clumps that show clusters; near 1: an even "
        "spread that shows the overall shape.",
    )
    if labelled:
        colour_by = b.radio(
            "Colour by", ["label", "k-means cluster"], key="emb_colour",
            help="Training never sees the labels; if same-label points gather after training, the encoder found "
            "the classes on its own. k-means groups the trained embeddings instead, as for images without labels.",
        )
    else:
        colour_by = "k-means cluster"
        b.caption("These images have no labels: the points are coloured by k-means clusters of the trained embeddings.")
    clusters = b.slider(
        "k-means clusters", 2, 20, 10, key="emb_k_clusters", disabled=colour_by == "label",
        help="Clusters of the trained embeddings (cosine geometry). Compare with the left map: were these "
        "groups already together before training?",
    )
    thumbnails = c.toggle(
        "Images under the points", True, key="emb_thumbs",
        help="Draw a spread-out sample of the images at their points, to see at a glance what each region holds. "
        "Hover over any point to see its image.",
    )
    cells = c.slider(
        "Images across", 4, 24, 10, key="emb_cells", disabled=not thumbnails,
        help="The map is cut into this many columns and rows; the image nearest each cell's centre is drawn.",
    )
    return MapSettings(n_neighbors, min_dist, colour_by, clusters, thumbnails, cells)
