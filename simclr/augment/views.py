"""SimCLR's random views, drawn and applied for a whole batch at once (paper Sec. 3 and appendix A).

Defaults follow google-research/simclr `data_util.py`. Drawing the random parameters (`draw_params`)
is separate from applying them (`apply_params`), so a page can show and replay what was drawn.
Ops run in the paper's order: crop + flip + resize, colour jitter, grayscale, blur.

Deliberate differences from data_util / torchvision:
- jitter runs brightness, contrast, saturation, hue in this fixed order (both references shuffle
  the order per image); like them it clamps to [0, 1] after each of the four;
- hue is shifted in HSV (exact, torchvision's maths), brightness is multiplicative (data_util "simclrv2");
- crops are sampled like torchvision (10 attempts, then a centre crop; data_util: 100, then the whole image);
- resizing is bilinear without antialiasing (data_util: bicubic), so crops larger than the output alias;
- blur pads by reflection like torchvision (data_util pads with zeros).
Every op draws its random numbers even when switched off, so toggling one op keeps the others' draws.
"""
import math
import numbers
from dataclasses import dataclass, fields

import torch

from simclr.augment.pixel_ops import crop_flip_resize, gaussian_blur, jitter, luma

_ATTEMPTS = 10  # crop tries before the centre-crop fallback, as torchvision's RandomResizedCrop


@dataclass(frozen=True)
class AugmentConfig:
    """Which ops make a view and how strong they are; derive variants with `dataclasses.replace`."""

    crop: bool = True  # random resized crop, the op the paper finds most important (Fig. 5)
    crop_scale: tuple[float, float] = (0.08, 1.0)  # crop area as a fraction of the image, data_util area_range
    crop_ratio: tuple[float, float] = (3 / 4, 4 / 3)  # crop aspect w/h, data_util aspect_ratio_range
    flip: bool = True  # horizontal flip
    flip_p: float = 0.5  # data_util: tf.image.random_flip_left_right
    jitter: bool = True  # colour jitter, the paper's second key op (Fig. 5, Table 1)
    jitter_strength: float = 1.0  # s: brightness, contrast, saturation 0.8 s; hue 0.2 s (appendix A)
    jitter_p: float = 0.8  # data_util: random_apply(color_jitter, p=0.8)
    grayscale: bool = True  # colour drop
    grayscale_p: float = 0.2  # data_util: random_apply(to_grayscale, p=0.2)
    blur: bool = True  # Gaussian blur (ImageNet only in the paper)
    blur_p: float = 0.5  # data_util: batch_random_blur(blur_probability=0.5)
    blur_sigma: tuple[float, float] = (0.1, 2.0)  # sigma in output pixels, data_util random_blur
    blur_kernel: int | None = None  # odd side; None -> data_util's 2 * (size // 10 // 2) + 1, ~10% of the side
    size: int | None = None  # output side S; None -> the input's shorter side

    def __post_init__(self):
        rules = {f"{name} must lie in [0, 1] (got {getattr(self, name)})": 0.0 <= getattr(self, name) <= 1.0
                 for name in ("flip_p", "jitter_p", "grayscale_p", "blur_p")}
        scale, ratio, s, sigma, kernel = (self.crop_scale, self.crop_ratio, self.jitter_strength,
                                          self.blur_sigma, self.blur_kernel)
        rules |= {
            f"crop_scale needs 0 < low <= high <= 1 (got {scale})": 0.0 < scale[0] <= scale[1] <= 1.0,
            f"crop_ratio needs 0 < low <= high (got {ratio})": 0.0 < ratio[0] <= ratio[1],
            f"jitter_strength must lie in [0, 2.5], a hue shift of at most half a turn (got {s})": 0.0 <= s <= 2.5,
            f"blur_sigma needs 0 < low <= high (got {sigma})": 0.0 < sigma[0] <= sigma[1],
            f"blur_kernel must be odd and positive (got {kernel})": kernel is None or kernel % 2 == 1 and kernel > 0,
            f"size must be positive (got {self.size})": self.size is None or self.size >= 1,
        }
        broken = [rule for rule, ok in rules.items() if not ok]
        if broken:
            raise ValueError("; ".join(broken))


