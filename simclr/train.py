"""Pretraining: SimCLR's loop (paper Algorithm 1) as a generator of per-step metrics that keeps a run folder.

    for row in train(TrainConfig(seconds=60), "runs/demo"):
        print(row["step"], row["loss"], row.get("knn"))

Each step takes N images from the device-resident uint8 tensor, makes two random views of each on
the device in one batched call, computes z = g(f(x)) for the 2N views and NT-Xent (Eq. 1) over the
global batch (every process's views under torchrun), then takes one optimizer step.
The command line (`python -m simclr.train`) lives in simclr.train_cli; the run folder in simclr.runs.
"""
from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import torch
from torch.nn.parallel import DistributedDataParallel

from simclr import distributed, runs
from simclr.augment import two_views
from simclr.data import load_dataset
from simclr.device import autocast_dtype, describe_device, resolve_device
from simclr.loss import nt_xent
from simclr.model import ModelConfig, build_model, load_checkpoint, save_checkpoint
from simclr.optim import build_optimizer, learning_rate
from simclr.probe import KnnProbe, contrastive_accuracy
from simclr.train_config import RESUMABLE, ConfigError, TrainConfig, check_fits, resume_config, validate

__all__ = ["RESUMABLE", "ConfigError", "TrainConfig", "resume_config", "train", "validate"]
NAN_WEIGHTS = "the weights became inf or nan"


