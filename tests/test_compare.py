"""The report for a checkpoint: kept beside it and reused, recomputed when it changes; best.pt never sees test."""

import json
import os
from dataclasses import replace

import numpy as np
import pytest
import torch
from sklearn.neighbors import KNeighborsClassifier

from simclr.data import builtin
from simclr.evaluate import baselines, embed, report
from simclr.evaluate.splits import Holdout, test_split as carve_test
from simclr.model.checkpoint import load_checkpoint, save_checkpoint
from simclr.model.networks import ModelConfig, ModelError, build_model
from simclr.runs import folder
from simclr.runs.config import TrainConfig
from simclr.train.checks import ConfigError, validate
from simclr.train.cli import main
from simclr.train.loop import train

CONFIG = TrainConfig(dataset="mnist-5k", batch_size=32, max_steps=5, eval_images=300, threads=1)


@pytest.fixture
def run_dir(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    folder.write_json(run / folder.CONFIG, CONFIG.to_dict())
    save_checkpoint(run / folder.BEST, build_model(ModelConfig(in_channels=1, image_size=28), seed=1), {"step": 5})
    return run


def test_the_report_is_kept_beside_the_checkpoint_and_read_back_without_recomputing(run_dir, monkeypatch):
    first = report.checkpoint_report(run_dir / folder.BEST)
    stored = run_dir / "eval-best.json"
    written = stored.stat().st_mtime_ns
    assert json.loads(stored.read_text())["key"]["sha256"] == report.report_key(run_dir / folder.BEST, CONFIG)["sha256"]
    assert first.split == "test, 300 queries, 300 memory images"
    monkeypatch.setattr(report, "report_rows", lambda *args: pytest.fail("the stored report was recomputed"))
    again = report.checkpoint_report(run_dir / folder.BEST)
    assert again.rows == first.rows and stored.stat().st_mtime_ns == written


def test_a_rewritten_checkpoint_or_other_settings_miss_the_stored_report(run_dir):
    first = report.checkpoint_report(run_dir / folder.BEST)
    save_checkpoint(run_dir / folder.BEST, build_model(ModelConfig(in_channels=1, image_size=28), seed=7), {"step": 9})
    os.utime(run_dir / folder.BEST, ns=(0, 0))  # an old mtime: only the content tells it apart
    second = report.checkpoint_report(run_dir / folder.BEST)
    assert second.figure("trained", "h") != first.figure("trained", "h")
    assert second.figure("raw pixels", "pixels") == first.figure("raw pixels", "pixels")
    assert json.loads((run_dir / "eval-best.json").read_text())["rows"] == second.rows
    folder.write_json(run_dir / folder.CONFIG, TrainConfig(**(vars(CONFIG) | {"knn_k": 5})).to_dict())
    assert report.checkpoint_report(run_dir / folder.BEST).key["k"] == 5


def test_a_read_only_run_is_scored_without_writing(run_dir):
    found = report.checkpoint_report(run_dir / folder.BEST, keep=False)
    assert found.rows and not (run_dir / "eval-best.json").exists()


def test_the_baseline_rows_are_kept_once_in_the_data_root_for_every_run_they_fit(run_dir, tmp_path, monkeypatch):
    """Raw pixels and the random init depend on no training: a second run of the same images and seed reads them;
    another seed recomputes the random init's rows only, another cap (other images) all of them."""
    monkeypatch.setenv("SIMCLR_DATA", str(tmp_path / "data"))
    kept = tmp_path / "data" / baselines.FOLDER
    first = report.checkpoint_report(run_dir / folder.BEST, keep=False)
    stored = [row for path in kept.iterdir() for row in folder.read_json(path)["rows"]]
    assert sorted(stored, key=str) == sorted(first.rows[:3], key=str)  # raw pixels; random init h and z
    pixels, embedded = Holdout.pixels, Holdout.embedded
    monkeypatch.setattr(Holdout, "pixels", lambda self: pytest.fail("the raw-pixel row was recomputed"))
    models = []

    def counted(self, model, device):  # the networks embedded
        models.append(model)
        return embedded(self, model, device)

    monkeypatch.setattr(Holdout, "embedded", counted)
    trained = load_checkpoint(run_dir / folder.BEST)[0]
    save_checkpoint(run_dir / folder.BEST, build_model(trained.config, seed=5))  # another trained network, same init
    second = report.checkpoint_report(run_dir / folder.BEST, keep=False)
    assert second.rows[:3] == first.rows[:3] and second.rows[3:] != first.rows[3:] and len(models) == 1
    folder.write_json(run_dir / folder.CONFIG, replace(CONFIG, seed=3).to_dict())  # another random init
    assert report.checkpoint_report(run_dir / folder.BEST, keep=False).rows[1:3] != first.rows[1:3]
    assert len(models) == 3 and len(list(kept.iterdir())) == 3
    monkeypatch.setattr(Holdout, "pixels", pixels)
    folder.write_json(run_dir / folder.CONFIG, replace(CONFIG, eval_images=200).to_dict())  # other images
    assert report.checkpoint_report(run_dir / folder.BEST, keep=False).rows[0] != first.rows[0]
    assert len(list(kept.iterdir())) == 5


def test_the_report_gives_knn_at_k_20_and_at_lightly_k_200_as_scikit_learn_does(run_dir):
    """Raw pixels of the capped test split: DINO's vote (k 20, T 0.07) and lightly's (k 200, T 0.1), each against
    scikit-learn's KNeighborsClassifier with the same weights on the same images."""
    found = report.checkpoint_report(run_dir / folder.BEST, keep=False)
    test = carve_test("mnist-5k", report.run_loader(CONFIG), CONFIG.eval_images)
    memory, queries = (side.images.flatten(1).numpy() / 255 for side in (test.memory, test.queries))
    for metric, (k, temperature) in (("kNN", (20, 0.07)), (report.WIDE_KNN, (200, 0.1))):
        oracle = KNeighborsClassifier(k, metric="cosine", weights=lambda d, t=temperature: np.exp(-d / t))
        expected = oracle.fit(memory, test.memory.labels.numpy()).score(queries, test.queries.labels.numpy())
        assert found.figure("raw pixels", "pixels", metric) == pytest.approx(expected, abs=1e-6), metric
    assert report.WIDE_KNN == "kNN k=200" and all(report.WIDE_KNN in row for row in found.rows)


def test_transfer_results_join_the_stored_report(run_dir):
    report.checkpoint_report(run_dir / folder.BEST)
    with_transfer = report.checkpoint_report(run_dir / folder.BEST, transfer=True)
    methods = {row["method"] for row in with_transfer.transfer}
    assert methods == {"linear", "fine-tune", "scratch"}
    assert json.loads((run_dir / "eval-best.json").read_text())["transfer"] == with_transfer.transfer


def test_the_report_embeds_at_the_views_side_and_an_older_checkpoint_at_its_own(tmp_path, monkeypatch):
    """40 px views of the 28 px digits: a network built for them is scored on images resized to 40 px; one saved
    when image_size was the stored side (28) is scored at 28 px, as it was then."""
    config = replace(CONFIG, augment={"size": 40})
    sides, as_input = [], embed.as_input

    def seen(images, side, device):  # every batch the evaluation feeds a network goes through as_input
        sides.append(side)
        return as_input(images, side, device)

    monkeypatch.setattr(embed, "as_input", seen)
    for name, side in (("views", 40), ("older", 28)):
        run = tmp_path / name
        run.mkdir()
        folder.write_json(run / folder.CONFIG, config.to_dict())
        save_checkpoint(run / folder.BEST, build_model(ModelConfig(in_channels=1, image_size=side), seed=1))
        sides.clear()
        assert report.checkpoint_report(run / folder.BEST).rows and set(sides) == {side}
    save_checkpoint(tmp_path / "older" / folder.BEST, build_model(ModelConfig(in_channels=1, image_size=32), seed=1))
    with pytest.raises(ModelError, match="image_size: expected 40, found 32"):
        report.checkpoint_report(tmp_path / "older" / folder.BEST)


def test_the_test_split_never_reaches_the_choice_of_best_pt(tmp_path, monkeypatch):
    """Two identical runs, the second with every test label wrong: what chooses must not change, the report must."""
    def run(name: str) -> tuple[list, dict, dict]:
        config = TrainConfig(dataset="mnist-5k", batch_size=32, max_steps=6, eval_every=2, eval_overhead=None,
                             eval_images=300, log_every=1, threads=1, warmup=0.0)  # a check at every second step
        list(train(config, tmp_path / name))
        curve = [(row["step"], row["knn"]) for row in folder.read_metrics(tmp_path / name) if "knn" in row]
        weights = load_checkpoint(tmp_path / name / folder.BEST)[0].state_dict()
        return curve, weights, folder.read_json(tmp_path / name / folder.SUMMARY)

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
