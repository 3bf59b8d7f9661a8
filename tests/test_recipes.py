"""Presets tell the truth: one definition per preset, and each recipe matches its source (issue 13)."""
import math
from dataclasses import replace

import pytest
from torch import nn

from simclr.augment.views import PRESETS
from simclr.data import DATASETS
from simclr.model.networks import SimCLRModel
from simclr.runs.config import TrainConfig
from simclr.train.checks import validate
from simclr.train.optim import Schedule
from simclr.train.recipes import RECIPES


@pytest.mark.parametrize("dataset", list(DATASETS))
def test_a_run_uses_its_named_preset_exactly_no_hidden_override(dataset):
    config = TrainConfig(dataset=dataset)
    assert config.augment == {} and config.augment_config() == PRESETS[config.preset]


def test_digits_is_paper_cifar_with_the_digit_adjustment_visible_by_name():
    assert TrainConfig().preset == "digits"
    assert PRESETS["digits"] == replace(PRESETS["paper-cifar"], flip=False, crop_scale=(0.2, 1.0), jitter_strength=1.0)


@pytest.mark.parametrize("name", list(RECIPES))
def test_every_recipe_is_valid_and_says_where_it_comes_from(name):
    validate(RECIPES[name].config)
    assert len(RECIPES[name].note) > 40


def test_course_recipe_follows_the_unit_7_7_notebook():
    """Figures from the notebook (dl-fundamentals unit07 7.7 part 4's code cells): LightningModelSimCLR(temperature=0.07,
    learning_rate=0.0005) with torch.optim.Adam(lr) and no scheduler, Cifar10DataModule(batch_size=256), seed 123,
    fc = Linear(512, 512)-ReLU-Linear(512, 256), RandomResizedCrop(128), ColorJitter(0.8, 0.8, 0.8, 0.2) p=0.8,
    RandomGrayscale(0.2), GaussianBlur(9, (0.1, 0.5)) on every view."""
    c = RECIPES["Course Unit 7.7"].config
    assert (c.temperature, c.optimizer, c.lr, c.weight_decay) == (0.07, "adam", 5e-4, 0.0)
    assert (c.batch_size, c.seed) == (256, 123)
    assert (c.schedule, c.warmup) == ("constant", 0.0)  # Adam's rate throughout: no warmup, no decay
    assert (c.head_hidden, c.head_dim, c.head_norm) == (512, 256, False) and c.encoder == "resnet18"
    views = c.augment_config()
    assert (views.size, views.crop_scale, views.flip_p) == (128, (0.08, 1.0), 0.5)
    assert (0.8 * views.jitter_strength, 0.2 * views.jitter_strength, views.jitter_p) == (0.8, 0.2, 0.8)
    assert (views.grayscale_p, views.blur_p, views.blur_kernel, views.blur_sigma) == (0.2, 1.0, 9, (0.1, 0.5))


def test_course_recipe_runs_at_adams_rate_on_every_step():
    c = RECIPES["Course Unit 7.7"].config
    schedule = Schedule(c.lr, c.warmup, c.seconds, math.inf, kind=c.schedule)
    assert {schedule(step, 600 * step / 1000) for step in range(0, 1001, 50)} == {5e-4}


def test_course_recipe_trains_the_notebooks_imagenet_stem_on_its_128_px_views():
    """torchvision's resnet18(weights=None), as the notebook: conv1 7x7 stride 2, then a max-pool, at 128 px."""
    c = RECIPES["Course Unit 7.7"].config
    model_config = c.model_config(3, 32)  # CIFAR-10's stored 32 px images
    assert model_config.image_size == 128
    net = SimCLRModel(model_config).encoder
    assert (net.conv1.kernel_size, net.conv1.stride) == ((7, 7), (2, 2)) and isinstance(net.maxpool, nn.MaxPool2d)


def test_paper_b9_recipe_follows_appendix_b9():
    """B.9: lr 1.0, tau 0.5, batch 1024, s = 0.5 without blur, LARS and weight decay 1e-6 as its ImageNet runs."""
    c = RECIPES["Paper B.9 (CIFAR-10)"].config
    assert (c.optimizer, c.weight_decay, c.temperature, c.batch_size, c.schedule) == ("lars", 1e-6, 0.5, 1024, "cosine")
    views = c.augment_config()
    assert views.jitter_strength == 0.5 and not views.blur
    net = SimCLRModel(c.model_config(3, 32)).encoder  # 32 px views: the CIFAR stem of B.9
    assert (net.conv1.kernel_size, net.conv1.stride) == ((3, 3), (1, 1)) and isinstance(net.maxpool, nn.Identity)


def test_paper_b9_learning_rate_is_b9s_per_256_rate_scaled_to_its_batch():
    """The reference code (tf2/model.py WarmUpAndCosineDecay): scaled_lr = learning_rate x train_batch_size / 256,
    learning_rate "per batch size of 256"; B.9's 1.0 at batch 1024 is an absolute peak of 4.0."""
    c = RECIPES["Paper B.9 (CIFAR-10)"].config
    assert c.lr == pytest.approx(1.0 * 1024 / 256) == 4.0
    schedule = Schedule(c.lr, c.warmup, None, 1000, kind=c.schedule)
    assert schedule(100, 0.0) == pytest.approx(4.0)  # the peak, where the warmup (10% of the run) ends


def test_the_cpu_cifar_recipe_is_the_colour_default_and_says_its_numbers():
    """The recipe is TrainConfig's default for a colour dataset, and its note states those values."""
    c = RECIPES["CPU 10-minute CIFAR-10"].config
    assert c == TrainConfig(dataset="cifar10", seconds=600)
    assert (c.encoder, c.width, c.pool, c.batch_size, c.temperature) == ("small-cnn", 32, 2, 256, 0.1)
    assert (c.optimizer, c.lr, c.preset, c.seconds) == ("adam", 1e-3, "paper-cifar", 600)
    note = RECIPES["CPU 10-minute CIFAR-10"].note
    for said in ("width 32", "batch 256", "tau 0.1", "Adam 1e-3", "paper-cifar", "10 minutes"):
        assert said in note


@pytest.mark.parametrize("dataset", ["cifar10", "stl10", "photos", "folder"])
def test_colour_datasets_start_from_the_colour_defaults_and_the_digits_keep_theirs(dataset):
    colour, digits = TrainConfig(dataset=dataset), TrainConfig()
    assert (colour.width, colour.batch_size, colour.temperature, colour.lr) == (32, 256, 0.1, 1e-3)
    assert (digits.width, digits.batch_size, digits.temperature, digits.lr) == (8, 128, 0.5, 1e-2)
    given = TrainConfig(dataset=dataset, batch_size=64, temperature=0.5)  # what a user sets is kept
    assert (given.batch_size, given.temperature) == (64, 0.5)
