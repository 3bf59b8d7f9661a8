"""The training loop's wiring (simclr.loop): each TrainConfig field it reads changes what it does, best.pt is the
step with the best validation kNN, and the training-time kNN scores h.

The figures are checked against what the loop cannot have computed itself: NT-Xent by a loop over the paper's
Algorithm 1 in numpy on the z's the loop passed to the loss; the learning rate by the warmup + cosine formula
written out here; the kNN figure by scikit-learn's KNeighborsClassifier on model.encode(x) of the validation
split (carved here from the documented protocol); optimizer, model and best-step facts read from the run
folder. Functions in simclr.loop's namespace are wrapped to see their arguments; they still run.

TrainConfig fields the loop reads, and where each is checked:
    temperature, batch_size, head_dim ........ test_the_loss_is_nt_xent_at_the_configured_temperature
    lr, warmup, schedule, max_steps .......... test_lr_follows_warmup_then_cosine, test_a_constant_schedule_...
    seconds .................................. test_a_time_budget_ends_the_run_on_time
    epochs ................................... test_epochs_set_the_step_budget
    seed (initial weights, batch order and
    the views' generator, each on its own) ... test_the_same_seed_repeats_a_run_and_another_seed_does_not
    batch_size, seed (batch order) ........... test_each_epoch_shows_every_training_image_once
    optimizer, weight_decay .................. test_the_configured_optimizer_and_weight_decay_are_used,
                                               test_each_optimizer_choice_is_built
    eval_every ............................... test_knn_checks_run_every_eval_every_steps
    eval_overhead ............................ test_eval_overhead_reaches_the_pace_of_the_checks
    log_every ................................ test_metrics_lines_every_log_every_steps
    checkpoint_every ......................... test_last_pt_is_saved_every_checkpoint_every_steps
    encoder, width, pool, head_hidden,
    head_dim, head_norm, size ................ test_the_model_is_the_configured_network
    preset, augment .......................... test_views_use_the_preset_with_the_overrides
    dataset, split, subset, seed, size ....... test_the_configured_images_are_loaded
    threads .................................. test_threads_sets_torchs_thread_count
    channels_last ............................ test_channels_last_lays_out_the_views_as_asked
    precision ................................ test_precision_reaches_the_forward_pass
    compile .................................. test_compile_wraps_the_network_only_when_asked
    knn_k, eval_images, validation_images .... test_a_runs_knn_is_the_vote_on_h_with_its_k,
                                               test_the_validation_cap_is_honoured
Left out, and why:
    device: CPU is the only device here ("auto" and "cpu" are the same run); simclr.device's tests cover choice.
    path: only the "folder" dataset reads it; tests/test_data.py loads folders through the same load_dataset.
    resume (and RESUMABLE's budget rewrite): tests/test_train.py resumes runs and checks the steps and Adam's
    count go on; the schedule's warm-down is simclr.optim's and tested in tests/test_optim.py.
    split: "train" is the only split a labelled dataset may train on (validate refuses "test"); the value is
    checked to reach load_dataset, nothing more.
The final test-split report (simclr.train.loop's final_report) is replaced by a stub here: it reads best.pt after training
and is tested in tests/test_compare.py and tests/test_demo_run.py; skipping it keeps these runs to about a second.
A run that ignores its budget (a planted bug) is stopped after 30 s by should_stop, so it fails, not hangs.
"""

import math
import time
from dataclasses import dataclass, field, replace

import numpy as np
import pytest
import torch
from sklearn.neighbors import KNeighborsClassifier

import simclr.train.loop as loop
from simclr.augment.views import PRESETS
from simclr.data import load_dataset
from simclr.model.checkpoint import load_checkpoint
from simclr.model.networks import ModelConfig, build_model
from simclr.runs import folder as runs
from simclr.runs.config import TrainConfig
from simclr.train.monitor import KnnProbe
from simclr.train.optim import LARS
from simclr.train.writer import RunWriter

MAIN = dict(  # every field the loop reads away from its default, so that ignoring one shows
    dataset="mnist-5k", subset=96, size=32, batch_size=24, temperature=0.2, optimizer="sgd", lr=0.05,
    weight_decay=1e-3, warmup=0.25, schedule="cosine", seconds=None, max_steps=8, preset="digits",
    augment={"crop_scale": (0.3, 1.0), "flip": True}, seed=3, threads=2, precision="fp32", channels_last=True,
    compile=True, eval_every=3, eval_overhead=None, knn_k=7, eval_images=200, log_every=4, checkpoint_every=3,
    width=4, pool=1, head_hidden=32, head_dim=16, head_norm=False)


