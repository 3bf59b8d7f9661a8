"""Run-folder I/O: atomic JSON, a metrics log a live reader can follow, crash detection (deleting: test_launch)."""

import json
import os
import subprocess
import sys
from dataclasses import fields

import pytest

from simclr.runs import folder, process
from simclr.runs.config import CONFIG_TYPES, TrainConfig
from simclr.train.recipes import RECIPES


def make_run(root, name, status, pid=None, **summary):
    run_dir = root / name
    run_dir.mkdir(parents=True)
    folder.write_json(run_dir / folder.CONFIG, {"dataset": "mnist-5k"})
    pid = pid or os.getpid()
    folder.write_json(run_dir / folder.SUMMARY, {"status": status, "pid": pid, "process": process.process_identity(pid),
                                                 **summary})
    return run_dir


def dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_write_json_replaces_whole_file_and_nulls_non_finite(tmp_path):
    path = tmp_path / "summary.json"
    folder.write_json(path, {"a": 1, "nested": {"loss": float("nan")}, "values": [1.0, float("inf")]})
    folder.write_json(path, {"b": 2})
    assert json.loads(path.read_text()) == {"b": 2}
    folder.write_json(path, {"loss": float("nan"), "values": [1.0, float("-inf")]})
    assert json.loads(path.read_text()) == {"loss": None, "values": [1.0, None]}  # strict JSON, no NaN token
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]  # no temporary file left behind


def test_read_json_of_missing_or_corrupt_file_is_empty(tmp_path):
    assert folder.read_json(tmp_path / "missing.json") == {}
    (tmp_path / "bad.json").write_text('{"status": "runn')
    assert folder.read_json(tmp_path / "bad.json") == {}


def test_read_metrics_follows_a_log_and_skips_a_half_written_line(tmp_path):
    log = folder.MetricsLog(tmp_path)
    log.write({"step": 1, "loss": 5.0})
    assert folder.read_metrics(tmp_path) == [{"step": 1, "loss": 5.0}]  # flushed: visible before close
    log.write({"step": 2, "loss": 4.5})
    log.close()
    with open(tmp_path / folder.METRICS, "a") as f:
        f.write('{"step": 3, "lo')  # a writer killed mid-line
    assert folder.read_metrics(tmp_path) == [{"step": 1, "loss": 5.0}, {"step": 2, "loss": 4.5}]


def test_metrics_log_of_a_resumed_run_drops_rows_after_the_checkpoint(tmp_path):
    log = folder.MetricsLog(tmp_path)
    for step in range(1, 6):
        log.write({"step": step, "loss": 1.0 / step})
    log.close()
    with open(tmp_path / folder.METRICS, "a") as f:
        f.write('{"step": 6, "lo')
    log = folder.MetricsLog(tmp_path, after_step=3)  # the checkpoint was at step 3; steps 4, 5 are redone
    log.write({"step": 4, "loss": 0.2})
    log.close()
    assert [row["step"] for row in folder.read_metrics(tmp_path)] == [1, 2, 3, 4]
    assert folder.read_metrics(tmp_path)[-1]["loss"] == 0.2


def test_pid_alive():
    assert process.pid_alive(os.getpid())
    assert not process.pid_alive(dead_pid())
    assert not process.pid_alive(0) and not process.pid_alive(-1)  # never a process group


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="zombies are read from /proc")
def test_an_unreaped_child_counts_as_exited():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        while os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
            pass  # exited once waitid reports it; WNOWAIT leaves it a zombie
        assert not process.pid_alive(child.pid)
    finally:
        child.wait()


def test_list_runs_marks_a_running_run_with_a_dead_process_as_failed(tmp_path):
    make_run(tmp_path, "crashed", "running", pid=dead_pid())
    make_run(tmp_path, "live", "running")
    make_run(tmp_path, "done", "finished", steps=10)
    make_run(tmp_path, "nan", "diverged", message="Training diverged: the loss became nan")
    (tmp_path / "not-a-run").mkdir()
    found = {info.name: info for info in folder.list_runs(tmp_path)}
    assert set(found) == {"crashed", "live", "done", "nan"}
    assert found["crashed"].status == "failed" and "crashed" in found["crashed"].message
    assert found["live"].status == "running" and folder.is_running(tmp_path / "live")
    assert found["done"].status == "finished" and found["done"].summary["steps"] == 10
    assert found["nan"].status == "diverged" and "nan" in found["nan"].message
    assert found["done"].config == {"dataset": "mnist-5k"}
    assert not folder.is_running(tmp_path / "crashed")


def test_list_runs_is_newest_first(tmp_path):
    for name, mtime in [("old", 1000), ("new", 3000), ("middle", 2000)]:
        run_dir = make_run(tmp_path, name, "finished")
        os.utime(run_dir / folder.CONFIG, (mtime, mtime))
    assert [info.name for info in folder.list_runs(tmp_path)] == ["new", "middle", "old"]
    assert folder.list_runs(tmp_path / "absent") == []


def test_stop_file(tmp_path):
    assert not folder.stop_requested(tmp_path)
    folder.request_stop(tmp_path)
    assert folder.stop_requested(tmp_path)
    folder.clear_stop(tmp_path)
    assert not folder.stop_requested(tmp_path)


# --- whatever the files hold: typed values, and the run shown as damaged ----------------------------------------


