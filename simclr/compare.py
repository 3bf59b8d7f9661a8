"""One evaluation protocol for a checkpoint: raw pixels, its random initialisation and the trained encoder, scored
on the test split (simclr.holdout) by kNN and a linear probe, plus few-label transfer; computed once, kept on disk.
kNN at the run's k (DINO's 20) and at lightly's k = 200, so published tables of either can be read beside it.

    python -m simclr.compare runs/demo                  # the report for best.pt, stored as runs/demo/eval-best.json
    python -m simclr.compare runs/demo --transfer       # with the few-label transfer results as well

The report is stored beside the checkpoint (eval-<checkpoint>.json) with the checkpoint's SHA-256 and the
protocol's settings: a rewritten checkpoint, another k or cap, or a new PROTOCOL misses it and is recomputed.
The baseline rows (raw pixels, random init) are kept once in the data root for every run they fit
(simclr.stored_baselines). The training run's summary (*_test figures), the CLI, the Training and the Embeddings
page all read this report.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from simclr import runs, stored_baselines
from simclr.data import Dataset, DataError, load_dataset
from simclr.evaluate import KNN_TEMPERATURE, ProbeConfig, TransferConfig, Vote, few_label_transfer
from simclr.holdout import MIN_LABELLED, Features, Holdout, Loader, test_split
from simclr.model import ModelError, SimCLRModel, build_model, checkpoint_sha256, load_checkpoint
from simclr.train_config import TrainConfig, run_config

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
    """Where the report of run/best.pt is kept: run/eval-best.json."""
    return checkpoint.with_name(f"eval-{checkpoint.stem}.json")


def run_loader(config: TrainConfig) -> Loader:
    """The run's dataset by split, at its image size (the whole split, whatever subset the run trained on)."""
    path = Path(config.path) if config.path else None
    return lambda split: load_dataset(config.dataset, split=split, size=config.size, path=path)


def encoders(checkpoint: Path, config: TrainConfig, images: Dataset) -> tuple[SimCLRModel, SimCLRModel, dict]:
    """(random init, trained, checkpoint extra) in eval mode on the CPU; raises ModelError.

    The random initialisation is the run's own starting point: the same architecture and seed. A checkpoint
    from before image_size meant the views' side is read as it was written (and evaluated at the stored side).
    """
    _, channels, side, _ = images.images.shape
    trained, extra = load_checkpoint(checkpoint, expect=config.saved_model_configs(channels, side))
    return build_model(trained.config, seed=config.seed).eval(), trained.eval(), extra


def score(random: SimCLRModel, trained: SimCLRModel, test: Holdout, k: int, device: str,
          on_phase: Callable[[str], None] = lambda phase: None) -> list[dict]:
    """kNN (at k and at lightly's k = 200) and linear probe of raw pixels, then of h and z under both encoders
    (already on `device`); the baselines, pixels and random init, are kept in the data root (stored_baselines).
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

    images = stored_baselines.images_hash(test)
    pixels = stored_baselines.baseline_rows(images, settings | {"features": "raw pixels"},
                                            lambda: [row("raw pixels", "pixels", test.pixels())])
    init = {"features": "random init", "model": asdict(random.config), "weights": stored_baselines.weights_hash(random)}
    before = stored_baselines.baseline_rows(images, settings | init, lambda: network_rows("random init", random))
    return pixels + before + network_rows("trained", trained)


def transfer_budgets(test: Holdout) -> list[int]:
    """The transfer budgets every class of the fit set can fill (at least one image per class)."""
    counts = torch.bincount(test.memory.labels)
    smallest = int(counts[counts > 0].min())
    return [b for b in TRANSFER_BUDGETS if b <= smallest] or [1]


def stored(checkpoint: Path, key: dict) -> Report | None:
    """The report kept beside `checkpoint`, when it was made for this checkpoint with these settings."""
    raw = runs.read_json(report_path(checkpoint))
    try:
        return Report(**raw) if raw.get("key") == key else None
    except TypeError:  # a file of another shape: recompute
        return None


def checkpoint_key(checkpoint: Path, config: TrainConfig) -> dict:
    return {"sha256": checkpoint_sha256(checkpoint), "protocol": PROTOCOL, "k": config.knn_k, "cap": config.eval_images}


def evaluate_checkpoint(checkpoint: Path, device: str = "cpu", transfer: bool = False, keep: bool = True,
                        load: Loader | None = None,
                        on_phase: Callable[[str], None] = lambda phase: None) -> Report:
    """The report for a run's checkpoint: read from beside it when current, else computed (and kept if `keep`).

    `load` gives the run's images by split (default run_loader); `keep=False` for a folder that must not be
    written (the shipped demo run); on_phase(text) hears each stage of the work. Raises DataError (no labels,
    missing files) and ModelError.
    """
    checkpoint = Path(checkpoint)
    saved = runs.read_json(checkpoint.parent / runs.CONFIG)
    if not saved:
        raise DataError(f"{checkpoint.parent} has no readable config.json, so its images cannot be found.")
    config = run_config(saved)
    key = checkpoint_key(checkpoint, config)
    report = stored(checkpoint, key)
    if report is not None and (report.transfer is not None or not transfer):
        return report
    on_phase("loading the test split")
    test = test_split(config.dataset, load or run_loader(config), config.eval_images)
    if test is None:
        raise NoLabels(f"The {config.dataset} images have no labels (or a single one, or under "
                       f"{MIN_LABELLED}): there is nothing to score.")
    random, trained, _ = encoders(checkpoint, config, test.memory)
    random, trained = random.to(device), trained.to(device)
    if report is None:
        report = Report(key, test.label, test.where, score(random, trained, test, config.knn_k, device, on_phase),
                        budgets=transfer_budgets(test))
    if transfer:
        report.transfer = few_label_transfer(
            lambda seed: build_model(trained.config, seed=seed), trained, test.memory.images, test.memory.labels,
            test.queries.images, test.queries.labels, tuple(report.budgets), TransferConfig(), config.seed, device)
    if keep:
        runs.write_json(report_path(checkpoint), asdict(report))
    return report


def final_report(run_dir: Path, device: torch.device, on_phase: Callable[[str], None] = lambda phase: None) -> dict:
    """summary.json's test figures for the run's best.pt, the report kept beside it; {} without labels."""
    try:
        return evaluate_checkpoint(Path(run_dir) / runs.BEST, device.type, on_phase=on_phase).summary_figures()
    except NoLabels:
        return {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simclr.compare", description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="a run folder (config.json and the checkpoint)")
    parser.add_argument("--checkpoint", default=runs.BEST, choices=(runs.BEST, runs.LAST))
    parser.add_argument("--transfer", action="store_true", help="also few-label transfer (minutes for ResNet-18)")
    parser.add_argument("--device", default="cpu", help="where the encoders run (cpu, cuda, mps)")
    args = parser.parse_args(argv)
    try:
        report = evaluate_checkpoint(args.run / args.checkpoint, args.device, args.transfer)
    except (DataError, ModelError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"{report_path(args.run / args.checkpoint)}: {report.where}")
    names = {"kNN": f"kNN k={report.key['k']}", WIDE_KNN: WIDE_KNN, "linear probe": "linear probe"}
    for row in report.rows:
        print(f"{row['features']:>12} {row['space']:>6}  " + "  ".join(
            f"{name} ({report.split}) {row[metric]:.3f}" for metric, name in names.items()))
    for row in report.transfer or []:
        print(f"transfer {row['labels_per_class']:>4} labels/class {row['method']:>10}: {row['accuracy']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
