"""The pixel maths of the SimCLR augmentations, each op on a whole batch with one parameter per image.

simclr.augment.views draws the parameters and decides which views get which op; these functions only
apply them. Formulas follow torchvision's functional ops, so tests can compare against them.
"""

import torch
import torch.nn.functional as F

LUMA = (0.2989, 0.587, 0.114)  # ITU-R 601 luma as rounded by torchvision and data_util (tf.image.rgb_to_grayscale)


def crop_flip_resize(x: torch.Tensor, crop: torch.Tensor, flip: torch.Tensor, side: int) -> torch.Tensor:
    """Crop each view's box and resize it to side x side (bilinear) in one grid_sample; a flip negates the x scale."""
    x0, y0, w, h = crop.unbind(1)  # (B,) each, fractions
    zero = torch.zeros_like(w)
    theta = torch.stack([torch.where(flip, -w, w), zero, 2 * x0 + w - 1,
                         zero, h, 2 * y0 + h - 1], 1).view(-1, 2, 3)  # output [-1, 1]^2 -> box in input coords
    grid = F.affine_grid(theta, [x.shape[0], x.shape[1], side, side], align_corners=False)  # (B, S, S, 2)
    pixel = 1 / x.new_tensor([x.shape[3], x.shape[2]])  # half a pixel in [-1, 1] coordinates, (x, y)
    first = 2 * torch.stack([x0, y0], 1) - 1 + pixel  # (B, 2) centres of the box's corner pixels
    last = 2 * torch.stack([x0 + w, y0 + h], 1) - 1 - pixel
    grid = grid.clamp(first.view(-1, 1, 1, 2), last.view(-1, 1, 1, 2))  # edges repeat the box's, as crop-then-resize
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


def resize(x: torch.Tensor, side: int) -> torch.Tensor:
    """(B, C, H, W) -> (B, C, side, side): the whole image through crop_flip_resize, the views' own resize."""
    whole = x.new_tensor([0.0, 0.0, 1.0, 1.0]).expand(len(x), 4)
    return crop_flip_resize(x, whole, torch.zeros(len(x), dtype=torch.bool, device=x.device), side)


def luma(x: torch.Tensor) -> torch.Tensor:
    """(B, 3, H, W) -> (B, 1, H, W) grayscale, torchvision's sum order; a 1-channel image is its own luma."""
    if x.shape[1] == 1:
        return x
    r, g, b = x.split(1, 1)
    return (r * LUMA[0]).add_(g, alpha=LUMA[1]).add_(b, alpha=LUMA[2])


def jitter(x: torch.Tensor, brightness: torch.Tensor, contrast: torch.Tensor, saturation: torch.Tensor,
           hue: torch.Tensor) -> torch.Tensor:
    """Brightness, contrast, saturation, hue with each view's factors in torchvision's maths, clamped after each."""
    brightness, contrast, saturation = (t.view(-1, 1, 1, 1) for t in (brightness, contrast, saturation))
    x = (x * brightness).clamp_(0.0, 1.0)
    x = torch.lerp(luma(x).mean((1, 2, 3), keepdim=True), x, contrast).clamp_(0.0, 1.0)  # towards the mean luma
    if x.shape[1] == 1:
        return x
    x = torch.lerp(luma(x), x, saturation).clamp_(0.0, 1.0)  # towards each pixel's luma
    return shift_hue(x, hue)


def shift_hue(x: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    """Rotate the HSV hue of (B, 3, H, W) images by `shift` (B,) turns; HSV value and saturation stay."""
    r, g, b = x.unbind(1)  # (B, H, W) each
    high = torch.maximum(torch.maximum(r, g), b)  # HSV value
    low = torch.minimum(torch.minimum(r, g), b)
    chroma = high - low
    sixths = torch.where(high == r, g - b, torch.where(high == g, b - r + 2 * chroma, r - g + 4 * chroma))
    sixths = sixths.div_(chroma.clamp_min(1e-12)).add_(6 * shift.view(-1, 1, 1) + 6)  # hue * 6, kept positive
    k = (sixths.unsqueeze(1) + x.new_tensor([5.0, 3.0, 1.0]).view(1, 3, 1, 1)).fmod_(6)  # (B, 3, H, W)
    # HSV -> RGB: channel = V - chroma * clamp(min(k, 4 - k), 0, 1) = low + chroma * clamp(|k - 2| - 1, 0, 1)
    return k.sub_(2).abs_().sub_(1).clamp_(0.0, 1.0).mul_(chroma.unsqueeze(1)).add_(low.unsqueeze(1))


def gaussian_blur(x: torch.Tensor, sigma: torch.Tensor, kernel: int) -> torch.Tensor:
    """Separable Gaussian blur with one sigma per image: depthwise convs over B*C groups, reflect padding."""
    n, c, height, width = x.shape
    radius = kernel // 2
    t = torch.arange(-radius, radius + 1, device=x.device, dtype=x.dtype)
    weights = torch.exp(-0.5 * (t / sigma[:, None]) ** 2)  # (n, kernel)
    weights = (weights / weights.sum(1, keepdim=True)).repeat_interleave(c, 0)  # (n * c, kernel)
    y = F.pad(x.reshape(1, n * c, height, width), (radius,) * 4, mode="reflect")
    y = F.conv2d(y, weights.view(n * c, 1, 1, kernel), groups=n * c)  # along x
    y = F.conv2d(y, weights.view(n * c, 1, kernel, 1), groups=n * c)  # along y
    return y.view(n, c, height, width)

