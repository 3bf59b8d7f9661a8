"""Datasets made of the user's own image files: a folder on disk, or files and .zip archives uploaded.

Labels come from folders: if the images sit in two or more class subfolders (after dropping
folders that wrap everything), each subfolder is a class; otherwise the set is unlabeled.
Two uploaded zips of loose images count as two classes named after the zips.
"""
from __future__ import annotations

import io
import os
import stat
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path, PurePosixPath

import numpy as np
import torch

from simclr.data.dataset import DataError, Dataset, subset_indices
from simclr.data.decode import SUFFIXES, ImageError, decode_image

DEFAULT_CAP = 10_000  # images decoded when no subset is given (10k at 96 px is 280 MB)
MAX_DEPTH = 4  # folder levels searched below the chosen folder
MAX_FILE_BYTES = 64 * 2**20  # one image file; anything larger is no training image
MAX_UPLOAD_BYTES = 2 * 2**30  # uncompressed bytes read out of one zip
MAX_TOTAL_UPLOAD_BYTES = 100 * 2**20  # all files of one upload together, as sent (a server holds them in memory)
CHUNK = 2**20  # bytes unpacked at a time, so a lying zip header costs at most this much before it is caught
MAX_RATIO = 100  # compression ratio above which a large zip entry is treated as a zip bomb
MAX_LISTED = 20  # warnings listed one by one before they are summarised

Entry = tuple[PurePosixPath, Callable[[], bytes]]  # relative path, reader of its bytes


def load_folder(path: Path, size: int = 96, subset: int | None = None, seed: int = 0) -> Dataset:
    """Images under `path` (up to MAX_DEPTH levels, hidden files skipped), each centre-cropped to (size, size)."""
    if not path.is_dir():
        raise DataError(f"{path} is not a folder. Choose a folder that holds image files ({', '.join(SUFFIXES)}).")
    entries, warnings = [], []
    for folder, dirs, files in os.walk(path):
        depth = len(Path(folder).relative_to(path).parts)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and depth < MAX_DEPTH)
        for file in sorted(files):
            if not file.startswith(".") and file.lower().endswith(SUFFIXES):
                full = Path(folder) / file
                entries.append((PurePosixPath(full.relative_to(path).as_posix()), _file_reader(full, path)))
    if not entries:
        raise DataError(f"{path} holds no image files ({', '.join(SUFFIXES)}) in its first {MAX_DEPTH} "
                        "levels of folders. Choose another folder.")
    return _build("folder", str(path), entries, warnings, size, subset, seed)


def load_uploads(files: list[tuple[str, bytes]], size: int = 96, subset: int | None = None, seed: int = 0) -> Dataset:
    """Uploaded image files and .zip archives (read in memory, never unpacked to disk) as one dataset."""
    check_upload_size([len(data) for _, data in files])
    entries, warnings = [], []
    for name, data in files:
        if name.lower().endswith(".zip"):
            entries += _zip_entries(name, data, warnings)
        elif name.lower().endswith(SUFFIXES):
            entries.append((PurePosixPath(PurePosixPath(name).name), lambda data=data: data))
        else:
            warnings.append(f"Skipped {name}: not an image or .zip file.")
    if not entries:
        raise DataError(" ".join(("The upload holds no usable images. Upload image files "
                        f"({', '.join(SUFFIXES)}) or .zip archives of them.", *_capped(warnings))))
    return _build("uploads", "the upload", entries, warnings, size, subset, seed)


def check_upload_size(sizes: list[int]) -> None:
    """DataError when files of these sizes in bytes are more than one upload may hold together."""
    total = sum(sizes)
    if total > MAX_TOTAL_UPLOAD_BYTES:
        raise DataError(f"The upload holds {len(sizes)} files of {total / 2**20:.0f} MB together; one upload may "
                        f"hold {MAX_TOTAL_UPLOAD_BYTES / 2**20:.0f} MB. Remove some files (that frees their memory), or put "
                        "the images in a folder under the data root and choose it in the sidebar.")


