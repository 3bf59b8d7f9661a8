"""2-D maps checked against scikit-learn / scipy and exact geometric cases."""

import numpy as np
import pytest
from scipy.spatial import procrustes
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score
from sklearn.neighbors import NearestNeighbors

from simclr.maps.reduce import UMAP_MIN_POINTS, align, cosine_knn, kmeans_labels, pca_2d, umap_2d


def direction_clusters(n: int, dim: int, clusters: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Points near `clusters` random directions (well apart in cosine distance) and their cluster ids."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(clusters, dim)) * 3
    ids = rng.integers(clusters, size=n)
    return (centres[ids] + rng.normal(size=(n, dim))).astype(np.float32), ids


def rotation(angle: float) -> np.ndarray:
    return np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])


@pytest.mark.parametrize("reflect", [False, True])
def test_align_undoes_rotation_reflection_scale_and_translation(reflect):
    before = np.random.default_rng(0).normal(size=(50, 2))
    turn = rotation(2.1) @ (np.diag([1.0, -1.0]) if reflect else np.eye(2))
    after = 3.7 * before @ turn + np.array([10.0, -4.0])
    np.testing.assert_allclose(align(after, before), before, atol=1e-5)


def test_align_matches_scipy_procrustes_on_noisy_layouts():
    rng = np.random.default_rng(1)
    before = rng.normal(size=(80, 2))
    after = 0.5 * before @ rotation(-0.7).T + rng.normal(scale=0.3, size=(80, 2)) + 2.0
    # scipy standardises both layouts (centre, unit Frobenius norm) and maps the second onto the first
    standard_before, standard_after, _ = procrustes(before, after)
    centred = align(after, before) - before.mean(axis=0)
    scale = np.linalg.norm(before - before.mean(axis=0))
    np.testing.assert_allclose(centred / scale, standard_after, atol=1e-5)
    assert np.abs(align(after, before) - before).max() > 0.1  # noise is not explained away


def test_align_rejects_different_point_sets():
    with pytest.raises(ValueError):
        align(np.zeros((4, 2)), np.zeros((5, 2)))


def test_pca_matches_sklearn_up_to_sign():
    x = np.random.default_rng(2).normal(size=(200, 30)) @ np.random.default_rng(3).normal(size=(30, 30))
    ours = pca_2d(x)
    assert ours.shape == (200, 2) and ours.dtype == np.float32
    reference = PCA(n_components=2).fit_transform(x)
    for axis in range(2):
        sign = np.sign(ours[:, axis] @ reference[:, axis])
        np.testing.assert_allclose(ours[:, axis], sign * reference[:, axis], rtol=1e-4, atol=1e-4)


def test_pca_sign_does_not_depend_on_row_order():
    x = np.random.default_rng(4).normal(size=(100, 10))
    order = np.random.default_rng(5).permutation(100)
    np.testing.assert_allclose(pca_2d(x[order]), pca_2d(x)[order], atol=1e-5)


def test_pca_of_one_dimensional_data_pads_with_zeros():
    out = pca_2d(np.arange(5.0)[:, None])
    np.testing.assert_allclose(np.abs(out[:, 0]), np.abs(np.arange(5.0) - 2.0), atol=1e-6)
    np.testing.assert_array_equal(out[:, 1], 0.0)


def test_cosine_knn_matches_sklearn():
    x = np.random.default_rng(6).normal(size=(150, 12)).astype(np.float32)
    indices, distances = cosine_knn(x, 6)
    ref_distances, ref_indices = NearestNeighbors(n_neighbors=6, metric="cosine").fit(x).kneighbors(x)
    np.testing.assert_array_equal(indices[:, 0], np.arange(150))  # each point is its own first neighbour
    np.testing.assert_array_equal(indices, ref_indices)
    np.testing.assert_allclose(distances, ref_distances, atol=1e-5)


def test_umap_is_reproducible_and_keeps_clusters_apart():
    x, ids = direction_clusters(300, 32, 4, seed=7)
    first = umap_2d(x, seed=0)
    assert first.shape == (300, 2) and first.dtype == np.float32
    np.testing.assert_array_equal(first, umap_2d(x, seed=0))
    assert not np.allclose(first, umap_2d(x, seed=1))
    # in the 2-D map, a point's nearest other point belongs to its own cluster
    _, nearest = NearestNeighbors(n_neighbors=2).fit(first).kneighbors(first)
    assert (ids[nearest[:, 1]] == ids).mean() > 0.95


def test_umap_with_few_points():
    few = np.random.default_rng(8).normal(size=(UMAP_MIN_POINTS - 1, 5))
    np.testing.assert_array_equal(umap_2d(few), pca_2d(few))
    some = np.random.default_rng(9).normal(size=(UMAP_MIN_POINTS + 2, 5))
    out = umap_2d(some, n_neighbors=15)  # more neighbours than points: clamped
    assert out.shape == (UMAP_MIN_POINTS + 2, 2) and np.isfinite(out).all()


def test_kmeans_finds_direction_clusters():
    x, ids = direction_clusters(200, 16, 3, seed=10)
    labels = kmeans_labels(x, 3, seed=0)
    assert labels.shape == (200,) and labels.dtype == np.int64
    assert adjusted_rand_score(ids, labels) == 1.0
    np.testing.assert_array_equal(labels, kmeans_labels(x, 3, seed=0))
