"""The Similarity and loss page, run by Streamlit's AppTest."""

import json
import math
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parent.parent / "app.py"


def open_page(dataset: str = "mnist-5k") -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    at.selectbox(key="dataset").set_value(dataset).run()
    at.switch_page("app_pages/loss/page.py").run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def page() -> AppTest:
    return open_page()


def metric(at: AppTest, label: str) -> float:
    return float(next(m.value for m in at.metric if m.label.startswith(label)).rstrip("%"))


def test_page_shows_the_matrix_the_loss_and_chance(page):
    n = page.slider(key="loss_n").value
    assert metric(page, "Chance ln") == pytest.approx(math.log(2 * n - 1), abs=1e-3)
    assert 0 < metric(page, "NT-Xent loss") < 3 * math.log(2 * n - 1)
    assert len(page.get("plotly_chart")) == 3  # the similarity matrix, the anchor's softmax, loss against tau


def test_temperature_moves_the_loss(page):
    page.segmented_control(key="loss_space").set_value("h").run()
    before = metric(page, "NT-Xent loss")
    page.slider(key="temperature").set_value(0.05).run()
    assert not page.exception
    assert metric(page, "NT-Xent loss") != before


@pytest.mark.parametrize("temperature", [0.01, 2.0])
def test_temperature_at_the_slider_ends(page, temperature):
    page.slider(key="temperature").set_value(temperature).run()
    assert not page.exception
    assert math.isfinite(metric(page, "NT-Xent loss"))


def test_batch_larger_than_the_dataset_is_refused():
    page = open_page("photos")
    page.slider(key="loss_n").set_value(32).run()
    assert not page.exception
    assert any("more than the" in e.value for e in page.error)


def test_a_trained_encoder_matches_views_better_than_random(page):
    page.segmented_control(key="loss_space").set_value("h").run()
    random_top1 = metric(page, "Positive ranks first")
    page.selectbox(key="encoder_choice").set_value("demo-run").run()
    assert not page.exception and not page.error
    assert any("trained by run demo-run" in c.value for c in page.caption)
    assert metric(page, "Positive ranks first") > random_top1


def test_a_checkpoint_for_other_images_gives_a_message():
    page = open_page("photos")
    page.selectbox(key="encoder_choice").set_value("demo-run").run()
    assert not page.exception
    assert any("trained on 1-channel 28 px images" in e.value for e in page.error)


def test_a_trained_encoder_is_shown_on_the_views_it_was_trained_with(page):
    """The demo run trained without flips and with crops above 20%: on those views its positive is nearly always
    the top match; the page's paper-imagenet views (flips of digits, 8% crops) fool it far more often."""
    page.selectbox(key="encoder_choice").set_value("demo-run").run()
    assert page.segmented_control(key="loss_views").value == "run", "the run's own views by default"
    said = " ".join(c.value for c in page.caption).replace("\\", "")  # as shown: markdown drops the escapes
    preset = json.loads((Path(__file__).resolve().parent.parent / "assets" / "demo-run" / "config.json").read_text())["preset"]  # digits: paper-cifar, no flips, crops >= 20%
    assert f"Views drawn as run demo-run trained: {preset}" in said and preset != "paper-imagenet"
    own = metric(page, "Positive ranks first")
    assert own >= 60 and metric(page, "NT-Xent loss") < 0.6 * metric(page, "Chance ln")
    page.segmented_control(key="loss_views").set_value("page").run()
    assert metric(page, "Positive ranks first") < own


def test_the_anchor_box_and_chart_agree_after_n_changes(page):
    page.slider(key="loss_n").set_value(12).run()
    page.selectbox(key="loss_anchor").set_value("11a").run()
    assert "Anchor 11a" in chart_title(page, "softmax_row")
    page.slider(key="loss_n").set_value(4).run()
    assert not page.exception
    assert page.selectbox(key="loss_anchor").value == "1a"
    assert "Anchor 1a" in chart_title(page, "softmax_row")


def test_eq1_with_the_anchors_numbers_gives_its_loss_term(page):
    page.selectbox(key="loss_anchor").set_value("3b").run()
    equation = page.get("latex")[0].value
    rows = page.dataframe[0].value  # the per-anchor table
    term = float(rows.loc[rows["anchor"] == "3b", "loss term"].iloc[0])
    fraction = re.search(r"-\\log \\frac\{([\d.]+)\}\{([\d.]+)\} = ([\d.]+)", equation)
    numerator, denominator, result = (float(g) for g in fraction.groups())
    assert result == pytest.approx(term, abs=1e-3)
    assert -math.log(numerator / denominator) == pytest.approx(term, abs=0.02), "the substituted numbers give it"


def chart_title(at: AppTest, key: str) -> str:
    chart = next(c for c in at.get("plotly_chart") if c.key == key)
    return json.loads(chart.proto.spec)["layout"]["title"]["text"]
