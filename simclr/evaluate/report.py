"""The report: one evaluation protocol for a checkpoint, computed once and kept on disk beside it.

Raw pixels, the checkpoint's random initialisation and the trained encoder, scored on the test split
(simclr.evaluate.splits) by kNN and a linear probe, plus few-label transfer. kNN at the run's k (DINO's 20) and at
lightly's k = 200, so published tables of either can be read beside it.

    python -m simclr.evaluate runs/demo               # the report for best.pt, stored as runs/demo/eval-best.json
    python -m simclr.evaluate runs/demo --transfer    # with the few-label transfer results as well

The report is stored beside the checkpoint (eval-<checkpoint>.json) with the checkpoint's SHA-256 and the
protocol's settings: a rewritten checkpoint, another k or cap, or a new PROTOCOL misses it and is recomputed.
The baseline rows (raw pixels, random init) are kept once in the data root for every run they fit
(simclr.evaluate.baselines). The training run's summary (*_test figures), the CLI, the Training and the Embeddings
page all read this report.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from simclr.data import DataError, load_dataset
from simclr.evaluate import baselines
from simclr.evaluate.knn import KNN_TEMPERATURE, Vote
from simclr.evaluate.linear_probe import ProbeConfig
from simclr.evaluate.splits import MIN_LABELLED, Features, Holdout, Loader, test_split
from simclr.evaluate.transfer import TransferConfig, few_label_transfer
from simclr.model.checkpoint import checkpoint_sha256
from simclr.model.encoders import encoders
from simclr.model.networks import SimCLRModel, build_model
from simclr.runs import folder
from simclr.runs.config import TrainConfig, run_config

PROTOCOL = 2  # raise when what a report holds or how it is computed changes: older stored reports are recomputed
# (2: kNN at k = 200 as well; the linear probe stops at scikit-learn's tolerance, after at most 100 iterations)
LIGHTLY_VOTE: Vote = (200, 0.1)  # lightly's benchmark kNN (knn_k 200, knn_t 0.1, after Wu et al. 2018)
WIDE_KNN = f"kNN k={LIGHTLY_VOTE[0]}"  # its figure in a report row, beside "kNN" at the run's k
TRANSFER_BUDGETS = (1, 10, 100)  # labelled images per class, as in the paper's 1% / 10% comparison (Table 7)
FEATURES = (("raw pixels", "pixels"), ("random init", "h"), ("random init", "z"), ("trained", "h"), ("trained", "z"))
SUMMARY_KEYS = {  # summary.json key of a test figure -> the report row it copies
    "knn_pixels_test": ("raw pixels", "pixels"), "knn_before_test": ("random init", "h"),
    "knn_after_test": ("trained", "h")}
FIGURE_NAMES = {  # summary.json's kNN figures, as the CLI and the Training page name them (split added)
    "knn_pixels": "kNN raw pixels", "knn_before": "kNN random init", "knn_after": "kNN trained, last step",
    "knn_pixels_test": "kNN raw pixels", "knn_before_test": "kNN random init", "knn_after_test": "kNN trained, best.pt"}


class NoLabels(DataError):
    """The run's images have no labels (or a single one, or too few): there is nothing to score."""


@dataclass
class Report:
    """What one checkpoint scores; rows {"features", "space", "kNN", WIDE_KNN, "linear probe"} in FEATURES order."""

    key: dict  # checkpoint SHA-256, PROTOCOL, k and cap: a stored report counts only while they all match
    split: str  # the queries' split as figures are labelled: "test" or "test, 2,000 queries"
    where: str  # one sentence on which images are queries and memory
    rows: list[dict]
    transfer: list[dict] | None = None  # few_label_transfer rows, once asked for
    budgets: list[int] = field(default_factory=list)  # the transfer budgets every class can fill

    def figure(self, features: str, space: str, metric: str = "kNN") -> float:
        return next(r[metric] for r in self.rows if (r["features"], r["space"]) == (features, space))

    def summary_figures(self) -> dict:
        """summary.json's test figures: kNN of raw pixels, the random init (h) and the trained encoder (h)."""
        return {key: self.figure(*row) for key, row in SUMMARY_KEYS.items()} | {"test_split": self.split}


def labelled_figures(summary: dict) -> dict[str, float]:
    """A run's kNN figures under labels that name their split, e.g. {"kNN raw pixels (validation)": 0.95, ...}."""
    test, validation = summary.get("test_split", "test"), summary.get("validation_split", "validation")
    return {f"{name} ({test if key.endswith('_test') else validation})": summary[key]
            for key, name in FIGURE_NAMES.items() if summary.get(key) is not None}


def report_path(checkpoint: Path) -> Path:
    """Where the report of run/best.pt is kept: run/eval-best.json.

    The file keeps the "eval-" name it had before the report had one name, so older runs and the shipped demo
    run keep their reports.
    """
    return checkpoint.with_name(f"eval-{checkpoint.stem}.json")


def run_loader(config: TrainConfig) -> Loader:
    """The run's dataset by split, at its image size (the whole split, whatever subset the run trained on)."""
    path = Path(config.path) if config.path else None
    return lambda split: load_dataset(config.dataset, split=split, size=config.size, path=path)


