"""The pretrained run shipped in assets/ loads and has learned something: kNN above random init."""

import json
from pathlib import Path

from simclr.data import load_dataset
from simclr.evaluate import report
from simclr.evaluate.embed import embed
from simclr.evaluate.knn import knn_accuracy
from simclr.model.checkpoint import load_checkpoint
from simclr.model.networks import build_model
from simclr.runs import folder
from simclr.runs.config import TrainConfig

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
    """The Embeddings page reads it instead of computing; after a retrain: python -m simclr.evaluate assets/demo-run --transfer"""
    config = TrainConfig.from_dict(folder.read_json(DEMO / folder.CONFIG))
    kept = report.stored_report(DEMO / folder.BEST, report.report_key(DEMO / folder.BEST, config))
    assert kept is not None, "eval-best.json is stale: python -m simclr.evaluate assets/demo-run --transfer"
    assert kept.transfer and kept.split == "test"
    assert all(0.5 < row[report.WIDE_KNN] <= 1 for row in kept.rows)  # lightly's k = 200 beside DINO's k = 20
    summary = folder.read_json(DEMO / folder.SUMMARY)
    assert summary["knn_after_test"] == kept.figure("trained", "h")
