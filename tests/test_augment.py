"""simclr.augment against torchvision's per-image functional ops, analytic bounds and exact replays."""
import math
from dataclasses import replace

import pytest
import torch
import torchvision.transforms.v2.functional as TF

from simclr.augment.views import PRESETS, AugmentConfig, ViewParams, apply_params, augment, blur_kernel_size, draw_params, output_size, skipped_ops, two_views

NONE = PRESETS["none"]
PAPER = PRESETS["paper-imagenet"]


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def photos(n: int = 6, channels: int = 3, height: int = 32, width: int = 32, seed: int = 0) -> torch.Tensor:
    """Smooth random float images in [0, 1], so that crops and blurs change them gradually."""
    coarse = torch.rand(n, channels, height // 4 + 1, width // 4 + 1, generator=gen(seed))
    return torch.nn.functional.interpolate(coarse, size=(height, width), mode="bicubic").clamp(0, 1)


def identity_params(n: int, **changes) -> ViewParams:
    """n views that change nothing: whole-image crop, factors 1, shift 0, no op applied."""
    ones, zeros, no = torch.ones(n), torch.zeros(n), torch.zeros(n, dtype=torch.bool)
    params = dict(crop=torch.tensor([[0.0, 0.0, 1.0, 1.0]]).repeat(n, 1), flip=no, jitter=no, brightness=ones,
                  contrast=ones, saturation=ones, hue=zeros, gray=no, blur=no, sigma=ones)
    return ViewParams(**{**params, **changes})


def test_presets_have_the_issue_values():
    assert list(PRESETS) == ["paper-imagenet", "paper-cifar", "digits", "course-unit7", "none"]
    paper = PRESETS["paper-imagenet"]  # google-research/simclr data_util.py
    assert (paper.crop, paper.crop_scale, paper.crop_ratio) == (True, (0.08, 1.0), (3 / 4, 4 / 3))
    assert (paper.flip, paper.flip_p) == (True, 0.5)
    assert (paper.jitter, paper.jitter_strength, paper.jitter_p) == (True, 1.0, 0.8)
    assert (paper.grayscale, paper.grayscale_p) == (True, 0.2)
    assert (paper.blur, paper.blur_p, paper.blur_sigma, paper.blur_kernel) == (True, 0.5, (0.1, 2.0), None)
    assert paper == AugmentConfig()
    cifar = PRESETS["paper-cifar"]
    assert (cifar.jitter_strength, cifar.blur) == (0.5, False)
    assert replace(cifar, jitter_strength=1.0, blur=True) == paper
    assert replace(PRESETS["digits"], flip=True, crop_scale=(0.08, 1.0), jitter_strength=0.5) == cifar  # all it changes
    course = PRESETS["course-unit7"]
    assert (course.jitter_strength, course.jitter_p, course.grayscale_p) == (1.0, 0.8, 0.2)
    assert (course.blur, course.blur_p, course.blur_kernel, course.blur_sigma) == (True, 1.0, 9, (0.1, 0.5))
    assert not any((NONE.crop, NONE.flip, NONE.jitter, NONE.grayscale, NONE.blur))


def test_default_blur_kernel_is_data_utils_ten_percent_odd():
    # data_util.random_blur: kernel_size = height // 10, radius = kernel_size // 2, side = 2 * radius + 1
    assert [blur_kernel_size(PAPER, side) for side in (224, 96, 32, 28, 9)] == [23, 9, 3, 3, 1]
    assert blur_kernel_size(PRESETS["course-unit7"], 224) == 9


@pytest.mark.parametrize("changes", [dict(flip_p=1.5), dict(crop_scale=(0.5, 0.2)), dict(crop_ratio=(0, 1)),
                                     dict(jitter_strength=3.0), dict(blur_sigma=(0.0, 1.0)), dict(blur_kernel=4),
                                     dict(blur_kernel=-1), dict(size=0)])
def test_invalid_configs_are_refused(changes):
    with pytest.raises(ValueError):
        replace(PAPER, **changes)


def test_crop_boxes_lie_in_the_scale_and_ratio_ranges():
    height, width = 900, 1200  # large, so that rounding to whole pixels moves area and ratio by < 1%
    crop = draw_params(PAPER, 4000, height, width, gen()).crop
    x0, y0, w, h = (crop * torch.tensor([width, height, width, height])).unbind(1)  # in pixels
    assert torch.allclose(crop * torch.tensor([width, height, width, height]), torch.stack([x0, y0, w, h], 1).round(),
                          atol=1e-3), "boxes lie on whole pixels"
    area = w * h / (height * width)
    assert area.min() >= 0.08 * 0.99 and area.max() <= 1.0
    assert (w / h).min() >= 3 / 4 * 0.99 and (w / h).max() <= 4 / 3 * 1.01
    assert (x0 >= 0).all() and (y0 >= 0).all() and (x0 + w <= width).all() and (y0 + h <= height).all()
    assert area.min() < 0.1 and area.max() > 0.9, "the whole scale range is used"
    assert x0.std() > 10 and y0.std() > 10, "boxes move around"


@pytest.mark.parametrize("ratio, expected_wh", [((3.0, 4.0), (40, 13)), ((0.2, 0.25), (10, 40))])
def test_crops_that_cannot_fit_fall_back_to_torchvisions_centre_crop(ratio, expected_wh):
    cfg = replace(PAPER, crop_scale=(0.9, 1.0), crop_ratio=ratio)  # 90% of a square never has aspect >= 3
    crop = draw_params(cfg, 50, 40, 40, gen()).crop * 40
    w, h = expected_wh  # torchvision: w = W, h = round(W / min ratio), or h = H, w = round(H * max ratio)
    expected = torch.tensor([(40 - w) // 2, (40 - h) // 2, w, h], dtype=torch.float32)
    assert torch.allclose(crop, expected.expand(50, 4), atol=1e-4)


def test_crop_falls_back_only_after_ten_failed_attempts():
    # Square image, scale U(0.9, 1), log-ratio U(-log 4/3, log 4/3): an attempt fits iff scale <= exp(-|log ratio|),
    # which happens with probability (1 - 0.9 - 0.9 c) / (0.1 log 4/3), c = -log 0.9; all ten fail w.p. (1 - that)^10.
    c, half_range = -math.log(0.9), math.log(4 / 3)
    p_fit = (1 - 0.9 - 0.9 * c) / (0.1 * half_range)
    crop = draw_params(replace(PAPER, crop_scale=(0.9, 1.0)), 20000, 1000, 1000, gen()).crop
    whole = (crop[:, 2:] > 0.9995).all(1).float().mean().item()  # the fallback is the whole square
    assert abs(whole - (1 - p_fit) ** 10) < 0.015  # ~6 binomial sd


def test_crop_switched_off_keeps_the_whole_image():
    crop = draw_params(replace(PAPER, crop=False), 20, 28, 28, gen()).crop
    assert torch.equal(crop, torch.tensor([[0.0, 0.0, 1.0, 1.0]]).expand(20, 4))


def test_crop_and_flip_switched_off_are_honoured_when_replaying_params():
    images = photos(6, 3, 30, 40)  # not square: the whole image is squeezed to 30 x 30, as torchvision's resize
    drawn = draw_params(replace(PAPER, flip_p=1.0), 6, 30, 40, gen())  # random crops, every view flipped
    assert (drawn.crop[:, 2:] < 0.99).any(1).all() and drawn.flip.all()
    whole = apply_params(images, drawn, NONE)  # crop and flip off: the drawn boxes and flips are not used
    assert torch.allclose(whole, TF.resize(images, [30, 30], antialias=False), atol=1e-5)
    cropped = apply_params(images, drawn, replace(NONE, crop=True))  # crop on, flip off: each box, unflipped
    boxes = (drawn.crop * torch.tensor([40, 30, 40, 30])).round().int().tolist()  # x0, y0, w, h in pixels
    reference = [TF.resized_crop(image, y0, x0, h, w, [30, 30], antialias=False)
                 for image, (x0, y0, w, h) in zip(images, boxes)]
    assert torch.allclose(cropped, torch.stack(reference), atol=1e-5)
    mirrored = apply_params(images, drawn, replace(NONE, flip=True))  # flip on, crop off: the whole image mirrored
    assert torch.allclose(mirrored, TF.horizontal_flip(TF.resize(images, [30, 30], antialias=False)), atol=1e-5)


@pytest.mark.parametrize("box, side", [((5, 7, 17, 21), 24), ((0, 2, 30, 36), 24), ((3, 0, 12, 9), 28)])
def test_crop_and_resize_match_torchvision_resized_crop(box, side):
    top, left, height, width = box
    images = photos(2, 3, 30, 40)
    crop = torch.tensor([[left / 40, top / 30, width / 40, height / 30]]).repeat(2, 1)
    ours = apply_params(images, identity_params(2, crop=crop), replace(NONE, crop=True, size=side))
    reference = TF.resized_crop(images, top, left, height, width, [side, side], antialias=False)
    assert torch.allclose(ours, reference, atol=1e-5)


def test_flip_mirrors_the_crop_like_torch_flip():
    images = photos(4, 3, 32, 32)
    crop = torch.tensor([[0.1, 0.2, 0.5, 0.7]]).repeat(4, 1)
    crop_only, crop_flip = replace(NONE, crop=True), replace(NONE, crop=True, flip=True)
    plain = apply_params(images, identity_params(4, crop=crop), crop_only)
    flipped = apply_params(images, identity_params(4, crop=crop, flip=torch.ones(4, dtype=torch.bool)), crop_flip)
    assert torch.allclose(flipped, torch.flip(plain, [-1]), atol=1e-6)
    assert not torch.allclose(flipped, plain, atol=1e-3)


@pytest.mark.parametrize("factor_name", ["brightness", "contrast", "saturation", "hue"])
def test_each_jitter_op_matches_torchvision(factor_name):
    images = photos(4, 3, 24, 24)
    values = {"brightness": [0.2, 0.9, 1.3, 1.8], "contrast": [0.2, 0.9, 1.3, 1.8],
              "saturation": [0.0, 0.5, 1.4, 1.8], "hue": [-0.5, -0.13, 0.07, 0.4]}[factor_name]
    reference_op = {"brightness": TF.adjust_brightness, "contrast": TF.adjust_contrast,
                    "saturation": TF.adjust_saturation, "hue": TF.adjust_hue}[factor_name]
    params = identity_params(4, jitter=torch.ones(4, dtype=torch.bool), **{factor_name: torch.tensor(values)})
    ours = apply_params(images, params, replace(NONE, jitter=True))
    reference = torch.stack([reference_op(image, v) for image, v in zip(images, values)])
    assert torch.allclose(ours, reference, atol=1e-5)


def test_jitter_chains_brightness_contrast_saturation_hue_like_torchvision():
    images = photos(3, 3, 24, 24)
    b, c, s, h = [0.5, 1.2, 1.7], [1.6, 0.4, 1.0], [0.3, 1.5, 1.1], [0.2, -0.3, 0.1]
    params = identity_params(3, jitter=torch.ones(3, dtype=torch.bool), brightness=torch.tensor(b),
                             contrast=torch.tensor(c), saturation=torch.tensor(s), hue=torch.tensor(h))
    ours = apply_params(images, params, replace(NONE, jitter=True))
    reference = [TF.adjust_hue(TF.adjust_saturation(TF.adjust_contrast(TF.adjust_brightness(x, bi), ci), si), hi)
                 for x, bi, ci, si, hi in zip(images, b, c, s, h)]
    assert torch.allclose(ours, torch.stack(reference), atol=1e-5)


def test_one_channel_images_get_brightness_and_contrast_only():
    images = photos(3, 1, 28, 28)
    b, c = [0.5, 1.2, 1.7], [1.6, 0.4, 1.0]
    yes = torch.ones(3, dtype=torch.bool)
    params = identity_params(3, jitter=yes, brightness=torch.tensor(b), contrast=torch.tensor(c),
                             saturation=torch.zeros(3), hue=torch.full((3,), 0.4), gray=yes)
    ours = apply_params(images, params, replace(NONE, jitter=True, grayscale=True))
    reference = [TF.adjust_contrast(TF.adjust_brightness(x, bi), ci) for x, bi, ci in zip(images, b, c)]
    assert torch.allclose(ours, torch.stack(reference), atol=1e-5)
    assert skipped_ops(PAPER, 1) == ["saturation", "hue", "grayscale"]
    assert skipped_ops(replace(PAPER, jitter=False), 1) == ["grayscale"]
    assert skipped_ops(PAPER, 3) == [] and skipped_ops(NONE, 1) == []


def test_grayscale_matches_torchvision_and_has_equal_channels():
    images = photos(4, 3, 32, 32)
    params = identity_params(4, gray=torch.tensor([True, False, True, True]))
    ours = apply_params(images, params, replace(NONE, grayscale=True))
    reference = TF.rgb_to_grayscale(images, num_output_channels=3)
    assert torch.allclose(ours[[0, 2, 3]], reference[[0, 2, 3]], atol=1e-6)
    assert torch.equal(ours[[0, 2, 3], 0], ours[[0, 2, 3], 1]) and torch.equal(ours[[0, 2, 3], 0], ours[[0, 2, 3], 2])
    assert torch.allclose(ours[1], images[1], atol=1e-6)


@pytest.mark.parametrize("channels, kernel", [(3, 9), (1, 5), (3, 23)])
def test_blur_matches_torchvision_gaussian_blur(channels, kernel):
    images = photos(4, channels, 40, 40)
    sigma = [0.1, 0.7, 1.3, 2.0]
    params = identity_params(4, blur=torch.ones(4, dtype=torch.bool), sigma=torch.tensor(sigma))
    ours = apply_params(images, params, replace(NONE, blur=True, blur_kernel=kernel))
    reference = torch.stack([TF.gaussian_blur(x, [kernel, kernel], [s, s]) for x, s in zip(images, sigma)])
    assert torch.allclose(ours, reference, atol=1e-5)


@pytest.mark.parametrize("op, flag, p_name", [("flip", "flip", "flip_p"), ("jitter", "jitter", "jitter_p"),
                                              ("grayscale", "gray", "grayscale_p"), ("blur", "blur", "blur_p")])
def test_probability_zero_never_applies_and_one_always_does(op, flag, p_name):
    images = photos(64, 3, 32, 32)
    off = replace(PAPER, **{op: False})
    never, always = replace(PAPER, **{p_name: 0.0}), replace(PAPER, **{p_name: 1.0})
    assert not getattr(draw_params(never, 500, 32, 32, gen()), flag).any()
    assert getattr(draw_params(always, 500, 32, 32, gen()), flag).all()
    views_off, _ = augment(images, off, gen(1))
    views_never, _ = augment(images, never, gen(1))  # same draws: switching an op keeps the others' draws
    views_always, _ = augment(images, always, gen(1))
    assert torch.equal(views_never, views_off)
    changed = (views_always - views_off).abs().flatten(1).amax(1) > 1e-4
    assert changed.float().mean() > 0.9  # a flip or blur of a smooth image can be nearly invisible, rarely


def test_probability_draws_are_near_p():
    params = draw_params(PAPER, 20000, 32, 32, gen())
    for flag, p in [("flip", 0.5), ("jitter", 0.8), ("gray", 0.2), ("blur", 0.5)]:
        assert abs(getattr(params, flag).float().mean().item() - p) < 0.02  # 4 binomial sd
    s = PAPER.jitter_strength
    assert params.brightness.min() >= 1 - 0.8 * s and params.brightness.max() <= 1 + 0.8 * s
    assert params.hue.abs().max() <= 0.2 * s and params.hue.abs().max() > 0.19 * s
    assert params.sigma.min() >= 0.1 and params.sigma.max() <= 2.0


def test_replaying_params_gives_identical_pixels():
    images = (photos(8, 3, 32, 32) * 255).to(torch.uint8)
    views, params = augment(images, PAPER, gen(3))
    assert torch.equal(apply_params(images, params, PAPER), views)
    one = apply_params(images[5:6], params[5], PAPER)  # a page replays a single view
    assert torch.allclose(one, views[5:6], atol=1e-6)
    assert torch.allclose(apply_params(images[2:4], params[2:4], PAPER), views[2:4], atol=1e-6)


def test_same_seed_same_views_other_seed_other_views():
    images = photos(8, 3, 32, 32)
    a, b, c = (two_views(images, PAPER, gen(seed)) for seed in (7, 7, 8))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.allclose(a[0], c[0])


def test_two_views_are_two_different_views_of_each_image():
    images = photos(5, 3, 32, 32)
    x1, x2 = two_views(images, PAPER, gen())
    assert x1.shape == x2.shape == (5, 3, 32, 32)
    assert ((x1 - x2).abs().flatten(1).amax(1) > 1e-3).all()


@pytest.mark.parametrize("channels, height, width, size, expected", [
    (1, 28, 28, None, 28), (3, 32, 32, 24, 24), (3, 96, 96, None, 96), (3, 224, 224, None, 224),
    (3, 30, 40, None, 30), (1, 28, 28, 56, 56)])
@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32, torch.float64])
def test_dtype_range_and_shape(channels, height, width, size, expected, dtype):
    cfg = replace(PAPER, size=size)
    images = photos(4, channels, height, width)
    images = (images * 255).to(torch.uint8) if dtype == torch.uint8 else images.to(dtype)
    views, params = augment(images, cfg, gen())
    assert views.shape == (4, channels, expected, expected) and views.dtype == torch.float32
    assert views.min() >= 0 and views.max() <= 1
    assert output_size(cfg, height, width) == expected and len(params) == 4


def test_uint8_input_is_scaled_to_unit_range():
    images = (photos(4, 3, 32, 32) * 255).to(torch.uint8)
    params = draw_params(PAPER, 4, 32, 32, gen())
    assert torch.allclose(apply_params(images, params, PAPER), apply_params(images / 255, params, PAPER), atol=1e-6)


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError):
        augment(torch.zeros(2, 4, 28, 28), PAPER, gen())
    with pytest.raises(ValueError):
        apply_params(torch.zeros(3, 1, 28, 28), draw_params(PAPER, 2, 28, 28, gen()), PAPER)
    with pytest.raises(ValueError):
        augment(torch.zeros(2, 1, 8, 8), replace(PAPER, blur_kernel=23, blur_p=1.0), gen())