def train(config: TrainConfig, run_dir: Path, resume: bool = False,
          should_stop: Callable[[], bool] | None = None) -> Iterator[dict]:
    """Train, yielding after every step {step, epoch, loss, lr, seconds, views_per_second, contrastive_acc[, knn]}.

    Writes run_dir (rank 0 only). Stops at the budget, when should_stop() turns true, when run_dir/STOP
    appears, or when the caller closes the generator (all three save a checkpoint and end "stopped").
    A non-finite loss ends the run "diverged", keeping the last good checkpoint. Raises ConfigError before
    writing anything when a setting cannot work.
    """
    validate(config)
    run_dir = Path(run_dir)
    try:
        device = resolve_device(config.device)
    except ValueError as error:
        raise ConfigError(str(error)) from None
    world = distributed.init(device.type)
    if device.type == "cuda":
        device = torch.device("cuda", world.local_rank)
        torch.cuda.set_device(device)
        torch.backends.cudnn.benchmark = True  # fixed shapes: let cuDNN pick its fastest kernels once
    if device.type == "cpu" and config.threads:
        torch.set_num_threads(config.threads)
    if world.main and not resume and (run_dir / runs.CONFIG).exists():
        raise ConfigError(f"{run_dir} already holds a run; resume it or choose another folder.")
    load = {"size": config.size, "path": Path(config.path) if config.path else None}
    train_set = load_dataset(config.dataset, split=config.split, subset=config.subset, seed=config.seed, **load)
    check_fits(config, len(train_set), world.size)
    _, channels, side, _ = train_set.images.shape
    model_config = ModelConfig(config.encoder, channels, side, config.head_hidden, config.head_dim)
    model = build_model(model_config, seed=config.seed).to(device)
    if device.type == "cuda":
        model = model.to(memory_format=torch.channels_last)
        if world.size > 1:
            model = torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)  # the paper's global BN (Sec. 2.2);
            # PyTorch has it on GPUs only, so CPU processes normalise over their own shard
    optimizer = build_optimizer(model, config.optimizer, config.lr, config.weight_decay)
    amp = autocast_dtype(device, config.amp)
    scaler = torch.amp.GradScaler("cuda") if amp == torch.float16 else None
    state = {"step": 0, "epoch": 0.0, "seconds": 0.0, "best": None}
    if resume:
        loaded, extra = load_checkpoint(run_dir / runs.LAST, expect=model_config, map_location=device)
        model.load_state_dict(loaded.state_dict())
        optimizer.load_state_dict(extra["optimizer"])
        if scaler is not None and "scaler" in extra:
            scaler.load_state_dict(extra["scaler"])
        state = {key: extra[key] for key in state}
    net = DistributedDataParallel(model, device_ids=[device] if device.type == "cuda" else None) \
        if world.size > 1 else model
    per_epoch = len(train_set) // config.batch_size
    limits = [config.max_steps, config.epochs and max(1, round(config.epochs * per_epoch))]
    total_steps = min([s for s in limits if s] or [math.inf])

    def done(step: int, seconds: float) -> bool:
        return step >= total_steps or (config.seconds is not None and seconds >= config.seconds)

    if done(state["step"], state["seconds"]):
        raise ConfigError(f"The run already used its budget ({state['step']} steps, {state['seconds']:.0f} s); "
                          "give it more seconds, epochs or steps.")
    probe = KnnProbe.for_run(config.dataset, train_set, config.knn_k, config.eval_images, config.seed, **load) \
        if world.main else None
    summary = runs.typed(runs.read_json(run_dir / runs.SUMMARY), runs.SUMMARY_TYPES, runs.SUMMARY)[0] if resume else {}
    if world.main:
        run_dir.mkdir(parents=True, exist_ok=True)
        runs.clear_stop(run_dir)
        runs.remove_temporaries(run_dir)  # left by a process killed mid-save; this one has not written yet
        summary |= {"status": "running", "message": "", "pid": os.getpid(),
                    "process": runs.process_identity(os.getpid()), "device": describe_device(device),
                    "processes": world.size, "images": len(train_set), "dataset": train_set.description}
        runs.write_json(run_dir / runs.SUMMARY, summary)  # before config.json: a listed run is never pid-less
        runs.write_json(run_dir / runs.CONFIG, config.to_dict())
        if probe is not None and not resume:
            summary |= {"knn_pixels": probe.pixels(), "knn_before": probe(model, device)}
            runs.write_json(run_dir / runs.SUMMARY, summary)
    log = runs.MetricsLog(run_dir, after_step=state["step"] if resume else None) if world.main else None

    def save(name: str, with_optimizer: bool) -> None:
        extra = dict(state, config=config.to_dict())
        if with_optimizer:
            extra |= {"optimizer": optimizer.state_dict()} | ({"scaler": scaler.state_dict()} if scaler else {})
        save_checkpoint(run_dir / name, model, extra)

    def keep_best(metric: str, value: float) -> None:
        better = state["best"] is None or (value > state["best"] if metric == "knn" else value < state["best"])
        if better:
            state["best"] = value
            save(runs.BEST, with_optimizer=False)
            summary.update({"best_metric": metric, "best_value": value, "best_step": state["step"]})

    aug = config.augment_config()
    images = train_set.images.to(device)  # (N, C, H, W) uint8, indexed on the device every step
    generator = torch.Generator(device).manual_seed(config.seed * 1_000_003 + world.rank * 10_007 + state["step"])
    shard = config.batch_size // world.size
    first_step, first_seconds, order, order_epoch = state["step"], state["seconds"], None, -1
    started, paused, window, last_eval, recent_loss = time.perf_counter(), 0.0, [], None, None

    def log_line(row: dict) -> float:
        """Write row with loss and contrastive_acc averaged over the steps since the last line; return that loss."""
        losses, accuracies = zip(*window)
        line = row | {"loss": sum(losses) / len(losses), "contrastive_acc": sum(accuracies) / len(accuracies)}
        log.write(line)
        window.clear()
        return line["loss"]

    status, message, row = "failed", "", {}
    try:
        while True:
            seconds = first_seconds + time.perf_counter() - started - paused
            wants_stop = (should_stop is not None and should_stop()) or (world.main and runs.stop_requested(run_dir))
            seconds, wants_stop = distributed.agree(seconds, wants_stop, world)
            if wants_stop or done(state["step"], seconds):
                status = "stopped" if wants_stop else "finished"
                break
            fractions = [seconds / config.seconds if config.seconds else 0.0, state["step"] / total_steps]
            lr = learning_rate(config.lr, min(max(fractions), 1.0), config.warmup)
            for group in optimizer.param_groups:
                group["lr"] = lr
            epoch, position = divmod(state["step"], per_epoch)
            if epoch != order_epoch:  # the same shuffle on every process, from the seed and the epoch alone
                shuffle = torch.Generator().manual_seed(config.seed * 1_000_003 + epoch)
                order, order_epoch = torch.randperm(len(images), generator=shuffle).to(device), epoch
            start = position * config.batch_size + world.rank * shard
            x1, x2 = two_views(images[order[start:start + shard]], aug, generator)  # (n, C, S, S) each
            x = torch.cat([x1, x2])  # (2n, C, S, S)
            if device.type == "cuda":
                x = x.contiguous(memory_format=torch.channels_last)
            with torch.autocast(device.type, dtype=amp or torch.float32, enabled=amp is not None):
                z1, z2 = net(x).chunk(2)  # (n, D) each
            z1, z2 = distributed.gather(z1, world), distributed.gather(z2, world)  # (N, D): the global batch
            loss = nt_xent(z1, z2, config.temperature)
            value = loss.item()
            if not math.isfinite(value):
                status, message = "diverged", _diverged(f"the loss became {value}", state["step"] + 1, lr, run_dir)
                break
            optimizer.zero_grad(set_to_none=True)
            if scaler is None:
                loss.backward()
                optimizer.step()
            else:
                scaler.scale(loss).backward()
                scaler.step(optimizer)
                scaler.update()
            state["step"] += 1
            state["epoch"] = state["step"] / per_epoch
            state["seconds"] = first_seconds + time.perf_counter() - started - paused
            window.append((value, contrastive_accuracy(z1, z2)))
            row = {"step": state["step"], "epoch": state["epoch"], "loss": value, "lr": lr,
                   "seconds": state["seconds"], "contrastive_acc": window[-1][1],
                   "views_per_second": 2 * config.batch_size * (state["step"] - first_step)
                   / max(state["seconds"] - first_seconds, 1e-9)}
            if world.main:
                if probe is not None and state["step"] % config.eval_every == 0:
                    tick = time.perf_counter()
                    row["knn"] = last_eval = probe(model, device)
                    keep_best("knn", row["knn"])
                    paused += time.perf_counter() - tick
                if state["step"] % config.log_every == 0 or "knn" in row:
                    recent_loss = log_line(row)
                if state["step"] % config.checkpoint_every == 0:
                    if not _finite_weights(model):
                        status, message = "diverged", _diverged(NAN_WEIGHTS, state["step"], lr, run_dir)
                        break
                    save(runs.LAST, with_optimizer=True)
                    summary.update(_progress(state, row, recent_loss))
                    runs.write_json(run_dir / runs.SUMMARY, summary)
            yield row
    except GeneratorExit:
        status = "stopped"
    except BaseException as error:
        message = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        raise
    finally:
        if world.main:
            if status in ("finished", "stopped") and state["step"] > first_step:
                if not _finite_weights(model):
                    status, message = "diverged", _diverged(NAN_WEIGHTS, state["step"], row["lr"], run_dir)
                else:
                    if window:
                        recent_loss = log_line(row)
                    if probe is not None:
                        if row.get("knn") is None:
                            last_eval = probe(model, device)
                            keep_best("knn", last_eval)
                        summary["knn_after"] = last_eval
                    elif row:
                        keep_best("loss", row["loss"])
                    save(runs.LAST, with_optimizer=True)
            log.close()
            summary.update(_progress(state, row, recent_loss) if row else {})
            summary |= {"status": status, "message": message}
            runs.write_json(run_dir / runs.SUMMARY, summary)
        distributed.close(world)


def _progress(state: dict, row: dict, recent_loss: float) -> dict:
    """The summary's running figures; final_loss is the mean loss of the last metrics.jsonl line."""
    return {"steps": state["step"], "epochs": state["epoch"], "seconds": state["seconds"],
            "views_per_second": row["views_per_second"], "final_loss": recent_loss}


def _finite_weights(model: torch.nn.Module) -> bool:
    return all(torch.isfinite(t).all() for t in model.state_dict().values() if t.is_floating_point())


def _diverged(what: str, step: int, lr: float, run_dir: Path) -> str:
    """What went wrong, what to try, and which checkpoint survives; `what` is e.g. "the loss became nan"."""
    kept = "its last good checkpoint (last.pt) was kept" if (run_dir / runs.LAST).exists() \
        else "no checkpoint was written"
    return (f"Training diverged: {what} at step {step} (learning rate {lr:.3g}). "
            f"Lower the learning rate or switch to adam; {kept}.")


if __name__ == "__main__":
    from simclr.train_cli import main

    raise SystemExit(main())
