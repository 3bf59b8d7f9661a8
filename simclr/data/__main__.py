"""Command line: download a dataset with a progress bar.

    python -m simclr.data download cifar10 [--root DIR]    # the only code path that uses the network
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from simclr.data.cifar_stl import ARCHIVES
from simclr.data.dataset import DataError
from simclr.data.registry import default_data_root, download


def main(argv: list[str] | None = None) -> int:
    """Parse argv, download, print where the files are; 1 with the message on stderr when it fails."""
    from tqdm import tqdm

    parser = argparse.ArgumentParser(prog="python -m simclr.data", description="Fetch datasets for SimCLR Playground.")
    commands = parser.add_subparsers(dest="command", required=True)
    fetch = commands.add_parser("download", help="download and unpack a dataset into the data root")
    fetch.add_argument("name", choices=sorted(ARCHIVES), help="cifar10 is 163 MB, stl10 2.6 GB")
    fetch.add_argument("--root", type=Path, default=None,
                       help=f"data root (default: $SIMCLR_DATA or {default_data_root()})")
    args = parser.parse_args(argv)
    root = args.root or default_data_root()
    with tqdm(unit="B", unit_scale=True, unit_divisor=1024, desc=args.name) as bar:
        def progress(done: int, total: int) -> None:
            bar.total = total or None
            bar.update(done - bar.n)

        try:
            download(args.name, root, progress)
        except DataError as error:
            bar.close()
            print(error, file=sys.stderr)
            return 1
    print(f"{args.name} is ready in {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
