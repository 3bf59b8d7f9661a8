"""Pretraining end to end: the CLI's run folder, resume, kill, SIGTERM, divergence, bad flags, and a falling loss."""

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from simclr.model.checkpoint import load_checkpoint, save_checkpoint
from simclr.model.networks import ModelConfig, ModelError, build_model
from simclr.runs import folder
from simclr.runs.config import TrainConfig
from simclr.train.checks import ConfigError, resume_config, validate
from simclr.train.cli import config_from_args, main
from simclr.train.loop import train
from simclr.train.optim import build_optimizer

ROOT = Path(__file__).resolve().parent.parent
TINY = ["--batch-size", "32", "--eval-images", "200", "--eval-every", "2", "--log-every", "1",
        "--checkpoint-every", "2", "--threads", "1"]  # a few cheap steps with every kind of event in them
FILES = {folder.CONFIG, folder.METRICS, folder.SUMMARY, folder.LAST, folder.BEST}


def cli(*args) -> list[str]:
    return [sys.executable, "-m", "simclr.train", *map(str, args)]


def run_cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run(cli(*args), cwd=ROOT, capture_output=True, text=True, timeout=300)


def wait_for(condition, what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def steps_logged(run_dir: Path) -> list[int]:
    return [row["step"] for row in folder.read_metrics(run_dir)]


def tiny_config(**changes) -> TrainConfig:
    base = dict(subset=64, batch_size=32, eval_images=200, eval_every=1000, log_every=1, threads=1)
    return TrainConfig(**(base | changes))


def test_cli_writes_a_run_folder_and_resume_continues_it(tmp_path):
    run_dir = tmp_path / "demo"
    first = run_cli("--max-steps", 3, "--out", run_dir, *TINY)
    assert first.returncode == 0, first.stderr
    assert "git: " in first.stdout and "batch_size: 32" in first.stdout and "temperature: 0.5" in first.stdout
    assert FILES <= {p.name for p in run_dir.iterdir()}
    config = json.loads((run_dir / folder.CONFIG).read_text())
    assert config["batch_size"] == 32 and config["augment"]["crop_scale"] == [0.2, 1.0]
    summary = json.loads((run_dir / folder.SUMMARY).read_text())
    assert summary["status"] == "finished" and summary["steps"] == 3 and summary["pid"] > 0
    assert summary["views_per_second"] > 0 and math.isfinite(summary["final_loss"]) and summary["device"]
    for key in ("knn_pixels", "knn_before", "knn_after"):
        assert 0.1 < summary[key] <= 1.0  # ten digit classes: far above chance for all three
    assert steps_logged(run_dir) == [1, 2, 3]
    assert all(math.isfinite(row["loss"]) and "lr" in row for row in folder.read_metrics(run_dir))
    assert "knn" in folder.read_metrics(run_dir)[1]  # eval_every 2
    payload = torch.load(run_dir / folder.LAST, map_location="cpu", weights_only=True)
    assert payload["extra"]["step"] == 3 and payload["extra"]["optimizer"]["state"]
    load_checkpoint(run_dir / folder.BEST, expect=ModelConfig("small-cnn", 1, 28))

    second = run_cli("--resume", run_dir, "--max-steps", 2)
    assert second.returncode == 0, second.stderr
    resumed = json.loads((run_dir / folder.SUMMARY).read_text())
    assert resumed["status"] == "finished" and resumed["steps"] == 5
    assert resumed["knn_before"] == summary["knn_before"]
    assert steps_logged(run_dir) == [1, 2, 3, 4, 5]
    extra = torch.load(run_dir / folder.LAST, map_location="cpu", weights_only=True)["extra"]
    assert extra["step"] == 5
    assert all(s["step"] == 5 for s in extra["optimizer"]["state"].values())  # Adam's count went on, not restarted


def test_a_killed_run_keeps_its_checkpoint_shows_failed_and_resumes(tmp_path):
    run_dir = tmp_path / "killed"
    process = subprocess.Popen(cli("--seconds", 600, "--out", run_dir, *TINY), cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: (run_dir / folder.LAST).exists() and steps_logged(run_dir)[-1:] >= [3], "a checkpoint")
    finally:
        process.kill()
        process.wait()
    _, extra = load_checkpoint(run_dir / folder.LAST)
    assert extra["step"] >= 2
    [info] = folder.list_runs(tmp_path)
    assert info.status == "failed" and info.summary["status"] == "running" and "resume" in info.message

    again = run_cli("--resume", run_dir, "--max-steps", 1)
    assert again.returncode == 0, again.stderr
    assert steps_logged(run_dir) == list(range(1, extra["step"] + 2))  # rows after the checkpoint were redone


@pytest.mark.skipif(os.name == "nt", reason="POSIX signals")
def test_sigterm_finishes_the_step_saves_and_ends_stopped(tmp_path):
    run_dir = tmp_path / "term"
    process = subprocess.Popen(cli("--seconds", 600, "--out", run_dir, *TINY), cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: len(steps_logged(run_dir)) >= 1, "the first step")
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    summary = json.loads((run_dir / folder.SUMMARY).read_text())
    assert summary["status"] == "stopped"
    assert torch.load(run_dir / folder.LAST, weights_only=True)["extra"]["step"] == summary["steps"]


def test_a_diverging_run_stops_with_a_message_and_keeps_finite_weights(tmp_path):
    run_dir = tmp_path / "nan"
    result = run_cli("--optimizer", "sgd", "--lr", "1e10", "--warmup", 0, "--max-steps", 50, "--out", run_dir,
                     *TINY, "--checkpoint-every", 1)
    assert result.returncode == 1
    assert "Training diverged" in result.stderr and "Lower the learning rate" in result.stderr
    summary = json.loads((run_dir / folder.SUMMARY).read_text())
    assert summary["status"] == "diverged" and "last good checkpoint" in summary["message"]
    assert folder.list_runs(tmp_path)[0].status == "diverged"
    model, extra = load_checkpoint(run_dir / folder.LAST)
    assert 1 <= extra["step"] <= summary["steps"] < 50
    assert all(torch.isfinite(t).all() for t in model.state_dict().values() if t.is_floating_point())


def test_bad_flag_exits_2_with_a_message_and_no_traceback(tmp_path):
    result = run_cli("--temperature", 0, "--out", tmp_path / "bad")
    assert result.returncode == 2
    assert "temperature must be above 0" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "bad").exists()


