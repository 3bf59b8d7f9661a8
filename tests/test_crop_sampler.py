"""The random resized crop's draw (simclr.augment) against torchvision's RandomResizedCrop.get_params.

Both samplers are run many times with the same scale and ratio; two-sample Kolmogorov-Smirnov tests compare
the area fraction, log(aspect) (log-uniform over the ratio range) and where the box sits in the room left
(uniform over 0 .. side - size, whatever the size). The seeds are fixed, so the figures are the same every
run; ALPHA is strict, so only a real difference in distribution fails (identical samplers fail one test in
10,000 seeds).
"""

import math

import numpy as np
import pytest
import torch
from scipy.stats import ks_2samp
from torchvision.transforms import RandomResizedCrop

from simclr.augment.views import AugmentConfig, draw_params

DRAWS = 20_000
ALPHA = 1e-4

CASES = {  # name -> (height, width, crop_scale, crop_ratio)
    "paper, landscape": (96, 128, (0.08, 1.0), (3 / 4, 4 / 3)),
    "digits": (28, 28, (0.2, 1.0), (3 / 4, 4 / 3)),
    "wide ratio, portrait": (80, 48, (0.05, 1.0), (0.25, 4.0)),  # many draws do not fit: the retries matter
}


def ours(height: int, width: int, scale, ratio) -> np.ndarray:
    """(DRAWS, 4) boxes in whole pixels: left, top, w, h."""
    cfg = AugmentConfig(crop_scale=scale, crop_ratio=ratio)
    generator = torch.Generator().manual_seed(1)
    crop = draw_params(cfg, DRAWS, height, width, generator).crop.double().numpy()  # fractions x0, y0, w, h
    return np.rint(crop * [width, height, width, height]).astype(int)


def torchvisions(height: int, width: int, scale, ratio) -> np.ndarray:
    """(DRAWS, 4) boxes from torchvision's sampler: left, top, w, h."""
    torch.manual_seed(2)
    image = torch.empty(1, height, width)
    boxes = []
    for _ in range(DRAWS):
        top, left, h, w = RandomResizedCrop.get_params(image, list(scale), list(ratio))
        boxes.append((left, top, w, h))
    return np.array(boxes)


@pytest.fixture(scope="module", params=list(CASES))
def boxes(request):
    height, width, scale, ratio = CASES[request.param]
    return height, width, ours(height, width, scale, ratio), torchvisions(height, width, scale, ratio)


def check_same(name: str, mine: np.ndarray, reference: np.ndarray) -> None:
    result = ks_2samp(mine, reference)
    assert result.pvalue > ALPHA, (f"{name}: ours and torchvision's differ (KS D={result.statistic:.4f}, "
                                   f"p={result.pvalue:.2e}); means {mine.mean():.4f} vs {reference.mean():.4f}")


def test_every_box_lies_inside_the_image(boxes):
    height, width, mine, _ = boxes
    left, top, w, h = mine.T
    assert (w >= 1).all() and (h >= 1).all()
    assert (left >= 0).all() and (top >= 0).all()
    assert (left + w <= width).all() and (top + h <= height).all()


def test_area_fraction_matches_torchvision(boxes):
    height, width, mine, reference = boxes
    area = lambda b: b[:, 2] * b[:, 3] / (height * width)  # noqa: E731
    check_same("area fraction", area(mine), area(reference))


def test_log_aspect_matches_torchvision(boxes):
    _, _, mine, reference = boxes
    log_aspect = lambda b: np.log(b[:, 2] / b[:, 3])  # noqa: E731
    check_same("log(w / h)", log_aspect(mine), log_aspect(reference))


@pytest.mark.parametrize("axis", ["left", "top"])
def test_offset_is_uniform_over_the_room_left(boxes, axis):
    """Offset + 1/2 over the room (side - size + 1): uniform in (0, 1) for a uniform offset, at every size."""
    height, width, mine, reference = boxes
    position, size, side = (0, 2, width) if axis == "left" else (1, 3, height)
    spread = lambda b: (b[:, position] + 0.5) / (side - b[:, size] + 1)  # noqa: E731
    check_same(f"{axis} offset", spread(mine), spread(reference))
    # the ends of the range are both reached where there is room: neither side is cut off
    room = side - mine[:, size]
    roomy = room >= 1
    assert (mine[roomy, position] == 0).any() and (mine[roomy, position] == room[roomy]).any()


def test_log_aspect_is_log_uniform_where_every_draw_fits():
    """With small crops every first attempt fits, so log(w / h) is uniform over log(ratio) (up to whole pixels)."""
    low, high = 3 / 4, 4 / 3
    cfg = AugmentConfig(crop_scale=(0.04, 0.05), crop_ratio=(low, high))
    crop = draw_params(cfg, DRAWS, 512, 512, torch.Generator().manual_seed(3)).crop.double().numpy()
    log_aspect = np.log(crop[:, 2] / crop[:, 3])
    uniform = np.random.default_rng(4).uniform(math.log(low), math.log(high), DRAWS)
    check_same("log(w / h) against log-uniform", log_aspect, uniform)
