"""README's animated replay: the demo run's maps from random init to trained, `python assets/make_replay_gif.py`.

Reads assets/demo-run/snapshots (simclr.maps.live draws any map that is missing), glides between consecutive
maps as the page does, and writes assets/replay.gif.
"""
import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

from simclr.maps import live
from simclr.runs import folder, progress, snapshot_files

COLOURS = ["#636efa", "#EF553B", "#00cc96", "#ab63fa", "#FFA15A", "#19d3f3", "#FF6692", "#B6E880", "#FF97FF",
           "#FECB52"]  # Plotly's ten, as the page's legend


def frames(run_dir: Path, side: int, between: int) -> list[Image.Image]:
    maps = live.maps(run_dir)
    sample, summary = snapshot_files.read_sample(run_dir), folder.read_json(run_dir / folder.SUMMARY)
    knn = progress.knn_points(summary, folder.read_metrics(run_dir))
    labels = np.asarray(sample.get("labels") or [0] * sample["count"])
    points = np.concatenate(list(maps.values()))
    low, high = points.min(axis=0), points.max(axis=0)
    scale = (side - 40) / (high - low).max()
    steps = list(maps)
    pictures = []

    def draw(xy: np.ndarray, step: int) -> Image.Image:
        picture = Image.new("RGB", (side, side + 24), "white")
        pen = ImageDraw.Draw(picture)
        pixels = (xy - low) * scale + 20
        for (x, y), label in zip(pixels, labels):
            pen.ellipse([x - 2, side - y - 2, x + 2, side - y + 2], fill=COLOURS[label % len(COLOURS)])
        done = [value for s, value in knn if s <= step]
        said = f"   kNN {done[-1]:.1%}" if done else ""
        pen.text((8, side + 4), f"step {step:>4}{said}", fill="black")
        return picture

    for i, step in enumerate(steps):
        pictures.append(draw(maps[step], step))
        if i + 1 < len(steps):
            nxt = steps[i + 1]
            for k in range(1, between):
                t = k / between
                t = t * t * (3 - 2 * t)  # ease in and out, as the page's transition
                pictures.append(draw((1 - t) * maps[step] + t * maps[nxt], round(step + t * (nxt - step))))
    return pictures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=ROOT / "assets" / "demo-run", help="a run folder with snapshots")
    parser.add_argument("--out", type=Path, default=ROOT / "assets" / "replay.gif")
    parser.add_argument("--side", type=int, default=360, help="pixels")
    parser.add_argument("--between", type=int, default=5, help="frames from one map to the next")
    args = parser.parse_args()
    pictures = frames(args.run, args.side, args.between)
    durations = [80] * len(pictures)
    durations[0] = durations[-1] = 1500  # linger on the random init and on the trained map
    pictures[0].save(args.out, save_all=True, append_images=pictures[1:], duration=durations, loop=0, optimize=True)
    print(f"{args.out}: {len(pictures)} frames, {args.out.stat().st_size / 1e3:.0f} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
