"""Background runs as the app starts them: the config file reproduces the config; busy is read from disk."""

import json
import time

import pytest

from simclr.runs import folder
from simclr.runs.config import TrainConfig
from simclr.train.checks import ConfigError
from simclr.train.cli import config_from_args
from simclr.train.flags import build_parser
from simclr.train.launch import LOG, REQUEST, busy_runs, start_run


def parsed(argv: list[str]) -> tuple[TrainConfig, str, bool]:
    config, run_dir, resume = config_from_args(vars(build_parser().parse_args(argv)))
    return config, str(run_dir), resume


def settings(config: TrainConfig) -> dict:
    """Every setting, with the augmentation as the AugmentConfig it resolves to (overrides may be spelled otherwise)."""
    return {k: v for k, v in vars(config).items() if k != "augment"} | {"views": config.augment_config()}


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


def test_a_bad_config_is_refused_before_anything_starts(tmp_path):
    with pytest.raises(ConfigError, match="temperature"):
        start_run(TrainConfig(temperature=-1.0), tmp_path / "bad")
    assert not (tmp_path / "bad").exists() and busy_runs(tmp_path) == []


def test_a_launched_run_stops_when_asked_and_is_reaped(tmp_path):
    run_dir = tmp_path / "bg"
    config = TrainConfig(seconds=600.0, batch_size=32, eval_images=200, log_every=1, threads=1)
    process = start_run(config, run_dir)
    assert busy_runs(tmp_path) == ["bg"]  # busy from the moment it starts, before it writes summary.json
    deadline = time.monotonic() + 300
    while not folder.read_metrics(run_dir) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert folder.is_running(run_dir), (run_dir / LOG).read_text()
    folder.request_stop(run_dir)
    process.wait(timeout=120)
    time.sleep(0.2)  # the reaper thread has collected it
    assert not folder.is_running(run_dir) and busy_runs(tmp_path) == []
    info = folder.run_info(run_dir)
    assert info.status == "stopped" and (run_dir / folder.LAST).exists()
    assert "stopped" in (run_dir / LOG).read_text()
