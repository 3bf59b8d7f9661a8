"""The Training page, run by AppTest: start a real tiny run, watch it, stop it, find it on disk."""

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from simclr import runs

APP = Path(__file__).resolve().parent.parent / "app.py"


@pytest.fixture
def page(tmp_path, monkeypatch) -> AppTest:
    monkeypatch.setenv("SIMCLR_RUNS", str(tmp_path / "runs"))
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    at.switch_page("app_pages/train.py").run()
    assert not at.exception, at.exception
    return at


def wait_for(at: AppTest, check, seconds: float = 90.0) -> None:
    deadline = time.monotonic() + seconds
    while not check(at):
        assert time.monotonic() < deadline, [m.value for m in at.markdown][:3]
        time.sleep(1.0)
        at.run()
        assert not at.exception, at.exception


def status_line(at: AppTest) -> str:
    return next((m.value for m in at.markdown if m.value.startswith("**")), "")


def test_start_watch_and_stop_a_run(page, tmp_path):
    assert any("No runs yet" in i.value for i in page.info)
    page.number_input(key="train_seconds").set_value(600.0).run()
    page.number_input(key="train_batch_size").set_value(64).run()
    page.text_input(key="train_name").input("tiny").run()
    page.button(key="train_start").click().run()
    assert not page.exception and not page.error
    wait_for(page, lambda at: "training" in status_line(at) and int(at.metric[0].value) > 0)
    page.button(key="train_start").click().run()
    assert any("is training" in e.value for e in page.error), "a second run on the same machine is refused"
    page.button(key="train_stop").click().run()
    wait_for(page, lambda at: "stopped" in status_line(at))
    run_dir = tmp_path / "runs" / "tiny"
    assert runs.run_info(run_dir).status == "stopped"
    assert (run_dir / runs.LAST).is_file() and runs.read_metrics(run_dir)
    assert page.dataframe, "the runs table lists it"


def test_bad_settings_are_refused_with_a_message(page, tmp_path):
    page.number_input(key="train_batch_size").set_value(8192).run()
    page.text_input(key="train_name").input("../escape").run()
    page.button(key="train_start").click().run()
    assert not page.exception
    assert any("plain folder name" in e.value for e in page.error), [e.value for e in page.error]
    assert not (tmp_path / "escape").exists()
