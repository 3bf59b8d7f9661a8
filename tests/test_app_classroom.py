"""Classroom mode: presenter mode, the guided lecture, and links that reproduce a view (AppTest)."""

from pathlib import Path
from urllib.parse import parse_qs

import pytest
from streamlit.testing.v1 import AppTest

from ui.navigation import PAGES
from simclr.augment.views import PRESETS
from ui.classroom import STEPS
from ui.links import URL_KEYS

APP = Path(__file__).resolve().parent.parent / "app.py"
DEMO = APP.parent / "assets" / "demo-run"


def open_app(tmp_path, monkeypatch, **params) -> AppTest:
    monkeypatch.setenv("SIMCLR_RUNS", str(tmp_path / "runs"))
    at = AppTest.from_file(str(APP), default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def slider_keys(at: AppTest) -> set[str]:
    return {s.key for s in at.slider}


def test_presenter_mode_hides_the_advanced_controls(tmp_path, monkeypatch):
    at = open_app(tmp_path, monkeypatch)
    advanced = {"aug_crop_ratio", "aug_flip_p", "aug_blur_sigma"}
    assert advanced <= slider_keys(at)
    assert at.number_input(key="view_seed")
    at.sidebar.toggle(key="present").set_value(True).run()
    assert not at.exception
    assert not advanced & slider_keys(at)
    assert "view_seed" not in {n.key for n in at.number_input}
    assert "aug_crop_scale" in slider_keys(at), "the main controls stay"


def test_a_link_restores_the_settings_it_names(tmp_path, monkeypatch):
    at = open_app(tmp_path, monkeypatch, aug_preset="course-unit7", aug_flip_p="0.9", dataset="photos")
    assert at.selectbox(key="aug_preset").value == "course-unit7"
    assert at.slider(key="aug_blur_p").value == PRESETS["course-unit7"].blur_p, "the preset sets what the link leaves out"
    assert at.slider(key="aug_flip_p").value == 0.9, "what the link names wins over the preset"
    assert any("colour photographs" in c.value for c in at.caption)
    assert not at.toast


def test_unknown_and_bad_parameters_are_ignored_with_a_notice(tmp_path, monkeypatch):
    at = open_app(tmp_path, monkeypatch, bogus="1", aug_jitter_strength="lots", dataset="no-such-set")
    notice = " ".join(t.value for t in at.toast)
    for name in ("bogus", "aug_jitter_strength", "dataset"):
        assert name in notice
    assert at.slider(key="aug_jitter_strength").value == PRESETS["paper-imagenet"].jitter_strength
    assert len(at.get("image")) > 0, "the page still works"


def open_step(tmp_path, monkeypatch, number: int) -> AppTest:
    """Step `number` as its link opens it: the page, with ?step=number."""
    at = open_app(tmp_path, monkeypatch)
    at.query_params["step"] = str(number)
    at.switch_page(PAGES[STEPS[number - 1].page][0]).run()
    return at


@pytest.mark.parametrize("number", range(1, len(STEPS) + 1))
def test_each_lecture_step_renders_on_its_page(tmp_path, monkeypatch, number):
    step = STEPS[number - 1]
    at = open_step(tmp_path, monkeypatch, number)
    assert not at.exception, at.exception
    text = " ".join(m.value for m in at.markdown)
    assert step.question in text and step.title in text
    assert not any(step.answer in s.value for s in at.success), "the answer waits for the reveal"
    at.toggle(key=f"reveal_{number}").set_value(True).run()
    assert any(step.answer in s.value for s in at.success)
    for key, value in step.params.items():
        assert at.session_state[key] == value, f"the step sets {key}"
    links = " ".join(str(link.proto.query_string) for link in at.get("page_link"))
    buttons = {b.key for b in at.button}
    for n in (number - 1, number + 1):
        if 1 <= n <= len(STEPS):
            assert f"step={n}" in links or f"go_step_{n}" in buttons, n


def test_lecture_page_lists_every_step(tmp_path, monkeypatch):
    at = open_app(tmp_path, monkeypatch)
    at.switch_page("app_pages/lecture.py").run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert all(step.title in text for step in STEPS)


def metric(at: AppTest, label: str) -> float:
    return float(next(m.value for m in at.metric if m.label.startswith(label)).rstrip("%"))


@pytest.mark.parametrize("number", [1, 3, 4, 5])
def test_loss_steps_open_on_the_trained_demo_run_below_chance(tmp_path, monkeypatch, number):
    """Their text says training changed things: the loss lies clearly below chance and the positive mostly wins."""
    at = open_step(tmp_path, monkeypatch, number)
    assert at.selectbox(key="encoder_choice").value == "demo-run"
    assert metric(at, "NT-Xent loss") < 0.7 * metric(at, "Chance ln")
    assert metric(at, "Positive ranks first") >= 60


def test_a_steps_own_settings_win_over_the_sessions(tmp_path, monkeypatch):
    at = open_step(tmp_path, monkeypatch, 1)
    assert at.slider(key="loss_n").value == 4
    at.query_params["step"] = "3"  # what step 1's "Step 2 ->" and then step 2's "Step 3 ->" lead to
    at.switch_page("app_pages/loss/page.py").run()
    assert at.slider(key="loss_n").value == 8, "step 3 says: with N = 8"
    at.query_params["step"] = "4"
    at.switch_page("app_pages/loss/page.py").run()
    assert at.slider(key="temperature").value == 0.1


def test_embedding_steps_open_the_demo_run_not_the_newest(tmp_path, monkeypatch):
    newer = tmp_path / "runs" / "weak-newer-run"
    newer.mkdir(parents=True)
    for name in ("best.pt", "config.json", "summary.json"):
        (newer / name).write_bytes((DEMO / name).read_bytes())
    at = open_app(tmp_path, monkeypatch)
    at.switch_page("app_pages/embeddings/page.py").run()
    assert at.selectbox(key="emb_run").value == "weak-newer-run", "outside the lecture the newest comes first"
    at.query_params["step"] = "7"
    at.switch_page("app_pages/embeddings/page.py").run()
    assert not at.exception, at.exception
    assert at.selectbox(key="emb_run").value == "demo-run"


def test_the_step_links_name_only_the_step(tmp_path, monkeypatch):
    """Presenter mode is kept by the session; a link that repeated it piled up present=true&present=true."""
    at = open_app(tmp_path, monkeypatch, present="true")
    at.query_params["step"] = "7"
    at.switch_page("app_pages/embeddings/page.py").run()
    queries = {str(link.proto.query_string) for link in at.get("page_link")}
    assert queries == {"step=6"}, "step 8 is on this page: a button moves the URL's step"
    at.button(key="go_step_8").click().run()
    assert at.query_params["step"] in ("8", ["8"]) and "present" in at.query_params
    assert any("Step 8 of 8" in m.value for m in at.markdown)


def test_a_switched_off_op_in_a_link_is_taken(tmp_path, monkeypatch):
    at = open_app(tmp_path, monkeypatch, aug_flip="false", aug_jitter_strength="0")
    assert at.toggle(key="aug_flip").value is False
    assert at.slider(key="aug_jitter_strength").value == 0.0
    assert not at.toast
    assert at.selectbox(key="aug_preset").value == "custom"


def test_choosing_a_preset_gives_no_link_notice_and_a_moved_slider_says_custom(tmp_path, monkeypatch):
    at = open_app(tmp_path, monkeypatch)
    at.selectbox(key="aug_preset").set_value("none").run()
    assert not at.exception and not at.toast
    assert at.toggle(key="aug_crop").value is False
    at.selectbox(key="aug_preset").set_value("paper-cifar").run()
    at.slider(key="aug_crop_scale").set_value((0.3, 1.0)).run()
    assert at.selectbox(key="aug_preset").value == "custom"
    assert not at.toast


def copied_link(at: AppTest) -> str:
    return next(c.value for c in at.code if c.value.startswith("http"))


def reopen(tmp_path, monkeypatch, link: str) -> AppTest:
    """A fresh session opening `link`, as a new browser would."""
    path, _, query = link.partition("://")[2].partition("/")[2].partition("?")
    at = open_app(tmp_path, monkeypatch, **{k: v[0] if len(v) == 1 else v for k, v in parse_qs(query).items()})
    at.switch_page(PAGES[path or "augmentations"][0]).run()
    assert not at.exception, at.exception
    return at


def test_a_similarity_link_reopens_on_the_same_numbers(tmp_path, monkeypatch):
    at = open_app(tmp_path, monkeypatch)
    at.switch_page("app_pages/loss/page.py").run()
    at.selectbox(key="encoder_choice").set_value("demo-run").run()
    at.slider(key="loss_n").set_value(6).run()
    at.selectbox(key="loss_anchor").set_value("5b").run()
    at.toggle(key="aug_flip").set_value(False).run()
    link = copied_link(at)
    assert "encoder_choice=demo-run" in link and "loss_anchor=5b" in link
    fresh = reopen(tmp_path, monkeypatch, link)
    for label in ("NT-Xent loss", "Positive ranks first"):
        assert metric(fresh, label) == metric(at, label)
    assert fresh.get("latex")[0].value == at.get("latex")[0].value, "the same anchor's numbers"


def test_a_link_names_a_switched_off_op(tmp_path, monkeypatch):
    at = open_app(tmp_path, monkeypatch)
    at.toggle(key="aug_grayscale").set_value(False).run()
    at.slider(key="aug_count").set_value(2).run()
    link = copied_link(at)
    assert "aug_grayscale=false" in link and "aug_count=2" in link
    fresh = reopen(tmp_path, monkeypatch, link)
    assert fresh.toggle(key="aug_grayscale").value is False and fresh.slider(key="aug_count").value == 2


def test_the_table_of_url_keys_matches_the_widgets_starting_values(tmp_path, monkeypatch):
    """A link leaves out a value equal to the table's default, so the default must be where the widget starts."""
    at = open_app(tmp_path, monkeypatch)
    at.switch_page("app_pages/loss/page.py").run()
    checked = 0
    for key, spec in URL_KEYS.items():
        if key in at.session_state and spec.default is not None and not key.startswith("aug_"):
            value = at.session_state[key]
            assert (list(value) if isinstance(value, tuple) else value) == spec.default, key
            checked += 1
    assert checked >= 6


def test_train_with_these_views_hands_the_settings_to_the_training_form(tmp_path, monkeypatch):
    """The paper's Fig. 5 ablation from the browser: colour jitter off on the Augmentations page, one click."""
    at = open_app(tmp_path, monkeypatch)
    at.selectbox(key="aug_preset").set_value("paper-cifar").run()
    at.toggle(key="aug_jitter").set_value(False).run()
    at.button(key="train_with_views").click().run()
    assert not at.exception, at.exception
    assert at.selectbox(key="train_preset").value == "paper-cifar"
    assert at.session_state["train_augment"] == {"jitter": False}
    assert any("Changes to paper-cifar: jitter off" in c.value for c in at.caption)
    at.button(key="train_drop_changes").click().run()
    assert not any("Changes to" in c.value for c in at.caption)
