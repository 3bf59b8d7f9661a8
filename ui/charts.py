"""Figure helpers the pages share: pictures as data URIs, a padded axis range, a categorical palette."""

import base64

import numpy as np
import plotly.express as px

from simclr.maps.projector import encode_picture


def data_uri(picture: np.ndarray, kind: str = "PNG") -> str:
    """A picture (H, W, C) uint8, C in {1, 3}, as a PNG or JPEG data URI, so figures carry their own images
    (works offline)."""
    return f"data:image/{kind.lower()};base64," + base64.b64encode(encode_picture(picture, kind)).decode()


def padded_range(xy: np.ndarray, margin: float = 0.06) -> tuple[list[float], list[float]]:
    """x and y axis ranges around the points (N, 2), with room for the thumbnails at the edges."""
    low, high = xy.min(axis=0), xy.max(axis=0)
    pad = (high - low).max() * margin + 1e-6
    return [float(low[0] - pad), float(high[0] + pad)], [float(low[1] - pad), float(high[1] + pad)]


def palette(count: int) -> list[str]:
    """`count` distinct colours: Plotly's ten, then the 24 of Light24 and repeats for more classes."""
    base = px.colors.qualitative.Plotly if count <= 10 else px.colors.qualitative.Light24
    return [base[i % len(base)] for i in range(count)]