@pytest.mark.parametrize("field, value", [("pid", "x"), ("pid", [1]), ("pid", 1e30), ("pid", 10**30),
                                          ("pid", True), ("seconds", "soon"), ("knn_pixels", {"a": 1}),
                                          ("views_per_second", float("nan")), ("status", 3)])
def test_a_summary_value_of_the_wrong_type_is_left_out_and_named(tmp_path, field, value):
    run_dir = make_run(tmp_path, "odd", "finished", seconds=12.5)
    summary = json.loads((run_dir / folder.SUMMARY).read_text())
    (run_dir / folder.SUMMARY).write_text(json.dumps(summary | {field: value}))  # NaN as JSON's NaN literal
    info = folder.run_info(run_dir)
    assert field not in info.summary or info.summary[field] is None
    assert info.status in folder.STATUSES
    assert len(info.problems) == 1 and info.problems[0].startswith(f"summary.json: {field} is "), info.problems
    assert folder.list_runs(tmp_path)[0].problems == info.problems and not folder.is_running(run_dir)


def test_config_values_of_the_wrong_type_are_left_out_and_named(tmp_path):
    run_dir = make_run(tmp_path, "odd", "finished")
    folder.write_json(run_dir / folder.CONFIG, {"dataset": "mnist-5k", "batch_size": "256", "augment": "x",
                                                "seconds": 30, "compile": 1, "temperature": 0.5})
    info = folder.run_info(run_dir)
    assert info.config == {"dataset": "mnist-5k", "seconds": 30, "temperature": 0.5}
    assert info.problems == ['config.json: batch_size is "256", not a whole number',
                             'config.json: augment is "x", not a table', "config.json: compile is 1, not true or false"]


def test_config_types_follow_train_configs_fields():
    """CONFIG_TYPES is derived from TrainConfig's annotations: every field, the JSON type of its value, and what
    every recipe writes to config.json reads back whole."""
    assert set(CONFIG_TYPES) == {f.name for f in fields(TrainConfig)}
    assert (CONFIG_TYPES["batch_size"], CONFIG_TYPES["temperature"], CONFIG_TYPES["channels_last"],
            CONFIG_TYPES["augment"], CONFIG_TYPES["path"]) == (int, folder.NUMBER, bool, dict, str)
    for recipe in RECIPES.values():
        saved = json.loads(json.dumps(recipe.config.to_dict()))
        assert folder.typed(saved, CONFIG_TYPES, folder.CONFIG) == (saved, [])


def test_metrics_rows_with_a_wrong_step_are_skipped_and_wrong_values_dropped(tmp_path):
    run_dir = make_run(tmp_path, "odd", "finished")
    lines = [{"step": 1, "loss": 5.0}, {"step": "ten", "loss": 4.0}, {"step": 2.5, "loss": 4.0},
             {"step": 3, "loss": "low", "knn": [0.5], "views_per_second": 100}, {"step": True}]
    (run_dir / folder.METRICS).write_text("".join(json.dumps(row) + "\n" for row in lines))
    assert folder.read_metrics(run_dir) == [{"step": 1, "loss": 5.0}, {"step": 3, "views_per_second": 100}]
    log = folder.MetricsLog(run_dir, after_step=1)  # a resume keeps the rows up to its checkpoint
    log.close()
    assert folder.read_metrics(run_dir) == [{"step": 1, "loss": 5.0}]


def test_a_stale_running_summary_with_a_reused_pid_reads_as_failed(tmp_path):
    """After a crash or a reboot the pid may belong to an unrelated live process: that is not the run."""
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        stale = make_run(tmp_path, "stale", "running", pid=other.pid, process="an earlier boot 12345")
        bare = make_run(tmp_path, "bare", "running", pid=other.pid, process=None)  # written before identities
        own = make_run(tmp_path, "own", "running", pid=other.pid)
        assert process.pid_alive(other.pid)
        if process.process_identity(other.pid) is not None:
            assert folder.run_info(stale).status == "failed" and folder.run_info(bare).status == "failed"
            assert folder.run_info(stale).message == folder.CRASHED
            folder.delete_run(stale, tmp_path)  # a stale run can be deleted
            assert not stale.exists()
        assert folder.run_info(own).status == "running"
        with pytest.raises(folder.RunError, match="still training"):
            folder.delete_run(own, tmp_path)
    finally:
        other.kill()
        other.wait()


def test_process_identity_is_per_process():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        here, there = process.process_identity(os.getpid()), process.process_identity(child.pid)
        if here is None:
            pytest.skip("no /proc on this system: runs are known by their pid alone")
        assert here != there and here.split()[0] == there.split()[0]  # same boot, other start
        assert process.process_identity(os.getpid()) == here
    finally:
        child.kill()
        child.wait()


def test_temporaries_of_a_killed_save_are_removed(tmp_path):
    run_dir = make_run(tmp_path, "killed", "failed")
    left = [run_dir / ".last.pt.k2x9a1.tmp", run_dir / ".summary.json.4242.tmp"]
    for path in left:
        path.write_bytes(b"half")
    (run_dir / "last.pt").write_bytes(b"kept")
    assert folder.remove_temporaries(run_dir) == sorted(left)
    assert sorted(p.name for p in run_dir.iterdir()) == ["config.json", "last.pt", "summary.json"]
