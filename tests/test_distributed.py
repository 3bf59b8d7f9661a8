"""Two CPU processes (gloo) give the single-process loss and gradient of the global batch; torchrun runs the CLI."""

import json
import socket
import subprocess
import sys
import types
from pathlib import Path

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.nn.parallel import DistributedDataParallel

from simclr.loss import nt_xent
from simclr.runs import folder
from simclr.train import distributed

ROOT = Path(__file__).resolve().parent.parent
N, D_IN, D = 8, 6, 5  # global batch, input and projection sizes
WORLD = 2


def problem() -> tuple[torch.Tensor, torch.Tensor, torch.nn.Linear]:
    """Deterministic inputs of two views (N, D_IN) each and a projection every process builds alike."""
    g = torch.Generator().manual_seed(0)
    x1, x2 = (torch.randn(N, D_IN, generator=g, dtype=torch.float64) for _ in range(2))
    layer = torch.nn.Linear(D_IN, D, dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(torch.randn(D, D_IN, generator=g, dtype=torch.float64))
        layer.bias.copy_(torch.randn(D, generator=g, dtype=torch.float64))
    return x1, x2, layer


def worker(rank: int, port: int, out: str) -> None:
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=WORLD)
    world = distributed.World(rank, WORLD, rank)
    x1, x2, layer = problem()
    net = DistributedDataParallel(layer)
    shard = slice(rank * N // WORLD, (rank + 1) * N // WORLD)  # this process's images of the global batch
    z1, z2 = net(torch.cat([x1[shard], x2[shard]])).chunk(2)  # (N / 2, D) each, as the training step does
    loss = nt_xent(distributed.gather(z1, world), distributed.gather(z2, world), temperature=0.5)
    loss.backward()
    clock, stop = distributed.agree(elapsed=3.0 + rank, stop=rank == 1, world=world)
    torch.save({"loss": loss.detach(), "weight": layer.weight.grad, "bias": layer.bias.grad,
                "clock": clock, "stop": stop}, f"{out}/rank{rank}.pt")
    distributed.close(world)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_two_processes_give_the_global_batch_loss_and_gradient(tmp_path, monkeypatch):
    # Spawned children re-run the parent's __main__ file; after an AppTest in this process that is app.py.
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
    mp.spawn(worker, args=(free_port(), str(tmp_path)), nprocs=WORLD, join=True)
    x1, x2, layer = problem()
    z = layer(torch.cat([x1, x2]))  # one process, the whole batch of 2N views
    loss = nt_xent(*z.chunk(2), temperature=0.5)
    loss.backward()
    for rank in range(WORLD):
        got = torch.load(tmp_path / f"rank{rank}.pt", weights_only=True)
        torch.testing.assert_close(got["loss"], loss.detach(), rtol=1e-6, atol=1e-6)
        torch.testing.assert_close(got["weight"], layer.weight.grad, rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(got["bias"], layer.bias.grad, rtol=1e-5, atol=1e-6)
        assert got["clock"] == 3.0 and got["stop"] is True  # rank 0's clock; any process may stop all


def test_a_lone_process_is_world_of_one():
    world = distributed.World()
    z = torch.randn(4, 3)
    assert world.main and distributed.gather(z, world) is z
    assert distributed.agree(1.5, False, world) == (1.5, False)


def test_torchrun_cli_writes_one_run_folder(tmp_path):
    run_dir = tmp_path / "ddp"
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={WORLD}",
               "-m", "simclr.train", "--max-steps", "2", "--batch-size", "32", "--eval-images", "200",
               "--log-every", "1", "--threads", "1", "--out", str(run_dir)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.count("git: ") == 1  # only rank 0 speaks
    summary = json.loads((run_dir / folder.SUMMARY).read_text())
    assert summary["status"] == "finished" and summary["processes"] == WORLD and summary["steps"] == 2
    assert [row["step"] for row in folder.read_metrics(run_dir)] == [1, 2]
