"""Background runs as the app starts them: the command line reproduces the config; the STOP file ends the run."""

import time

import pytest

from simclr import runs
from simclr.launch import LOG, command, launch, resume_command
from simclr.train_config import TrainConfig
from simclr.train.cli import build_parser, config_from_args


def parsed(argv: list[str]) -> tuple[TrainConfig, str, bool]:
    assert argv[1:3] == ["-m", "simclr.train"]
    config, run_dir, resume = config_from_args(vars(build_parser().parse_args(argv[3:])))
    return config, str(run_dir), resume


def settings(config: TrainConfig) -> dict:
    """Every setting, with the augmentation as the AugmentConfig it resolves to (overrides may be spelled otherwise)."""
    return {k: v for k, v in vars(config).items() if k != "augment"} | {"views": config.augment_config()}


@pytest.mark.parametrize("config", [
    TrainConfig(),
    TrainConfig(batch_size=64, optimizer="sgd", lr=0.1, temperature=0.2, seconds=None, epochs=2.5, amp=False,
                threads=1, subset=100, seed=3, preset="paper-imagenet",
                augment={"blur_sigma": (0.5, 1.0), "flip": False}),
    TrainConfig(dataset="folder", path="/data/my images", size=64, seconds=30.0, max_steps=7, augment={},
                eval_every=50, checkpoint_every=9, knn_k=5, warmup=0.0, weight_decay=0.0),
])
def test_command_reproduces_the_config(config, tmp_path):
    got, run_dir, resume = parsed(command(config, tmp_path / "r"))
    assert settings(got) == settings(config) and run_dir == str(tmp_path / "r") and not resume


def test_resume_command(tmp_path):
    assert resume_command(tmp_path, 30.0)[3:] == ["--resume", str(tmp_path), "--seconds", "30.0"]
    assert resume_command(tmp_path)[3:] == ["--resume", str(tmp_path)]


def test_a_launched_run_stops_when_asked_and_is_reaped(tmp_path):
    run_dir = tmp_path / "bg"
    config = TrainConfig(seconds=600.0, batch_size=32, eval_images=200, log_every=1, threads=1)
    process = launch(command(config, run_dir), run_dir)
    deadline = time.monotonic() + 120
    while not runs.read_metrics(run_dir) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert runs.is_running(run_dir), (run_dir / LOG).read_text()
    runs.request_stop(run_dir)
    process.wait(timeout=120)
    time.sleep(0.2)  # the reaper thread has collected it
    assert not runs.is_running(run_dir)
    info = runs.run_info(run_dir)
    assert info.status == "stopped" and (run_dir / runs.LAST).exists()
    assert "stopped" in (run_dir / LOG).read_text()
