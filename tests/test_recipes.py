"""Presets tell the truth: one definition per preset, and each recipe matches its source (issue 13)."""
from dataclasses import replace

import pytest

from simclr.augment import PRESETS
from simclr.data import DATASETS
from simclr.recipes import RECIPES
from simclr.train_config import TrainConfig, validate


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
    """Figures from the notebook (dl-fundamentals unit07 7.7 part 4), as issue 13 lists them."""
    c = RECIPES["Course Unit 7.7"].config
    assert (c.temperature, c.optimizer, c.lr) == (0.07, "adam", 5e-4)
    assert (c.head_hidden, c.head_dim, c.head_norm) == (512, 256, False) and c.encoder == "resnet18"
    assert c.augment_config().size == 128


def test_paper_b9_recipe_follows_appendix_b9():
    c = RECIPES["Paper B.9 (CIFAR-10)"].config
    assert (c.optimizer, c.weight_decay, c.temperature, c.batch_size, c.lr) == ("lars", 1e-6, 0.5, 1024, 1.0)
    views = c.augment_config()
    assert views.jitter_strength == 0.5 and not views.blur
