"""The pretrained run shipped in assets/ loads and has learned something: kNN above random init."""

import json
from pathlib import Path

from simclr.data import load_dataset
from simclr.evaluate import embed, knn_accuracy
from simclr.model import build_model, load_checkpoint

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
