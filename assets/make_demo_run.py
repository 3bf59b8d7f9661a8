"""Retrain the shipped demo run (assets/demo-run) with its live-map snapshots: `python assets/make_demo_run.py`.

Runs the project's own CLI into a temporary folder, draws the replay's maps (simclr.maps.live, as the
Embeddings page would), then keeps only the small files: best.pt (weights, no optimizer), config.json,
metrics.jsonl, summary.json and snapshots/ with sample.json and the maps (float32 (1000, 2), 8 KB each);
the snapshots' h (0.25 MB each) is left out, the maps are all the replay needs. Last, `python -m simclr.evaluate
--transfer` stores the Embeddings page's report (eval-best.json) beside best.pt, and the page's first two maps
are drawn and stored there too (maps-best-*.npz, simclr.maps.stored).
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

from simclr.data import load_dataset  # noqa: E402
from simclr.evaluate.embed import embed# noqa: E402
from simclr.maps import live, stored
from simclr.model.encoders import encoders
from simclr.runs import folder, snapshot_files
from simclr.runs.config import run_config# noqa: E402

DEMO = ROOT / "assets" / "demo-run"
COMMAND = ["--dataset", "mnist-5k", "--max-steps", "1500", "--threads", "1"]  # the default run, 60 s of a quiet core


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEMO, help="where the demo run goes (default: assets/demo-run)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp) / "demo-run"
        subprocess.run([sys.executable, "-m", "simclr.train", *COMMAND, "--out", str(run_dir)], cwd=ROOT, check=True)
        live.maps(run_dir)  # draws and saves map-<step>.npy beside each snapshot
        for step in snapshot_files.steps(run_dir):
            (run_dir / snapshot_files.SNAPSHOTS / f"h-{step:06d}.npy").unlink()
        keep = [folder.BEST, folder.CONFIG, folder.METRICS, folder.SUMMARY]
        args.out.mkdir(parents=True, exist_ok=True)
        for name in keep:
            shutil.copy2(run_dir / name, args.out / name)
        shutil.rmtree(args.out / snapshot_files.SNAPSHOTS, ignore_errors=True)
        shutil.copytree(run_dir / snapshot_files.SNAPSHOTS, args.out / snapshot_files.SNAPSHOTS)
    # the Embeddings page's report (with few-label transfer), stored beside best.pt: the app never writes here
    subprocess.run([sys.executable, "-m", "simclr.evaluate", str(args.out), "--transfer"], cwd=ROOT, check=True)
    draw_default_maps(args.out)
    print(f"demo run written to {args.out}: {folder.read_json(args.out / folder.SUMMARY).get('knn_after')} kNN after")
    return 0


def draw_default_maps(run_dir: Path) -> None:
    """The Embeddings page's first maps (h, UMAP, its default settings), stored beside best.pt: a fresh server
    shows the demo run's maps without fitting UMAP."""
    config = run_config(folder.read_json(run_dir / folder.CONFIG))
    dataset = load_dataset(config.dataset, split="train", subset=config.subset, size=config.size, seed=config.seed)
    _, channels, side, _ = dataset.images.shape
    random, trained, _ = encoders(run_dir / folder.BEST, config.saved_model_configs(channels, side), config.seed)
    ids = stored.shown_ids(len(dataset), stored.DEFAULT_COUNT)
    images = dataset.images[torch.from_numpy(ids)]
    features = tuple(embed(model, images)[0].numpy() for model in (random, trained))
    stored.umap_pair(run_dir / folder.BEST, features, "h", keep=True)


if __name__ == "__main__":
    raise SystemExit(main())
