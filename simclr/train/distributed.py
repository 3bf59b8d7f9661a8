"""Several processes, one global batch: what training needs from torch.distributed (torchrun, DDP).

Each process takes its shard of the global batch; the projections of every shard are gathered
(with their gradients) so that NT-Xent sees all 2N views, as the paper's global batch does
(Sec. 2.2). A single process is the special case world = 1, where every function here is a no-op.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
import torch.distributed.nn.functional as dist_nn


@dataclass(frozen=True)
class World:
    """Where this process sits among the training processes."""

    rank: int = 0  # 0 writes the run folder and evaluates
    size: int = 1  # number of processes; each holds batch_size / size images of a step
    local_rank: int = 0  # index of this process on its machine (picks its GPU)

    @property
    def main(self) -> bool:
        return self.rank == 0


def launched_by_torchrun() -> bool:
    """Whether torchrun (or another launcher) set the rendezvous variables."""
    return "RANK" in os.environ and "WORLD_SIZE" in os.environ


def init(device_type: str) -> World:
    """Join the process group torchrun describes (nccl on CUDA, gloo elsewhere); World() when not launched so."""
    if not launched_by_torchrun():
        return World()
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device_type == "cuda" else "gloo")
    return World(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", 0)))


def close(world: World) -> None:
    if world.size > 1 and dist.is_initialized():
        dist.destroy_process_group()


def gather(x: torch.Tensor, world: World) -> torch.Tensor:
    """(n, D) per process -> (size * n, D), rank order, differentiable: gradients flow back to every shard.

    torch.distributed.nn's all_gather sums the gradients of all processes into each shard, and DDP
    averages the parameter gradients; with the same global loss on every process, the product is
    exactly the gradient of the single-process loss on the global batch.
    """
    if world.size == 1:
        return x
    return torch.cat(dist_nn.all_gather(x), dim=0)


def agree(elapsed: float, stop: bool, world: World) -> tuple[float, bool]:
    """Rank 0's clock and whether any process wants to stop, the same on every process (keeps LR and steps in step)."""
    if world.size == 1:
        return elapsed, stop
    state = torch.tensor([elapsed if world.main else 0.0, float(stop)], dtype=torch.float64)
    if dist.get_backend() == "nccl":
        state = state.cuda()
    dist.all_reduce(state, op=dist.ReduceOp.MAX)
    return float(state[0]), bool(state[1])
