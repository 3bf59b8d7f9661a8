"""Optimizers for pretraining (Adam, SGD, the paper's LARS) and the warmup + cosine (or constant) learning rate."""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

OPTIMIZERS = ("adam", "sgd", "lars")
SCHEDULES = ("cosine", "constant")  # what follows the warmup: the paper's cosine decay to 0, or the peak held


def build_optimizer(model: torch.nn.Module, name: str, lr: float, weight_decay: float,
                    fused: bool = False) -> torch.optim.Optimizer:
    """`name` in OPTIMIZERS. Biases and norm layers get no weight decay and, under LARS, no trust ratio (paper B.1).

    fused: PyTorch's one-kernel Adam / SGD step (CUDA; the caller decides).
    """
    decay = [p for p in model.parameters() if p.requires_grad and p.ndim > 1]
    plain = [p for p in model.parameters() if p.requires_grad and p.ndim <= 1]
    groups = [{"params": decay, "weight_decay": weight_decay, "lars": True},
              {"params": plain, "weight_decay": 0.0, "lars": False}]
    if name == "adam":
        return torch.optim.Adam(groups, lr=lr, fused=fused or None)
    if name == "sgd":
        return torch.optim.SGD(groups, lr=lr, momentum=0.9, fused=fused or None)
    if name == "lars":
        return LARS(groups, lr=lr)
    raise ValueError(f"Unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}.")


class LARS(torch.optim.Optimizer):
    """SGD with momentum whose step for each weight matrix is scaled by eta ||w|| / ||grad + wd w|| (You et al. 2017).

    The paper trains with it at batch 4096 (Sec. 2.2); groups with lars=False take plain momentum SGD steps.
    Momentum follows PyTorch's convention (torch.optim.SGD): v = momentum v + trust (grad + wd w), w -= lr v.
    google-research/simclr's LARSOptimizer (classic_momentum=True) puts the rate inside the buffer instead,
    v = momentum v + lr trust (grad + wd w), w -= v: the same steps at a constant rate, while under warmup
    and cosine decay a rate change here also rescales the momentum already gathered.
    """

    def __init__(self, params, lr: float, momentum: float = 0.9, eta: float = 0.001):
        super().__init__(params, {"lr": lr, "momentum": momentum, "eta": eta, "weight_decay": 0.0, "lars": True})

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                update = p.grad + group["weight_decay"] * p
                if group["lars"]:
                    w_norm, u_norm = torch.linalg.vector_norm(p), torch.linalg.vector_norm(update)
                    trust = torch.where((w_norm > 0) & (u_norm > 0), group["eta"] * w_norm / u_norm, 1.0)
                    update = update * trust
                buffer = self.state[p].setdefault("momentum", torch.zeros_like(p))
                buffer.mul_(group["momentum"]).add_(update)
                p.sub_(group["lr"] * buffer)


def learning_rate(base: float, progress: float, warmup: float, schedule: str = "cosine") -> float:
    """The LR at `progress` in [0, 1] of the run: linear warmup over the first `warmup` fraction, then `schedule`.

    "cosine" decays to 0, as the paper (Sec. B.1: 10 warmup epochs, then cosine decay without restarts);
    "constant" holds `base` (the course notebook's Adam: no warmup, no decay).
    """
    if progress < warmup:
        return base * progress / warmup
    if schedule == "constant":
        return base
    done = (progress - warmup) / max(1.0 - warmup, 1e-12)
    return base * 0.5 * (1.0 + math.cos(math.pi * min(done, 1.0)))


RESUME_FLOOR = 0.1  # a run resumed after its rate reached ~0 warms down again from this fraction of the peak


@dataclass
class Schedule:
    """The learning rate over a run's budget: `learning_rate` against the fraction of the budget used.

    The fraction is the larger of seconds / budget seconds and step / budget steps. A run resumed with a
    larger budget would otherwise jump back up the stretched cosine; `extend` instead starts a warm-down:
    a cosine from the rate reached (at least RESUME_FLOOR x peak) to 0 over what is left of the new budget.
    A constant schedule resumed so holds its peak (its warmup, a fraction of the first budget, is behind it).
    """

    base: float  # peak learning rate
    warmup: float  # fraction of the first budget with a linear ramp
    seconds: float | None  # time budget, or None
    steps: float  # step budget, math.inf when there is none
    warm_down: list | None = None  # [step, seconds, lr] where a warm-down began, after a resume; None before
    kind: str = "cosine"  # what follows the warmup, one of SCHEDULES (TrainConfig.schedule)

    def fraction(self, step: int, seconds: float, start: tuple = (0, 0.0)) -> float:
        """Share of the budget from `start` (step, seconds) used at (step, seconds), in [0, 1]."""
        by_time = (seconds - start[1]) / max(self.seconds - start[1], 1e-9) if self.seconds else 0.0
        by_steps = (step - start[0]) / max(self.steps - start[0], 1e-9)
        return min(max(by_time, by_steps, 0.0), 1.0)

    def __call__(self, step: int, seconds: float) -> float:
        if self.warm_down is None:
            return learning_rate(self.base, self.fraction(step, seconds), self.warmup, self.kind)
        if self.kind == "constant":
            return self.base
        start_step, start_seconds, start_lr = self.warm_down
        done = self.fraction(step, seconds, (start_step, start_seconds))
        return start_lr * 0.5 * (1.0 + math.cos(math.pi * done))

    def extend(self, seconds: float | None, steps: float, at_step: int, at_seconds: float) -> Schedule:
        """This schedule for a larger budget, resumed at (at_step, at_seconds): a warm-down from the rate reached."""
        if (seconds, steps) == (self.seconds, self.steps):
            return self
        start_lr = max(self(at_step, at_seconds), RESUME_FLOOR * self.base)
        return Schedule(self.base, self.warmup, seconds, steps, [at_step, at_seconds, start_lr], self.kind)