def _zip_entries(name: str, data: bytes, warnings: list[str]) -> list[Entry]:
    """Image entries of one zip, under a folder named after the zip; unsafe entries skipped with warnings."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError):
        warnings.append(f"Skipped {name}: not a readable .zip archive.")
        return []
    entries, total = [], 0
    for info in archive.infolist():
        path = PurePosixPath(info.filename.replace("\\", "/"))
        bomb = info.file_size > 2**20 and info.file_size > MAX_RATIO * info.compress_size
        if path.is_absolute() or ".." in path.parts or ":" in "".join(path.parts[:1]):
            warnings.append(f"Skipped {name}: {info.filename} (a path that points outside the archive).")
        elif info.is_dir() or any(p.startswith(".") or p == "__MACOSX" for p in path.parts):
            continue
        elif not path.name.lower().endswith(SUFFIXES):
            continue
        elif info.file_size > MAX_FILE_BYTES or bomb:
            warnings.append(f"Skipped {name}: {info.filename} expands to {info.file_size / 2**20:.0f} MB "
                            f"from {info.compress_size / 2**10:.0f} kB, too large for an image (a zip bomb?).")
        elif total + info.file_size > MAX_UPLOAD_BYTES:
            warnings.append(f"Stopped reading {name} at {info.filename}: "
                            f"over {MAX_UPLOAD_BYTES / 2**30:.0f} GB unpacked.")
            break
        else:
            total += info.file_size  # zipfile never reads past this declared size
            entries.append((PurePosixPath(Path(name).stem) / path, _zip_reader(name, archive, info)))
    return entries


def _zip_reader(name: str, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Callable[[], bytes]:
    def read() -> bytes:
        """Unpacked CHUNK by CHUNK with a running count: headers that lie about sizes cost no more than that."""
        chunks, total = [], 0
        try:
            with archive.open(info) as stream:
                while chunk := stream.read(CHUNK):
                    total += len(chunk)
                    if total > MAX_FILE_BYTES:
                        raise ImageError(f"{name}: {info.filename} unpacks to over {MAX_FILE_BYTES / 2**20:.0f} MB, "
                                         "too large for an image (a zip bomb?).")
                    chunks.append(chunk)
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError, zlib.error) as error:
            raise ImageError(f"{name}: {info.filename} could not be unpacked ({error}).") from None
        return b"".join(chunks)
    return read


def _file_reader(path: Path, folder: Path) -> Callable[[], bytes]:
    """Reads a regular file inside `folder`; links that lead out of it, devices and pipes are refused unopened."""
    def read() -> bytes:
        real = path.resolve()
        if not real.is_relative_to(folder.resolve()):
            raise ImageError(f"Skipped {path.name}: it is a link to {real}, outside the chosen folder.")
        if not stat.S_ISREG(real.stat().st_mode):
            raise ImageError(f"Skipped {path.name}: it is not a regular file (a device, pipe or socket).")
        fd = os.open(real, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a pipe swapped in since cannot block
        with open(fd, "rb") as file:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise ImageError(f"Skipped {path.name}: it is not a regular file (a device, pipe or socket).")
            data = file.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise ImageError(f"{path.name} is over {MAX_FILE_BYTES / 2**20:.0f} MB; shrink it or leave it out.")
        return data
    return read


def _labels(paths: list[PurePosixPath]) -> tuple[list[str], list[int] | None, list[PurePosixPath]]:
    """Class names, each path's class (None when unlabeled) and paths with wrapping folders dropped."""
    while len({p.parts[0] for p in paths}) == 1 and all(len(p.parts) > 1 for p in paths):
        paths = [PurePosixPath(*p.parts[1:]) for p in paths]
    classes = sorted({p.parts[0] for p in paths if len(p.parts) > 1})
    if len(classes) < 2:
        return [], None, paths
    index = {c: i for i, c in enumerate(classes)}
    return classes, [index.get(p.parts[0], -1) if len(p.parts) > 1 else -1 for p in paths], paths


def _build(name: str, source: str, entries: list[Entry], warnings: list[str],
           size: int, subset: int | None, seed: int) -> Dataset:
    """Decode entries (a seeded subset of at most DEFAULT_CAP unless `subset` says) into a Dataset."""
    classes, labels, paths = _labels([p for p, _ in entries])
    keep = [i for i in range(len(entries)) if labels is None or labels[i] >= 0]
    warnings += _capped([f"Skipped {paths[i]}: it is outside the class folders ({', '.join(classes)})."
                         for i in range(len(entries)) if labels is not None and labels[i] < 0])
    cap = subset if subset is not None else (DEFAULT_CAP if len(keep) > DEFAULT_CAP else None)
    chosen = subset_indices(len(keep), cap, seed)
    if chosen is not None:
        if subset is None:
            warnings.append(f"Found {len(keep):,} images; loaded a random {cap:,}. Set a subset size to change that.")
        keep = [keep[i] for i in chosen]
    arrays, kept, problems = [], [], []
    for i in keep:
        try:
            arrays.append(decode_image(entries[i][1](), str(paths[i]), size=size))
            kept.append(i)
        except (ImageError, OSError) as error:
            problems.append(str(error) if isinstance(error, ImageError) else f"Skipped {paths[i]}: {error}")
    warnings += _capped(problems)
    if not arrays:
        raise DataError(" ".join((f"None of the images in {source} could be read.", *_capped(problems))))
    colour = any(a.shape[2] == 3 for a in arrays)
    images = np.stack([np.repeat(a, 3, axis=2) if colour and a.shape[2] == 1 else a for a in arrays])
    y = None if labels is None else torch.tensor([labels[i] for i in kept], dtype=torch.int64)
    kind = f"{len(classes)} classes ({', '.join(classes)})" if classes else "no labels"
    description = f"{len(kept):,} image{'s' * (len(kept) != 1)} from {source}, {size} x {size} {'colour' if colour else 'grey'}, {kind}."
    return Dataset(name, torch.from_numpy(images).permute(0, 3, 1, 2).contiguous(), y, classes, description,
                   warnings, [str(paths[i]) for i in kept])


def _capped(messages: list[str]) -> list[str]:
    """The first MAX_LISTED messages, plus a count of the rest."""
    extra = len(messages) - MAX_LISTED
    return messages[:MAX_LISTED] + ([f"... and {extra} more like these."] if extra > 0 else [])
