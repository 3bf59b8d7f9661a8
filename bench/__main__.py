"""Every benchmark, one table: `python -m bench [--quick] [--threads 2] [--only tour]`; writes bench/results.json.

Each row: name, figure, unit, the baseline measured in the same run, ratio (figure / baseline) and notes.
Throughputs (views/s) are better higher, times (s) and memory (MB) lower.
"""
import argparse
import importlib.util
import json
import os
import platform
import sys
import time
from pathlib import Path

import torch

RESULTS = Path(__file__).resolve().parent / "results.json"


def machine(threads: int) -> dict:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if line.startswith("model name")]
        cpu = names[0] if names else cpu
    import streamlit

    return {"cpu": cpu, "cores": os.cpu_count(), "threads": threads, "torch": torch.__version__,
            "streamlit": streamlit.__version__, "python": platform.python_version(),
            "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
            "load_average": round(os.getloadavg()[0], 2), "date": time.strftime("%Y-%m-%d %H:%M")}


def augment_rows(threads: int, quick: bool) -> list[dict]:
    from bench import augment

    found = augment.run(threads, seconds=0.3 if quick else 2.0)
    rows = []
    for case in dict.fromkeys(row["case"] for row in found):
        methods = {row["method"]: row["views_per_s"] for row in found if row["case"] == case}
        kornia = methods.get("kornia AugmentationSequential")
        rows.append({
            "name": f"augmentation, {case}", "figure": methods["simclr.augment.views.two_views"], "unit": "views/s",
            "baseline": methods["torchvision v2, per image"],
            "notes": "simclr.augment.views.two_views, paper-imagenet preset; baseline: torchvision v2 one image at a time"
            + (f"; kornia {kornia:,} views/s" if kornia else ""),
        })
    return rows


def train_rows(threads: int, quick: bool) -> list[dict]:
    if importlib.util.find_spec("bench.train") is None:
        return []
    from bench import train
    from simclr.runs.config import TrainConfig

    found = {row["pipeline"]: row["views_per_second"] for row in train.run(threads, seconds=3.0 if quick else 10.0)}
    ours = next(v for k, v in found.items() if k.startswith("simclr.train"))
    reference = next(v for k, v in found.items() if k.endswith("num_workers=0"))
    worker = next((v for k, v in found.items() if k.endswith("num_workers=1")), None)
    return [{
        "name": f"training step, MNIST small-cnn batch {TrainConfig().batch_size}", "figure": ours, "unit": "views/s",
        "baseline": reference,
        "notes": "simclr.train whole step; baseline: the same model, loss and optimizer fed by a per-image "
        "torchvision DataLoader (num_workers=0)" + (f"; num_workers=1: {worker:,.0f} views/s" if worker else ""),
    }]


def learning_rows(quick: bool) -> list[dict]:
    from bench import train
    from simclr.device import training_threads

    seconds = 20.0 if quick else 60.0
    summary = train.learning(seconds)
    default = training_threads(torch.device("cpu"))
    one, every = (train.contended_views_per_second(n, 3.0 if quick else 8.0) for n in (1, os.cpu_count() or 1))
    return [{
        "name": f"learning: kNN after the default {seconds:.0f} s run", "figure": summary["knn_after"], "unit": "kNN",
        "baseline": summary["knn_pixels"],
        "notes": f"validation digits; mnist-5k, {default} thread(s) (the default), {summary['steps']} steps; baseline: "
        f"raw-pixel kNN on the same images; random init {summary['knn_before']:.3f}; test (best.pt): "
        f"{summary['knn_after_test']:.3f} against pixels {summary['knn_pixels_test']:.3f}",
    }, {
        "name": "training beside a CPU-bound process, all cores", "figure": every, "unit": "views/s", "baseline": one,
        "notes": f"{os.cpu_count()} threads against 1 thread (baseline); the default is {default}",
    }, cifar_row(quick)]


def cifar_row(quick: bool) -> dict:
    """The colour-image recipe on CIFAR-10 (60 s quick, else its 10 minutes, 2 threads), where the data is there."""
    from bench import train

    seconds = 60.0 if quick else 600.0
    name = f"learning: CIFAR-10 kNN after {seconds:.0f} s, 2 threads"
    summary = train.cifar_learning(seconds, threads=2)
    if summary is None:
        return {"name": name, "figure": None, "unit": "kNN", "baseline": None,
                "notes": "skipped: no CIFAR-10 in the data root (python -m bench.cifar_jpeg ZIP DATA_ROOT, then "
                "SIMCLR_DATA=DATA_ROOT)"}
    return {"name": name, "figure": summary["knn_after_test"], "unit": "kNN", "baseline": summary["knn_pixels_test"],
            "notes": f"test split (k = 20, 50,000 memory images), best.pt; baseline: raw pixels; {summary['steps']} "
            f"steps, {summary['views_per_second']:,.0f} views/s; wall time to the report {summary['wall_seconds']:.0f} s"}


