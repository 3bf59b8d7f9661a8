"""The learning-rate schedule against its closed form; LARS against numpy ports of its rule and of the reference's."""

import math

import numpy as np
import pytest
import torch

from simclr.runs.config import default_lr
from simclr.train.optim import LARS, RESUME_FLOOR, Schedule, build_optimizer, learning_rate


@pytest.mark.parametrize("progress, expected", [
    (0.0, 0.0), (0.05, 0.5), (0.1, 1.0),  # linear warmup over the first 10%
    (0.55, 0.5), (0.1 + 0.9 / 3, 0.75), (1.0, 0.0), (1.5, 0.0),  # cosine: half-way is half, the end is zero
])
def test_warmup_then_cosine(progress, expected):
    assert learning_rate(2.0, progress, warmup=0.1) == pytest.approx(2.0 * expected)


def test_no_warmup_starts_at_the_peak():
    assert learning_rate(0.3, 0.0, warmup=0.0) == pytest.approx(0.3)


@pytest.mark.parametrize("progress, expected", [
    (0.0, 0.0), (0.05, 0.5), (0.1, 1.0),  # the same linear warmup over the first 10%
    (0.55, 1.0), (1.0, 1.0), (1.5, 1.0),  # then the peak held, where cosine would give 0.5, 0, 0
])
def test_a_constant_schedule_holds_the_peak_after_its_warmup(progress, expected):
    assert learning_rate(2.0, progress, warmup=0.1, schedule="constant") == pytest.approx(2.0 * expected)


def test_a_constant_schedule_without_warmup_is_the_peak_at_every_step_and_after_a_resume():
    """The course notebook's Adam: torch.optim.Adam(lr=5e-4) and no scheduler, so 5e-4 on every step."""
    first = Schedule(base=5e-4, warmup=0.0, seconds=60.0, steps=1000, kind="constant")
    assert [first(step, step * 0.06) for step in range(0, 1001, 100)] == [5e-4] * 11
    resumed = first.extend(seconds=120.0, steps=2000, at_step=1000, at_seconds=60.0)
    assert [resumed(step, step * 0.06) for step in range(1000, 2001, 100)] == [5e-4] * 11
    assert resumed.extend(seconds=180.0, steps=3000, at_step=2000, at_seconds=120.0)(2500, 150.0) == 5e-4
    cosine_run = Schedule(base=5e-4, warmup=0.0, seconds=60.0, steps=1000)
    assert cosine_run(500, 30.0) == pytest.approx(2.5e-4)  # the default decays: half-way is half the peak


def test_default_lr_follows_the_paper_scaling():
    assert default_lr("adam", 4096) == 1e-3
    assert default_lr("lars", 4096) == pytest.approx(4.8)  # paper: 0.3 x 4096 / 256
    assert default_lr("sgd", 256) == pytest.approx(0.3)


def lars_pytorch_convention(w, grads, lrs, momentum, eta, wd, adapt):
    """LARS as simclr.train.optim documents it, in numpy: the trust ratio scales the gradient (You et al. 2017),
    the learning rate multiplies the momentum buffer when stepping (torch.optim.SGD's convention)."""
    w, v = w.copy(), np.zeros_like(w)
    for g, lr in zip(grads, lrs):
        update = g + wd * w
        if adapt:
            update = update * eta * np.linalg.norm(w) / np.linalg.norm(update)
        v = momentum * v + update
        w = w - lr * v
    return w


def lars_reference(w, grads, lrs, momentum, eta, wd, adapt):
    """google-research/simclr tf2/lars_optimizer.py, classic_momentum=True (its default), no Nesterov, in numpy:
    the learning rate enters the momentum buffer (next_v = momentum * v + lr * trust * grad; w = w - next_v)."""
    w, v = w.copy(), np.zeros_like(w)
    for g, lr in zip(grads, lrs):
        grad = g + wd * w
        trust = 1.0
        if adapt:
            w_norm, g_norm = np.linalg.norm(w), np.linalg.norm(grad)
            trust = eta * w_norm / g_norm if w_norm > 0 and g_norm > 0 else 1.0
        v = momentum * v + lr * trust * grad
        w = w - v
    return w


def run_lars(w0, b0, grads_w, grads_b, lrs):
    w, b = torch.tensor(w0, requires_grad=True), torch.tensor(b0, requires_grad=True)
    optimizer = LARS([{"params": [w], "weight_decay": 1e-2, "lars": True},
                      {"params": [b], "weight_decay": 0.0, "lars": False}], lr=lrs[0], momentum=0.9, eta=0.01)
    for gw, gb, lr in zip(grads_w, grads_b, lrs):
        for group in optimizer.param_groups:  # as simclr.train sets the warmup + cosine rate every step
            group["lr"] = lr
        w.grad, b.grad = torch.tensor(gw), torch.tensor(gb)
        optimizer.step()
    return w.detach().numpy(), b.detach().numpy()