def tiny(**changes) -> TrainConfig:
    base = dict(subset=64, batch_size=32, eval_images=200, eval_every=1000, eval_overhead=None, log_every=1,
                threads=1, seconds=None, max_steps=3)
    return TrainConfig(**(base | changes))


@dataclass
class Record:
    """What the loop passed to the functions it calls, in call order."""

    losses: list = field(default_factory=list)  # (z1, z2, temperature)
    views: list = field(default_factory=list)  # (images, AugmentConfig, the generator's state after the draw)
    initial: list = field(default_factory=list)  # the weights each model was built with
    forwards: list = field(default_factory=list)  # (views channels_last, autocast on, autocast dtype)
    optimizers: list = field(default_factory=list)  # (args, optimizer)
    paces: list = field(default_factory=list)  # (args, kwargs)
    threads: list = field(default_factory=list)
    compiled: list = field(default_factory=list)
    checkpoints: list = field(default_factory=list)  # steps of the last.pt saves
    probes: list = field(default_factory=list)
    datasets: list = field(default_factory=list)  # (args, kwargs, dataset)


def record(patch: pytest.MonkeyPatch) -> Record:
    """Wrap the loop's collaborators so that each call is recorded; the real function still runs."""
    seen = Record()

    def wrap(name, keep):
        original = getattr(loop, name)

        def wrapper(*args, **kwargs):
            result = original(*args, **kwargs)
            keep(args, kwargs, result)
            return result
        patch.setattr(loop, name, wrapper)

    wrap("nt_xent", lambda a, k, r: seen.losses.append((a[0].detach().clone(), a[1].detach().clone(), a[2])))
    wrap("two_views", lambda a, k, r: seen.views.append((a[0].clone(), a[1], a[2].get_state())))
    wrap("build_optimizer", lambda a, k, r: seen.optimizers.append((a, r)))
    wrap("Pace", lambda a, k, r: seen.paces.append((a, k)))
    wrap("load_dataset", lambda a, k, r: seen.datasets.append((a, k, r)))

    def hook(module, inputs):  # (a 1-channel batch is channels_last whichever way it is laid out)
        seen.forwards.append((inputs[0].is_contiguous(memory_format=torch.channels_last),
                              torch.is_autocast_enabled("cpu"), torch.get_autocast_dtype("cpu")))

    def built(args, kwargs, model):
        seen.initial.append({name: t.clone() for name, t in model.state_dict().items()})
        model.register_forward_pre_hook(hook)
    wrap("build_model", built)

    class Probe:  # KnnProbe.for_run, recorded
        @staticmethod
        def for_run(config, train_set):
            probe = KnnProbe.for_run(config, train_set)
            seen.probes.append(probe)
            return probe
    patch.setattr(loop, "KnnProbe", Probe)

    save = RunWriter.checkpoint

    def checkpoint(self, model, resumable, row):
        seen.checkpoints.append(row["step"])
        return save(self, model, resumable, row)
    patch.setattr(RunWriter, "checkpoint", checkpoint)
    patch.setattr(torch, "set_num_threads", seen.threads.append)  # recorded, not applied: the session keeps 1
    patch.setattr(torch, "compile", lambda net, **_: seen.compiled.append(net) or net)
    patch.setattr(loop, "final_report", lambda *args, **kwargs: {})
    return seen


@dataclass
class Run:
    config: TrainConfig
    folder: object
    rows: list  # what train() yielded, one per step
    seen: Record

    @property
    def metrics(self) -> list[dict]:
        return runs.read_metrics(self.folder)

    @property
    def summary(self) -> dict:
        return runs.read_json(self.folder / runs.SUMMARY)


def run(config: TrainConfig, folder) -> Run:
    """Train with the loop's calls recorded; a run that ignores its budget is stopped after 30 s."""
    deadline = time.monotonic() + 30
    with pytest.MonkeyPatch.context() as patch:
        seen = record(patch)
        rows = list(loop.train(config, folder, should_stop=lambda: time.monotonic() > deadline))
    return Run(config, folder, rows, seen)


