"""2-D maps of embeddings (PCA, UMAP) and the alignment that lets a "before" and "after" map be compared.

Everything returns numpy float32 (N, 2), ready for a scatter plot. Seeds come in as arguments.
"""

import warnings

import numpy as np
import torch
import torch.nn.functional as F

# Below this many points UMAP's neighbour graph and spectral start are not meaningful,
# so `umap_2d` returns `pca_2d` instead; a page can compare len(x) with this to label its plot.
UMAP_MIN_POINTS = 8


def pca_2d(x) -> np.ndarray:
    """The first two principal components of x (N, D) -> (N, 2) float32.

    Signs are fixed (largest-magnitude loading of each axis positive, as scikit-learn's svd_flip)
    so the same data always gives the same picture. Missing components (D < 2 or N < 3) are zero.
    """
    x = np.asarray(x, dtype=np.float64)
    x = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(x, full_matrices=False)  # vt: (min(N, D), D)
    vt = vt[:2]
    signs = np.sign(vt[np.arange(len(vt)), np.abs(vt).argmax(axis=1)])
    out = np.zeros((len(x), 2), dtype=np.float32)
    out[:, : len(vt)] = x @ (vt * signs[:, None]).T
    return out


def cosine_knn(x, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact k nearest neighbours by cosine distance, each point first in its own list.

    x: (N, D). Returns indices int64 (N, k) and distances 1 - cos float32 (N, k), in the form
    umap-learn accepts as `precomputed_knn`.
    """
    x = F.normalize(torch.as_tensor(np.asarray(x), dtype=torch.float32), dim=1)
    indices, distances = [], []
    for start in range(0, len(x), 2048):  # rows at a time: memory stays O(2048 * N)
        sim = x[start : start + 2048] @ x.T  # (B, N)
        rows = torch.arange(len(sim))
        sim[rows, rows + start] = float("inf")  # self first, even among duplicates
        top_sim, top_idx = sim.topk(k, dim=1)
        top_sim[:, 0] = 1.0
        indices.append(top_idx)
        distances.append((1.0 - top_sim).clamp_min(0.0))
    return torch.cat(indices).numpy(), torch.cat(distances).numpy()


def umap_2d(
    x, n_neighbors: int = 15, min_dist: float = 0.1, seed: int = 0, n_epochs: int = 200, init: np.ndarray | None = None
) -> np.ndarray:
    """UMAP (McInnes et al., 2018) of x (N, D) with cosine distance -> (N, 2) float32.

    The same seed gives the same map (umap-learn then runs single-threaded). n_neighbors is
    clamped to N - 1; with fewer than UMAP_MIN_POINTS points this returns pca_2d(x) instead.
    n_epochs=200 is what umap-learn uses for large data (it uses 500 below 10,000 points);
    200 keeps the picture as faithful (bench.project: trustworthiness 0.97 either way) in half the time.
    The exact cosine kNN is computed here in torch and handed to UMAP: for under 4,096 points
    umap-learn would otherwise evaluate its distance in a Python loop over all N^2 pairs.
    init: a starting layout (N, 2), e.g. the previous map of a sequence (a warm start needs few epochs);
    None: umap-learn's spectral start.
    """
    if len(x) < UMAP_MIN_POINTS:
        return pca_2d(x)
    x = np.asarray(x, dtype=np.float32)
    import umap  # ~2 s to import (numba); pages that only need PCA do not pay it

    k = min(n_neighbors, len(x) - 1)
    reducer = umap.UMAP(
        n_neighbors=k,
        min_dist=min_dist,
        metric="cosine",
        n_epochs=n_epochs,
        random_state=seed,
        n_jobs=1,  # what random_state forces anyway; saying so silences umap's warning
        init="spectral" if init is None else np.asarray(init, dtype=np.float32),
        precomputed_knn=cosine_knn(x, k),
    )
    with warnings.catch_warnings():
        # "transforming new data will be unavailable": we never call transform.
        warnings.filterwarnings("ignore", message=r"precomputed_knn\[2\]")
        return reducer.fit_transform(x).astype(np.float32)


def warm_up_umap() -> None:
    """Fit UMAP once on a tiny random array so numba compiles its functions (~8 s in a fresh process).

    umap-learn's layout optimiser is not cached to disk by numba, so every new process pays this once;
    the app runs it in a background thread at start so the first real map is quick.
    """
    rng = np.random.default_rng(0)
    umap_2d(rng.normal(size=(64, 16)).astype(np.float32), n_neighbors=5, n_epochs=10)


def align(after, before) -> np.ndarray:
    """Map the `after` layout onto `before` (both (N, d), same points in the same order) -> (N, d) float32.

    Orthogonal Procrustes with uniform scale and translation: the rotation or reflection R and scale s
    minimising ||s (A - mean A) R + mean B - B||, so a point that still moves after alignment is an image
    whose place changed, not the whole picture spinning. R = U V^T from the SVD of A_c^T B_c,
    s = trace(S) / ||A_c||^2 (Gower, 1975).
    """
    a = np.asarray(after, dtype=np.float64)
    b = np.asarray(before, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"align needs layouts of the same points: got {a.shape} and {b.shape}.")
    a_mean, b_mean = a.mean(axis=0), b.mean(axis=0)
    a_c, b_c = a - a_mean, b - b_mean
    u, s, vt = np.linalg.svd(a_c.T @ b_c)  # (d, d)
    norm = (a_c**2).sum()
    scale = s.sum() / norm if norm > 0 else 1.0
    return (scale * a_c @ (u @ vt) + b_mean).astype(np.float32)


def kmeans_labels(x, k: int, seed: int = 0) -> np.ndarray:
    """k-means cluster ids int64 (N,) for colouring unlabeled data; rows are L2-normalised first.

    Normalising puts the points on the unit sphere, the geometry the cosine kNN and the loss use.
    """
    from sklearn.cluster import KMeans

    x = F.normalize(torch.as_tensor(np.asarray(x), dtype=torch.float32), dim=1).numpy()
    k = max(1, min(k, len(x)))
    return KMeans(n_clusters=k, n_init=4, random_state=seed).fit_predict(x).astype(np.int64)
