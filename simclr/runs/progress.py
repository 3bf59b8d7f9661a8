"""A run's progress as a reader of its folder sees it while it trains: time used, steps, every kNN figure.

summary.json is rewritten only at checkpoints and at the end, metrics.jsonl after every logged step;
these functions take the freshest of the two, so a page shows the same numbers as the CLI's progress bar.
"""
from __future__ import annotations


def elapsed(summary: dict, rows: list[dict]) -> float:
    """Training seconds used so far: the newest of the last metrics line and summary.json (evaluation excluded)."""
    times = [summary.get("seconds"), rows[-1].get("seconds") if rows else None]
    return max((t for t in times if isinstance(t, (int, float))), default=0.0)


def latest_step(summary: dict, rows: list[dict]) -> int:
    """The last step the run reported: its last metrics line, or summary.json's count when that is newer."""
    steps = [summary.get("steps"), rows[-1].get("step") if rows else None]
    return max((s for s in steps if isinstance(s, int)), default=0)


def knn_points(summary: dict, rows: list[dict]) -> list[tuple[int, float]]:
    """Every kNN accuracy of h the run measured, as (step, accuracy) sorted by step.

    Step 0 is the random initialisation (summary's knn_before); the periodic checks come from metrics.jsonl;
    the final figure (summary's knn_after, measured when the run ended) is added at the run's last step
    when no check fell there, so a run shorter than the check interval still shows its result.
    """
    points = {row["step"]: row["knn"] for row in rows if isinstance(row.get("knn"), (int, float))}
    if isinstance(summary.get("knn_before"), (int, float)):
        points.setdefault(0, summary["knn_before"])
    if isinstance(summary.get("knn_after"), (int, float)) and summary.get("status") != "running":
        points.setdefault(latest_step(summary, rows), summary["knn_after"])
    return sorted(points.items())
