"""Pretraining: SimCLR's loop (paper Algorithm 1) as a generator of per-step metrics that keeps a run folder.

    for row in train(TrainConfig(seconds=60), "runs/demo"):
        print(row["step"], row["loss"], row.get("knn"))

Each step takes N images from the device-resident uint8 tensor, makes two random views of each on
the device in one batched call, computes z = g(f(x)) for the 2N views and NT-Xent (Eq. 1) over the
global batch (every process's views under torchrun), then takes one optimizer step.
The command line (`python -m simclr.train`) lives in simclr.train.cli; the run folder in simclr.runs.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import torch
from torch.nn.parallel import DistributedDataParallel

from simclr.augment.views import two_views
from simclr.data import load_dataset
from simclr.device import autocast_dtype, describe_device, resolve_device, training_threads
from simclr.evaluate.report import final_report
from simclr.loss import nt_xent
from simclr.model.checkpoint import load_checkpoint
from simclr.model.networks import build_model
from simclr.runs import folder
from simclr.runs.config import TrainConfig, run_config
from simclr.train import distributed
from simclr.train.checks import ConfigError, check_fits, validate
from simclr.train.monitor import KnnProbe, Pace, contrastive_accuracy
from simclr.train.optim import Schedule, build_optimizer
from simclr.train.snapshots import Snapshots
from simclr.train.writer import NAN_WEIGHTS, RunWriter, finite_weights


def train(config: TrainConfig, run_dir: Path, resume: bool = False,
          should_stop: Callable[[], bool] | None = None) -> Iterator[dict]:
    """Train, yielding after every step {step, epoch, lr, seconds, views_per_second[, loss, contrastive_acc, knn]}.

    loss and contrastive_acc (means since the last logged line) come with logged steps only: reading
    them every step would make the CPU wait for the device. Writes run_dir (rank 0 only). Stops at the
    budget, when should_stop() turns true, when run_dir/STOP appears, or when the caller closes the
    generator (all three save a checkpoint and end "stopped"). A non-finite loss ends the run "diverged",
    keeping the last good checkpoint. Raises ConfigError before writing anything when a setting cannot work.
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
    if device.type == "cpu":
        torch.set_num_threads(config.threads or training_threads(device))
    if world.main and not resume and (run_dir / folder.CONFIG).exists():
        raise ConfigError(f"{run_dir} already holds a run; resume it or choose another folder.")
    load = {"size": config.size, "path": Path(config.path) if config.path else None}
    train_set = load_dataset(config.dataset, split=config.split, subset=config.subset, seed=config.seed, **load)
    check_fits(config, len(train_set), world.size)
    _, channels, side, _ = train_set.images.shape
    model_config = config.model_config(channels, side)  # image_size: the views' side, which picks ResNet's stem
    if resume:  # a run from before image_size meant the views' side keeps the network it was built with
        loaded, extra = load_checkpoint(run_dir / folder.LAST, expect=config.saved_model_configs(channels, side),
                                        map_location=device)
        model_config = loaded.config
    model = build_model(model_config, seed=config.seed).to(device)
    channels_last = device.type == "cuda" if config.channels_last is None else config.channels_last
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    if world.size > 1 and device.type == "cuda":
        model = torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)  # the paper's global BN (Sec. 2.2);
        # PyTorch has it on GPUs only: CPU processes normalise over their own shard (see --help)
    optimizer = build_optimizer(model, config.optimizer, config.lr, config.weight_decay, fused=device.type == "cuda")
    amp = autocast_dtype(device, config.precision)
    scaler = torch.amp.GradScaler("cuda") if amp == torch.float16 else None
    per_epoch = len(train_set) // config.batch_size
    schedule = Schedule(config.lr, config.warmup, config.seconds, _step_budget(config, per_epoch),
                        kind=config.schedule)
    state = {"step": 0, "epoch": 0.0, "seconds": 0.0, "best": None, "warm_down": None}
    if resume:
        model.load_state_dict(loaded.state_dict())
        optimizer.load_state_dict(extra["optimizer"])
        if scaler is not None and "scaler" in extra:
            scaler.load_state_dict(extra["scaler"])
        state = {key: extra.get(key) for key in state}
        before = run_config(extra["config"])
        schedule = Schedule(config.lr, config.warmup, before.seconds, _step_budget(before, per_epoch),
                            state["warm_down"], config.schedule).extend(schedule.seconds, schedule.steps,
                                                                        state["step"], state["seconds"])
        state["warm_down"] = schedule.warm_down
    if state["step"] >= schedule.steps or (config.seconds is not None and state["seconds"] >= config.seconds):
        raise ConfigError(f"The run already used its budget ({state['step']} steps, {state['seconds']:.0f} s); "
                          "give it more seconds, epochs or steps.")
    probe = KnnProbe.for_run(config, train_set) if world.main else None
    writer = RunWriter(run_dir, config.to_dict(), state, resume) if world.main else None
    if writer is not None:
        writer.start({"device": describe_device(device), "processes": world.size, "images": len(train_set),
                      "dataset": train_set.description})
        if probe is not None and not resume:
            writer.note(probe.baselines(model, device))
    snaps = Snapshots.start(run_dir, config.dataset, train_set, config.seed, model, device,  # the live map's h
                            state["step"] if resume else None, state["seconds"], **load) if world.main else None
    net = DistributedDataParallel(model, device_ids=[device] if device.type == "cuda" else None) \
        if world.size > 1 else model
    if config.compile:
        net = torch.compile(net)

    def resumable() -> dict:
        return {"optimizer": optimizer.state_dict()} | ({"scaler": scaler.state_dict()} if scaler else {})

    aug = config.augment_config()
    images = train_set.images.to(device)  # (N, C, H, W) uint8, indexed on the device every step
    generator = torch.Generator(device).manual_seed(config.seed * 1_000_003 + world.rank * 10_007 + state["step"])
    shard = config.batch_size // world.size
    first_step, first_seconds, order, order_epoch = state["step"], state["seconds"], None, -1
    started, paused, last_eval = time.perf_counter(), 0.0, None
    pace = Pace(config.eval_every, config.eval_overhead, last_seconds=first_seconds)  # when the kNN checks run
    status, message, row, failure = "failed", "", {}, None  # failure: (status, message) seen by rank 0
    try:
        while True:
            seconds = first_seconds + time.perf_counter() - started - paused
            wants_stop = (should_stop is not None and should_stop()) or failure is not None \
                or (world.main and folder.stop_requested(run_dir))
            seconds, wants_stop = distributed.agree(seconds, wants_stop, world)  # every process stops together
            if wants_stop or state["step"] >= schedule.steps or (config.seconds and seconds >= config.seconds):
                status, message = failure or ("stopped" if wants_stop else "finished", "")
                break
            lr = schedule(state["step"], seconds)
            for group in optimizer.param_groups:
                group["lr"] = lr
            epoch, position = divmod(state["step"], per_epoch)
            if epoch != order_epoch:  # the same shuffle on every process, from the seed and the epoch alone
                shuffle = torch.Generator().manual_seed(config.seed * 1_000_003 + epoch)
                order, order_epoch = torch.randperm(len(images), generator=shuffle).to(device), epoch
            start = position * config.batch_size + world.rank * shard
            x1, x2 = two_views(images[order[start:start + shard]], aug, generator)  # (n, C, S, S) each
            x = torch.cat([x1, x2])  # (2n, C, S, S)
            if channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            with torch.autocast(device.type, dtype=amp or torch.float32, enabled=amp is not None):
                z1, z2 = net(x).float().chunk(2)  # (n, D) each
            z1, z2 = distributed.gather(z1, world), distributed.gather(z2, world)  # (N, D): the global batch
            loss = nt_xent(z1, z2, config.temperature)
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
            row = {"step": state["step"], "epoch": state["epoch"], "lr": lr, "seconds": state["seconds"],
                   "views_per_second": 2 * config.batch_size * (state["step"] - first_step)
                   / max(state["seconds"] - first_seconds, 1e-9)}
            if writer is not None:
                writer.add_step(loss, contrastive_accuracy(z1, z2))
                if probe is not None and pace.due(state["step"], state["seconds"]):
                    tick = time.perf_counter()
                    row["knn"] = last_eval = probe(model, device)
                    writer.keep_best("knn", row["knn"], model)
                    spent = time.perf_counter() - tick
                    pace.done(state["seconds"], spent)
                    paused += spent
                paused += snaps.after_step(model, state["step"], state["seconds"])
                if state["step"] % config.log_every == 0 or "knn" in row:
                    row["loss"] = writer.write_line(row)  # the one host sync, every log_every steps
                    if not math.isfinite(row["loss"]):
                        failure = "diverged", writer.diverged(f"the loss became {row['loss']}", state["step"], lr)
                if state["step"] % config.checkpoint_every == 0 and failure is None:
                    if finite_weights(model):
                        writer.checkpoint(model, resumable(), row)
                    else:
                        failure = "diverged", writer.diverged(NAN_WEIGHTS, state["step"], lr)
            yield row
    except GeneratorExit:
        status = "stopped"
    except BaseException as error:
        message = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        raise
    finally:
        if writer is not None:
            if status in ("finished", "stopped") and state["step"] > first_step:
                if not finite_weights(model):
                    status, message = "diverged", writer.diverged(NAN_WEIGHTS, state["step"], row["lr"])
                else:
                    if writer.window:
                        writer.write_line(row)
                    if probe is not None:  # summary.json's "phase" tells the Training page what takes the time
                        if row.get("knn") is None:
                            writer.note({"phase": "final validation (kNN of h)"})
                            last_eval = probe(model, device)
                            writer.keep_best("knn", last_eval, model)
                        writer.summary["knn_after"] = last_eval
                        writer.summary |= final_report(  # best.pt on the test split, kept on disk
                            run_dir, device, lambda phase: writer.note({"phase": f"final report: {phase}"}))
                    elif row:
                        writer.keep_best("loss", writer.recent_loss, model)
                    writer.checkpoint(model, resumable(), row)
                    snaps.finish(model, state["step"])
            writer.finish(status, message, row)
        distributed.close(world)


def _step_budget(config: TrainConfig, per_epoch: int) -> float:
    """The run's step budget: the smaller of max_steps and epochs x steps per epoch; math.inf without either."""
    limits = [config.max_steps, config.epochs and max(1, round(config.epochs * per_epoch))]
    return min([s for s in limits if s] or [math.inf])
