"""The pretrained run shipped in assets/ loads and has learned something: kNN above random init."""

import json
from pathlib import Path

from simclr import compare, runs
from simclr.data import load_dataset
from simclr.evaluate import embed, knn_accuracy
from simclr.model import build_model, load_checkpoint
from simclr.train_config import TrainConfig

DEMO = Path(__file__).resolve().parent.parent / "assets" / "demo-run"


def test_shipped_checkpoint_beats_its_random_initialisation():
    config = json.loads((DEMO / "config.json").read_text())
    trained, _ = load_checkpoint(DEMO / "best.pt")
    random = build_model(trained.config, seed=config["seed"])
    train, test = load_dataset("mnist-5k", split="train"), load_dataset("mnist-5k", split="test")
    scores = {}
    for name, model in {"random": random, "trained": trained}.items():
        train_h, _ = embed(model, train.images)
        test_h, _ = embed(model, test.images)
        scores[name] = knn_accuracy(train_h, train.labels, test_h, test.labels, k=20)
    assert scores["trained"] > scores["random"] + 0.05, scores
    assert scores["trained"] > 0.94, scores


def test_demo_run_is_small_enough_to_ship():
    assert sum(f.stat().st_size for f in DEMO.iterdir()) < 2_000_000


def test_shipped_report_belongs_to_the_shipped_checkpoint():
    """The Embeddings page reads it instead of computing; after a retrain: python -m simclr.compare assets/demo-run --transfer"""
    config = TrainConfig.from_dict(runs.read_json(DEMO / runs.CONFIG))
    report = compare.stored(DEMO / runs.BEST, compare.checkpoint_key(DEMO / runs.BEST, config))
    assert report is not None, "eval-best.json is stale: python -m simclr.compare assets/demo-run --transfer"
    assert report.transfer and report.split == "test"
    assert all(0.5 < row[compare.WIDE_KNN] <= 1 for row in report.rows)  # lightly's k = 200 beside DINO's k = 20
    summary = runs.read_json(DEMO / runs.SUMMARY)
    assert summary["knn_after_test"] == report.figure("trained", "h")