@pytest.fixture(scope="module")
def main(tmp_path_factory) -> Run:
    return run(TrainConfig(**MAIN), tmp_path_factory.mktemp("wiring") / "main")


# ---------- references written out here ----------

def nt_xent_reference(z1: np.ndarray, z2: np.ndarray, tau: float) -> float:
    """Paper Algorithm 1 as loops: views 2k and 2k+1 of image k, l(i, j) = -log softmax over k != i."""
    z = np.empty((2 * len(z1), z1.shape[1]))
    z[0::2], z[1::2] = z1, z2
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    n2 = len(z)

    def l(i, j):
        others = sum(math.exp(z[i] @ z[k] / tau) for k in range(n2) if k != i)
        return -math.log(math.exp(z[i] @ z[j] / tau) / others)

    return sum(l(2 * k, 2 * k + 1) + l(2 * k + 1, 2 * k) for k in range(len(z1))) / n2


def lr_reference(base: float, step_index: int, steps: int, warmup: float, schedule: str) -> float:
    """The rate for the step taken after `step_index` steps of `steps`: linear warmup, then cosine to 0 or flat."""
    progress = step_index / steps
    if progress < warmup:
        return base * progress / warmup
    if schedule == "constant":
        return base
    return base * 0.5 * (1 + math.cos(math.pi * (progress - warmup) / (1 - warmup)))


def knn_reference(memory_h, memory_labels, query_h, query_labels, k: int, tau: float = 0.07) -> float:
    """scikit-learn's kNN with DINO's vote: cosine neighbours, each weighted exp(similarity / tau)."""
    vote = KNeighborsClassifier(n_neighbors=k, metric="cosine", algorithm="brute",
                                weights=lambda distance: np.exp((1 - distance) / tau))
    vote.fit(np.asarray(memory_h, dtype=np.float64), np.asarray(memory_labels))
    return float((vote.predict(np.asarray(query_h, dtype=np.float64)) == np.asarray(query_labels)).mean())


# ---------- 1. every field the loop reads ----------

def test_the_loss_is_nt_xent_at_the_configured_temperature(main):
    cfg = main.config
    assert len(main.seen.losses) == cfg.max_steps
    for z1, z2, temperature in main.seen.losses:
        assert temperature == cfg.temperature, f"the loss got tau={temperature}, the config says {cfg.temperature}"
        assert z1.shape == z2.shape == (cfg.batch_size, cfg.head_dim)
    per_step = [nt_xent_reference(z1.double().numpy(), z2.double().numpy(), cfg.temperature)
                for z1, z2, _ in main.seen.losses]
    logged, start = {}, 0
    for line in main.metrics:  # each line's loss is the mean over the steps since the last line
        logged[line["step"]] = (line["loss"], np.mean(per_step[start:line["step"]]))
        start = line["step"]
    for step, (loss, reference) in logged.items():
        assert loss == pytest.approx(reference, rel=1e-5), \
            f"step {step}: metrics.jsonl has loss {loss}, NT-Xent at tau={cfg.temperature} is {reference}"


def test_lr_follows_warmup_then_cosine(main):
    cfg = main.config
    assert [row["step"] for row in main.rows] == list(range(1, cfg.max_steps + 1))
    for row in main.rows:
        expected = lr_reference(cfg.lr, row["step"] - 1, cfg.max_steps, cfg.warmup, "cosine")
        assert row["lr"] == pytest.approx(expected, abs=1e-12), f"step {row['step']}"
    lrs = [row["lr"] for row in main.rows]  # warmup 0.25 of 8 steps: 0, half, the peak, then down to near 0
    assert lrs[:3] == [0.0, cfg.lr / 2, cfg.lr] and lrs[3:] == sorted(lrs[3:], reverse=True) and lrs[-1] < cfg.lr / 10
    logged = {line["step"]: line["lr"] for line in main.metrics}
    assert all(logged[row["step"]] == row["lr"] for row in main.rows if row["step"] in logged)


def test_a_constant_schedule_holds_the_peak_after_the_warmup(tmp_path):
    config = tiny(max_steps=6, warmup=0.5, lr=3e-3, schedule="constant")
    done = run(config, tmp_path / "constant")
    assert [row["lr"] for row in done.rows] == pytest.approx(
        [lr_reference(3e-3, i, 6, 0.5, "constant") for i in range(6)], abs=1e-12)
    assert [row["lr"] for row in done.rows][-3:] == [3e-3] * 3


