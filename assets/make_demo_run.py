"""Retrain the shipped demo run (assets/demo-run) with its live-map snapshots: `python assets/make_demo_run.py`.

Runs the project's own CLI into a temporary folder, draws the replay's maps (simclr.live_map, as the
Embeddings page would), then keeps only the small files: best.pt (weights, no optimizer), config.json,
metrics.jsonl, summary.json and snapshots/ with sample.json and the maps (float32 (1000, 2), 8 KB each);
the snapshots' h (0.25 MB each) is left out, the maps are all the replay needs. Last, `python -m simclr.compare
--transfer` stores the Embeddings page's report (eval-best.json) beside best.pt, and the page's first two maps
are drawn and stored there too (maps-best-*.npz, simclr.stored_maps).
"""
import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

import torch  # noqa: E402

from simclr import compare, live_map, runs, snapshots, stored_maps  # noqa: E402
from simclr.data import load_dataset  # noqa: E402
from simclr.evaluate import embed  # noqa: E402
from simclr.train_config import run_config  # noqa: E402

DEMO = ROOT / "assets" / "demo-run"
COMMAND = ["--dataset", "mnist-5k", "--max-steps", "1500", "--threads", "1"]  # the default run, 60 s of a quiet core


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEMO, help="where the demo run goes (default: assets/demo-run)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp) / "demo-run"
        subprocess.run([sys.executable, "-m", "simclr.train", *COMMAND, "--out", str(run_dir)], cwd=ROOT, check=True)
        live_map.maps(run_dir)  # draws and saves map-<step>.npy beside each snapshot
        for step in snapshots.steps(run_dir):
            (run_dir / snapshots.SNAPSHOTS / f"h-{step:06d}.npy").unlink()
        keep = [runs.BEST, runs.CONFIG, runs.METRICS, runs.SUMMARY]
        args.out.mkdir(parents=True, exist_ok=True)
        for name in keep:
            shutil.copy2(run_dir / name, args.out / name)
        shutil.rmtree(args.out / snapshots.SNAPSHOTS, ignore_errors=True)
        shutil.copytree(run_dir / snapshots.SNAPSHOTS, args.out / snapshots.SNAPSHOTS)
    # the Embeddings page's report (with few-label transfer), stored beside best.pt: the app never writes here
    subprocess.run([sys.executable, "-m", "simclr.compare", str(args.out), "--transfer"], cwd=ROOT, check=True)
    draw_default_maps(args.out)
    print(f"demo run written to {args.out}: {runs.read_json(args.out / runs.SUMMARY).get('knn_after')} kNN after")
    return 0


def draw_default_maps(run_dir: Path) -> None:
    """The Embeddings page's first maps (h, UMAP, its default settings), stored beside best.pt: a fresh server
    shows the demo run's maps without fitting UMAP."""
    config = run_config(runs.read_json(run_dir / runs.CONFIG))
    dataset = load_dataset(config.dataset, split="train", subset=config.subset, size=config.size, seed=config.seed)
    random, trained, _ = compare.encoders(run_dir / runs.BEST, config, dataset)
    ids = stored_maps.shown_ids(len(dataset), stored_maps.DEFAULT_COUNT)
    images = dataset.images[torch.from_numpy(ids)]
    features = tuple(embed(model, images)[0].numpy() for model in (random, trained))
    stored_maps.umap_pair(run_dir / runs.BEST, features, "h", keep=True)


if __name__ == "__main__":
    raise SystemExit(main())
