"""The hover preview's sprite as the pages send it: one data URI, image i in cell i, grey as PNG, colour as JPEG."""

import base64
import io

import numpy as np
import torch
from PIL import Image

from ui.charts import data_uri
from ui.hover_preview import sprite_data_uri


def decoded(uri: str) -> tuple[str, Image.Image]:
    head, payload = uri.split(",", 1)
    return head, Image.open(io.BytesIO(base64.b64decode(payload)))


def test_grey_images_sit_row_by_row_in_a_lossless_png():
    images = torch.tensor([[[[10, 11], [12, 13]]], [[[20, 21], [22, 23]]], [[[30, 31], [32, 33]]]], dtype=torch.uint8)
    head, picture = decoded(sprite_data_uri(images, cell=64))  # 3 images: 2 a row, cells of their own 2 px
    expected = np.array([[10, 11, 20, 21],
                         [12, 13, 22, 23],
                         [30, 31, 0, 0],
                         [32, 33, 0, 0]], dtype=np.uint8)
    assert head == "data:image/png;base64" and picture.mode == "L"
    np.testing.assert_array_equal(np.asarray(picture), expected)


def test_colour_images_travel_as_jpeg_in_cells_no_larger_than_asked():
    images = torch.randint(0, 256, (5, 3, 32, 32), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    head, picture = decoded(sprite_data_uri(images, cell=10))
    assert head == "data:image/jpeg;base64" and picture.mode == "RGB" and picture.size == (30, 30)  # 3 x 3 cells


def test_a_thumbnail_data_uri_is_the_picture_as_png():
    picture = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3) * 7
    head, image = decoded(data_uri(picture))
    assert head == "data:image/png;base64"
    np.testing.assert_array_equal(np.asarray(image), picture)
