"""The Augmentations page, run by Streamlit's AppTest as a user would drive it."""

import io
from pathlib import Path

import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from simclr.augment.views import PRESETS

APP = Path(__file__).resolve().parent.parent / "app.py"


@pytest.fixture
def app() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    assert not at.exception, at.exception
    return at


def view_urls(at: AppTest) -> list[str]:
    return [img.url for element in at.get("image") for img in element.proto.imgs if img.caption.startswith("view")]


def test_page_shows_two_views_per_image(app):
    count = app.slider(key="aug_count").value
    assert len(view_urls(app)) == 2 * count
    assert not app.error


def test_moving_a_slider_changes_the_views(app):
    before = view_urls(app)
    app.slider(key="aug_crop_scale").set_value((0.05, 0.1)).run()
    assert not app.exception
    after = view_urls(app)
    assert len(after) == len(before)
    assert all(a != b for a, b in zip(before, after))


def test_same_seed_replays_the_same_views(app):
    before = view_urls(app)
    app.button(key="resample").click().run()
    assert view_urls(app) != before
    app.number_input(key="view_seed").set_value(0).run()
    assert view_urls(app) == before


def test_a_preset_sets_the_sliders(app):
    app.selectbox(key="aug_preset").set_value("course-unit7").run()
    course = PRESETS["course-unit7"]
    assert app.slider(key="aug_blur_p").value == course.blur_p == 1.0
    assert app.slider(key="aug_blur_sigma").value == course.blur_sigma
    app.selectbox(key="aug_preset").set_value("none").run()
    assert not app.toggle(key="aug_crop").value and not app.toggle(key="aug_jitter").value


def test_grayscale_dataset_says_which_ops_are_skipped(app):
    assert any("grayscale" in info.value for info in app.info)
    app.sidebar.selectbox(key="dataset").set_value("photos").run()
    assert not app.exception
    assert not any("grayscale" in info.value for info in app.info)


def png(size: tuple[int, int], colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def test_uploaded_images_get_views_and_a_broken_one_a_message(app):
    app.radio(key="aug_source").set_value("My own images").run()
    assert any("Upload" in info.value for info in app.info)
    uploader = app.get("file_uploader")[0]
    uploader.set_value([("red.png", png((64, 48), (200, 10, 10)), "image/png"),
                        ("notes.png", b"this is text, not a picture", "image/png")]).run()
    assert not app.exception
    assert any("notes.png" in w.value for w in app.warning), [w.value for w in app.warning]
    assert len(view_urls(app)) == 2, "the one good image still gets its two views"
    app.get("file_uploader")[0].set_value(("empty.jpg", b"", "image/jpeg")).run()
    assert not app.exception
    assert any("empty.jpg" in e.value for e in app.error), [e.value for e in app.error]
