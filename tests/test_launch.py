"""Starting runs, as the app and scripts do: the config file reproduces the config; the rules a start keeps (run
names unique and plain, one run at a time under a root, deleting only a stopped run folder inside the root), each
refusal a message for the user that leaves everything the user made as it was."""

import json
import os
import re
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from simclr.runs import folder, process
from simclr.runs.config import TrainConfig
from simclr.train.checks import ConfigError
from simclr.train.cli import config_from_args
from simclr.train.flags import build_parser
from simclr.train.launch import LOG, PROCESS, REQUEST, busy_runs, new_run_name, resume_run, start_run

WHEN = datetime(2026, 12, 8, 3, 15, 0)


def parsed(argv: list[str]) -> tuple[TrainConfig, str, bool]:
    config, run_dir, resume = config_from_args(vars(build_parser().parse_args(argv)))
    return config, str(run_dir), resume


def settings(config: TrainConfig) -> dict:
    """Every setting, with the augmentation as the AugmentConfig it resolves to (overrides may be spelled otherwise)."""
    return {k: v for k, v in vars(config).items() if k != "augment"} | {"views": config.augment_config()}


def make_run(root, name, status):
    """A run folder as training leaves it; "running" names this test's own process, which is alive."""
    run_dir = root / name
    run_dir.mkdir(parents=True)
    folder.write_json(run_dir / folder.CONFIG, {"dataset": "mnist-5k"})
    folder.write_json(run_dir / folder.SUMMARY, {"status": status, "pid": os.getpid(),
                                                 "process": process.process_identity(os.getpid())})
    (run_dir / folder.LAST).write_bytes(b"the user's checkpoint")
    return run_dir


def tree(top) -> dict[str, bytes]:
    """Every file under `top`, path -> bytes, symbolic links not followed: what a refusal must leave as it was."""
    files = (Path(here, name) for here, _, names in os.walk(top) for name in names)
    return {str(path): path.read_bytes() for path in files if not path.is_symlink()}


@pytest.mark.parametrize("config", [
    TrainConfig(),
    TrainConfig(batch_size=64, optimizer="sgd", lr=0.1, temperature=0.2, seconds=None, epochs=2.5, precision="fp32",
                threads=1, subset=100, seed=3, preset="paper-imagenet",
                augment={"blur_sigma": (0.5, 1.0), "flip": False}),
    TrainConfig(dataset="folder", path="/data/my images", size=64, seconds=30.0, max_steps=7, augment={},
                eval_every=50, checkpoint_every=9, knn_k=5, warmup=0.0, weight_decay=0.0),
])
def test_the_config_file_reproduces_the_config(config, tmp_path):
    """The file the app writes, read back by the CLI through json (lists for tuples), gives the same run."""
    (tmp_path / REQUEST).write_text(json.dumps(config.to_dict()))
    got, run_dir, resume = parsed(["--config", str(tmp_path / REQUEST), "--out", str(tmp_path / "r")])
    assert settings(got) == settings(config) and run_dir == str(tmp_path / "r") and not resume


def test_flags_change_a_config_file(tmp_path):
    (tmp_path / REQUEST).write_text(json.dumps(TrainConfig(dataset="photos", preset="none").to_dict()))
    got, _, _ = parsed(["--config", str(tmp_path / REQUEST), "--temperature", "0.2", "--aug", "flip=true"])
    assert (got.dataset, got.temperature, got.preset) == ("photos", 0.2, "none")
    assert got.augment_config().flip and not got.augment_config().crop


# --- run names ---------------------------------------------------------------------------------------------------


def test_a_new_run_is_named_dataset_encoder_time(tmp_path):
    assert new_run_name(tmp_path, TrainConfig(), WHEN) == "mnist-5k-small-cnn-20261208-031500"
    cifar = TrainConfig(dataset="cifar10", encoder="resnet18")
    assert new_run_name(tmp_path / "absent", cifar, WHEN) == "cifar10-resnet18-20261208-031500"
    assert list(tmp_path.iterdir()) == [], "naming creates nothing"


def test_a_new_name_never_collides_with_what_is_in_the_root(tmp_path):
    """Two starts in one second: the second gets -2, the third -3; a file or a broken link of that name counts too."""
    (tmp_path / "mnist-5k-small-cnn-20261208-031500").mkdir()
    assert new_run_name(tmp_path, TrainConfig(), WHEN) == "mnist-5k-small-cnn-20261208-031500-2"
    (tmp_path / "mnist-5k-small-cnn-20261208-031500-2").write_text("a user's notes")
    assert new_run_name(tmp_path, TrainConfig(), WHEN) == "mnist-5k-small-cnn-20261208-031500-3"
    (tmp_path / "mnist-5k-small-cnn-20261208-031500-3").symlink_to(tmp_path / "gone")  # broken: taken all the same
    assert new_run_name(tmp_path, TrainConfig(), WHEN) == "mnist-5k-small-cnn-20261208-031500-4"
    assert new_run_name(tmp_path, TrainConfig(encoder="resnet18"), WHEN) == "mnist-5k-resnet18-20261208-031500"


