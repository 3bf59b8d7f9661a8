"""CIFAR-10 and STL-10 read from torchvision's on-disk layout, and their explicit download.

Reading never touches the network. The files are parsed here rather than by torchvision's
classes so that a missing or partial copy gives a message saying which file goes where,
and so that an STL-10 subset reads only its own rows of the binary file.
"""
from __future__ import annotations

import pickle
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from simclr.data.dataset import DataError, Dataset, subset_indices

UNLABELED_CAP = 10_000  # STL-10 unlabeled images loaded when no subset is given (all 100k take 2.8 GB)


@dataclass(frozen=True)
class Archive:
    """Where a dataset's archive comes from and the folder it unpacks to (as torchvision.datasets has them)."""

    title: str  # name in messages
    url: str  # torchvision's `url`
    filename: str  # torchvision's `filename`
    md5: str  # torchvision's `tgz_md5`
    folder: str  # torchvision's `base_folder`, created under root by extracting
    files: tuple[str, ...]  # what the folder must hold


ARCHIVES = {
    "cifar10": Archive(
        "CIFAR-10", "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz", "cifar-10-python.tar.gz",
        "c58f30108f718f92721af3b95e74349a", "cifar-10-batches-py",
        tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch", "batches.meta"),
    ),
    "stl10": Archive(
        "STL-10", "http://ai.stanford.edu/~acoates/stl10/stl10_binary.tar.gz", "stl10_binary.tar.gz",
        "91f7769df0f17e558f3565bffb0c7dfb", "stl10_binary",
        ("train_X.bin", "train_y.bin", "test_X.bin", "test_y.bin", "unlabeled_X.bin", "class_names.txt"),
    ),
}


def load_cifar10(root: Path, split: str, subset: int | None, seed: int) -> Dataset:
    """CIFAR-10 from root/cifar-10-batches-py: each pickled row is 3072 bytes, R then G then B planes of 32x32."""
    folder = _require("cifar10", root)
    batches = [f"data_batch_{i}" for i in range(1, 6)] if split == "train" else ["test_batch"]
    parts = [_cifar_batch(folder / batch) for batch in batches]
    images = np.concatenate([p[0] for p in parts])  # (N, C, H, W)
    y = np.concatenate([p[1] for p in parts])  # (N,)
    names = _unpickle(folder / "batches.meta")["label_names"]
    classes = [c.decode() if isinstance(c, bytes) else str(c) for c in names]
    chosen = subset_indices(len(y), subset, seed)
    if chosen is not None:
        images, y = images[chosen], y[chosen]
    description = f"{len(y):,} CIFAR-10 {split} images, 32 x 32 colour, 10 classes (Krizhevsky 2009)."
    return Dataset("cifar10", torch.from_numpy(images), torch.from_numpy(y), classes, description)


def _cifar_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """One batch file as uint8 (n, 3, 32, 32) images and int64 (n,) labels."""
    entry = _unpickle(path)
    data = np.asarray(entry.get("data"), dtype=np.uint8)
    labels = np.asarray(entry.get("labels"), dtype=np.int64)
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or len(labels) != len(data):
        raise DataError(f"{path} is damaged (unexpected contents). Delete {path.parent} and download CIFAR-10 again.")
    return data.reshape(-1, 3, 32, 32), labels


def load_stl10(root: Path, split: str, subset: int | None, seed: int) -> Dataset:
    """STL-10 from root/stl10_binary: 96x96 colour, each image stored as 3 column-major planes."""
    folder = _require("stl10", root)
    path = folder / f"{split}_X.bin"
    size = path.stat().st_size
    if size == 0 or size % (3 * 96 * 96):
        raise DataError(f"{path} is damaged (not a whole number of images). Delete it and download STL-10 again.")
    pixels = np.memmap(path, dtype=np.uint8, mode="r").reshape(-1, 3, 96, 96)  # (N, C, W, H): column-major
    n, total = len(pixels), len(pixels)
    if split == "unlabeled" and subset is None:
        subset = UNLABELED_CAP
    chosen = subset_indices(n, subset, seed)
    if chosen is not None:
        pixels, n = pixels[chosen], len(chosen)  # reads only the chosen rows from disk
    images = torch.from_numpy(np.ascontiguousarray(np.asarray(pixels).transpose(0, 1, 3, 2)))  # (n, C, H, W)
    classes = (folder / "class_names.txt").read_text().split()
    labels = None
    if split != "unlabeled":
        y = np.fromfile(folder / f"{split}_y.bin", dtype=np.uint8).astype(np.int64) - 1  # file labels are 1..10
        if len(y) != total:
            raise DataError(f"{folder / f'{split}_y.bin'} does not match {path.name}. Download STL-10 again.")
        labels = torch.from_numpy(y if chosen is None else y[chosen])
    description = (f"{n:,} of {total:,} STL-10 {split} images, 96 x 96 colour"
                   + (", no labels" if labels is None else ", 10 classes") + " (Coates et al. 2011).")
    return Dataset("stl10", images, labels, classes if labels is not None else [], description)


