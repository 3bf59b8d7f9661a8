"""CIFAR-10 as JPEGs in class folders (a zip) -> torchvision's cifar-10-batches-py pickles, for benchmarks.

    python -m bench.cifar_jpeg cifar10-jpeg.zip DATA_ROOT    # then SIMCLR_DATA=DATA_ROOT --dataset cifar10

For measurements only (bench/gpu.sh, the figures in docs/learning.md); JPEG pixels differ slightly from
the binary release. The training order of the 50,000 images is shuffled with a fixed seed into 5 batches.
"""
import io
import pickle
import sys
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def split(archive: zipfile.ZipFile, name: str) -> tuple[np.ndarray, list[int]]:
    """(n, 3072) uint8 rows (R, G, B planes) and labels of the files under <name>/<class>/."""
    rows, labels = [], []
    for entry in sorted(archive.namelist()):
        parts = entry.split("/")
        if entry.endswith(".jpg") and name in parts[:-2] and parts[parts.index(name) + 1] in CLASSES:
            pixels = np.asarray(Image.open(io.BytesIO(archive.read(entry))).convert("RGB"))  # (32, 32, 3)
            rows.append(pixels.transpose(2, 0, 1).reshape(-1))
            labels.append(CLASSES.index(parts[parts.index(name) + 1]))
    return np.stack(rows), labels


def main(zip_path: str, root: str) -> None:
    out = Path(root) / "cifar-10-batches-py"
    out.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path) as archive:
        train, train_labels = split(archive, "train")
        test, test_labels = split(archive, "test")
    order = np.random.default_rng(0).permutation(len(train))
    for b, chunk in enumerate(np.array_split(order, 5), start=1):
        (out / f"data_batch_{b}").write_bytes(pickle.dumps(
            {"data": train[chunk], "labels": [train_labels[i] for i in chunk]}))
    (out / "test_batch").write_bytes(pickle.dumps({"data": test, "labels": test_labels}))
    (out / "batches.meta").write_bytes(pickle.dumps({"label_names": list(CLASSES)}))
    print(f"{len(train):,} train and {len(test):,} test images written to {out}")


if __name__ == "__main__":
    main(*sys.argv[1:])