@pytest.mark.parametrize("name", ["../escape", "a/b", "/abs", ".hidden", "..", "tab\there", "new\nline"])
def test_a_run_name_must_be_a_plain_folder_name(tmp_path, name):
    root = tmp_path / "runs"
    with pytest.raises(folder.RunError) as refused:
        start_run(root, TrainConfig(), name)
    assert str(refused.value) == ("A run name is a plain folder name: no slashes, no control characters, and not "
                                  "starting with a dot.")
    assert list(tmp_path.iterdir()) == [], "nothing was created, inside the root or beside it"


def test_a_taken_name_is_refused_and_the_run_there_kept(tmp_path):
    make_run(tmp_path, "mine", "finished")
    (tmp_path / "notes").write_text("not a run, still the user's")
    before = tree(tmp_path)
    for name in ("mine", "  mine  ", "notes"):
        with pytest.raises(folder.RunError) as refused:
            start_run(tmp_path, TrainConfig(), name)
        assert str(refused.value) == f"A run called {name.strip()} exists already; choose another name."
    assert tree(tmp_path) == before


def test_a_bad_config_is_refused_before_anything_starts(tmp_path):
    for name in ("bad", None):
        with pytest.raises(ConfigError, match="temperature"):
            start_run(tmp_path, TrainConfig(temperature=-1.0), name)
    assert list(tmp_path.iterdir()) == [] and busy_runs(tmp_path) == []


# --- one run at a time -------------------------------------------------------------------------------------------


def test_no_run_starts_or_resumes_while_one_trains(tmp_path):
    make_run(tmp_path, "live", "running")
    mine = make_run(tmp_path, "mine", "stopped")
    before = tree(tmp_path)
    assert busy_runs(tmp_path) == ["live"]
    for name in ("next", None):
        with pytest.raises(folder.RunError) as refused:
            start_run(tmp_path, TrainConfig(), name)
        assert str(refused.value) == "live is training on this machine; stop it or let it finish first."
    with pytest.raises(folder.RunError) as refused:
        resume_run(mine, 30.0)
    assert str(refused.value) == "live is training; one run at a time on this machine."
    assert tree(tmp_path) == before, "no folder, no log, no process file"


def test_a_run_whose_process_is_still_starting_counts_as_training(tmp_path):
    """launch.pid.json names a live process, summary.json is not written yet: loading data is part of the run."""
    (tmp_path / "loading").mkdir()
    folder.write_json(tmp_path / "loading" / PROCESS, {"pid": os.getpid()})
    with pytest.raises(folder.RunError, match="^loading is training on this machine"):
        start_run(tmp_path, TrainConfig(), "next")
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # exited and reaped: its pid names no process
    folder.write_json(tmp_path / "loading" / PROCESS, {"pid": child.pid})
    assert busy_runs(tmp_path) == [] and busy_runs(tmp_path / "absent") == []


def test_a_launched_run_is_the_one_run_and_stops_when_asked(tmp_path):
    config = TrainConfig(seconds=600.0, batch_size=32, eval_images=200, log_every=1, threads=1)
    started = start_run(tmp_path, config)  # no name: dataset-encoder-time
    run_dir, name = started.run_dir, started.run_dir.name
    assert run_dir.parent == tmp_path and re.fullmatch(r"mnist-5k-small-cnn-\d{8}-\d{6}", name), name
    assert busy_runs(tmp_path) == [name]  # busy from the moment it starts, before it writes summary.json
    with pytest.raises(folder.RunError, match=f"^{re.escape(name)} is training on this machine"):
        start_run(tmp_path, config, "second")
    assert [p.name for p in tmp_path.iterdir()] == [name]
    deadline = time.monotonic() + 300
    while not folder.read_metrics(run_dir) and started.process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert folder.is_running(run_dir), (run_dir / LOG).read_text()
    with pytest.raises(folder.RunError, match=f"^{re.escape(name)} is training; one run at a time"):
        resume_run(run_dir, 10.0)
    folder.request_stop(run_dir)
    started.process.wait(timeout=120)
    time.sleep(0.2)  # the reaper thread has collected it
    assert not folder.is_running(run_dir) and busy_runs(tmp_path) == []
    info = folder.run_info(run_dir)
    assert info.status == "stopped" and (run_dir / folder.LAST).exists()
    assert "stopped" in (run_dir / LOG).read_text()


# --- deleting ----------------------------------------------------------------------------------------------------


def test_delete_removes_only_a_stopped_run_folder_directly_inside_the_root(tmp_path):
    root = tmp_path / "runs"
    done, live = make_run(root, "done", "finished"), make_run(root, "live", "running")
    make_run(root, "other", "stopped")
    outside = make_run(tmp_path, "outside", "finished")
    (root / "plain").mkdir()
    (root / "plain" / "notes.txt").write_text("not a run, still the user's")
    (root / "link").symlink_to(outside, target_is_directory=True)
    before = tree(tmp_path)
    for victim in (outside, root / "plain", done / ".." / ".." / "outside", root, root / "link", root / "absent"):
        with pytest.raises(folder.RunError, match="is not a run folder inside .*; nothing was deleted"):
            folder.delete_run(victim, root)
    with pytest.raises(folder.RunError) as refused:
        folder.delete_run(live, root)
    assert str(refused.value) == "Run live is still training; stop it before deleting it."
    assert tree(tmp_path) == before
    folder.delete_run(done, root)
    assert not done.exists()
    assert tree(tmp_path) == {path: data for path, data in before.items() if not path.startswith(str(done) + os.sep)}
