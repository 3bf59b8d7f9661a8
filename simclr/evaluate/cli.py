"""`python -m simclr.evaluate RUN`: print a checkpoint's report (computing and keeping it when it is not stored)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from simclr.data import DataError
from simclr.evaluate.report import WIDE_KNN, checkpoint_report, report_path
from simclr.model.networks import ModelError
from simclr.runs import folder


def main(argv: list[str] | None = None, prog: str = "python -m simclr.evaluate") -> int:
    parser = argparse.ArgumentParser(prog=prog, description="The report for a run's checkpoint: raw pixels, its "
                                     "random initialisation and the trained encoder, scored on the test split.")
    parser.add_argument("run", type=Path, help="a run folder (config.json and the checkpoint)")
    parser.add_argument("--checkpoint", default=folder.BEST, choices=(folder.BEST, folder.LAST))
    parser.add_argument("--transfer", action="store_true", help="also few-label transfer (minutes for ResNet-18)")
    parser.add_argument("--device", default="cpu", help="where the encoders run (cpu, cuda, mps)")
    args = parser.parse_args(argv)
    try:
        report = checkpoint_report(args.run / args.checkpoint, args.device, args.transfer)
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
