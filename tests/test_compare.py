"""The report for a checkpoint: kept beside it and reused, recomputed when it changes; best.pt never sees test."""

import json
import os

import pytest
import torch

from simclr import compare, runs
from simclr.data import builtin
from simclr.model import ModelConfig, build_model, load_checkpoint, save_checkpoint
from simclr.loop import train
from simclr.train_config import ConfigError, TrainConfig, validate
from simclr.train.cli import main

CONFIG = TrainConfig(dataset="mnist-5k", batch_size=32, max_steps=5, eval_images=300, threads=1)


@pytest.fixture
def run_dir(tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    runs.write_json(folder / runs.CONFIG, CONFIG.to_dict())
    save_checkpoint(folder / runs.BEST, build_model(ModelConfig(in_channels=1, image_size=28), seed=1), {"step": 5})
    return folder


def test_the_report_is_kept_beside_the_checkpoint_and_read_back_without_recomputing(run_dir, monkeypatch):
    first = compare.evaluate_checkpoint(run_dir / runs.BEST)
    stored = run_dir / "eval-best.json"
    written = stored.stat().st_mtime_ns
    assert json.loads(stored.read_text())["key"]["sha256"] == compare.checkpoint_key(run_dir / runs.BEST, CONFIG)["sha256"]
    assert first.split == "test, 300 queries, 300 memory images"
    monkeypatch.setattr(compare, "score", lambda *args: pytest.fail("the stored report was recomputed"))
    again = compare.evaluate_checkpoint(run_dir / runs.BEST)
    assert again.rows == first.rows and stored.stat().st_mtime_ns == written


def test_a_rewritten_checkpoint_or_other_settings_miss_the_stored_report(run_dir):
    first = compare.evaluate_checkpoint(run_dir / runs.BEST)
    save_checkpoint(run_dir / runs.BEST, build_model(ModelConfig(in_channels=1, image_size=28), seed=7), {"step": 9})
    os.utime(run_dir / runs.BEST, ns=(0, 0))  # an old mtime: only the content tells it apart
    second = compare.evaluate_checkpoint(run_dir / runs.BEST)
    assert second.figure("trained", "h") != first.figure("trained", "h")
    assert second.figure("raw pixels", "pixels") == first.figure("raw pixels", "pixels")
    assert json.loads((run_dir / "eval-best.json").read_text())["rows"] == second.rows
    runs.write_json(run_dir / runs.CONFIG, TrainConfig(**(vars(CONFIG) | {"knn_k": 5})).to_dict())
    assert compare.evaluate_checkpoint(run_dir / runs.BEST).key["k"] == 5


def test_a_read_only_run_is_scored_without_writing(run_dir):
    report = compare.evaluate_checkpoint(run_dir / runs.BEST, keep=False)
    assert report.rows and not (run_dir / "eval-best.json").exists()


def test_transfer_results_join_the_stored_report(run_dir):
    compare.evaluate_checkpoint(run_dir / runs.BEST)
    with_transfer = compare.evaluate_checkpoint(run_dir / runs.BEST, transfer=True)
    methods = {row["method"] for row in with_transfer.transfer}
    assert methods == {"linear", "fine-tune", "scratch"}
    assert json.loads((run_dir / "eval-best.json").read_text())["transfer"] == with_transfer.transfer


def test_the_test_split_never_reaches_the_choice_of_best_pt(tmp_path, monkeypatch):
    """Two identical runs, the second with every test label wrong: what chooses must not change, the report must."""
    def run(name: str) -> tuple[list, dict, dict]:
        config = TrainConfig(dataset="mnist-5k", batch_size=32, max_steps=6, eval_every=2, eval_images=300,
                             log_every=1, threads=1, warmup=0.0)
        list(train(config, tmp_path / name))
        curve = [(row["step"], row["knn"]) for row in runs.read_metrics(tmp_path / name) if "knn" in row]
        weights = load_checkpoint(tmp_path / name / runs.BEST)[0].state_dict()
        return curve, weights, runs.read_json(tmp_path / name / runs.SUMMARY)

    clean_curve, clean_weights, clean = run("clean")
    real = builtin.load_mnist

    def poisoned(split: str):
        dataset = real(split)
        if split == "test":
            dataset.labels = (dataset.labels + 1) % 10  # every test label wrong
        return dataset

    monkeypatch.setattr(builtin, "load_mnist", poisoned)
    poisoned_curve, poisoned_weights, dirty = run("poisoned")
    assert dirty["knn_after_test"] < 0.1 < clean["knn_after_test"]  # the poison reached the report...
    assert poisoned_curve == clean_curve and len(clean_curve) == 3  # ...but not the kNN curve
    assert (dirty["best_step"], dirty["best_value"]) == (clean["best_step"], clean["best_value"])
    assert all(torch.equal(clean_weights[k], poisoned_weights[k]) for k in clean_weights)  # nor best.pt


def test_training_on_the_test_split_is_refused(capsys):
    with pytest.raises(ConfigError, match="test split"):
        validate(TrainConfig(split="test"))
    with pytest.raises(SystemExit) as exit_code:
        main(["--split", "test", "--max-steps", "1"])
    assert exit_code.value.code == 2 and "no held-out images" in capsys.readouterr().err
