"""simclr.data.decode: each kind of user image decodes to the pixels an independent computation gives, or a clear error."""
import io
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from simclr.data.dataset import DataError
from simclr.data.decode import MAX_DECODE_BYTES, MAX_PIXELS, MIN_SIDE, ImageError, center_square, decode_image
from image_files import encode, palette_with_transparency, png_claiming

ROOT = Path(__file__).resolve().parent.parent


def test_grey_png_round_trips_exactly():
    pixels = np.random.default_rng(0).integers(0, 256, (12, 10), dtype=np.uint8)
    out = decode_image(encode(Image.fromarray(pixels)), "grey.png")
    assert out.dtype == np.uint8 and out.shape == (12, 10, 1)
    np.testing.assert_array_equal(out[:, :, 0], pixels)


def test_16_bit_png_is_scaled_not_clipped():
    values = [0, 1, 128, 257, 1000, 32896, 40000, 65535]
    pixels = np.tile(np.array(values, dtype=np.uint16), (8, 1))  # (8, 8)
    out = decode_image(encode(Image.fromarray(pixels)), "deep.png")
    expected = [(v * 255 + 65535 // 2) // 65535 for v in values]  # integer round(v * 255 / 65535)
    assert out[0, :, 0].tolist() == expected
    assert expected[4] == 4  # clipping to 8 bits would have given 255


def test_rgba_is_composited_on_white():
    rgba = np.zeros((8, 8, 4), dtype=np.uint8)
    rgba[:4] = (200, 40, 0, 128)  # half transparent orange
    rgba[4:] = (10, 20, 30, 0)  # fully transparent: must become white
    out = decode_image(encode(Image.fromarray(rgba, "RGBA")), "alpha.png")
    white = Image.new("RGBA", (8, 8), (255, 255, 255, 255))
    reference = np.asarray(Image.alpha_composite(white, Image.fromarray(rgba, "RGBA")).convert("RGB"))
    assert out.shape == (8, 8, 3)
    assert np.abs(out.astype(int) - reference).max() <= 1
    assert out[6, 6].tolist() == [255, 255, 255]


def test_grey_with_alpha_stays_grey():
    la = Image.merge("LA", (Image.new("L", (8, 8), 0), Image.new("L", (8, 8), 51)))  # black at 20 % opacity
    out = decode_image(encode(la), "la.png")
    assert out.shape == (8, 8, 1)
    assert abs(int(out[0, 0, 0]) - round(255 * (1 - 51 / 255))) <= 1


def test_palette_image_gives_its_palette_colours():
    image = Image.new("P", (8, 8))
    image.putpalette([255, 0, 0, 0, 128, 255] + [0] * 762)
    image.paste(1, (0, 0, 8, 4))
    out = decode_image(encode(image), "palette.png")
    assert out[0, 0].tolist() == [0, 128, 255] and out[7, 7].tolist() == [255, 0, 0]


def test_palette_transparency_becomes_white():
    image = Image.new("P", (8, 8))
    image.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    image.paste(1, (0, 0, 8, 4))
    out = decode_image(encode(image, transparency=1), "transparent.png")
    assert out[0, 0].tolist() == [255, 255, 255] and out[7, 7].tolist() == [255, 0, 0]


def test_cmyk_jpeg_converts_to_rgb():
    c, m, y, k = 30, 200, 100, 50
    out = decode_image(encode(Image.new("CMYK", (32, 32), (c, m, y, k)), "JPEG", quality=95), "print.jpg")
    expected = [255 * (1 - v / 255) * (1 - k / 255) for v in (c, m, y)]  # textbook CMYK -> RGB
    assert out.shape == (32, 32, 3)
    assert np.abs(out[16, 16] - np.array(expected)).max() <= 3


def test_animated_gif_gives_first_frame():
    frames = [Image.new("RGB", (16, 16), (255, 0, 0)), Image.new("RGB", (16, 16), (0, 0, 255))]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    assert Image.open(io.BytesIO(data)).n_frames == 2
    assert decode_image(data, "anim.gif")[8, 8].tolist() == [255, 0, 0]


def test_exif_orientation_is_applied():
    exif = Image.Exif()
    exif[0x0112] = 6  # stored landscape, shown rotated a quarter turn
    data = encode(Image.new("RGB", (32, 16), (9, 9, 9)), "JPEG", exif=exif)
    assert decode_image(data, "phone.jpg").shape == (32, 16, 3)


def test_truncated_jpeg_is_a_clear_error():
    noise = np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    data = encode(Image.fromarray(noise), "JPEG")
    with pytest.raises(ImageError, match=r"cut\.jpg .*truncated or damaged"):
        decode_image(data[: len(data) // 2], "cut.jpg")


def test_zero_bytes_is_a_clear_error():
    with pytest.raises(ImageError, match=r"empty\.png is empty"):
        decode_image(b"", "empty.png")


def test_text_named_png_is_not_an_image():
    with pytest.raises(ImageError, match=r"notes\.png is not an image"):
        decode_image(b"hello, this is a text file\n" * 10, "notes.png")


def test_tiny_image_is_refused_with_the_minimum():
    with pytest.raises(ImageError, match=rf"dot\.png is only 1 x 1 pixels.*at least {MIN_SIDE}"):
        decode_image(encode(Image.new("RGB", (1, 1))), "dot.png")


@pytest.mark.parametrize("side", [8000, 20000])  # 64 MP: only our limit; 400 MP: Pillow's bomb check too
def test_decompression_bomb_is_refused_before_decoding(side):
    data = png_claiming(side, side)
    assert len(data) < 200
    tracemalloc.start()
    with pytest.raises(ImageError, match=r"bomb\.png is .*megapixels"):
        decode_image(data, "bomb.png")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 5_000_000  # decoding would have needed side * side bytes


def test_image_error_is_a_data_error():
    assert issubclass(ImageError, DataError)


def test_center_square_without_resize_is_the_middle_slice():
    image = np.random.default_rng(2).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    np.testing.assert_array_equal(center_square(image, 20), image[:, 5:25])
    tall = image[:, :13]  # (20, 13, 3): crop rows 3..16
    np.testing.assert_array_equal(center_square(tall, 13), tall[3:16])


def test_decode_with_size_crops_the_centre():
    pixels = np.zeros((200, 400, 3), dtype=np.uint8)
    pixels[:, 200:] = 255  # left half black, right half white; the centre square straddles both
    out = decode_image(encode(Image.fromarray(pixels), "JPEG", quality=95), "halves.jpg", size=16)
    assert out.shape == (16, 16, 3)
    assert out[:, :6].max() < 20 and out[:, 10:].min() > 235


def test_decode_limit_counts_the_bytes_a_pixel_takes():
    side = 6000  # 36 MP: under MAX_PIXELS, but RGBA takes 4 bytes decoded + 3 for the result
    assert side * side < MAX_PIXELS < side * side * 7 / 6
    tracemalloc.start()
    with pytest.raises(ImageError, match=r"wide\.png is 6000 x 6000 pixels of RGBA: 252 MB to decode"):
        decode_image(png_claiming(side, side, "RGBA"), "wide.png")
    assert tracemalloc.get_traced_memory()[1] < 5_000_000
    tracemalloc.stop()
    with pytest.raises(ImageError, match="truncated or damaged"):  # 1 byte + 1: within the limit, decoding starts
        decode_image(png_claiming(side, side, "L"), "narrow.png")


MEASURE = """
import resource, sys
sys.path[:0] = [{root!r}, {tests!r}]
from image_files import palette_with_transparency
from simclr.data.decode import decode_image
data = palette_with_transparency(6300)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
out = decode_image(data, "palette.png", size=96)
assert out[0, 0].tolist() == [255, 255, 255] and out[-1, -1].tolist() == [255, 0, 0], out[[0, -1], [0, -1]]
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024)
"""


def test_a_big_palette_png_with_transparency_decodes_in_bounded_memory():
    """6300 x 6300 (40 MP) from 46 kB: composited in float64 this took 4.7 GB; now the P image + the uint8 result."""
    assert len(palette_with_transparency(6300)) < 100_000
    code = MEASURE.format(root=str(ROOT), tests=str(ROOT / "tests"))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    grown_mb = float(result.stdout.split()[-1])
    assert grown_mb < 6300 * 6300 * 8 / 2**20, grown_mb  # P (1 byte) + RGB result (3) + a plane (1) + slack;
    # float64 compositing grew 4.7 GB here
    assert MAX_DECODE_BYTES <= 256 * 2**20