def download_archive(name: str, root: Path, progress: Callable[[int, int], None] | None = None) -> None:
    """Fetch `name`'s archive into root, check its MD5 and unpack it there; progress gets (bytes done, total)."""
    from torchvision.datasets.utils import check_integrity, extract_archive

    archive = ARCHIVES[name]
    if not _missing(name, root):
        return
    root.mkdir(parents=True, exist_ok=True)
    target = root / archive.filename
    if not check_integrity(str(target), archive.md5):
        partial = target.with_name(target.name + ".part")
        try:
            _stream(archive.url, partial, progress)
        except OSError as error:
            partial.unlink(missing_ok=True)
            raise DataError(f"Could not download {archive.title} from {archive.url} ({error}). "
                            + _where(name, root, offer_download=False)) from None
        partial.replace(target)
        if not check_integrity(str(target), archive.md5):
            target.unlink()
            raise DataError(f"The {archive.title} download was damaged (checksum mismatch). Try again.")
    extract_archive(str(target), str(root))
    target.unlink()  # the unpacked folder is all the loaders read


def _stream(url: str, path: Path, progress: Callable[[int, int], None] | None) -> None:
    with urllib.request.urlopen(url, timeout=30) as response, open(path, "wb") as out:
        total, done = int(response.headers.get("Content-Length") or 0), 0
        while chunk := response.read(1 << 20):
            out.write(chunk)
            done += len(chunk)
            if progress is not None:
                progress(done, total)


def _missing(name: str, root: Path) -> list[str]:
    archive = ARCHIVES[name]
    return [f for f in archive.files if not (root / archive.folder / f).is_file()]


def _require(name: str, root: Path) -> Path:
    """The dataset folder under root, or a DataError saying what to put where."""
    archive, missing = ARCHIVES[name], _missing(name, root)
    if missing:
        detail = f" (missing: {', '.join(missing)})" if (root / archive.folder).is_dir() else ""
        raise DataError(f"{archive.title} is not in {root / archive.folder}{detail}. " + _where(name, root))
    return root / archive.folder


def _where(name: str, root: Path, offer_download: bool = True) -> str:
    archive = ARCHIVES[name]
    by_hand = (f"download {archive.url} yourself and unpack it in {root} so that {root / archive.folder} "
               f"holds {', '.join(archive.files)}.")
    if not offer_download:
        return "On a machine with internet access, " + by_hand
    return (f"Press Download on the data page, or run `python -m simclr.data download {name} --root {root}`, "
            f"or {by_hand}")


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles only plain containers and numpy arrays, so a planted file cannot run code."""

    ALLOWED = {("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode"),
               ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct")}

    def find_class(self, module: str, name: str):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"unexpected object {module}.{name}")
        return super().find_class(module, name)


def _unpickle(path: Path) -> dict[str, object]:
    """A CIFAR batch file as a dict with str keys (the files were written by Python 2, keys may be bytes)."""
    try:
        with open(path, "rb") as f:
            entry = _ArrayUnpickler(f, encoding="latin1").load()
        return {k.decode() if isinstance(k, bytes) else k: v for k, v in entry.items()}
    except (pickle.UnpicklingError, EOFError, AttributeError, ValueError) as error:
        raise DataError(f"{path} is damaged ({error}). Delete {path.parent} and download CIFAR-10 again.") from None
