"""A run's images seen through its random initialisation and its trained checkpoint, cached for the pages.

Caches are keyed on `Shown` (run folder, checkpoint and its modification time, image count, device):
a checkpoint rewritten by a run still training misses every cache, a rerun of the page hits them.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import streamlit as st
import torch

from simclr.data import Dataset, load_dataset
from simclr.evaluate.embed import embed
from simclr.maps.reduce import align, kmeans_labels, pca_2d
from simclr.maps.stored import MAP_SEED, has_umap_pair, shown_ids, umap_pair
from simclr.model.encoders import encoders as run_encoders
from simclr.model.networks import SimCLRModel
from simclr.runs import folder
from simclr.runs.config import TrainConfig, run_config
from ui.hover_preview import sprite_data_uri
from ui.run_picker import DEMO_RUN


@dataclass(frozen=True)
class Checkpoint:
    """A run's checkpoint file, as a cache key."""

    run: str  # the run folder
    name: str  # "best.pt" or "last.pt"
    mtime: float  # the file's modification time: a checkpoint rewritten by a running run misses the caches

    @classmethod
    def of(cls, path: Path) -> "Checkpoint":
        return cls(str(path.parent), path.name, path.stat().st_mtime)

    @property
    def path(self) -> Path:
        return Path(self.run) / self.name

    @property
    def writable(self) -> bool:
        """Whether results may be kept beside it: not in the shipped demo run, whose files ship with it."""
        return Path(self.run).resolve() != DEMO_RUN.resolve()

    def config(self) -> TrainConfig:
        return run_config(folder.read_json(Path(self.run) / folder.CONFIG))


@dataclass(frozen=True)
class Shown:
    """Which images of a run the page shows, through which checkpoint, on which device."""

    checkpoint: Checkpoint
    count: int  # images shown, a seeded choice among the run's training images
    device: str  # where the encoders run


@st.cache_resource(show_spinner="Loading the run's images…", max_entries=4)
def load_images(name: str, split: str, subset: int | None, size: int | None, path: str | None, seed: int) -> Dataset:
    """load_dataset, once per server; callers treat the result as read-only."""
    return load_dataset(name, split=split, subset=subset, size=size, seed=seed, path=Path(path) if path else None)


def run_images(config: TrainConfig) -> Dataset:
    """The run's own dataset, train split (labelled where the dataset has labels), as the run subsets it."""
    return load_images(config.dataset, "train", config.subset, config.size, config.path, config.seed)


@st.cache_resource(show_spinner="Loading the checkpoint…", max_entries=4)
def encoders(checkpoint: Checkpoint, device: str) -> tuple[SimCLRModel, SimCLRModel, dict]:
    """simclr.model.encoders on `device`, once per checkpoint file; callers only read the models."""
    config = checkpoint.config()
    _, channels, side, _ = run_images(config).images.shape
    random, trained, extra = run_encoders(checkpoint.path, config.saved_model_configs(channels, side), config.seed)
    return random.to(device), trained.to(device), extra


@dataclass
class Embeddings:
    """h and z of the shown images under both encoders; row i of each is image ids[i] of the run's dataset."""

    ids: np.ndarray  # (N,) int64 row ids in run_images(config)
    features: dict[str, np.ndarray]  # "random h", "random z", "trained h", "trained z" -> (N, D) float32

    def get(self, encoder: str, space: str) -> np.ndarray:
        return self.features[f"{encoder} {space}"]


@st.cache_data(show_spinner="Embedding the images with the random and the trained encoder…", max_entries=8)
def embeddings(shown: Shown) -> Embeddings:
    dataset = run_images(shown.checkpoint.config())
    ids = shown_ids(len(dataset), shown.count)
    images = dataset.images[torch.from_numpy(ids)]
    features = {}
    for name, model in zip(("random", "trained"), encoders(shown.checkpoint, shown.device)[:2]):
        h, z = embed(model, images, device=shown.device)
        features[f"{name} h"], features[f"{name} z"] = h.numpy(), z.numpy()
    return Embeddings(ids, features)


@st.cache_data(show_spinner="Drawing both maps (UMAP takes about a second per 2,000 images)…", max_entries=32)
def layouts(shown: Shown, space: str, method: str, n_neighbors: int, min_dist: float) -> tuple[np.ndarray, np.ndarray]:
    """2-D maps (N, 2) before and after training; "after" aligned onto "before" (rotation, reflection, scale).

    UMAP maps are kept beside the checkpoint (simclr.maps.stored): a restart or another session reads them."""
    found = embeddings(shown)
    features = found.get("random", space), found.get("trained", space)
    if method == "PCA":
        before = pca_2d(features[0])
        return before, align(pca_2d(features[1]), before)
    checkpoint = shown.checkpoint
    return umap_pair(checkpoint.path, features, space, n_neighbors, min_dist, keep=checkpoint.writable)


@st.cache_data(show_spinner=False, max_entries=32)
def umap_stored(shown: Shown, space: str, n_neighbors: int, min_dist: float) -> bool:
    """Whether the UMAP pair `layouts` would draw is on disk already (the demo run ships its first maps): the page
    can show it while numba is still compiling. Once per server and settings: the answer only matters until the
    warm-up is done, and a stale "no" only shows PCA that long."""
    return has_umap_pair(shown.checkpoint.path, len(embeddings(shown).ids), space, n_neighbors, min_dist)


@st.cache_data(show_spinner="Clustering the trained embeddings with k-means…", max_entries=16)
def clusters(shown: Shown, space: str, k: int) -> np.ndarray:
    """k-means cluster of each shown image in the trained space (N,), for colouring unlabeled data."""
    return kmeans_labels(embeddings(shown).get("trained", space), k, seed=MAP_SEED)


HOVER_CELL = 64  # px per image in the hover sprite: enough to recognise one, small enough to send thousands


@st.cache_data(show_spinner="Packing the thumbnails for the hover preview…", max_entries=8)
def hover_sprite(shown: Shown) -> str:
    """The shown images as one hover sprite data URI (ui.hover_preview.sprite_data_uri), cell i = shown image i."""
    images = run_images(shown.checkpoint.config()).images[torch.from_numpy(embeddings(shown).ids)]
    return sprite_data_uri(images, HOVER_CELL)