def test_a_time_budget_ends_the_run_on_time(tmp_path):
    budget = 1.5
    done = run(tiny(seconds=budget, max_steps=None), tmp_path / "timed")
    seconds = [row["seconds"] for row in done.rows]
    assert len(seconds) >= 3 and done.summary["status"] == "finished"
    assert seconds[-2] < budget, "a step started after the budget was spent"
    assert seconds[-1] > 0.5 * budget, f"the run stopped at {seconds[-1]:.2f} s of a {budget} s budget"
    lrs = [row["lr"] for row in done.rows]
    assert lrs[-1] < 0.5 * done.config.lr and lrs[-1] == min(lrs[1:]), "the cosine follows the time used"


@pytest.mark.parametrize(("epochs", "max_steps", "steps"), [(1.5, None, 3), (1.5, 10, 3), (5, 2, 2)])
def test_epochs_set_the_step_budget(tmp_path, epochs, max_steps, steps):
    """64 images in batches of 32: 2 steps an epoch; the smaller of the two budgets wins."""
    done = run(tiny(epochs=epochs, max_steps=max_steps), tmp_path / "epochs")
    assert [row["step"] for row in done.rows] == list(range(1, steps + 1))
    assert [row["epoch"] for row in done.rows] == [s / 2 for s in range(1, steps + 1)]
    assert done.summary["steps"] == steps


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> list[Run]:
    folder = tmp_path_factory.mktemp("seeds")
    return [run(tiny(seed=seed), folder / f"{i}-seed{seed}") for i, seed in enumerate((0, 0, 1))]


def weights(folder) -> dict:
    return torch.load(folder / runs.LAST, map_location="cpu", weights_only=True)["state_dict"]


def test_the_same_seed_repeats_a_run_and_another_seed_does_not(seeded):
    first, again, other = seeded
    losses = [[line["loss"] for line in done.metrics] for done in seeded]
    assert losses[0] == losses[1], "the same seed gave another run"
    assert all(a != b for a, b in zip(losses[0], losses[2])), "seed 1 repeated seed 0's losses"
    for name, tensor in weights(first.folder).items():
        assert torch.equal(tensor, weights(again.folder)[name]), name
    assert not all(torch.equal(t, weights(other.folder)[n]) for n, t in weights(first.folder).items())
    same = lambda a, b: all(torch.equal(t, b[name]) for name, t in a.items())  # noqa: E731
    assert same(first.seen.initial[0], again.seen.initial[0]) and not same(first.seen.initial[0],
                                                                           other.seen.initial[0]), "initial weights"
    order = [batch_order(done) for done in seeded]  # positions in the run's own training images
    assert order[0] == order[1] and order[0] != order[2], "the batch order does not follow the seed"
    draws = [[state for _, _, state in done.seen.views] for done in seeded]  # the augmentation generator's
    assert all(torch.equal(a, b) for a, b in zip(draws[0], draws[1]))
    assert not any(torch.equal(a, b) for a, b in zip(draws[0], draws[2])), "the views do not follow the seed"


def batch_order(done: Run) -> list[int]:
    """Each step's images as positions in the run's training images (subset already drawn)."""
    train_set = done.seen.datasets[0][2]
    where = {image.numpy().tobytes(): i for i, image in enumerate(train_set.images)}
    return [where[image.numpy().tobytes()] for images, _, _ in done.seen.views for image in images]


