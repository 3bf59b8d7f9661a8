"""Classroom mode: presenter mode, the guided lecture, and links that reproduce a view (AppTest)."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from simclr.augment import PRESETS
from ui.classroom import STEPS

APP = Path(__file__).resolve().parent.parent / "app.py"


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


@pytest.mark.parametrize("number", range(1, len(STEPS) + 1))
def test_each_lecture_step_renders_on_its_page(tmp_path, monkeypatch, number):
    step = STEPS[number - 1]
    at = open_app(tmp_path, monkeypatch)
    at.query_params["step"] = str(number)
    for key, value in step.params.items():  # the step's link: its page, opened with these parameters
        at.query_params[key] = str(value)
    at.switch_page(step.page).run()
    assert not at.exception, at.exception
    text = " ".join(m.value for m in at.markdown)
    assert step.question in text and step.title in text
    assert not any(step.answer in s.value for s in at.success), "the answer waits for the reveal"
    at.toggle(key=f"reveal_{number}").set_value(True).run()
    assert any(step.answer in s.value for s in at.success)
    for key, value in step.params.items():
        assert at.session_state[key] == value, f"the step sets {key}"
    links = " ".join(str(link.proto.query_string) for link in at.get("page_link"))
    assert all(f"step={n}" in links for n in (number - 1, number + 1) if 1 <= n <= len(STEPS))


def test_lecture_page_lists_every_step(tmp_path, monkeypatch):
    at = open_app(tmp_path, monkeypatch)
    at.switch_page("app_pages/lecture.py").run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert all(step.title in text for step in STEPS)
