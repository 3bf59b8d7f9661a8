"""simclr.augment.gallery: the Augmentations page's views, checked against torchvision's per-image ops."""
from dataclasses import replace

import torch
import torchvision.transforms.v2.functional as TF

from simclr.augment.gallery import each_op_alone, view_gallery
from simclr.augment.views import PRESETS

PAPER = PRESETS["paper-imagenet"]


def images(n: int = 10, height: int = 30, width: int = 40) -> torch.Tensor:
    """Smooth random uint8 colour images, each one different."""
    coarse = torch.rand(n, 3, height // 5 + 1, width // 5 + 1, generator=torch.Generator().manual_seed(0))
    smooth = torch.nn.functional.interpolate(coarse, size=(height, width), mode="bicubic").clamp(0, 1)
    return (smooth * 255).round().to(torch.uint8)


def test_each_op_alone_switches_on_one_op_always_and_keeps_the_strength():
    cfg = replace(PAPER, jitter_strength=0.5, blur_sigma=(0.3, 0.4), crop_scale=(0.2, 0.6))
    alone = each_op_alone(cfg)
    assert list(alone) == ["crop", "flip", "colour jitter", "grayscale", "blur"]
    switches = {name: [c.crop, c.flip, c.jitter, c.grayscale, c.blur] for name, c in alone.items()}
    assert [on.count(True) for on in switches.values()] == [1] * 5
    assert (alone["flip"].flip_p, alone["colour jitter"].jitter_p, alone["grayscale"].grayscale_p,
            alone["blur"].blur_p) == (1.0, 1.0, 1.0, 1.0)
    assert alone["colour jitter"].jitter_strength == 0.5 and alone["blur"].blur_sigma == (0.3, 0.4)
    assert alone["crop"].crop_scale == (0.2, 0.6)


def test_each_op_alone_view_is_torchvisions_op_on_the_whole_image():
    stored = images()
    gallery = view_gallery(stored, 3, PAPER, image_seed=1, view_seed=2)
    first = gallery.images[0].float() / 255  # (3, 30, 40)
    whole = TF.resize(first, [30, 30], antialias=False)  # every op but crop sees the whole image, squeezed square
    view, params = gallery.alone["crop"]
    x0, y0, w, h = (params.crop[0] * torch.tensor([40, 30, 40, 30])).round().int().tolist()
    assert w * h < 40 * 30
    assert torch.allclose(view, TF.resized_crop(first, y0, x0, h, w, [30, 30], antialias=False), atol=1e-5)
    assert torch.allclose(gallery.alone["flip"][0], TF.horizontal_flip(whole), atol=1e-5)
    assert torch.allclose(gallery.alone["grayscale"][0], TF.rgb_to_grayscale(whole, 3), atol=1e-5)
    view, p = gallery.alone["colour jitter"]
    reference = TF.adjust_hue(TF.adjust_saturation(TF.adjust_contrast(TF.adjust_brightness(
        whole, p.brightness.item()), p.contrast.item()), p.saturation.item()), p.hue.item())
    assert torch.allclose(view, reference, atol=1e-5)
    view, p = gallery.alone["blur"]
    kernel = 2 * (30 // 10 // 2) + 1  # data_util's ~10% of the side
    assert torch.allclose(view, TF.gaussian_blur(whole, [kernel, kernel], [p.sigma.item()] * 2), atol=1e-5)


def test_gallery_picks_distinct_images_and_shows_two_different_views_of_each():
    stored = images()
    gallery = view_gallery(stored, 4, PAPER, image_seed=3, view_seed=0)
    assert gallery.picked.shape == (4,) and len(set(gallery.picked.tolist())) == 4
    assert torch.equal(gallery.images, stored[gallery.picked])
    assert gallery.views.shape == (8, 3, 30, 30) and len(gallery.params) == 8
    first, second = gallery.views.chunk(2)
    assert ((first - second).abs().flatten(1).amax(1) > 1e-3).all()
    assert view_gallery(stored, 20, PAPER, 0, 0).images.shape[0] == 10, "never more images than the dataset has"


def test_same_seeds_replay_the_gallery_and_other_seeds_change_it():
    stored = images()
    a, b = view_gallery(stored, 4, PAPER, 5, 6), view_gallery(stored, 4, PAPER, 5, 6)
    assert torch.equal(a.picked, b.picked) and torch.equal(a.views, b.views)
    assert all(torch.equal(a.alone[op][0], b.alone[op][0]) for op in a.alone)
    assert not torch.equal(view_gallery(stored, 4, PAPER, 7, 6).picked, a.picked)
    other = view_gallery(stored, 4, PAPER, 5, 8)
    assert torch.equal(other.picked, a.picked) and not torch.allclose(other.views, a.views)


def test_an_op_alone_does_not_depend_on_the_other_switches():
    stored = images()
    full = view_gallery(stored, 2, PAPER, 0, 4)
    only_blur = view_gallery(stored, 2, replace(PRESETS["none"], blur=True), 0, 4)
    for op in full.alone:
        assert torch.equal(full.alone[op][0], only_blur.alone[op][0]), op
