"""Retrain the shipped demo run (assets/demo-run) with its live-map snapshots: `python assets/make_demo_run.py`.

Runs the project's own CLI into a temporary folder, draws the replay's maps (simclr.live_map, as the
Embeddings page would), then keeps only the small files: best.pt (weights, no optimizer), config.json,
metrics.jsonl, summary.json and snapshots/ with sample.json and the maps (float32 (1000, 2), 8 KB each);
the snapshots' h (0.25 MB each) is left out, the maps are all the replay needs. Last, `python -m simclr.compare
--transfer` stores the Embeddings page's report (eval-best.json) beside best.pt.
"""
import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

from simclr import live_map, runs, snapshots  # noqa: E402

DEMO = ROOT / "assets" / "demo-run"
COMMAND = ["--dataset", "mnist-5k", "--encoder", "small-cnn", "--max-steps", "900", "--threads", "1"]


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
    print(f"demo run written to {args.out}: {runs.read_json(args.out / runs.SUMMARY).get('knn_after')} kNN after")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
