"""Embeddings in TensorBoard's Embedding Projector format, and the trained encoder's weights on their own.

    embeddings.zip
        <name>.tsv               one per tensor: a row per image, tab-separated floats, no header
        metadata.tsv             a header "image<TAB>label", then a row per image in the same order
        sprite.png               every image in a square grid, row by row from the top left
        projector_config.pbtxt   TensorBoard's ProjectorConfig (text format) tying the files together

Unzip it into a folder and run `tensorboard --logdir <folder>` (Projector tab), or load a tensors
file and metadata.tsv at https://projector.tensorflow.org.
"""

import io
import math
import re
import zipfile

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

SPRITE_MAX_SIDE = 8192  # the Projector refuses sprites larger than 8192 x 8192 px


def sprite(images: torch.Tensor, side: int | None = None) -> np.ndarray:
    """Tile uint8 images (N, C, H, W) into one square sprite (S, S, C) with S = ceil(sqrt(N)) * cell.

    Image i sits at row i // cols, column i % cols (cols = ceil(sqrt(N))); unused cells are black.
    cell = `side` (default: the image side H), lowered so that S stays within SPRITE_MAX_SIDE.
    Non-square images are resized to square cells with antialiasing.
    """
    n, channels, height, width = images.shape
    cols = max(1, math.ceil(math.sqrt(n)))
    cell = min(side or height, SPRITE_MAX_SIDE // cols)
    if (height, width) != (cell, cell):
        resized = F.interpolate(images.float(), size=(cell, cell), mode="bilinear", antialias=True, align_corners=False)
        images = resized.round().clamp(0, 255).to(torch.uint8)
    grid = torch.zeros(cols * cols, channels, cell, cell, dtype=torch.uint8)
    grid[:n] = images
    # (rows, cols, C, cell, cell) -> (rows, cell, cols, cell, C): each grid row becomes `cell` pixel rows
    tiled = grid.reshape(cols, cols, channels, cell, cell).permute(0, 3, 1, 4, 2)
    return tiled.reshape(cols * cell, cols * cell, channels).numpy()


def encode_picture(picture: np.ndarray, kind: str = "PNG", quality: int = 85) -> bytes:
    """A (H, W, C) uint8 array, C in {1, 3}, as PNG or JPEG (`quality`) bytes."""
    buffer = io.BytesIO()
    Image.fromarray(picture[..., 0] if picture.shape[2] == 1 else picture).save(buffer, format=kind, quality=quality)
    return buffer.getvalue()


def file_stem(name: str) -> str:
    """A tensor's name as a file name: "trained h" -> "trained-h"."""
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower() or "tensor"


def _quoted(text: str) -> str:
    """A string literal in protobuf text format."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _tsv_row(values: list[str]) -> str:
    return "\t".join(re.sub(r"[\t\r\n]+", " ", v) for v in values) + "\n"


def projector_files(tensors: dict[str, np.ndarray], labels: list[str], images: torch.Tensor) -> dict[str, bytes]:
    """The Projector's files, name -> bytes: one .tsv per tensor (N, D), metadata.tsv, sprite.png, the config.

    Every tensor, `labels` (N strings) and `images` (uint8 (N, C, H, W)) describe the same N images in
    the same order; the row number is kept as the metadata's "image" column.
    """
    n = len(images)
    if len(labels) != n or any(len(t) != n for t in tensors.values()):
        raise ValueError(f"Every tensor and the labels need one row per image ({n} images).")
    files = {}
    blocks = []
    picture = sprite(images)
    cell = picture.shape[0] // max(1, math.ceil(math.sqrt(n)))
    for name, values in tensors.items():
        path = f"{file_stem(name)}.tsv"
        buffer = io.StringIO()
        np.savetxt(buffer, np.asarray(values, dtype=np.float32), fmt="%.7g", delimiter="\t")
        files[path] = buffer.getvalue().encode()
        blocks.append(
            "embeddings {\n"
            f"  tensor_name: {_quoted(name)}\n"
            f'  tensor_path: "{path}"\n'
            '  metadata_path: "metadata.tsv"\n'
            "  sprite {\n"
            '    image_path: "sprite.png"\n'
            f"    single_image_dim: {cell}\n"
            f"    single_image_dim: {cell}\n"
            "  }\n"
            "}\n"
        )
    # The Projector reads a header only when metadata has two or more columns, hence "image" as well.
    rows = [_tsv_row(["image", "label"])] + [_tsv_row([str(i), label]) for i, label in enumerate(labels)]
    files["metadata.tsv"] = "".join(rows).encode()
    files["sprite.png"] = encode_picture(picture)
    files["projector_config.pbtxt"] = "".join(blocks).encode()
    return files


def projector_zip(tensors: dict[str, np.ndarray], labels: list[str], images: torch.Tensor) -> bytes:
    """projector_files(...) packed into one .zip archive (bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in projector_files(tensors, labels, images).items():
            archive.writestr(name, content)
    return buffer.getvalue()


def encoder_weights(model: nn.Module) -> bytes:
    """torch.save of the base encoder f(.)'s state_dict alone (no projection head, CPU tensors), as bytes.

    Load it into simclr.model.networks.build_model(config).encoder; SimCLRModel.encode feeds the encoder
    (x - 0.5) / 0.25 for x in [0, 1], so other code must standardise its inputs the same way.
    """
    buffer = io.BytesIO()
    state = {name: tensor.detach().cpu().contiguous() for name, tensor in model.encoder.state_dict().items()}
    torch.save(state, buffer)
    return buffer.getvalue()
