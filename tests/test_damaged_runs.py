"""Run folders as they may lie on a classroom machine, made here from one real tiny run: every page renders them,
a damaged run is shown as damaged, and a stale "running" summary blocks nothing (AppTest, real files)."""

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from simclr.runs import folder, process
from simclr.train.cli import main

APP = Path(__file__).resolve().parent.parent / "app.py"
TINY_RUN = ["--max-steps", "2", "--batch-size", "32", "--subset", "64", "--eval-images", "200", "--eval-every",
            "1", "--log-every", "1", "--checkpoint-every", "1", "--threads", "1"]

# run name -> (file, key, value written there, words the page shows); "metrics" damages every metrics.jsonl row
DAMAGE = {
    "pid-text": ("summary", "pid", "x", 'pid is "x", not a whole number'),
    "pid-list": ("summary", "pid", [1], "pid is [1], not a whole number"),
    "pid-huge": ("summary", "pid", 1e30, "pid is 1e+30, not a whole number"),
    "seconds-text": ("summary", "seconds", "x", 'seconds is "x", not a number'),
    "speed-text": ("summary", "views_per_second", "fast", 'views_per_second is "fast"'),
    "pixels-text": ("summary", "knn_pixels", "x", 'knn_pixels is "x"'),
    "status-number": ("summary", "status", 3, "status is 3, not text"),
    "batch-text": ("config", "batch_size", "x", 'batch_size is "x", not a whole number'),
    "budget-text": ("config", "seconds", "x", 'seconds is "x", not a number'),
    "augment-text": ("config", "augment", "x", 'augment is "x", not a table'),
    "loss-text": ("metrics", "loss", "x", None),
    "knn-text": ("metrics", "knn", "x", None),
    "speed-rows": ("metrics", "views_per_second", None, None),
    "step-text": ("metrics", "step", "ten", None),
}


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    run_dir = tmp_path_factory.mktemp("tiny") / "tiny"
    assert main([*TINY_RUN, "--out", str(run_dir)]) == 0
    return run_dir


def damaged(tiny_run: Path, root: Path, name: str) -> Path:
    where, key, value, _ = DAMAGE[name]
    run_dir = root / name
    shutil.copytree(tiny_run, run_dir)
    if where == "metrics":
        rows = [json.loads(line) for line in (run_dir / folder.METRICS).read_text().splitlines()]
        text = "".join(json.dumps(row | {key: value if value is not None else {"a": 1}}) + "\n" for row in rows)
        (run_dir / folder.METRICS).write_text(text)
    else:
        path = run_dir / (folder.SUMMARY if where == "summary" else folder.CONFIG)
        path.write_text(json.dumps(json.loads(path.read_text()) | {key: value}))
    return run_dir


@pytest.fixture
def app(tmp_path, monkeypatch):
    root, data = tmp_path / "runs", tmp_path / "data"
    root.mkdir()
    data.mkdir()
    monkeypatch.setenv("SIMCLR_RUNS", str(root))
    monkeypatch.setenv("SIMCLR_DATA", str(data))
    at = AppTest.from_file(str(APP), default_timeout=180).run()
    assert not at.exception, at.exception
    return at, root


def shown(at: AppTest) -> str:
    return "\n".join(e.value for e in (*at.error, *at.warning, *at.info, *at.markdown))


def test_training_page_renders_every_damaged_run_and_names_the_damage(tiny_run, app):
    at, root = app
    for name in DAMAGE:
        damaged(tiny_run, root, name)
    at.switch_page("app_pages/train/page.py").run()
    assert not at.exception, at.exception
    for name, (_, _, _, words) in DAMAGE.items():
        at.session_state["train_watch"] = name
        at.run()
        assert not at.exception, (name, at.exception)
        warnings = "\n".join(w.value for w in at.warning).replace("\\", "")
        if words:
            assert f"Run {name} has damaged files" in warnings and words in warnings, (name, warnings)
    assert at.dataframe, "the runs table lists them all"


