"""Safe decoding of one user image (bytes from an upload or a file) to a uint8 array."""
from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from simclr.data.dataset import DataError

MAX_PIXELS = 40_000_000  # 40 megapixels: above any phone photo, far below what would exhaust memory
MAX_DECODE_BYTES = 6 * MAX_PIXELS  # 240 MB: Pillow's decoded pixels plus the uint8 result (34 MP of RGB)
BAND_ROWS = 256  # rows converted at a time: the wider scratch copies (RGBA, 32-bit) stay a few MB
# Bytes a pixel takes once Pillow has decoded it, by mode (Pillow keeps 3 bands in 4 bytes); others take 4.
_MODE_BYTES = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16L": 2, "I;16B": 2, "I;16N": 2}
_SIXTEEN_BIT = ("I;16", "I;16L", "I;16B", "I;16N", "I")
MIN_SIDE = 8  # pixels; smaller images carry nothing a crop augmentation could work with
# Decoders Pillow may use (JPEG covers multi-picture MPO); leaves out EPS, which runs Ghostscript.
FORMATS = ("PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP")
SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp")
_HELP_FORMATS = "PNG, JPEG, GIF, BMP, TIFF or WebP"


class ImageError(DataError):
    """One image could not be used; the message names the file and says what to do."""


def decode_image(data: bytes, name: str = "image", size: int | None = None) -> np.ndarray:
    """Decode image file bytes to uint8 (H, W, C), C = 3 for colour or 1 for grey.

    Reads the header first and refuses images over MAX_PIXELS, or over MAX_DECODE_BYTES counted with
    the bytes a pixel of their mode takes, before decoding any pixel. Applies the EXIF orientation,
    keeps the first frame of an animation, composites transparency onto white and scales 16-bit
    values to 8 bits (v * 255 / 65535), in uint8/uint32 arithmetic, BAND_ROWS rows at a time.
    With `size`, returns the centre square resized to (size, size, C) instead.
    """
    if not data:
        raise ImageError(f"{name} is empty (0 bytes). Upload or copy the file again.")
    try:
        im = Image.open(io.BytesIO(data), formats=FORMATS)
    except UnidentifiedImageError:
        raise ImageError(f"{name} is not an image this app can read. Use a {_HELP_FORMATS} file.") from None
    except Image.DecompressionBombError:
        raise ImageError(f"{name} is far too large to open. {_shrink_advice()}") from None
    w, h = im.size
    if w * h > MAX_PIXELS:
        raise ImageError(f"{name} is {w} x {h} pixels ({w * h / 1e6:.0f} megapixels). {_shrink_advice()}")
    if min(w, h) < MIN_SIDE:
        raise ImageError(f"{name} is only {w} x {h} pixels; images need at least {MIN_SIDE} pixels on each side.")
    if size is not None:
        im.draft(im.mode, (size, size))  # JPEG decodes at a reduced scale that still covers `size`
    channels = 1 if _is_grey(im) else 3
    needed = im.width * im.height * (_MODE_BYTES.get(im.mode, 4) + channels)
    if needed > MAX_DECODE_BYTES:
        raise ImageError(f"{name} is {im.width} x {im.height} pixels of {im.mode}: {needed / 1e6:.0f} MB to decode, "
                         f"over the {MAX_DECODE_BYTES / 1e6:.0f} MB limit. Shrink the image first (any photo "
                         "editor can).")
    try:
        ImageOps.exif_transpose(im, in_place=True)
        array = _to_uint8(im, channels)
    except Exception as error:  # noqa: BLE001 - any decoder failure is a fault of this file's bytes
        raise ImageError(
            f"{name} could not be decoded; it looks truncated or damaged ({error}). "
            "Export or download it again."
        ) from None
    return array if size is None else center_square(array, size)


def center_square(image: np.ndarray, size: int) -> np.ndarray:
    """Crop the centred largest square of uint8 (H, W, C) and resize it to (size, size, C), antialiased."""
    h, w, c = image.shape
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    box = (left, top, left + side, top + side)
    # One plane at a time: Pillow would store a whole RGB copy in 4 bytes a pixel; bicubic is per channel anyway.
    planes = [Image.fromarray(np.ascontiguousarray(image[:, :, k])).resize((size, size), Image.Resampling.BICUBIC,
                                                                             box=box) for k in range(c)]
    return np.stack([np.asarray(plane) for plane in planes], axis=2)


def _is_grey(im: Image.Image) -> bool:
    return im.mode in ("1", "L", "LA", "La", *_SIXTEEN_BIT)


def _to_uint8(im: Image.Image, channels: int) -> np.ndarray:
    """Pixels of any Pillow mode as uint8 (H, W, channels), channels in {1, 3}, converted band by band."""
    w, h = im.size
    out = np.empty((h, w, channels), dtype=np.uint8)
    for top in range(0, h, BAND_ROWS):
        bottom = min(h, top + BAND_ROWS)
        out[top:bottom] = _band_to_uint8(im.crop((0, top, w, bottom)), channels)
    return out


def _band_to_uint8(band: Image.Image, channels: int) -> np.ndarray:
    """One band of rows as uint8 (rows, W, channels)."""
    if band.mode in _SIXTEEN_BIT:  # 16-bit grey; "I" is how some readers deliver it
        wide = np.clip(np.asarray(band), 0, 65535).astype(np.uint32)
        return ((wide + 128) // 257).astype(np.uint8)[:, :, None]  # round(v * 255 / 65535): v / 257 is never x.5
    if "A" in band.getbands() or "transparency" in band.info:
        pixels = np.asarray(band.convert("LA" if channels == 1 else "RGBA")).astype(np.uint16)
        colour, alpha = pixels[:, :, :-1], pixels[:, :, -1:]
        # round(c * a / 255 + 255 - a): colour over white; at most 255 * 255 + 127, inside uint16
        return ((colour * alpha + 255 * (255 - alpha) + 127) // 255).astype(np.uint8)
    return np.asarray(band.convert("L" if channels == 1 else "RGB")).reshape(*band.size[::-1], channels)


def _shrink_advice() -> str:
    return f"The limit is {MAX_PIXELS / 1e6:.0f} megapixels; shrink the image first (any photo editor can)."