def project_rows(threads: int, quick: bool) -> list[dict]:
    from bench import project

    if quick:  # no cold-start subprocess and no umap-learn comparison: the warm fit alone
        from threadpoolctl import threadpool_limits

        from simclr.maps.reduce import align, pca_2d, umap_2d, warm_up_umap

        torch.set_num_threads(threads)
        threadpool_limits(threads)
        warm_up_umap()
        before, after = project._features(2000, 128)
        umap_s, _ = project._median_seconds(lambda: align(umap_2d(after), umap_2d(before)), 1)
        pca_s, _ = project._median_seconds(lambda: align(pca_2d(after), pca_2d(before)), 3)
        notes = "1 fit each"
    else:
        found = {row["method"]: row for row in project.run(threads, n=2000, repeats=3)}
        umap_row, pca_row = found["umap_2d, 200 epochs (default)"], found["PCA (baseline)"]
        umap_s, pca_s = umap_row["seconds"], pca_row["seconds"]
        cold = found["cold: first fit (numba compiles)"]["seconds"]
        notes = (f"median of 3; trustworthiness {umap_row['trustworthiness']} vs PCA {pca_row['trustworthiness']}; "
                 f"first fit in a fresh process {cold:.1f} s")
    return [{"name": "UMAP of 2,000 points, after warm-up", "figure": umap_s, "unit": "s", "baseline": pca_s,
             "notes": f"before + after maps and their alignment, as the Embeddings page draws them; baseline: PCA; {notes}"}]


def live_rows(threads: int, quick: bool) -> list[dict]:
    from bench import live_map

    return live_map.run(threads, repeats=1 if quick else 5)


def app_rows(quick: bool) -> list[dict]:
    from bench import app

    return app.run(moves=15 if quick else 50, sessions=5 if quick else 20, server_moves=10 if quick else 30)


def tour_rows(quick: bool) -> list[dict]:
    from bench import tour

    return tour.run(quick)


def fmt(value, unit: str) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f}" if unit == "views/s" or value >= 100 else f"{value:.1f}" if unit == "%" else f"{value:.3f}"


def table(rows: list[dict]) -> str:
    head = f"{'name':<48} {'figure':>10} {'unit':<8} {'baseline':>10} {'ratio':>7}  notes"
    lines = [head, "-" * len(head)]
    for row in rows:
        ratio = f"{row['ratio']:.2f}x" if row["ratio"] is not None else "–"
        lines.append(f"{row['name']:<48} {fmt(row['figure'], row['unit']):>10} {row['unit']:<8} "
                     f"{fmt(row['baseline'], row['unit']):>10} {ratio:>7}  {row['notes']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter timings and fewer moves and sessions (~2 min)")
    parser.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1),
                        help="torch and BLAS threads for the library benchmarks (default 2: the app's target machine)")
    names = ["augment", "train", "learning", "project", "live", "app", "tour"]
    parser.add_argument("--skip", action="append", default=[], choices=names, help="leave a benchmark out; repeat for more")
    parser.add_argument("--only", action="append", default=[], choices=names,
                        help="run only this benchmark (repeat for more), e.g. --only tour: the browser tour alone")
    args = parser.parse_args(argv)
    info = machine(args.threads)
    print(f"{info['cpu']}, {info['cores']} cores ({info['threads']} threads used), torch {info['torch']}, "
          f"streamlit {info['streamlit']}, python {info['python']}, GPU {info['gpu'] or 'none'}, "
          f"load average {info['load_average']}", flush=True)
    steps = {"augment": lambda: augment_rows(args.threads, args.quick), "train": lambda: train_rows(args.threads, args.quick),
             "learning": lambda: learning_rows(args.quick),
             "project": lambda: project_rows(args.threads, args.quick),
             "live": lambda: live_rows(args.threads, args.quick), "app": lambda: app_rows(args.quick),
             "tour": lambda: tour_rows(args.quick)}
    rows, seconds = [], {}
    for name, step in steps.items():
        if name in args.skip or (args.only and name not in args.only):
            continue
        start = time.perf_counter()
        print(f"running {name}…", file=sys.stderr, flush=True)
        rows += step()
        seconds[name] = round(time.perf_counter() - start, 1)
    for row in rows:
        row["ratio"] = row["figure"] / row["baseline"] if row.get("baseline") and row["figure"] is not None else None
    print(table(rows))
    RESULTS.write_text(json.dumps({"machine": info, "quick": args.quick, "seconds": seconds, "rows": rows}, indent=2) + "\n")
    print(f"\nwritten to {RESULTS} ({', '.join(f'{k} {v:.0f} s' for k, v in seconds.items())})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