@pytest.mark.parametrize("argv, words", [
    (["--seconds", "0"], "time budget must be above 0"),
    (["--batch-size", "5000"], "larger than the 4000 training images"),
    (["--lr", "-1"], "learning rate must be above 0"),
    (["--aug", "crop_scale=0.5"], "crop_scale"),
    (["--aug", "sharpness=2"], "KEY one of"),
    (["--resume", "nowhere"], "no config.json"),
])
def test_bad_flags_exit_2(argv, words, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv + ([] if "--resume" in argv else ["--out", str(tmp_path / "bad")]))
    assert exit_info.value.code == 2
    assert words in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_a_missing_device_exits_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--device", "cuda", "--max-steps", "1", "--out", str(tmp_path / "gpu")])
    assert exit_info.value.code == 2 and "not available" in capsys.readouterr().err


def test_resume_refuses_changes_that_would_not_fit_the_checkpoint(tmp_path, capsys):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    folder.write_json(run_dir / folder.CONFIG, TrainConfig().to_dict())
    done = {"step": 10, "epoch": 0.5, "seconds": 30.0}
    save_checkpoint(run_dir / folder.LAST, build_model(ModelConfig(), seed=0), done)
    with pytest.raises(SystemExit):
        main(["--resume", str(run_dir), "--lr", "0.1"])
    assert "only seconds, epochs, max_steps" in capsys.readouterr().err
    assert resume_config(run_dir, seconds=20).seconds == 50  # 30 done + 20 more
    assert resume_config(run_dir, max_steps=5).max_steps == 15
    assert resume_config(run_dir, epochs=2).epochs == 2.5
    assert resume_config(run_dir, threads=1) == TrainConfig.from_dict(TrainConfig(threads=1).to_dict())


@pytest.mark.parametrize("changes, words", [
    ({"temperature": -0.1}, "temperature"), ({"batch_size": 1}, "at least 2"), ({"seconds": None}, "budget"),
    ({"epochs": 0, "seconds": None}, "epochs"), ({"optimizer": "rmsprop"}, "adam, sgd, lars"),
    ({"preset": "strong"}, "paper-cifar"), ({"augment": {"flip_p": 2.0}}, "flip_p"), ({"warmup": 1.0}, "warmup"),
    ({"schedule": "step"}, "cosine, constant"),
])
def test_validate_names_the_bad_setting(changes, words):
    with pytest.raises(ConfigError, match=words):
        validate(TrainConfig(**changes))


