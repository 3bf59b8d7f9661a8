"""The dataset registry: every image source the app trains on, by name, loaded into one `Dataset` shape."""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from simclr.data import builtin, cifar_stl, user_images
from simclr.data.dataset import DataError, Dataset, subset_indices


@dataclass(frozen=True)
class DatasetSpec:
    """What the app needs to know about a source before loading it."""

    title: str  # name shown in messages
    splits: tuple[str, ...]  # accepted values of `split`
    labelled: bool  # whether labels come with it (a folder has them only with class subfolders)
    needs: str  # "nothing" (ships with the packages), "root" (files under the data root) or "path" (a folder)


DATASETS: dict[str, DatasetSpec] = {
    "mnist-5k": DatasetSpec("MNIST 5k", ("train", "test"), True, "nothing"),  # 5,000 digits, 28 x 28 grey
    "photos": DatasetSpec("Sample photos", ("train",), False, "nothing"),  # scikit-image's colour photographs
    "cifar10": DatasetSpec("CIFAR-10", ("train", "test"), True, "root"),  # 60,000 images, 32 x 32 colour
    "stl10": DatasetSpec("STL-10", ("train", "test", "unlabeled"), True, "root"),  # 96 x 96: 5k, 8k test, 100k
    "folder": DatasetSpec("Image folder", ("train",), False, "path"),  # class subfolders become labels
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
        dataset = builtin.load_photos(size or 96)
    elif name == "mnist-5k":
        dataset = builtin.load_mnist(split)
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

