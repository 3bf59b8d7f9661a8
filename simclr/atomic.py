"""Every file a run writes, written atomically: a reader (or a crash) never sees half a file.

The content goes to a temporary file in the same folder, named .<name>.<random>.tmp by tempfile.mkstemp (so two
writers never share one), is flushed to disk (fsync), then replaces the target in one os.replace.
Checkpoints, run files, snapshots, stored maps and reports all use it; simclr.runs.folder.remove_temporaries
deletes what a process killed mid-write left in a run folder.
"""
from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def write_with(path: str | os.PathLike, write: Callable[[BinaryIO], None]) -> None:
    """Replace `path` with what write(file) writes into an open binary file (torch.save, np.save, ...)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Replace `path` with `data`."""
    write_with(path, lambda file: file.write(data))