def test_a_run_from_before_width_and_pool_resumes_with_its_old_cnn(tmp_path):
    """config.json and last.pt written before `width` and `pool`: the run is the 16-32-64-128 CNN and trains on."""
    run_dir = tmp_path / "old"
    run_dir.mkdir()
    old = TrainConfig(max_steps=2, batch_size=32, eval_every=1000, width=16, pool=1).to_dict()
    del old["width"], old["pool"]
    folder.write_json(run_dir / folder.CONFIG, old)
    model = build_model(ModelConfig(width=16, pool=1), seed=0)
    save_checkpoint(run_dir / folder.LAST, model, {"step": 1, "epoch": 0.01, "seconds": 1.0, "best": None,
                                                   "warm_down": None, "config": old,
                                                 "optimizer": build_optimizer(model, "adam", 1e-3, 1e-6).state_dict()})
    config = resume_config(run_dir, max_steps=1)
    assert (config.width, config.pool) == (16, 1)
    fresh, _, _ = config_from_args({"max_steps": 1})  # a new run: today's defaults, not the old run's
    assert (fresh.width, fresh.pool) == (8, 2)
    colour = config_from_args({"dataset": "cifar10", "max_steps": 1})[0]  # the colour-image defaults
    assert (colour.width, colour.batch_size, colour.temperature) == (32, 256, 0.1)
    rows = list(train(config, run_dir, resume=True))
    assert rows[-1]["step"] == 2 and folder.read_json(run_dir / folder.SUMMARY)["status"] == "finished"


def test_a_run_from_before_image_size_meant_the_views_side_resumes_with_its_network(tmp_path):
    """40 px views of 28 px digits: last.pt written when image_size was the stored side (28) trains on as it was;
    a network that fits neither side is refused with the difference named."""
    run_dir = tmp_path / "old"
    run_dir.mkdir()
    old = tiny_config(max_steps=2, augment={"size": 40}).to_dict()
    folder.write_json(run_dir / folder.CONFIG, old)
    model = build_model(ModelConfig(image_size=28), seed=0)
    extra = {"step": 1, "epoch": 0.5, "seconds": 1.0, "best": None, "warm_down": None, "config": old,
             "optimizer": build_optimizer(model, "adam", 1e-2, 1e-6).state_dict()}
    save_checkpoint(run_dir / folder.LAST, model, extra)
    assert TrainConfig.from_dict(old).model_config(1, 28).image_size == 40  # a new run's network: the views' side
    rows = list(train(resume_config(run_dir, max_steps=1), run_dir, resume=True))
    assert rows[-1]["step"] == 2 and folder.read_json(run_dir / folder.SUMMARY)["status"] == "finished"
    assert load_checkpoint(run_dir / folder.LAST)[0].config.image_size == 28
    save_checkpoint(run_dir / folder.LAST, build_model(ModelConfig(image_size=32), seed=0), extra | {"step": 2})
    with pytest.raises(ModelError, match="image_size: expected 40, found 32"):
        list(train(resume_config(run_dir, max_steps=1), run_dir, resume=True))


def test_a_constant_schedule_trains_at_the_peak_on_every_step(tmp_path):
    argv = ["--schedule", "constant", "--warmup", "0", "--lr", "0.003", "--max-steps", "6", "--subset", "64", *TINY]
    assert main([*argv, "--out", str(tmp_path / "flat")]) == 0
    assert [row["lr"] for row in folder.read_metrics(tmp_path / "flat")] == [3e-3] * 6
    assert folder.read_json(tmp_path / "flat" / folder.CONFIG)["schedule"] == "constant"
    old = TrainConfig().to_dict()
    del old["schedule"]  # config.json from before `schedule`: the cosine it trained with
    assert TrainConfig.from_dict(old).schedule == "cosine"
    course, _, _ = config_from_args({"recipe": "Course Unit 7.7", "max_steps": 1})
    assert (course.schedule, course.warmup, course.lr, course.batch_size) == ("constant", 0.0, 5e-4, 256)


def test_config_survives_config_json():
    config = TrainConfig(batch_size=128, preset="paper-imagenet", augment={"blur_sigma": (0.5, 1.0)}, epochs=3.0)
    back = TrainConfig.from_dict(json.loads(json.dumps(config.to_dict())))
    assert back.augment_config() == config.augment_config()
    def rest(c: TrainConfig) -> dict:
        return {k: v for k, v in vars(c).items() if k != "augment"}

    assert rest(back) == rest(config)


