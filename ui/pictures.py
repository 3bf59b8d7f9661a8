"""Turn image tensors into pictures a browser shows crisply, with crop boxes drawn on."""

import numpy as np
import torch
from PIL import Image, ImageDraw

VIEW_COLOURS = ((209, 73, 91), (48, 99, 142))  # view 1 red, view 2 blue, everywhere in the app


def to_picture(image: torch.Tensor, min_side: int = 160) -> np.ndarray:
    """(C, H, W) uint8 or float in [0, 1] -> (H', W', 3) uint8, enlarged by an integer factor without smoothing."""
    if image.dtype != torch.uint8:
        image = (image.clamp(0, 1) * 255).round().to(torch.uint8)
    pixels = image.detach().cpu().permute(1, 2, 0).numpy()
    if pixels.shape[2] == 1:
        pixels = np.repeat(pixels, 3, axis=2)
    factor = max(1, -(-min_side // max(pixels.shape[:2])))
    return pixels.repeat(factor, axis=0).repeat(factor, axis=1)


def with_boxes(picture: np.ndarray, boxes: list[tuple[float, float, float, float]]) -> np.ndarray:
    """Draw crop boxes (x0, y0, w, h as fractions) on a picture, one colour per view."""
    canvas = Image.fromarray(picture)
    draw = ImageDraw.Draw(canvas)
    height, width = picture.shape[:2]
    line = max(2, width // 80)
    for (x0, y0, w, h), colour in zip(boxes, VIEW_COLOURS):
        draw.rectangle((x0 * width, y0 * height, (x0 + w) * width - 1, (y0 + h) * height - 1), outline=colour, width=line)
    return np.asarray(canvas)