def test_each_epoch_shows_every_training_image_once(main):
    """subset 96, batch 24: steps 1-4 and 5-8 are each a shuffle of the 96 training images."""
    cfg = main.config
    (_, kwargs, train_set), *_ = main.seen.datasets
    assert len(train_set) == cfg.subset
    every = sorted(image.numpy().tobytes() for image in train_set.images)
    per_epoch = cfg.subset // cfg.batch_size
    batches = [images for images, _, _ in main.seen.views]
    assert all(len(images) == cfg.batch_size for images in batches)
    for epoch in range(cfg.max_steps // per_epoch):
        shown = torch.cat(batches[epoch * per_epoch:(epoch + 1) * per_epoch])
        assert sorted(image.numpy().tobytes() for image in shown) == every, f"epoch {epoch}"
    assert not torch.equal(batches[0], batches[per_epoch]), "the second epoch repeated the first one's order"


def check_optimizer(done: Run, kind: type, state_key: str) -> None:
    """The optimizer built is `kind`; last.pt's copy has the configured decay on weights (none on biases and norm
    layers), `state_key` in every parameter's state, and the last step's rate."""
    (_, used), = done.seen.optimizers
    assert type(used) is kind, f"{done.config.optimizer}: the loop built {type(used).__name__}"
    saved = torch.load(done.folder / runs.LAST, map_location="cpu", weights_only=True)["extra"]["optimizer"]
    decay, plain = saved["param_groups"]
    assert decay["weight_decay"] == done.config.weight_decay and plain["weight_decay"] == 0.0
    assert all(state_key in state for state in saved["state"].values()), f"no {state_key} in the saved state"
    assert decay["lr"] == done.rows[-1]["lr"], "the last step's rate is the one the optimizer used"


def test_the_configured_optimizer_and_weight_decay_are_used(main):
    check_optimizer(main, torch.optim.SGD, "momentum_buffer")


@pytest.mark.parametrize(("optimizer", "kind", "state_key"),
                         [("adam", torch.optim.Adam, "exp_avg"), ("lars", LARS, "momentum")])
def test_each_optimizer_choice_is_built(tmp_path, optimizer, kind, state_key):
    check_optimizer(run(tiny(optimizer=optimizer, weight_decay=0.02, max_steps=2), tmp_path / optimizer),
                    kind, state_key)


def test_knn_checks_run_every_eval_every_steps(main):
    assert [row["step"] for row in main.rows if "knn" in row] == [3, 6]
    assert [line["step"] for line in main.metrics if "knn" in line] == [3, 6]
    assert [args for args, _ in main.seen.paces] == [(3, None)]


def test_eval_overhead_reaches_the_pace_of_the_checks(tmp_path):
    """Pace itself (a check waits for its cost / overhead of training time) is tested in tests/test_probe.py."""
    done = run(tiny(eval_overhead=0.2, max_steps=1), tmp_path / "paced")
    assert [args for args, _ in done.seen.paces] == [(1000, 0.2)]


def test_metrics_lines_every_log_every_steps(main):
    """log_every 4, checks at 3 and 6, 8 steps: lines at 3, 4, 6, 8 (checks and multiples of 4; 8 is both)."""
    assert [line["step"] for line in main.metrics] == [3, 4, 6, 8]


def test_last_pt_is_saved_every_checkpoint_every_steps(main):
    assert main.seen.checkpoints == [3, 6, 8]  # multiples of 3, then the end
    assert load_checkpoint(main.folder / runs.LAST)[1]["step"] == 8


def test_the_model_is_the_configured_network(main):
    cfg = main.config
    model, _ = load_checkpoint(main.folder / runs.LAST)
    assert model.config == ModelConfig(encoder="small-cnn", in_channels=1, image_size=32, head_hidden=32, head_dim=16,
                                       head_norm=False, width=4, pool=1)
    assert cfg.size == 32 and not any(isinstance(m, torch.nn.BatchNorm1d) for m in model.head.modules())


def test_views_use_the_preset_with_the_overrides(main):
    expected = replace(PRESETS["digits"], crop_scale=(0.3, 1.0), flip=True)
    assert {cfg for _, cfg, _ in main.seen.views} == {expected}


def test_the_configured_images_are_loaded(main):
    cfg = main.config
    args, kwargs, train_set = main.seen.datasets[0]
    assert args == ("mnist-5k",) and kwargs["split"] == "train" and kwargs["subset"] == 96 and kwargs["seed"] == 3
    assert tuple(train_set.images.shape) == (96, 1, 32, 32)
    assert main.summary["images"] == cfg.subset


def test_threads_sets_torchs_thread_count(main):
    assert main.seen.threads[0] == 2, main.seen.threads


@pytest.mark.parametrize(("channels_last", "nhwc"), [(True, True), (None, False)])  # None: only on CUDA
def test_channels_last_lays_out_the_views_as_asked(tmp_path, channels_last, nhwc):
    """On colour photos: with one channel both layouts are the same tensor (small-cnn's weights are always NHWC)."""
    done = run(tiny(dataset="photos", size=32, subset=None, batch_size=8, max_steps=1, channels_last=channels_last),
               tmp_path / "photos")
    assert [last for last, _, _ in done.seen.forwards] == [nhwc]


def test_precision_reaches_the_forward_pass(main, tmp_path):
    assert len(main.seen.forwards) == main.config.max_steps
    assert not any(autocast for _, autocast, _ in main.seen.forwards)  # fp32
    bf16 = run(tiny(precision="bf16", max_steps=1), tmp_path / "bf16")
    assert [(autocast, dtype) for _, autocast, dtype in bf16.seen.forwards] == [(True, torch.bfloat16)]


def test_compile_wraps_the_network_only_when_asked(main, seeded):
    assert len(main.seen.compiled) == 1
    assert seeded[0].seen.compiled == []


def test_the_validation_cap_is_honoured(main):
    """eval_images 200: 200 memory images and 200 queries, a seeded choice of the validation split."""
    (probe,) = main.seen.probes
    assert (len(probe.validation.memory), len(probe.validation.queries)) == (200, 200)
    assert probe.k == main.config.knn_k == 7
    assert main.summary["validation_split"] == "validation, 200 queries, 200 memory images"


# ---------- 2. best.pt is the step with the best validation kNN ----------

class ScriptedProbe:
    """A probe whose checks return the figures given, and which keeps the weights each check saw."""

    def __init__(self, figures):
        self.figures, self.seen = list(figures), []

    def baselines(self, model, device) -> dict:
        return {"knn_pixels": 0.1, "knn_before": 0.1, "validation_split": "validation"}

    def __call__(self, model, device) -> float:
        self.seen.append({k: v.clone() for k, v in model.state_dict().items()})
        return self.figures.pop(0)


def best_candidates(done: Run) -> list[tuple[int, float]]:
    """(step, kNN) of every validation check: metrics.jsonl's, and the final one of a run whose last step had none
    (summary.json's knn_after: the loop checks once more after the last step, and best.pt may come from it)."""
    checks = [(line["step"], line["knn"]) for line in done.metrics if "knn" in line]
    if checks[-1][0] != done.summary["steps"]:
        checks.append((done.summary["steps"], done.summary["knn_after"]))
    return checks


@pytest.mark.parametrize(("max_steps", "figures"), [
    (8, (0.3, 0.7, 0.5, 0.6)), (8, (0.7, 0.3, 0.5, 0.4)), (8, (0.2, 0.3, 0.5, 0.9)), (8, (0.3, 0.7, 0.5, 0.7)),
    (7, (0.3, 0.5, 0.4, 0.9)), (7, (0.3, 0.8, 0.4, 0.6))])  # 7 steps: checks at 2, 4, 6, then a final one
def test_best_pt_holds_the_step_with_the_highest_validation_knn(tmp_path, monkeypatch, max_steps, figures):
    """Ties keep the earlier step: best.pt is replaced only by a figure that beats it (RunWriter.keep_best)."""
    probe = ScriptedProbe(figures)
    monkeypatch.setattr(loop.KnnProbe, "for_run", classmethod(lambda cls, config, train_set: probe))
    folder = tmp_path / "best"
    done = run(tiny(max_steps=max_steps, eval_every=2), folder)
    assert probe.figures == [], "a check every eval_every steps, and a final one where the last step had none"
    checks = best_candidates(done)
    assert [value for _, value in checks] == list(figures)
    best_step, best_value = max(checks, key=lambda check: check[1])  # max() keeps the first of equal figures
    model, extra = load_checkpoint(folder / runs.BEST)
    assert extra["step"] == best_step, f"best.pt is step {extra['step']}; the best kNN {best_value} was at step " \
                                       f"{best_step} (checks {checks})"
    assert extra["best"] == best_value
    assert (done.summary["best_step"], done.summary["best_value"]) == (best_step, best_value)
    kept = probe.seen[[step for step, _ in checks].index(best_step)]
    assert all(torch.equal(model.state_dict()[name], kept[name]) for name in kept), \
        "best.pt's weights are another step's"


@pytest.mark.parametrize(("metric", "figures", "best_at"), [
    ("knn", (0.3, 0.7, 0.5, 0.7), 2), ("loss", (3.0, 2.0, 2.5, 1.5), 4), ("loss", (2.0, 3.0, 2.0, 2.5), 1)])
def test_keep_best_keeps_the_highest_knn_or_without_labels_the_lowest_loss(tmp_path, metric, figures, best_at):
    """RunWriter.keep_best on its own: a run without labels keeps best.pt by the loss, lower being better, and
    summary.json names what chose it (the Training page's "best by ..."); ties keep the earlier step."""
    state = {"step": 0, "epoch": 0.0, "seconds": 0.0, "best": None, "warm_down": None}
    tmp_path = tmp_path / "runs" / "new"  # `--out runs/new` where runs/ does not exist yet: made, parents too
    writer = RunWriter(tmp_path, {}, state, resume=False)
    writer.start({})
    model = build_model(ModelConfig(width=2, head_hidden=4, head_dim=2), seed=0)
    for step, value in enumerate(figures, start=1):
        state["step"] = step
        with torch.no_grad():
            next(model.parameters()).fill_(step)  # each step's weights told apart
        writer.keep_best(metric, value, model)
    best, extra = load_checkpoint(tmp_path / runs.BEST)
    assert extra["step"] == best_at and float(next(best.parameters()).flatten()[0]) == best_at
    assert (writer.summary["best_metric"], writer.summary["best_value"], writer.summary["best_step"]) == \
        (metric, figures[best_at - 1], best_at)


def test_best_pt_of_a_real_run_is_its_best_check(main):
    checks = best_candidates(main)
    assert len(checks) == 3  # steps 3 and 6, and the final check at 8
    assert load_checkpoint(main.folder / runs.BEST)[1]["step"] == max(checks, key=lambda c: c[1])[0]


# ---------- 3. the training-time kNN scores h ----------

@pytest.fixture(scope="module")
def validation():
    """The validation split as holdout documents it: 10% of mnist-5k's 4,000 training digits drawn with seed 0
    are the queries, the other 3,600 the memory; no cap (validation_images 10,000)."""
    train = load_dataset("mnist-5k", split="train")
    order = np.random.default_rng(0).permutation(len(train))
    queries, memory = np.sort(order[:400]), np.sort(order[400:])
    return train, memory, queries


def features(model, images: torch.Tensor) -> dict[str, np.ndarray]:
    model.eval()
    with torch.no_grad():
        h = model.encode(images.float() / 255)
        return {"h": h.numpy(), "z": model.head(h).numpy()}


def references(model, validation, k: int) -> dict[str, float]:
    train, memory, queries = validation
    seen = features(model, train.images)
    labels = train.labels.numpy()
    return {space: knn_reference(f[memory], labels[memory], f[queries], labels[queries], k)
            for space, f in seen.items()}


def test_the_training_knn_is_the_vote_on_h(validation):
    train, memory, queries = validation
    config = TrainConfig(max_steps=1, knn_k=20)
    probe = KnnProbe.for_run(config, train)
    assert torch.equal(probe.validation.queries.images, train.images[queries])
    assert torch.equal(probe.validation.memory.images, train.images[memory])
    model = build_model(config.model_config(1, 28), seed=0)
    expected = references(model, validation, k=20)
    tolerance = 1.5 / len(queries)  # one query may flip on float rounding between two equal votes
    assert abs(expected["h"] - expected["z"]) > 2 * tolerance, f"h and z score alike here: {expected}"
    assert probe(model, "cpu") == pytest.approx(expected["h"], abs=tolerance), \
        f"KnnProbe gave {probe(model, 'cpu')}; kNN of h is {expected['h']}, of z {expected['z']}"


def test_a_runs_knn_is_the_vote_on_h_with_its_k(tmp_path, validation):
    """End to end: summary.json's knn_after (the last check) is the k=5 vote on h of last.pt's weights."""
    config = TrainConfig(max_steps=2, eval_every=2, eval_overhead=None, knn_k=5, batch_size=32, subset=64,
                         seconds=None, threads=1)
    done = run(config, tmp_path / "knn")
    model, _ = load_checkpoint(done.folder / runs.LAST)
    expected = references(model, validation, k=5)
    tolerance = 1.5 / len(validation[2])
    assert abs(expected["h"] - expected["z"]) > 2 * tolerance, f"h and z score alike here: {expected}"
    assert done.summary["knn_after"] == pytest.approx(expected["h"], abs=tolerance), \
        f"the run's kNN {done.summary['knn_after']}; of h {expected['h']}, of z {expected['z']}"
    assert done.metrics[-1]["knn"] == done.summary["knn_after"]