@pytest.fixture
def lars_problem():
    rng = np.random.default_rng(0)
    w0, b0 = rng.normal(size=(3, 4)), rng.normal(size=3)
    grads_w, grads_b = [rng.normal(size=(3, 4)) for _ in range(6)], [rng.normal(size=3) for _ in range(6)]
    return w0, b0, grads_w, grads_b


def test_lars_with_a_changing_learning_rate_follows_pytorchs_momentum_convention(lars_problem):
    w0, b0, grads_w, grads_b = lars_problem
    lrs = [learning_rate(0.5, step / 6, warmup=0.3) for step in range(1, 7)]  # warmup, then cosine: every step differs
    assert len(set(lrs)) == 6
    w, b = run_lars(w0, b0, grads_w, grads_b, lrs)
    np.testing.assert_allclose(w, lars_pytorch_convention(w0, grads_w, lrs, 0.9, 0.01, 1e-2, True), rtol=1e-12)
    np.testing.assert_allclose(b, lars_pytorch_convention(b0, grads_b, lrs, 0.9, 0.01, 0.0, False), rtol=1e-12)
    reference = lars_reference(w0, grads_w, lrs, 0.9, 0.01, 1e-2, True)
    assert not np.allclose(w, reference, rtol=1e-6), "the documented difference from the reference is real"


def test_lars_at_a_constant_learning_rate_is_the_reference_rule(lars_problem):
    w0, b0, grads_w, grads_b = lars_problem
    lrs = [0.5] * 6
    w, b = run_lars(w0, b0, grads_w, grads_b, lrs)
    np.testing.assert_allclose(w, lars_reference(w0, grads_w, lrs, 0.9, 0.01, 1e-2, True), rtol=1e-12)
    np.testing.assert_allclose(b, lars_reference(b0, grads_b, lrs, 0.9, 0.01, 0.0, False), rtol=1e-12)


@pytest.mark.parametrize("name, kind", [("adam", torch.optim.Adam), ("sgd", torch.optim.SGD), ("lars", LARS)])
def test_biases_and_norm_layers_get_no_weight_decay(name, kind):
    nn = torch.nn
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.Linear(36, 2))
    optimizer = build_optimizer(model, name, lr=0.1, weight_decay=1e-4)
    assert isinstance(optimizer, kind)
    decayed = {id(p) for g in optimizer.param_groups if g["weight_decay"] > 0 for p in g["params"]}
    expected = {id(model[0].weight), id(model[3].weight)}
    assert decayed == expected
    assert sum(len(g["params"]) for g in optimizer.param_groups) == len(list(model.parameters()))
    assert math.isclose(optimizer.param_groups[0]["lr"], 0.1)


def cosine(start: float, done: float) -> float:
    """Reference warm-down written out: start * (1 + cos(pi * done)) / 2."""
    return start * (1 + math.cos(math.pi * done)) / 2


def test_resuming_with_more_seconds_warms_down_from_the_rate_reached_never_back_up():
    first = Schedule(base=1.0, warmup=0.1, seconds=100.0, steps=math.inf)
    stopped_at = first(300, 50.0)  # stopped half way: 0.5 * (1 + cos(pi * 0.4 / 0.9))
    assert stopped_at == pytest.approx(cosine(1.0, 40 / 90))
    resumed = first.extend(seconds=150.0, steps=math.inf, at_step=300, at_seconds=50.0)  # 100 s more
    rates = [resumed(300 + i, 50.0 + i) for i in range(0, 101, 5)]
    assert rates[0] == pytest.approx(stopped_at) and rates[-1] == pytest.approx(0.0, abs=1e-12)
    assert all(a >= b for a, b in zip(rates, rates[1:]))  # no jump back up the stretched cosine
    assert resumed(350, 100.0) == pytest.approx(cosine(stopped_at, 0.5))
    # the stretched schedule it replaces would have jumped up to the rate of a third of the way
    assert learning_rate(1.0, 50 / 150, 0.1) > stopped_at > rates[1]


def test_a_finished_run_resumed_warms_down_from_the_floor_and_an_unchanged_budget_keeps_its_schedule():
    first = Schedule(base=0.01, warmup=0.05, seconds=None, steps=1000)
    assert first(1000, 0.0) == pytest.approx(0.0, abs=1e-12)
    again = first.extend(seconds=None, steps=1500, at_step=1000, at_seconds=60.0)
    assert again(1000, 60.0) == pytest.approx(RESUME_FLOOR * 0.01)
    assert again(1250, 90.0) == pytest.approx(cosine(RESUME_FLOOR * 0.01, 0.5))
    assert first.extend(seconds=None, steps=1000, at_step=400, at_seconds=20.0) is first
    twice = again.extend(seconds=None, steps=2000, at_step=1500, at_seconds=99.0)  # a second resume, same rule
    assert twice(1500, 99.0) == pytest.approx(RESUME_FLOOR * 0.01) and twice(2000, 120.0) == pytest.approx(0.0)