def test_params_index_slice_mask_and_move():
    params = draw_params(PAPER, 6, 32, 32, gen())
    assert len(params[2]) == 1 and len(params[-1]) == 1 and len(params[1:4]) == 3
    assert len(params[params.flip]) == int(params.flip.sum())
    assert torch.equal(params[4].crop[0], params.crop[4]) and torch.equal(params[-1].sigma, params.sigma[5:])
    assert params.to("cpu").crop.device.type == "cpu"


def test_describe_reads_the_drawn_values():
    yes = torch.ones(1, dtype=torch.bool)
    params = identity_params(1, crop=torch.tensor([[0.12, 0.3, 0.55, 0.61]]), flip=yes, jitter=yes,
                             brightness=torch.tensor([1.21]), contrast=torch.tensor([0.74]),
                             saturation=torch.tensor([1.3]), hue=torch.tensor([0.05]))
    assert params.describe(0) == {
        "crop": "x 0.12 y 0.30 w 0.55 h 0.61 (34% of area)", "flip": "yes",
        "jitter": "brightness ×1.21, contrast ×0.74, saturation ×1.30, hue +0.05",
        "grayscale": "no", "blur": "not applied"}
    gray = params.describe(0, channels=1)
    assert gray["jitter"] == "brightness ×1.21, contrast ×0.74" and gray["grayscale"] == "n/a (1 channel)"
    assert identity_params(1, blur=yes, sigma=torch.tensor([1.234])).describe(0)["blur"] == "sigma 1.23"
    assert identity_params(1).describe(0)["jitter"] == "not applied"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_views_match_cpu_views():
    images = (photos(16, 3, 32, 32) * 255).to(torch.uint8)
    params = draw_params(PAPER, 16, 32, 32, gen())
    cpu = apply_params(images, params, PAPER)
    cuda = apply_params(images.cuda(), params.to("cuda"), PAPER)
    assert cuda.device.type == "cuda" and torch.allclose(cuda.cpu(), cpu, atol=1e-4)
    cuda_generator = torch.Generator(device="cuda").manual_seed(0)
    x1, _ = two_views(images.cuda(), PAPER, cuda_generator)
    assert x1.device.type == "cuda"