def test_embeddings_and_similarity_refuse_a_damaged_config_and_list_the_rest(tiny_run, app, tmp_path):
    at, root = app
    for name in ("pid-text", "pid-list", "pid-huge", "augment-text"):
        damaged(tiny_run, root, name)
    outside = shutil.copytree(tiny_run, root / "outside")  # a folder run whose images lie outside the data root
    config = json.loads((outside / folder.CONFIG).read_text())
    (tmp_path / "elsewhere").mkdir()
    (outside / folder.CONFIG).write_text(json.dumps(config | {"dataset": "folder", "path": str(tmp_path / "elsewhere")}))
    at.switch_page("app_pages/loss/page.py").run()
    assert not at.exception, at.exception
    at.switch_page("app_pages/embeddings/page.py").run()
    assert not at.exception, at.exception
    at.selectbox(key="emb_run").set_value("augment-text").run()
    assert not at.exception, at.exception
    errors = "\n".join(e.value for e in at.error).replace("\\", "")
    assert 'config.json of run augment-text is damaged' in errors and 'augment is "x"' in errors, errors
    at.selectbox(key="emb_run").set_value("outside").run()
    assert not at.exception, at.exception
    errors = "\n".join(e.value for e in at.error).replace("\\", "")
    assert "must be inside the data root" in errors, errors


def test_a_stale_running_summary_with_a_live_unrelated_pid_is_failed_and_deletable(tiny_run, app):
    at, root = app
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        run_dir = shutil.copytree(tiny_run, root / "stale")
        summary = json.loads((run_dir / folder.SUMMARY).read_text())  # as after a reboot: the pid is someone else's
        (run_dir / folder.SUMMARY).write_text(json.dumps(summary | {"status": "running", "pid": stranger.pid}))
        if process.process_identity(stranger.pid) is None:
            pytest.skip("no /proc: a run is known by its pid alone here")
        at.switch_page("app_pages/train/page.py").run()
        at.session_state["train_watch"] = "stale"
        at.run()
        assert not at.exception, at.exception
        assert "failed" in next(m.value for m in at.markdown if m.value.startswith("**stale**"))
        assert "train_stop" not in {b.key for b in at.button}, "nothing to stop"
        assert not any("is training" in w.value for w in at.warning)
        folder.delete_run(run_dir, root)  # what the page's Delete calls
        assert not run_dir.exists()
    finally:
        stranger.kill()
        stranger.wait()


def test_resuming_a_damaged_checkpoint_on_the_page_says_why(tiny_run, app):
    at, root = app
    run_dir = shutil.copytree(tiny_run, root / "broken")
    summary = json.loads((run_dir / folder.SUMMARY).read_text())
    (run_dir / folder.SUMMARY).write_text(json.dumps(summary | {"status": "stopped"}))
    (run_dir / folder.LAST).write_bytes((run_dir / folder.LAST).read_bytes()[:200])  # cut short by a full disk
    at.switch_page("app_pages/train/page.py").run()
    at.session_state["train_watch"] = "broken"
    at.run()
    at.button(key="train_resume").click().run()
    assert not at.exception, at.exception
    deadline = time.monotonic() + 180
    while "was refused" not in shown(at):
        assert time.monotonic() < deadline, shown(at)
        time.sleep(1.0)
        at.run()
        assert not at.exception, at.exception
    assert "last.pt cannot be read" in shown(at).replace("\\", ""), shown(at)


def test_odd_names_and_links_end_in_a_message(app):
    at, root = app
    at.switch_page("app_pages/train/page.py").run()
    at.text_input(key="train_name").input("bad\0name").run()
    at.button(key="train_start").click().run()
    assert not at.exception, at.exception
    assert any("control characters" in e.value for e in at.error), [e.value for e in at.error]
    assert list(root.iterdir()) == []
    for step in ("²", "٣", "0", "-1", "99", "1e3", ""):
        at.query_params["step"] = step
        at.switch_page("app_pages/augmentations.py").run()
        assert not at.exception, (step, at.exception)
