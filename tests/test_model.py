"""Encoders, seeding and checkpoints of simclr.model."""
import numpy as np
import pytest
import torch
import torch.nn as nn

from simclr.model.checkpoint import load_checkpoint, save_checkpoint
from simclr.model.networks import ENCODERS, ModelConfig, ModelError, build_model
from simclr.runs.config import TrainConfig

INPUTS = [(1, 28), (3, 32), (3, 96)]  # (channels, side): MNIST, CIFAR-10, STL-10


@pytest.mark.parametrize("encoder, feature_dim", [("small-cnn", 64 * 2 * 2), ("resnet18", 512)])
@pytest.mark.parametrize("channels, side", INPUTS)
def test_output_shapes(encoder, feature_dim, channels, side):
    model = build_model(ModelConfig(encoder, channels, side, head_hidden=64, head_dim=32), seed=0).eval()
    x = torch.rand(2, channels, side, side)
    with torch.no_grad():
        h, z = model.encode(x), model(x)
    assert model.feature_dim == feature_dim
    assert h.shape == (2, feature_dim) and z.shape == (2, 32)
    assert torch.isfinite(z).all()


def test_training_step_runs_on_a_batch_of_views():
    model = build_model(ModelConfig(), seed=0).train()
    model(torch.rand(8, 1, 28, 28)).square().mean().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())


@pytest.mark.parametrize("side", [32, 64])
def test_resnet18_uses_the_cifar_stem_for_small_images(side):
    net = build_model(ModelConfig("resnet18", 1, side), seed=0).encoder
    assert (net.conv1.in_channels, net.conv1.kernel_size, net.conv1.stride) == (1, (3, 3), (1, 1))
    assert isinstance(net.maxpool, nn.Identity)


@pytest.mark.parametrize("channels", [1, 3])
def test_resnet18_keeps_the_imagenet_stem_for_large_images(channels):
    net = build_model(ModelConfig("resnet18", channels, 96), seed=0).encoder
    assert (net.conv1.in_channels, net.conv1.kernel_size, net.conv1.stride) == (channels, (7, 7), (2, 2))
    assert isinstance(net.maxpool, nn.MaxPool2d)


