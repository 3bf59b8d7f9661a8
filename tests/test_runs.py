"""Run-folder I/O: atomic JSON, a metrics log a live reader can follow, crash detection, safe deletion."""

import json
import os
import subprocess
import sys

import pytest

from simclr import runs


def make_run(root, name, status, pid=None, **summary):
    run_dir = root / name
    run_dir.mkdir(parents=True)
    runs.write_json(run_dir / runs.CONFIG, {"dataset": "mnist-5k"})
    runs.write_json(run_dir / runs.SUMMARY, {"status": status, "pid": pid or os.getpid(), **summary})
    return run_dir


def dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_write_json_replaces_whole_file_and_nulls_non_finite(tmp_path):
    path = tmp_path / "summary.json"
    runs.write_json(path, {"a": 1, "nested": {"loss": float("nan")}, "values": [1.0, float("inf")]})
    runs.write_json(path, {"b": 2})
    assert json.loads(path.read_text()) == {"b": 2}
    runs.write_json(path, {"loss": float("nan"), "values": [1.0, float("-inf")]})
    assert json.loads(path.read_text()) == {"loss": None, "values": [1.0, None]}  # strict JSON, no NaN token
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]  # no temporary file left behind


def test_read_json_of_missing_or_corrupt_file_is_empty(tmp_path):
    assert runs.read_json(tmp_path / "missing.json") == {}
    (tmp_path / "bad.json").write_text('{"status": "runn')
    assert runs.read_json(tmp_path / "bad.json") == {}


def test_read_metrics_follows_a_log_and_skips_a_half_written_line(tmp_path):
    log = runs.MetricsLog(tmp_path)
    log.write({"step": 1, "loss": 5.0})
    assert runs.read_metrics(tmp_path) == [{"step": 1, "loss": 5.0}]  # flushed: visible before close
    log.write({"step": 2, "loss": 4.5})
    log.close()
    with open(tmp_path / runs.METRICS, "a") as f:
        f.write('{"step": 3, "lo')  # a writer killed mid-line
    assert runs.read_metrics(tmp_path) == [{"step": 1, "loss": 5.0}, {"step": 2, "loss": 4.5}]


def test_metrics_log_of_a_resumed_run_drops_rows_after_the_checkpoint(tmp_path):
    log = runs.MetricsLog(tmp_path)
    for step in range(1, 6):
        log.write({"step": step, "loss": 1.0 / step})
    log.close()
    with open(tmp_path / runs.METRICS, "a") as f:
        f.write('{"step": 6, "lo')
    log = runs.MetricsLog(tmp_path, after_step=3)  # the checkpoint was at step 3; steps 4, 5 are redone
    log.write({"step": 4, "loss": 0.2})
    log.close()
    assert [row["step"] for row in runs.read_metrics(tmp_path)] == [1, 2, 3, 4]
    assert runs.read_metrics(tmp_path)[-1]["loss"] == 0.2


def test_pid_alive():
    assert runs.pid_alive(os.getpid())
    assert not runs.pid_alive(dead_pid())
    assert not runs.pid_alive(0) and not runs.pid_alive(-1)  # never a process group


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="zombies are read from /proc")
def test_an_unreaped_child_counts_as_exited():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        while os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
            pass  # exited once waitid reports it; WNOWAIT leaves it a zombie
        assert not runs.pid_alive(child.pid)
    finally:
        child.wait()


def test_list_runs_marks_a_running_run_with_a_dead_process_as_failed(tmp_path):
    make_run(tmp_path, "crashed", "running", pid=dead_pid())
    make_run(tmp_path, "live", "running")
    make_run(tmp_path, "done", "finished", steps=10)
    make_run(tmp_path, "nan", "diverged", message="Training diverged: the loss became nan")
    (tmp_path / "not-a-run").mkdir()
    found = {info.name: info for info in runs.list_runs(tmp_path)}
    assert set(found) == {"crashed", "live", "done", "nan"}
    assert found["crashed"].status == "failed" and "crashed" in found["crashed"].message
    assert found["live"].status == "running" and runs.is_running(tmp_path / "live")
    assert found["done"].status == "finished" and found["done"].summary["steps"] == 10
    assert found["nan"].status == "diverged" and "nan" in found["nan"].message
    assert found["done"].config == {"dataset": "mnist-5k"}
    assert not runs.is_running(tmp_path / "crashed")


def test_list_runs_is_newest_first(tmp_path):
    for name, mtime in [("old", 1000), ("new", 3000), ("middle", 2000)]:
        run_dir = make_run(tmp_path, name, "finished")
        os.utime(run_dir / runs.CONFIG, (mtime, mtime))
    assert [info.name for info in runs.list_runs(tmp_path)] == ["new", "middle", "old"]
    assert runs.list_runs(tmp_path / "absent") == []


def test_stop_file(tmp_path):
    assert not runs.stop_requested(tmp_path)
    runs.request_stop(tmp_path)
    assert runs.stop_requested(tmp_path)
    runs.clear_stop(tmp_path)
    assert not runs.stop_requested(tmp_path)


def test_delete_run_only_deletes_finished_run_folders_inside_the_root(tmp_path):
    root = tmp_path / "runs"
    done = make_run(root, "done", "finished")
    live = make_run(root, "live", "running")
    outside = make_run(tmp_path, "outside", "finished")
    (root / "plain").mkdir()
    for victim in (outside, root / "plain", root / "done" / ".." / ".." / "outside", root):
        with pytest.raises(runs.RunError, match="not a run folder"):
            runs.delete_run(victim, root)
    with pytest.raises(runs.RunError, match="still training"):
        runs.delete_run(live, root)
    runs.delete_run(done, root)
    assert not done.exists() and live.exists() and outside.exists() and (root / "plain").exists()