def test_hue_shift_keeps_hsv_value_and_saturation():
    images = photos(4, 3, 16, 16)
    params = identity_params(4, jitter=torch.ones(4, dtype=torch.bool), hue=torch.tensor([0.5, 0.25, -0.1, 0.0]))
    shifted = apply_params(images, params, replace(NONE, jitter=True))
    assert torch.allclose(shifted.amax(1), images.amax(1), atol=1e-6)
    assert torch.allclose(shifted.amin(1), images.amin(1), atol=1e-6)
    assert torch.allclose(shifted[3], images[3], atol=1e-6)


@pytest.mark.parametrize("rgb, shift, expected", [
    ((1, 0, 0), 1 / 3, (0, 1, 0)), ((1, 0, 0), 0.5, (0, 1, 1)), ((0, 0, 1), 1 / 6, (1, 0, 1)),
    ((0.8, 0.4, 0.4), -1 / 3, (0.4, 0.4, 0.8)), ((0.5, 0.5, 0.5), 0.3, (0.5, 0.5, 0.5))])
def test_hue_shift_of_pure_colours_turns_the_colour_wheel(rgb, shift, expected):
    image = torch.tensor(rgb, dtype=torch.float32).view(1, 3, 1, 1).expand(1, 3, 4, 4)
    params = identity_params(1, jitter=torch.ones(1, dtype=torch.bool), hue=torch.tensor([shift]))
    shifted = apply_params(image, params, replace(NONE, jitter=True))
    assert torch.allclose(shifted, torch.tensor(expected, dtype=torch.float32).view(1, 3, 1, 1).expand(1, 3, 4, 4),
                          atol=1e-5)
