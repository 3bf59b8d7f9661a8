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

from simclr import runs
from simclr.data import default_data_root
from simclr.holdout import Holdout

FOLDER = "stored-baselines"


def weights_hash(model: nn.Module) -> str:
    """A hash of a network's state: its tensors' names and values."""
    digest = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def key_hash(test: Holdout, settings: dict) -> str:
    """A hash of `settings` (JSON-able) and of both sides' images and labels."""
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    for side in (test.memory, test.queries):
        digest.update(side.images.contiguous().numpy().tobytes())
        digest.update(side.labels.numpy().tobytes())
    return digest.hexdigest()[:16]


def baseline_rows(test: Holdout, settings: dict, compute: Callable[[], list[dict]]) -> list[dict]:
    """compute()'s report rows for `test`, read from the data root when they were kept for these images and
    settings; else computed and kept there (silently not, where the folder cannot be written)."""
    path = default_data_root() / FOLDER / f"{key_hash(test, settings)}.json"
    rows = runs.read_json(path).get("rows")
    if isinstance(rows, list):
        return rows
    rows = compute()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        runs.write_json(path, {"rows": rows})
    except OSError:
        pass
    return rows
