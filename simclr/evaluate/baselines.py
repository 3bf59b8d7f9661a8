"""A report's baseline rows, raw pixels and the random init, kept once in the data root for every run they fit.

Neither depends on training: every run of a dataset has the same raw-pixel rows, and every run of an
architecture and seed the same random-init rows. On CIFAR-10 they are most of a report's work (the pixels' kNN
over 50,000 x 10,000 pairs of 3,072-d rows and their linear probe: 70 s of one CPU thread; the random init's h and
z: 25 s more, against 25 s for the trained encoder's). They are kept under the data root
(simclr.data.default_data_root) as stored-baselines/<key hash>.json, the hash of the scoring settings, of what
the features come from (the network's config and weights) and of the images and labels themselves, so another
cap, protocol, seed or folder content misses.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from torch import nn

from simclr.data import default_data_root
from simclr.evaluate.splits import Holdout
from simclr.runs import folder

FOLDER = "stored-baselines"


def weights_hash(model: nn.Module) -> str:
    """A hash of a network's state: its tensors' names and values."""
    digest = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def images_hash(test: Holdout) -> str:
    """A hash of both sides' images and labels (184 MB on CIFAR-10: hash it once per report, not once per row)."""
    digest = hashlib.sha256()
    for side in (test.memory, test.queries):
        digest.update(side.images.contiguous().numpy().tobytes())
        digest.update(side.labels.numpy().tobytes())
    return digest.hexdigest()


def baseline_rows(images: str, settings: dict, compute: Callable[[], list[dict]]) -> list[dict]:
    """compute()'s report rows, read from the data root when they were kept for these images (images_hash) and
    settings; else computed and kept there (silently not, where the folder cannot be written)."""
    key = hashlib.sha256((json.dumps(settings, sort_keys=True) + images).encode()).hexdigest()[:16]
    path = default_data_root() / FOLDER / f"{key}.json"
    rows = folder.read_json(path).get("rows")
    if isinstance(rows, list):
        return rows
    rows = compute()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        folder.write_json(path, {"rows": rows})
    except OSError:
        pass
    return rows