@pytest.mark.parametrize("dataset, preset, augment, stored, view, cifar_stem", [
    ("cifar10", "paper-cifar", {}, 32, 32, True),  # B.9: 32 px views of CIFAR-10, the CIFAR stem
    ("cifar10", "course-unit7", {}, 32, 128, False),  # the course notebook: 128 px views of 32 px, ImageNet's stem
    ("stl10", "paper-cifar", {"size": 48}, 96, 48, True),  # STL-10's 96 px images seen as 48 px views
])
def test_the_resnet_stem_follows_the_views_side_not_the_stored_side(dataset, preset, augment, stored, view,
                                                                     cifar_stem):
    config = TrainConfig(dataset=dataset, encoder="resnet18", preset=preset, augment=augment)
    model_config = config.model_config(3, stored)
    assert model_config.image_size == view
    net = build_model(model_config, seed=0).encoder
    if cifar_stem:
        assert (net.conv1.kernel_size, net.conv1.stride, net.conv1.padding) == ((3, 3), (1, 1), (1, 1))
        assert isinstance(net.maxpool, nn.Identity)
    else:
        assert (net.conv1.kernel_size, net.conv1.stride, net.conv1.padding) == ((7, 7), (2, 2), (3, 3))
        assert isinstance(net.maxpool, nn.MaxPool2d) and net.maxpool.stride == 2
    with torch.no_grad():  # the network runs on its views: 128 px comes out of the stem as 32 x 32 maps
        stem = net.maxpool(net.relu(net.bn1(net.conv1(torch.rand(1, 3, view, view)))))
    assert stem.shape[-1] == (view if cifar_stem else view // 4)


def test_a_checkpoint_may_hold_any_of_the_accepted_networks_and_the_first_is_named_otherwise(tmp_path):
    path = tmp_path / "c.pt"
    save_checkpoint(path, build_model(ModelConfig(image_size=28), seed=0))
    views, stored = ModelConfig(image_size=40), ModelConfig(image_size=28)
    assert load_checkpoint(path, expect=(views, stored))[0].config == stored
    with pytest.raises(ModelError, match="image_size: expected 40, found 28"):
        load_checkpoint(path, expect=(views, ModelConfig(image_size=36)))


def test_mid_gray_input_is_centred_before_the_encoder():
    # (x - 0.5) / 0.25 maps mid gray to 0; bias-free convolutions and fresh BatchNorm keep 0 at 0
    model = build_model(ModelConfig(), seed=0).eval()
    with torch.no_grad():
        assert model.encode(torch.full((2, 1, 28, 28), 0.5)).abs().max() == 0
        assert model.encode(torch.full((2, 1, 28, 28), 0.9)).abs().max() > 0


@pytest.mark.parametrize("encoder", ENCODERS)
def test_same_seed_same_weights_and_global_rng_untouched(encoder):
    cfg = ModelConfig(encoder, 3, 32)
    torch.manual_seed(123)
    state = torch.get_rng_state()
    a = build_model(cfg, seed=7).state_dict()
    assert torch.equal(torch.get_rng_state(), state)
    torch.manual_seed(456)
    b = build_model(cfg, seed=7).state_dict()
    c = build_model(cfg, seed=8).state_dict()
    assert all(torch.equal(a[key], b[key]) for key in a)
    assert not torch.equal(a["head.0.weight"], c["head.0.weight"])


def test_invalid_config_is_rejected():
    with pytest.raises(ModelError, match="Unknown encoder 'vit'"):
        ModelConfig(encoder="vit")
    with pytest.raises(ModelError, match="in_channels"):
        ModelConfig(in_channels=4)


def _trained(cfg: ModelConfig) -> nn.Module:
    """A model whose BatchNorm running statistics moved away from their initial values."""
    model = build_model(cfg, seed=1).train()
    with torch.no_grad():
        model(torch.rand(8, cfg.in_channels, cfg.image_size, cfg.image_size))
    return model


@pytest.mark.parametrize("cfg", [ModelConfig(), ModelConfig("resnet18", 3, 32, 128, 64)], ids=ENCODERS)
def test_checkpoint_round_trip(tmp_path, cfg):
    model = _trained(cfg)
    optimizer = torch.optim.Adam(model.parameters())
    model(torch.rand(4, cfg.in_channels, cfg.image_size, cfg.image_size)).sum().backward()
    optimizer.step()
    extra = {"epoch": 3, "history": [{"loss": 4.2, "knn": None}], "name": "run-1", "optimizer": optimizer.state_dict()}
    path = tmp_path / "model.pt"
    save_checkpoint(path, model, extra)
    loaded, loaded_extra = load_checkpoint(path, expect=cfg)
    x = torch.rand(3, cfg.in_channels, cfg.image_size, cfg.image_size)
    with torch.no_grad():
        assert torch.equal(loaded(x), model.eval()(x))
    assert loaded.config == cfg and not loaded.training
    assert loaded_extra["history"] == extra["history"] and loaded_extra["epoch"] == 3
    optimizer.load_state_dict(loaded_extra["optimizer"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pt"]  # no temporary file left behind


def test_checkpoint_is_readable_with_weights_only(tmp_path):
    path = tmp_path / "model.pt"
    save_checkpoint(path, build_model(ModelConfig(), seed=0), {"note": "x"})
    payload = torch.load(path, weights_only=True)
    assert payload["model_config"] == {
        "encoder": "small-cnn", "in_channels": 1, "image_size": 28, "head_hidden": 512, "head_dim": 128,
        "head_norm": True, "width": 8, "pool": 2,
    }


def test_extra_that_weights_only_cannot_load_is_refused_at_save(tmp_path):
    with pytest.raises(TypeError, match=r"extra\['lr'\] is a float64"):
        save_checkpoint(tmp_path / "model.pt", build_model(ModelConfig(), seed=0), {"lr": np.float64(0.1)})
    assert not list(tmp_path.iterdir())


def test_wrong_encoder_is_a_model_error(tmp_path):
    path = tmp_path / "model.pt"
    save_checkpoint(path, build_model(ModelConfig(), seed=0))
    with pytest.raises(ModelError, match="encoder: expected 'resnet18', found 'small-cnn'"):
        load_checkpoint(path, expect=ModelConfig("resnet18", 1, 28))
    with pytest.raises(ModelError, match="image_size: expected 32, found 28"):
        load_checkpoint(path, expect=ModelConfig(image_size=32))


class _Payload:
    def __reduce__(self):  # unpickling this calls print: code run by merely loading a file
        return (print, ("this ran from a checkpoint",))


def test_loading_never_runs_code_from_the_file(tmp_path, capsys):
    path = tmp_path / "unsafe.pt"
    torch.save({"model_config": _Payload(), "state_dict": {}, "extra": {}}, path)
    with pytest.raises(ModelError, match="could not be read as a checkpoint"):
        load_checkpoint(path)
    assert "this ran" not in capsys.readouterr().out


def test_unreadable_files_are_model_errors(tmp_path):
    good = tmp_path / "good.pt"
    save_checkpoint(good, build_model(ModelConfig(), seed=0))
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"\x00not a checkpoint" * 64)
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    tensor = tmp_path / "tensor.pt"
    torch.save(torch.zeros(3), tensor)
    bad_config = tmp_path / "bad_config.pt"
    torch.save({"model_config": {**vars(ModelConfig()), "encoder": "vit"}, "state_dict": {}, "extra": {}}, bad_config)
    wrong_weights = tmp_path / "wrong_weights.pt"
    torch.save({"model_config": vars(ModelConfig()), "state_dict": {"w": torch.zeros(1)}, "extra": {}}, wrong_weights)
    for path in (garbage, truncated, tensor, bad_config, wrong_weights, tmp_path / "missing.pt"):
        with pytest.raises(ModelError, match=path.name):
            load_checkpoint(path)


def test_the_course_head_has_no_batchnorm_and_old_checkpoints_still_load(tmp_path):
    """Unit 7.7's head is Linear-ReLU-Linear (512-512-256); a checkpoint written before head_norm existed loads."""
    course = build_model(ModelConfig("resnet18", 3, 32, head_hidden=512, head_dim=256, head_norm=False))
    assert [type(m).__name__ for m in course.head] == ["Linear", "ReLU", "Linear"]
    assert [tuple(m.weight.shape) for m in course.head if isinstance(m, torch.nn.Linear)] == [(512, 512), (256, 512)]
    model = build_model(ModelConfig(), seed=0)
    save_checkpoint(tmp_path / "old.pt", model)
    payload = torch.load(tmp_path / "old.pt", weights_only=True)
    del payload["model_config"]["head_norm"]
    torch.save(payload, tmp_path / "old.pt")
    loaded, _ = load_checkpoint(tmp_path / "old.pt")
    assert loaded.config.head_norm and isinstance(loaded.head[1], torch.nn.BatchNorm1d)


def test_checkpoints_from_before_width_and_pool_load_as_the_old_cnn(tmp_path):
    """The small CNN was 16-32-64-128 with global pooling (h of 128) before `width` and `pool`; such checkpoints load."""
    old = build_model(ModelConfig(width=16, pool=1), seed=0)
    assert [m.out_channels for m in old.encoder.modules() if isinstance(m, nn.Conv2d)] == [16, 32, 64, 128]
    save_checkpoint(tmp_path / "old.pt", old)
    payload = torch.load(tmp_path / "old.pt", weights_only=True)
    for field in ("width", "pool", "head_norm"):
        del payload["model_config"][field]
    torch.save(payload, tmp_path / "old.pt")
    loaded, _ = load_checkpoint(tmp_path / "old.pt", expect=ModelConfig(width=16, pool=1))
    x = torch.rand(3, 1, 28, 28)
    with torch.no_grad():
        assert torch.equal(loaded.encode(x), old.eval().encode(x)) and loaded.feature_dim == 128
    with pytest.raises(ModelError, match="width: expected 8, found 16, pool: expected 2, found 1"):
        load_checkpoint(tmp_path / "old.pt", expect=ModelConfig())


def test_pool_keeps_where_a_feature_is():
    """pool 2: h holds the four quadrants' averages of the last map, so a mirrored digit gets another h."""
    model = build_model(ModelConfig(pool=2), seed=0).eval()
    pooled = build_model(ModelConfig(pool=1), seed=0).eval()  # the same weights: the seed draws the same convs
    x = torch.zeros(2, 1, 28, 28)
    x[0, :, 4:12, 4:12] = 1.0  # a blob top left
    x[1] = x[0].flip(-1)  # and the same blob top right
    with torch.no_grad():
        quadrants = model.encode(x).view(2, 64, 2, 2)  # (B, 8w, pool, pool), channels first as nn.Flatten reads it
        assert torch.allclose(quadrants.mean((2, 3)), pooled.encode(x), atol=1e-5)  # their mean is global pooling
        assert not torch.allclose(quadrants[0], quadrants[1], atol=1e-3)
