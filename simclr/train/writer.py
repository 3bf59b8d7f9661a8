"""The run folder's bookkeeping during training: summary.json, metrics.jsonl, last.pt / best.pt, final status.

simclr.train.loop calls it at a few points (start, each logged step, each checkpoint, the end) so that the
loop itself reads like the paper's Algorithm 1. The folder layout is described in simclr.runs.
"""
from __future__ import annotations

import os
from pathlib import Path

import torch

from simclr.model.checkpoint import save_checkpoint
from simclr.runs import folder
from simclr.runs.process import process_identity

NAN_WEIGHTS = "the weights became inf or nan"


class RunWriter:
    """Writes one run folder (rank 0 only); `state` is the loop's {step, epoch, seconds, best, ...} dict."""

    def __init__(self, run_dir: Path, config: dict, state: dict, resume: bool):
        self.run_dir, self.config, self.state = Path(run_dir), config, state
        summary = folder.read_json(self.run_dir / folder.SUMMARY) if resume else {}
        self.summary = folder.typed(summary, folder.SUMMARY_TYPES, folder.SUMMARY)[0]
        self.window: list[tuple[torch.Tensor, torch.Tensor]] = []  # (loss, contrastive acc) since the last line
        self.recent_loss: float | None = None
        self.log: folder.MetricsLog | None = None
        self.resume = resume

    def start(self, facts: dict) -> None:
        """Mark the run running (summary before config.json: a listed run is never pid-less), open the log."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        folder.clear_stop(self.run_dir)
        folder.remove_temporaries(self.run_dir)  # left by a process killed mid-save; this one has not written yet
        self.summary |= {"status": "running", "message": "", "pid": os.getpid(),
                         "process": process_identity(os.getpid())} | facts
        self.summary.pop("phase", None)  # left by a process killed in its final report
        folder.write_json(self.run_dir / folder.SUMMARY, self.summary)
        folder.write_json(self.run_dir / folder.CONFIG, self.config)
        self.log = folder.MetricsLog(self.run_dir, after_step=self.state["step"] if self.resume else None)

    def note(self, figures: dict) -> None:
        """Add figures (e.g. knn_pixels, knn_before) to summary.json now."""
        self.summary |= figures
        folder.write_json(self.run_dir / folder.SUMMARY, self.summary)

    def add_step(self, loss: torch.Tensor, accuracy: torch.Tensor) -> None:
        """Keep the step's loss and top-1 match as device tensors: no host sync until a line is written."""
        self.window.append((loss.detach(), accuracy))

    def write_line(self, row: dict) -> float:
        """Write row with loss and contrastive_acc averaged since the last line; return that loss (syncs once)."""
        losses, accuracies = (torch.stack(t).float().mean().item() for t in zip(*self.window))
        line = row | {"loss": losses, "contrastive_acc": accuracies}
        self.log.write(line)
        self.window.clear()
        self.recent_loss = losses
        return losses

    def save(self, name: str, model: torch.nn.Module, resumable: dict | None = None) -> None:
        """Write checkpoint `name`; `resumable` ({"optimizer": ..., "scaler": ...}) makes it resumable."""
        save_checkpoint(self.run_dir / name, model, dict(self.state, config=self.config) | (resumable or {}))

    def keep_best(self, metric: str, value: float, model: torch.nn.Module) -> None:
        """Save best.pt when `value` beats the best so far (higher kNN, or lower loss without labels)."""
        best = self.state["best"]
        if best is None or (value > best if metric == "knn" else value < best):
            self.state["best"] = value
            self.save(folder.BEST, model)
            self.summary.update({"best_metric": metric, "best_value": value, "best_step": self.state["step"]})

    def checkpoint(self, model: torch.nn.Module, resumable: dict, row: dict) -> None:
        self.save(folder.LAST, model, resumable)
        self.summary.update(self.progress(row))
        folder.write_json(self.run_dir / folder.SUMMARY, self.summary)

    def progress(self, row: dict) -> dict:
        """The summary's running figures; final_loss is the mean loss of the last metrics.jsonl line."""
        if not row:
            return {}
        return {"steps": self.state["step"], "epochs": self.state["epoch"], "seconds": self.state["seconds"],
                "views_per_second": row["views_per_second"], "final_loss": self.recent_loss}

    def finish(self, status: str, message: str, row: dict) -> None:
        """Write the final status, with no "phase" (what the run did after training); the metrics log is closed."""
        if self.log is not None:
            self.log.close()
        self.summary.update(self.progress(row))
        self.summary |= {"status": status, "message": message}
        self.summary.pop("phase", None)
        folder.write_json(self.run_dir / folder.SUMMARY, self.summary)

    def diverged(self, what: str, step: int, lr: float) -> str:
        """What went wrong, what to try, and which checkpoint survives; `what` is e.g. "the loss became nan"."""
        kept = "its last good checkpoint (last.pt) was kept" if (self.run_dir / folder.LAST).exists() \
            else "no checkpoint was written"
        return (f"Training diverged: {what} at step {step} (learning rate {lr:.3g}). "
                f"Lower the learning rate or switch to adam; {kept}.")


def finite_weights(model: torch.nn.Module) -> bool:
    return all(torch.isfinite(t).all() for t in model.state_dict().values() if t.is_floating_point())
