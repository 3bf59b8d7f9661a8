"""Image and archive bytes that the tests make themselves: encoded pictures, a lying header, a zip."""

import io
import struct
import zipfile
import zlib

from PIL import Image


def encode(image: Image.Image, fmt: str = "PNG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def png_claiming(width: int, height: int, mode: str = "L") -> bytes:
    """A valid 8 x 8 PNG whose IHDR (with a correct CRC) claims width x height: a decompression bomb."""
    data = bytearray(encode(Image.new(mode, (8, 8))))
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def zipped(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def zip_lying(name: str, real_size: int, declared_size: int) -> bytes:
    """A zip of one entry of `real_size` zero bytes whose headers (local and central) declare `declared_size`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive, \
            archive.open(name, "w") as entry:
        chunk = bytes(2**20)
        for _ in range(real_size // len(chunk)):
            entry.write(chunk)
    data = bytearray(buffer.getvalue())
    central = data.rindex(b"PK\x01\x02")
    assert data[:4] == b"PK\x03\x04" and struct.unpack("<I", data[22:26])[0] == real_size
    data[22:26] = data[central + 24: central + 28] = struct.pack("<I", declared_size)
    return bytes(data)


def palette_with_transparency(side: int) -> bytes:
    """A side x side palette PNG, top half transparent, bottom half red: a few kB that decode to side^2 pixels."""
    image = Image.new("P", (side, side), 0)
    image.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    image.paste(1, (0, 0, side, side // 2))
    return encode(image, transparency=1)
