"""Safe decoding of one user image (bytes from an upload or a file) to a uint8 array."""
from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from simclr.data.dataset import DataError

MAX_PIXELS = 40_000_000  # 40 megapixels: above any phone photo, far below what would exhaust memory
MIN_SIDE = 8  # pixels; smaller images carry nothing a crop augmentation could work with
# Decoders Pillow may use (JPEG covers multi-picture MPO); leaves out EPS, which runs Ghostscript.
FORMATS = ("PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP")
SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp")
_HELP_FORMATS = "PNG, JPEG, GIF, BMP, TIFF or WebP"


class ImageError(DataError):
    """One image could not be used; the message names the file and says what to do."""


def decode_image(data: bytes, name: str = "image", size: int | None = None) -> np.ndarray:
    """Decode image file bytes to uint8 (H, W, C), C = 3 for colour or 1 for grey.

    Reads the header first and refuses images over MAX_PIXELS before decoding any pixel.
    Applies the EXIF orientation, keeps the first frame of an animation, composites
    transparency onto white and scales 16-bit values to 8 bits (v * 255 / 65535).
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
    try:
        im = ImageOps.exif_transpose(im)
        array = _to_uint8(im)
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
    pil = Image.fromarray(image[:, :, 0] if c == 1 else image)
    out = pil.resize((size, size), Image.Resampling.BICUBIC, box=(left, top, left + side, top + side))
    return np.asarray(out).reshape(size, size, c)


def _to_uint8(im: Image.Image) -> np.ndarray:
    """Pixels of any Pillow mode as uint8 (H, W, C) with C in {1, 3}."""
    if im.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        wide = np.asarray(im, dtype=np.float64)  # 16-bit grey; "I" is how some readers deliver it
        return np.clip(np.rint(wide * 255 / 65535), 0, 255).astype(np.uint8)[:, :, None]
    if "A" in im.getbands() or "transparency" in im.info:
        grey = im.mode in ("LA", "La", "L", "1")
        rgba = np.asarray(im.convert("LA" if grey else "RGBA"), dtype=np.float64)
        colour, alpha = rgba[:, :, :-1], rgba[:, :, -1:] / 255
        on_white = colour * alpha + 255 * (1 - alpha)
        return np.rint(on_white).astype(np.uint8)
    if im.mode in ("1", "L"):
        return np.asarray(im.convert("L"))[:, :, None]
    return np.asarray(im.convert("RGB"))


def _shrink_advice() -> str:
    return f"The limit is {MAX_PIXELS / 1e6:.0f} megapixels; shrink the image first (any photo editor can)."
