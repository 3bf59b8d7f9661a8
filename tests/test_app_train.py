"""The Training page, run by AppTest: start a real tiny run, watch it, stop it, find it on disk."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from simclr.runs import folder, process
from simclr.runs.config import TrainConfig
from ui.live_map import live_map_title
from ui.plain import plain

APP = Path(__file__).resolve().parent.parent / "app.py"


@pytest.fixture
def page(tmp_path, monkeypatch) -> AppTest:
    monkeypatch.setenv("SIMCLR_RUNS", str(tmp_path / "runs"))
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    at.switch_page("app_pages/train/page.py").run()
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
    assert folder.run_info(run_dir).status == "stopped"
    assert (run_dir / folder.LAST).is_file() and folder.read_metrics(run_dir)
    assert page.dataframe, "the runs table lists it"


def test_bad_settings_are_refused_with_a_message(page, tmp_path):
    page.number_input(key="train_batch_size").set_value(8192).run()
    page.text_input(key="train_name").input("../escape").run()
    page.button(key="train_start").click().run()
    assert not page.exception
    assert any("plain folder name" in e.value for e in page.error), [e.value for e in page.error]
    assert not (tmp_path / "escape").exists()


def test_resume_while_another_run_trains_is_refused_with_the_librarys_warning(page, tmp_path):
    root = tmp_path / "runs"
    for name, status in (("live", "running"), ("mine", "stopped")):  # "live" names this test's process: alive
        (root / name).mkdir(parents=True)
        folder.write_json(root / name / folder.CONFIG, TrainConfig(seconds=60.0).to_dict())
        folder.write_json(root / name / folder.SUMMARY, {"status": status, "pid": os.getpid(),
                                                         "process": process.process_identity(os.getpid())})
    (root / "mine" / folder.LAST).write_bytes(b"a checkpoint")
    page.session_state["train_watch"] = "mine"
    page.run()
    page.button(key="train_resume").click().run()
    assert not page.exception and not page.error
    assert [w.value for w in page.warning] == [plain("live is training; one run at a time on this machine.")]
    assert sorted(p.name for p in (root / "mine").iterdir()) == [folder.CONFIG, folder.LAST, folder.SUMMARY]


def cli_run(run_dir: Path, *flags: str) -> subprocess.Popen:
    """A run started from a terminal, as a user would: `python -m simclr.train` in its own process."""
    return subprocess.Popen([sys.executable, "-m", "simclr.train", "--batch-size", "64", "--threads", "1",
                             "--eval-images", "500", *flags, "--out", str(run_dir)], cwd=APP.parent,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def chart(at: AppTest, key: str) -> dict:
    found = [c for c in at.get("plotly_chart") if c.proto.id and key in c.proto.id]
    assert found, f"no chart {key}"
    return json.loads(found[0].proto.spec)


def test_a_run_shorter_than_the_knn_interval_shows_its_final_knn_with_sensible_axes(page, tmp_path):
    """30 steps, kNN check every 200: only the final figure (summary.json's knn_after) exists; the page shows it,
    the chart starts at step 0 (random init) with accuracy axes 0..1 and the raw-pixel and random-init levels."""
    run_dir = tmp_path / "runs" / "short"
    assert cli_run(run_dir, "--max-steps", "30").wait(180) == 0
    summary = folder.read_json(run_dir / folder.SUMMARY)
    assert not any("knn" in row for row in folder.read_metrics(run_dir)), "no periodic check fell inside the run"
    page.run()
    assert page.metric[2].label == f"kNN ({summary['validation_split']})"
    assert page.metric[2].value == f"{summary['knn_after']:.1%}"
    spec = chart(page, "knn_short")
    (trace,) = [t for t in spec["data"] if t.get("type") == "scatter"]
    assert list(trace["x"]) == [0, 30] and trace["y"] == pytest.approx([summary["knn_before"], summary["knn_after"]])
    assert "markers" in trace["mode"]
    layout = spec["layout"]
    assert layout["yaxis"]["range"] == [0, 1.02] and layout["xaxis"]["rangemode"] == "tozero"
    levels = sorted(shape["y0"] for shape in layout["shapes"])
    assert levels == pytest.approx(sorted([summary["knn_pixels"], summary["knn_before"]]))
    compare = chart(page, "compare_knn")
    assert [list(t["x"]) for t in compare["data"]] == [[0, 30]], "the Compare runs chart shows the run's kNN"



def test_a_run_in_its_final_report_says_so_instead_of_0_s_left(page, tmp_path):
    """Training is over, the report on the test split takes its time: the page shows the phase summary.json names."""
    run_dir = tmp_path / "runs" / "reporting"
    run_dir.mkdir(parents=True)
    folder.write_json(run_dir / folder.CONFIG, TrainConfig(seconds=60.0).to_dict())
    phase = "final report: kNN and linear probe, row 2 of 5 (random init, h)"
    folder.write_json(run_dir / folder.SUMMARY, {  # this test's process stands for the training process
        "status": "running", "pid": os.getpid(), "process": process.process_identity(os.getpid()), "seconds": 60.2,
        "steps": 900, "phase": phase})
    page.run()
    assert "training" in status_line(page)
    texts = [bar.proto.text for bar in page.get("progress")]
    assert texts == [f"Training done; {plain(phase)}…"], texts
    assert not any("s left" in text for text in texts)


def test_the_live_maps_title_names_the_split_of_each_figure():
    """The map shows test images, its kNN figure comes from the validation split: the title says both."""
    summary = {"validation_split": "validation, 10,000 memory images", "knn_before": 0.3, "status": "running"}
    title = live_map_title({"split": "test", "count": 1000}, summary, [{"step": 200, "knn": 0.5}], 300)
    assert title == ("map: 1,000 test images<br><sup>step 300 · kNN 50.0% at step 200<br>"
                     "kNN on validation, 10,000 memory images</sup>")
    assert live_map_title({"split": "train", "count": 40}, {}, [], 0) == "map: 40 training images<br><sup>step 0</sup>"