def test_loss_falls_on_a_fixed_small_batch(tmp_path):
    config = tiny_config(subset=32, max_steps=80, warmup=0.0, lr=3e-3)  # one batch: the same 32 images each step
    losses = [row["loss"] for row in train(config, tmp_path / "fall")]
    assert len(losses) == 80
    assert sum(losses[-5:]) / 5 < sum(losses[:5]) / 5 - 0.2  # seeds 0-2 fall by 0.43-0.57; noise is ~0.05


def test_stop_file_and_closing_the_generator_stop_with_a_checkpoint(tmp_path):
    rows = train(tiny_config(seconds=600), tmp_path / "file")
    for row in rows:
        if row["step"] == 2:
            folder.request_stop(tmp_path / "file")
    assert row["step"] == 2
    summary = folder.read_json(tmp_path / "file" / folder.SUMMARY)
    assert summary["status"] == "stopped" and summary["steps"] == 2

    rows = train(tiny_config(seconds=600), tmp_path / "closed")
    next(rows), next(rows), next(rows)
    rows.close()
    summary = folder.read_json(tmp_path / "closed" / folder.SUMMARY)
    assert summary["status"] == "stopped" and summary["steps"] == 3
    assert torch.load(tmp_path / "closed" / folder.LAST, weights_only=True)["extra"]["step"] == 3


def test_after_training_summary_json_says_what_the_run_does_until_it_ends(tmp_path, monkeypatch):
    """The final validation, then each stage of the test report, for the Training page; gone once it ends."""
    monkeypatch.setenv("SIMCLR_DATA", str(tmp_path / "data"))  # no baseline rows kept from an earlier run
    phases, write = [], folder.write_json

    def recording(path, obj):
        if Path(path).name == folder.SUMMARY and obj.get("phase") and obj["phase"] not in phases:
            phases.append(obj["phase"])
        write(path, obj)

    monkeypatch.setattr(folder, "write_json", recording)
    list(train(tiny_config(max_steps=3), tmp_path / "run"))
    rows = [f"final report: kNN and linear probe, row {i} of 5 ({f}, {s})" for i, (f, s) in enumerate(
        [("raw pixels", "pixels"), ("random init", "h"), ("random init", "z"), ("trained", "h"), ("trained", "z")], 1)]
    embedding = [f"final report: embedding 400 images with the {name} encoder" for name in ("random init", "trained")]
    assert phases == ["final validation (kNN of h)", "final report: loading the test split", rows[0], embedding[0],
                      *rows[1:3], embedding[1], *rows[3:]]
    summary = folder.read_json(tmp_path / "run" / folder.SUMMARY)
    assert summary["status"] == "finished" and "phase" not in summary


def test_a_run_without_labels_keeps_the_lowest_loss_as_best(tmp_path):
    rows = list(train(tiny_config(dataset="photos", size=32, batch_size=8, max_steps=3, subset=None), tmp_path / "p"))
    summary = folder.read_json(tmp_path / "p" / folder.SUMMARY)
    assert summary["status"] == "finished" and "knn_after" not in summary and "knn" not in rows[-1]
    assert summary["best_metric"] == "loss" and (tmp_path / "p" / folder.BEST).exists()


@pytest.mark.parametrize("changes", [
    dict(precision="bf16"),  # bf16 autocast on the CPU: the path a GPU run takes, at least run
    dict(encoder="resnet18", channels_last=True, subset=32, batch_size=16),
])
def test_the_gpu_code_paths_run_on_the_cpu(changes, tmp_path):
    rows = list(train(tiny_config(max_steps=3, **changes), tmp_path / "run"))
    summary = folder.read_json(tmp_path / "run" / folder.SUMMARY)
    assert len(rows) == 3 and summary["status"] == "finished" and math.isfinite(summary["final_loss"])


def test_resume_with_more_seconds_continues_the_rate_downwards(tmp_path):
    run_dir = tmp_path / "more"
    for _ in train(tiny_config(max_steps=20, warmup=0.0), run_dir):
        pass
    before = [row["lr"] for row in folder.read_metrics(run_dir)]
    for _ in train(resume_config(run_dir, max_steps=20), run_dir, resume=True):
        pass
    after = [row["lr"] for row in folder.read_metrics(run_dir)][len(before):]
    assert len(after) == 20 and after[0] <= 0.1 * before[0] + 1e-12  # from the floor, not back to the peak
    assert all(a >= b for a, b in zip(after, after[1:]))