PRESETS: dict[str, AugmentConfig] = {
    "paper-imagenet": AugmentConfig(),  # appendix A, jitter strength 1 with blur
    "paper-cifar": AugmentConfig(jitter_strength=0.5, blur=False),  # appendix B.9: s = 0.5, no blur
    # for 28 px digits (the CPU demo on mnist-5k): a mirrored digit is another shape (flips cost 0.012 kNN),
    # 8% of 28 px holds a stroke or two, so crops keep at least 20% of the area (30%: 0.004 worse); brightness
    # and contrast at s = 1 (0.8 each, as paper-imagenet) beat s = 0.5 by 0.003 and no jitter by 0.04 (docs/learning.md)
    "digits": AugmentConfig(jitter_strength=1.0, blur=False, flip=False, crop_scale=(0.2, 1.0)),
    # Lightning "Deep Learning Fundamentals" Unit 7.7: 128 px views, ColorJitter(0.8, 0.8, 0.8, 0.2) w.p. 0.8,
    # grayscale w.p. 0.2, blur always
    "course-unit7": AugmentConfig(blur_p=1.0, blur_sigma=(0.1, 0.5), blur_kernel=9, size=128),
    "none": AugmentConfig(crop=False, flip=False, jitter=False, grayscale=False, blur=False),
}


def skipped_ops(cfg: AugmentConfig, channels: int) -> list[str]:
    """Switched-on ops that have no effect on `channels`-channel images (saturation, hue, grayscale on C=1)."""
    if channels != 1:
        return []
    return ["saturation", "hue"] * cfg.jitter + ["grayscale"] * cfg.grayscale


def output_size(cfg: AugmentConfig, height: int, width: int) -> int:
    """Side S of the square views made from (height, width) images."""
    return cfg.size or min(height, width)


