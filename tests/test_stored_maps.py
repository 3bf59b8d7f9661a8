"""The Embeddings page's maps kept beside a checkpoint: read back only for the same checkpoint and settings."""
from pathlib import Path

import numpy as np
import pytest

from simclr.maps import stored
from simclr.maps.stored import MapKey
from simclr.runs import folder

DEMO = Path(__file__).resolve().parent.parent / "assets" / "demo-run"


def checkpoint(folder: Path, content: bytes) -> Path:
    path = folder / "best.pt"
    path.write_bytes(content)
    return path


def features(seed: int, n: int = 40) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 8)).astype(np.float32), rng.normal(size=(n, 8)).astype(np.float32)


def test_maps_are_drawn_once_then_read_for_the_same_checkpoint_and_settings(tmp_path, monkeypatch):
    path = checkpoint(tmp_path, b"weights, version 1")
    before, after = stored.umap_pair(path, features(0), "h", keep=True)
    assert before.shape == after.shape == (40, 2)

    def no_umap(*args, **kwargs):
        raise AssertionError("UMAP ran although the maps were stored")

    monkeypatch.setattr(stored, "umap_2d", no_umap)
    again = stored.umap_pair(path, features(0), "h", keep=True)
    assert np.array_equal(again[0], before) and np.array_equal(again[1], after)
    for other in ({"space": "z"}, {"n_neighbors": 5}, {"min_dist": 0.5}):  # other settings: drawn anew
        with pytest.raises(AssertionError, match="UMAP ran"):
            stored.umap_pair(path, features(0), **({"space": "h"} | other), keep=True)


def test_has_umap_pair_answers_what_umap_pair_would_read(tmp_path):
    path = checkpoint(tmp_path, b"weights")
    assert not stored.has_umap_pair(path, 40, "h")
    stored.umap_pair(path, features(0), "h", keep=True)
    assert stored.has_umap_pair(path, 40, "h")
    for other in ({"count": 41}, {"space": "z"}, {"n_neighbors": 5}, {"min_dist": 0.5}):
        assert not stored.has_umap_pair(**({"checkpoint": path, "count": 40, "space": "h"} | other))
    path.write_bytes(b"weights, trained on")
    assert not stored.has_umap_pair(path, 40, "h")


def test_a_rewritten_checkpoint_misses_and_its_stale_maps_are_removed(tmp_path):
    path = checkpoint(tmp_path, b"weights, version 1")
    stored.umap_pair(path, features(0), "h", keep=True)
    old = list(tmp_path.glob("maps-best-*.npz"))
    assert len(old) == 1
    path.write_bytes(b"weights, version 2")  # a run still training rewrote best.pt
    key = MapKey(stored.checkpoint_sha256(path), 40, stored.SAMPLE_SEED, "h", "UMAP", 15, 0.1,
                 stored.MAP_SEED)
    assert stored.load(path, key) is None
    stored.umap_pair(path, features(1), "h", keep=True)
    assert old[0] not in list(tmp_path.glob("maps-best-*.npz"))
    assert stored.load(path, key) is not None


def test_damaged_or_foreign_files_are_recomputed_not_trusted(tmp_path):
    path = checkpoint(tmp_path, b"weights")
    key = MapKey(stored.checkpoint_sha256(path), 40, 0, "h", "UMAP", 15, 0.1, 0)
    stored.path_of(path, key).write_bytes(b"not an npz")
    assert stored.load(path, key) is None
    stored.save(path, key, np.zeros((39, 2)), np.zeros((39, 2)))  # the wrong number of points
    assert stored.load(path, key) is None


def test_a_folder_that_cannot_be_written_still_gets_its_maps(tmp_path, monkeypatch):
    path = checkpoint(tmp_path, b"weights")

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(stored, "save", full_disk)
    before, after = stored.umap_pair(path, features(0), "h", keep=True)
    assert before.shape == (40, 2) and not list(tmp_path.glob("maps-*"))


def test_nothing_is_written_without_keep(tmp_path):
    path = checkpoint(tmp_path, b"weights")
    stored.umap_pair(path, features(0), "h", keep=False)
    assert not list(tmp_path.glob("maps-*"))


def test_the_demo_run_ships_the_embeddings_pages_first_maps():
    """A fresh server shows the demo run's default maps without fitting UMAP (assets/make_demo_run.py draws them)."""
    images = folder.read_json(DEMO / folder.SUMMARY)["images"]
    count = min(stored.DEFAULT_COUNT, images)
    assert stored.has_umap_pair(DEMO / folder.BEST, count, "h"), "redraw: python assets/make_demo_run.py"
