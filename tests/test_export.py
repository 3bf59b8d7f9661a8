"""Projector export: the sprite's layout and the TSV rows, checked against a plain loop construction."""

import io
import math
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

from simclr.maps.projector import SPRITE_MAX_SIDE, encoder_weights, projector_files, projector_zip, sprite
from simclr.model.networks import ModelConfig, build_model


def images(n: int, channels: int, side: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(n * 31 + channels)
    return torch.randint(0, 256, (n, channels, side, side), dtype=torch.uint8, generator=generator)


def sprite_by_loops(batch: torch.Tensor) -> np.ndarray:
    """Paste each image into its cell one at a time: cols = ceil(sqrt(N)), row-major from the top left."""
    n, channels, side, _ = batch.shape
    cols = math.ceil(math.sqrt(n))
    out = np.zeros((cols * side, cols * side, channels), dtype=np.uint8)
    for i in range(n):
        row, col = divmod(i, cols)
        for y in range(side):
            for x in range(side):
                out[row * side + y, col * side + x] = batch[i, :, y, x].numpy()
    return out


@pytest.mark.parametrize("n", [1, 2, 5, 9, 10])
@pytest.mark.parametrize("channels", [1, 3])
def test_sprite_places_image_i_at_row_i_div_cols_column_i_mod_cols(n, channels):
    batch = images(n, channels, 6)
    np.testing.assert_array_equal(sprite(batch), sprite_by_loops(batch))


def test_sprite_shrinks_cells_to_stay_within_the_projector_limit():
    batch = torch.full((5, 1, 16, 16), 200, dtype=torch.uint8)
    assert sprite(batch).shape == (48, 48, 1)  # 3 x 3 cells of 16 px
    cols = math.ceil(math.sqrt(5))
    wide = sprite(batch, side=SPRITE_MAX_SIDE)  # asks for more than 8192 px in all
    assert wide.shape[0] == cols * (SPRITE_MAX_SIDE // cols) <= SPRITE_MAX_SIDE
    assert wide[0, 0, 0] == 200 and wide[-1, -1, 0] == 0  # the ninth cell holds no image


def test_projector_files_hold_the_rows_labels_and_sprite():
    n, dim = 7, 5
    batch = images(n, 3, 8)
    trained = np.random.default_rng(0).normal(size=(n, dim)).astype(np.float32)
    random = np.random.default_rng(1).normal(size=(n, 3)).astype(np.float32)
    labels = ["cat", "dog", "tab\there", "cat", "new\nline", "dog", "cat"]
    files = projector_files({"trained h": trained, "random init h": random}, labels, batch)

    assert set(files) == {"trained-h.tsv", "random-init-h.tsv", "metadata.tsv", "sprite.png", "projector_config.pbtxt"}
    for name, expected in (("trained-h.tsv", trained), ("random-init-h.tsv", random)):
        lines = files[name].decode().splitlines()
        assert len(lines) == n  # no header in tensor files
        parsed = np.array([[float(v) for v in line.split("\t")] for line in lines])
        np.testing.assert_allclose(parsed, expected, rtol=1e-6)

    meta = [line.split("\t") for line in files["metadata.tsv"].decode().splitlines()]
    assert meta[0] == ["image", "label"]
    assert meta[1:] == [[str(i), label.replace("\t", " ").replace("\n", " ")] for i, label in enumerate(labels)]

    decoded = np.asarray(Image.open(io.BytesIO(files["sprite.png"])))
    np.testing.assert_array_equal(decoded, sprite_by_loops(batch))

    config = files["projector_config.pbtxt"].decode()
    assert config.count("embeddings {") == 2
    for path in ("trained-h.tsv", "random-init-h.tsv", "metadata.tsv", "sprite.png"):
        assert f'"{path}"' in config
    assert config.count("single_image_dim: 8") == 4  # width and height, for each tensor


def test_projector_files_refuse_mismatched_rows():
    with pytest.raises(ValueError, match="one row per image"):
        projector_files({"h": np.zeros((3, 2))}, ["a", "b"], images(3, 1, 4))


def test_projector_zip_unpacks_to_the_same_files():
    batch = images(4, 1, 5)
    tensors, labels = {"z": np.eye(4, dtype=np.float32)}, ["0", "1", "2", "3"]
    with zipfile.ZipFile(io.BytesIO(projector_zip(tensors, labels, batch))) as archive:
        unpacked = {name: archive.read(name) for name in archive.namelist()}
    assert unpacked == projector_files(tensors, labels, batch)


def test_encoder_weights_load_into_a_fresh_encoder_and_leave_out_the_head():
    config = ModelConfig(in_channels=1, image_size=28)
    trained, fresh = build_model(config, seed=1), build_model(config, seed=2)
    state = torch.load(io.BytesIO(encoder_weights(trained)), weights_only=True)
    assert not any(name.startswith("head") for name in state)
    fresh.encoder.load_state_dict(state)
    x = torch.rand(3, 1, 28, 28)
    torch.testing.assert_close(fresh.eval().encode(x), trained.eval().encode(x))