def blur_kernel_size(cfg: AugmentConfig, side: int) -> int:
    """Odd blur kernel side for views of side `side` (data_util: radius = side // 10 // 2)."""
    return cfg.blur_kernel or 2 * (side // 10 // 2) + 1


@dataclass
class ViewParams:
    """What was drawn for a batch of B views; index it (`params[i]`, a slice or index tensor) to replay some."""

    crop: torch.Tensor  # (B, 4) float: x0, y0, w, h as fractions of the source image
    flip: torch.Tensor  # (B,) bool
    jitter: torch.Tensor  # (B,) bool: colour jitter applied
    brightness: torch.Tensor  # (B,) float factor, multiplies the pixels
    contrast: torch.Tensor  # (B,) float factor, blends with the mean luma
    saturation: torch.Tensor  # (B,) float factor, blends with the per-pixel luma
    hue: torch.Tensor  # (B,) float shift, in turns of the colour wheel
    gray: torch.Tensor  # (B,) bool
    blur: torch.Tensor  # (B,) bool
    sigma: torch.Tensor  # (B,) float, blur sigma in output pixels

    def __len__(self) -> int:
        return self.crop.shape[0]

    def __getitem__(self, idx) -> "ViewParams":
        idx = [idx] if isinstance(idx, numbers.Integral) else idx  # an int keeps a batch of one, to apply
        return ViewParams(**{f.name: getattr(self, f.name)[idx] for f in fields(self)})

    def to(self, device) -> "ViewParams":
        return ViewParams(**{f.name: getattr(self, f.name).to(device) for f in fields(self)})

    def describe(self, i: int, channels: int = 3) -> dict[str, str]:
        """Human-readable draw of view i, e.g. {"crop": "x 0.12 y 0.30 w 0.55 h 0.61 (34% of area)", ...}."""
        x0, y0, w, h = self.crop[i].tolist()
        jitter = [f"brightness ×{self.brightness[i]:.2f}", f"contrast ×{self.contrast[i]:.2f}"]
        if channels == 3:
            jitter += [f"saturation ×{self.saturation[i]:.2f}", f"hue {self.hue[i]:+.2f}"]
        return {
            "crop": f"x {x0:.2f} y {y0:.2f} w {w:.2f} h {h:.2f} ({w * h:.0%} of area)",
            "flip": "yes" if self.flip[i] else "no",
            "jitter": ", ".join(jitter) if self.jitter[i] else "not applied",
            "grayscale": "n/a (1 channel)" if channels == 1 else "yes" if self.gray[i] else "no",
            "blur": f"sigma {self.sigma[i]:.2f}" if self.blur[i] else "not applied",
        }


def draw_params(cfg: AugmentConfig, n: int, height: int, width: int, generator: torch.Generator,
                device=None) -> ViewParams:
    """Draw the random parameters of n views of (height, width) images from `generator` only."""
    dev = generator.device

    def uniform(low: float, high: float, *shape: int) -> torch.Tensor:
        return low + (high - low) * torch.rand(n, *shape, generator=generator, device=dev)

    def coin(on: bool, p: float) -> torch.Tensor:
        return (torch.rand(n, generator=generator, device=dev) < p) & on

    crop = _draw_crops(cfg, height, width, uniform)
    s = cfg.jitter_strength
    params = ViewParams(
        crop=crop,
        flip=coin(cfg.flip, cfg.flip_p),
        jitter=coin(cfg.jitter and s > 0, cfg.jitter_p),
        brightness=uniform(max(0.0, 1 - 0.8 * s), 1 + 0.8 * s),
        contrast=uniform(max(0.0, 1 - 0.8 * s), 1 + 0.8 * s),
        saturation=uniform(max(0.0, 1 - 0.8 * s), 1 + 0.8 * s),
        hue=uniform(-0.2 * s, 0.2 * s),
        gray=coin(cfg.grayscale, cfg.grayscale_p),
        blur=coin(cfg.blur, cfg.blur_p),
        sigma=uniform(*cfg.blur_sigma),
    )
    return params.to(device or dev)


def _draw_crops(cfg: AugmentConfig, height: int, width: int, uniform) -> torch.Tensor:
    """(n, 4) crop boxes on whole pixels as fractions x0, y0, w, h; torchvision's sampling, all views at once."""
    area = height * width
    target = area * uniform(*cfg.crop_scale, _ATTEMPTS)  # (n, attempts) crop areas in pixels
    aspect = torch.exp(uniform(math.log(cfg.crop_ratio[0]), math.log(cfg.crop_ratio[1]), _ATTEMPTS))
    w = torch.sqrt(target * aspect).round()  # (n, attempts)
    h = torch.sqrt(target / aspect).round()
    fits = (w > 0) & (w <= width) & (h > 0) & (h <= height)
    first = fits.int().argmax(1, keepdim=True)  # first attempt that fits (0 when none does)
    w, h, found = w.gather(1, first)[:, 0], h.gather(1, first)[:, 0], fits.any(1)  # (n,)
    offset = uniform(0.0, 1.0, 2)  # (n, 2) where the box sits in the room left
    ratio_in, (low, high) = width / height, cfg.crop_ratio
    fallback_w = width if ratio_in <= high else round(height * high)  # centre crop clamped to the ratio range
    fallback_h = height if ratio_in >= low else round(width / low)
    if not cfg.crop:
        found, fallback_w, fallback_h = torch.zeros_like(found), width, height
    w = torch.where(found, w, fallback_w)
    h = torch.where(found, h, fallback_h)
    x0 = torch.where(found, (offset[:, 0] * (width - w + 1)).floor().clamp(max=width - w), (width - w) // 2)
    y0 = torch.where(found, (offset[:, 1] * (height - h + 1)).floor().clamp(max=height - h), (height - h) // 2)
    return torch.stack([x0 / width, y0 / height, w / width, h / height], 1)  # (n, 4)


def apply_params(images: torch.Tensor, params: ViewParams, cfg: AugmentConfig) -> torch.Tensor:
    """Make the views described by `params`: (B, C, H, W) uint8 or float in [0, 1] -> float32 (B, C, S, S)."""
    if images.ndim != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"images must be (B, C, H, W) with C in {{1, 3}}, got shape {tuple(images.shape)}")
    if len(params) != images.shape[0]:
        raise ValueError(f"{len(params)} view parameters for {images.shape[0]} images")
    x = images.float() / 255 if images.dtype == torch.uint8 else images.float()
    p = params.to(x.device)
    side = output_size(cfg, x.shape[2], x.shape[3])
    crop = p.crop if cfg.crop else torch.tensor([0.0, 0.0, 1.0, 1.0], device=x.device).expand_as(p.crop)
    x = crop_flip_resize(x, crop, p.flip & cfg.flip, side)  # (B, C, S, S); switched-off ops ignore what was drawn
    if cfg.jitter:
        x = torch.where(p.jitter.view(-1, 1, 1, 1), jitter(x, p.brightness, p.contrast, p.saturation, p.hue), x)
    if cfg.grayscale and x.shape[1] == 3:
        x = torch.where(p.gray.view(-1, 1, 1, 1), luma(x).expand_as(x), x)
    kernel = blur_kernel_size(cfg, side)
    if cfg.blur and kernel > 1:
        if kernel // 2 >= side:
            raise ValueError(f"blur kernel {kernel} is too large for {side}-pixel views")
        idx = p.blur.nonzero()[:, 0]  # blur only the views that drew it
        if len(idx):
            x = x.index_copy(0, idx, gaussian_blur(x[idx], p.sigma[idx], kernel))
    return x.clamp_(0.0, 1.0)


def augment(images: torch.Tensor, cfg: AugmentConfig, generator: torch.Generator) -> tuple[torch.Tensor, ViewParams]:
    """One random view per image, and what was drawn for it."""
    params = draw_params(cfg, images.shape[0], images.shape[2], images.shape[3], generator, device=images.device)
    return apply_params(images, params, cfg), params


def two_views(images: torch.Tensor, cfg: AugmentConfig,
              generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """x1, x2: two independent views of each of the N images, made as one batch of 2N (the training hot path)."""
    views, _ = augment(torch.cat([images, images]), cfg, generator)  # (2N, C, S, S)
    x1, x2 = views.chunk(2)
    return x1, x2
