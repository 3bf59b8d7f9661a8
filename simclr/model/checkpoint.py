"""Checkpoints: plain dicts of tensors and JSON-like values, so `torch.load(weights_only=True)` can read them and
loading a file never runs code from it. Written atomically (simclr.atomic).
"""
from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from dataclasses import asdict, fields
from pathlib import Path

import torch

from simclr import atomic
from simclr.model.networks import LEGACY_POOL, LEGACY_WIDTH, ModelConfig, ModelError, SimCLRModel, build_model


def _check_plain(value: object, where: str) -> None:
    """Raise TypeError unless value holds only what weights_only loading accepts: JSON-like data and tensors."""
    # exact types: subclasses such as numpy.float64 or namedtuples pickle as classes weights_only refuses
    if value is None or type(value) in (bool, int, float, str) or isinstance(value, torch.Tensor):
        return
    if type(value) in (list, tuple):
        for i, item in enumerate(value):
            _check_plain(item, f"{where}[{i}]")
    elif type(value) in (dict, OrderedDict):
        for key, item in value.items():
            if type(key) not in (str, int):
                raise TypeError(f"{where} has a key of type {type(key).__name__}; use str or int keys")
            _check_plain(item, f"{where}[{key!r}]")
    else:
        raise TypeError(
            f"{where} is a {type(value).__name__}; checkpoints hold only dicts, lists, numbers, strings, "
            "None and tensors (convert it, e.g. with float() or .tolist())"
        )


def save_checkpoint(path: str | os.PathLike, model: SimCLRModel, extra: dict | None = None) -> None:
    """Write {"model_config", "state_dict", "extra"} to path atomically (a crash leaves the old file intact).

    extra: JSON-like values and tensors only (an optimizer's state_dict qualifies), else TypeError.
    """
    extra = {} if extra is None else extra
    _check_plain(extra, "extra")
    payload = {"model_config": asdict(model.config), "state_dict": model.state_dict(), "extra": extra}
    atomic.write_with(path, lambda file: torch.save(payload, file))


def checkpoint_sha256(path: str | os.PathLike) -> str:
    """The SHA-256 of a checkpoint file: what results kept beside it (report, maps) are keyed by."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _config_from(raw: object, path: Path) -> ModelConfig:
    names = {f.name for f in fields(ModelConfig)}
    if isinstance(raw, dict):  # checkpoints from before these fields: the BatchNorm head, the 16-32-64-128 CNN
        raw = {"head_norm": True, "width": LEGACY_WIDTH, "pool": LEGACY_POOL} | raw
    if not isinstance(raw, dict) or set(raw) != names:
        raise ModelError(f"{path} has no valid model configuration; it was not written by SimCLR Playground.")
    try:
        return ModelConfig(**raw)
    except (TypeError, ModelError) as exc:
        raise ModelError(f"{path} has an invalid model configuration: {exc}") from exc


def load_checkpoint(
    path: str | os.PathLike,
    expect: ModelConfig | tuple[ModelConfig, ...] | None = None,
    map_location: str | torch.device = "cpu",
) -> tuple[SimCLRModel, dict]:
    """Read a checkpoint written by save_checkpoint; returns (model in eval mode, extra).

    The model is built on the CPU (the caller moves it); map_location says where the file's tensors,
    including any optimizer state in extra, are loaded.
    Raises ModelError, with a message for the user, when the file is missing, unreadable, not a
    checkpoint, or holds a model whose configuration differs from `expect` (from each of them, when a
    tuple: the message names the differences from the first).
    """
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"No checkpoint file at {path}. Train a model first, or pick an existing checkpoint.")
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # torch raises several types for truncated, foreign or unsafe files
        raise ModelError(
            f"{path} could not be read as a checkpoint ({type(exc).__name__}); it is corrupt or not a "
            "SimCLR Playground checkpoint. Retrain, or pick another file."
        ) from exc
    if not isinstance(payload, dict) or not {"model_config", "state_dict", "extra"} <= set(payload):
        raise ModelError(f"{path} is a PyTorch file but not a SimCLR Playground checkpoint.")
    found = _config_from(payload["model_config"], path)
    accepted = (expect,) if isinstance(expect, ModelConfig) else expect
    if accepted is not None and found not in accepted:
        wanted = accepted[0]
        diffs = ", ".join(
            f"{f.name}: expected {getattr(wanted, f.name)!r}, found {getattr(found, f.name)!r}"
            for f in fields(ModelConfig)
            if getattr(wanted, f.name) != getattr(found, f.name)
        )
        raise ModelError(
            f"{path} holds a {found.describe()}, but a {wanted.describe()} was expected ({diffs}). "
            "Pick a checkpoint trained with these settings, or change the settings to match it."
        )
    model = build_model(found, seed=0)  # the seed only keeps the global RNG untouched; weights are replaced
    try:
        model.load_state_dict(payload["state_dict"])
    except (RuntimeError, TypeError, AttributeError) as exc:
        raise ModelError(f"{path} has weights that do not fit a {found.describe()}: it is damaged.") from exc
    return model.eval(), payload["extra"]
