"""The Embeddings page's before/after UMAP maps of a checkpoint, kept on disk beside it like its report.

A map pair costs two UMAP fits (a second or two per 2,000 images on a CPU); kept beside the checkpoint it
survives server restarts and serves every session at once. The file name holds a hash of everything the maps
depend on: the checkpoint's bytes (SHA-256), which images (count, sample seed), the space (h or z) and the
projection's settings. A rewritten checkpoint (a run still training) misses, and its stale files are removed
when the new maps are saved.

    ids = shown_ids(len(dataset), DEFAULT_COUNT)   # which images; their h under both encoders:
    before, after = umap_pair(run / "best.pt", (h_random, h_trained), "h", keep=True)
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from simclr import atomic
from simclr.data.dataset import subset_indices
from simclr.maps.reduce import align, umap_2d
from simclr.model.checkpoint import checkpoint_sha256

PREFIX = "maps-"  # run/maps-best-<key hash>.npz
DEFAULT_COUNT = 2000  # images on the maps unless the user asks for more or fewer
SAMPLE_SEED = 0  # which of the run's images are shown; the same count always shows the same images
MAP_SEED = 0  # UMAP's seed (and the page's k-means'): the same settings always draw the same map
DEFAULT_NEIGHBORS = 15  # UMAP's own default neighbourhood size
DEFAULT_MIN_DIST = 0.1  # and minimum distance


@dataclass(frozen=True)
class MapKey:
    sha256: str  # the checkpoint file's SHA-256
    count: int  # images on the maps
    sample_seed: int  # which `count` of the run's images
    space: str  # "h" or "z"
    method: str  # "UMAP" (PCA is instant and never stored)
    n_neighbors: int  # UMAP's neighbourhood size
    min_dist: float  # UMAP's minimum distance
    map_seed: int  # UMAP's seed

    def digest(self) -> str:
        return hashlib.sha1(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:16]


def shown_ids(total: int, count: int) -> np.ndarray:
    """Sorted ids of the `count` images shown out of `total`."""
    chosen = subset_indices(total, count, SAMPLE_SEED)
    return np.arange(total) if chosen is None else chosen


def umap_pair(checkpoint: Path, features: tuple[np.ndarray, np.ndarray], space: str,
              n_neighbors: int = DEFAULT_NEIGHBORS, min_dist: float = DEFAULT_MIN_DIST,
              keep: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """UMAP maps (N, 2) of the shown images before and after training, "after" aligned onto "before".

    features: their `space` embeddings (N, D) under the random and the trained encoder of `checkpoint`. Read
    from beside the checkpoint when stored, else drawn (and kept there when `keep` and the folder takes it).
    """
    key = umap_key(checkpoint, len(features[0]), space, n_neighbors, min_dist)
    stored = load(checkpoint, key)
    if stored is not None:
        return stored
    project = dict(n_neighbors=n_neighbors, min_dist=min_dist, seed=MAP_SEED)
    before = umap_2d(features[0], **project)
    after = align(umap_2d(features[1], **project), before)
    if keep:
        try:
            save(checkpoint, key, before, after)
        except OSError:  # a read-only or full run folder: the maps are still shown, drawn again next time
            pass
    return before, after


def umap_key(checkpoint: Path, count: int, space: str, n_neighbors: int = DEFAULT_NEIGHBORS,
             min_dist: float = DEFAULT_MIN_DIST) -> MapKey:
    """The key of the UMAP pair of `count` shown images of `checkpoint` in `space` with these settings."""
    return MapKey(checkpoint_sha256(checkpoint), count, SAMPLE_SEED, space, "UMAP", n_neighbors, min_dist, MAP_SEED)


def has_umap_pair(checkpoint: Path, count: int, space: str, n_neighbors: int = DEFAULT_NEIGHBORS,
                  min_dist: float = DEFAULT_MIN_DIST) -> bool:
    """Whether umap_pair would read these maps from disk: then showing them needs no UMAP fit (nor numba)."""
    return load(checkpoint, umap_key(checkpoint, count, space, n_neighbors, min_dist)) is not None


def path_of(checkpoint: Path, key: MapKey) -> Path:
    """run/maps-best-<hash>.npz for run/best.pt."""
    return checkpoint.with_name(f"{PREFIX}{checkpoint.stem}-{key.digest()}.npz")


def load(checkpoint: Path, key: MapKey) -> tuple[np.ndarray, np.ndarray] | None:
    """The stored (before, after) maps, each (count, 2) float32; None when missing, damaged or not this key's."""
    try:
        with np.load(path_of(checkpoint, key), allow_pickle=False) as saved:
            if str(saved["key"]) != json.dumps(asdict(key), sort_keys=True):
                return None
            before, after = saved["before"], saved["after"]
    except (OSError, KeyError, ValueError):  # missing, truncated or foreign file: recompute
        return None
    if before.shape != (key.count, 2) or after.shape != (key.count, 2):
        return None
    return before, after


def save(checkpoint: Path, key: MapKey, before: np.ndarray, after: np.ndarray) -> None:
    """Write the maps atomically beside `checkpoint`; drop its stored maps made from other checkpoint bytes."""
    target = path_of(checkpoint, key)
    for old in checkpoint.parent.glob(f"{PREFIX}{checkpoint.stem}-*.npz"):
        if old != target and _sha_of(old) != key.sha256:
            old.unlink(missing_ok=True)
    atomic.write_with(target, lambda file: np.savez(file, key=np.array(json.dumps(asdict(key), sort_keys=True)),
                                                    before=before.astype(np.float32), after=after.astype(np.float32)))


def _sha_of(path: Path) -> str | None:
    try:
        with np.load(path, allow_pickle=False) as saved:
            return json.loads(str(saved["key"]))["sha256"]
    except (OSError, KeyError, ValueError):
        return None