def report_rows(random: SimCLRModel, trained: SimCLRModel, test: Holdout, k: int, device: str,
                on_phase: Callable[[str], None] = lambda phase: None) -> list[dict]:
    """kNN (at k and at lightly's k = 200) and linear probe of raw pixels, then of h and z under both encoders
    (already on `device`); the baselines, pixels and random init, are kept in the data root (simclr.evaluate.baselines).
    on_phase(text) hears what it is doing, for a progress line."""
    votes = [(k, KNN_TEMPERATURE), LIGHTLY_VOTE]
    settings = {"protocol": PROTOCOL, "votes": votes, "probe": asdict(ProbeConfig())}

    def row(features: str, space: str, pair: Features) -> dict:
        on_phase(f"kNN and linear probe, row {FEATURES.index((features, space)) + 1} of {len(FEATURES)} "
                 f"({features}, {space})")
        knn, wide = test.knn(pair, votes)
        return {"features": features, "space": space, "kNN": knn, WIDE_KNN: wide, "linear probe": test.linear(pair)}

    def network_rows(name: str, model: SimCLRModel) -> list[dict]:
        on_phase(f"embedding {len(test.memory) + len(test.queries):,} images with the {name} encoder")
        return [row(name, space, pair) for space, pair in test.embedded(model, device).items()]

    images = baselines.images_hash(test)
    pixels = baselines.baseline_rows(images, settings | {"features": "raw pixels"},
                                     lambda: [row("raw pixels", "pixels", test.pixels())])
    init = {"features": "random init", "model": asdict(random.config), "weights": baselines.weights_hash(random)}
    before = baselines.baseline_rows(images, settings | init, lambda: network_rows("random init", random))
    return pixels + before + network_rows("trained", trained)


def transfer_budgets(test: Holdout) -> list[int]:
    """The transfer budgets every class of the fit set can fill (at least one image per class)."""
    counts = torch.bincount(test.memory.labels)
    smallest = int(counts[counts > 0].min())
    return [b for b in TRANSFER_BUDGETS if b <= smallest] or [1]


def stored_report(checkpoint: Path, key: dict) -> Report | None:
    """The report kept beside `checkpoint`, when it was made for this checkpoint with these settings."""
    raw = folder.read_json(report_path(checkpoint))
    try:
        return Report(**raw) if raw.get("key") == key else None
    except TypeError:  # a file of another shape: recompute
        return None


def report_key(checkpoint: Path, config: TrainConfig) -> dict:
    return {"sha256": checkpoint_sha256(checkpoint), "protocol": PROTOCOL, "k": config.knn_k, "cap": config.eval_images}


def checkpoint_report(checkpoint: Path, device: str = "cpu", transfer: bool = False, keep: bool = True,
                      load: Loader | None = None,
                      on_phase: Callable[[str], None] = lambda phase: None) -> Report:
    """The report for a run's checkpoint: read from beside it when current, else computed (and kept if `keep`).

    `load` gives the run's images by split (default run_loader); `keep=False` for a folder that must not be
    written (the shipped demo run); on_phase(text) hears each stage of the work. Raises DataError (no labels,
    missing files) and ModelError.
    """
    checkpoint = Path(checkpoint)
    saved = folder.read_json(checkpoint.parent / folder.CONFIG)
    if not saved:
        raise DataError(f"{checkpoint.parent} has no readable config.json, so its images cannot be found.")
    config = run_config(saved)
    key = report_key(checkpoint, config)
    report = stored_report(checkpoint, key)
    if report is not None and (report.transfer is not None or not transfer):
        return report
    on_phase("loading the test split")
    test = test_split(config.dataset, load or run_loader(config), config.eval_images)
    if test is None:
        raise NoLabels(f"The {config.dataset} images have no labels (or a single one, or under "
                       f"{MIN_LABELLED}): there is nothing to score.")
    _, channels, side, _ = test.memory.images.shape
    random, trained, _ = encoders(checkpoint, config.saved_model_configs(channels, side), config.seed)
    random, trained = random.to(device), trained.to(device)
    if report is None:
        rows = report_rows(random, trained, test, config.knn_k, device, on_phase)
        report = Report(key, test.label, test.where, rows, budgets=transfer_budgets(test))
    if transfer:
        report.transfer = few_label_transfer(
            lambda seed: build_model(trained.config, seed=seed), trained, test.memory.images, test.memory.labels,
            test.queries.images, test.queries.labels, tuple(report.budgets), TransferConfig(), config.seed, device)
    if keep:
        folder.write_json(report_path(checkpoint), asdict(report))
    return report


def final_report(run_dir: Path, device: torch.device, on_phase: Callable[[str], None] = lambda phase: None) -> dict:
    """summary.json's test figures for the run's best.pt, the report kept beside it; {} without labels."""
    try:
        return checkpoint_report(Path(run_dir) / folder.BEST, device.type, on_phase=on_phase).summary_figures()
    except NoLabels:
        return {}
