"""Pick the compute device once, at the edge (CLI or app), and describe it for people."""

import os
from functools import cache
from pathlib import Path

import torch

DEVICE_CHOICES = ("auto", "cuda", "mps", "cpu")


def resolve_device(name: str = "auto") -> torch.device:
    """`auto` picks CUDA, then Apple MPS, then the CPU; an explicit name must be available."""
    if name not in DEVICE_CHOICES:
        raise ValueError(f"Unknown device {name!r}: choose one of {', '.join(DEVICE_CHOICES)}.")
    cuda, mps = torch.cuda.is_available(), torch.backends.mps.is_available()
    if name == "auto":
        return torch.device("cuda" if cuda else "mps" if mps else "cpu")
    if (name == "cuda" and not cuda) or (name == "mps" and not mps):
        raise ValueError(f"Device {name!r} is not available on this machine; use 'auto' or 'cpu'.")
    return torch.device(name)


def describe_device(device: torch.device) -> str:
    """A one-line description: the GPU's name, or the CPU with its core count."""
    if device.type == "cuda":
        return f"CUDA GPU: {torch.cuda.get_device_name(device)}"
    if device.type == "mps":
        return "Apple GPU (MPS)"
    return f"CPU ({os.cpu_count()} cores)"


def training_threads(device: torch.device) -> int:
    """CPU threads for a process that shares the machine (a training run, the app's server): half the cores (at
    most 8), so 1 on a 2-core machine.

    PyTorch's threads meet at a barrier after every operator, so one thread that loses its core to
    another process stalls them all: on 2 busy cores, 2 threads made 0.16x the views/s of 1 thread
    (issue 13). Half the cores leaves room for the web server and whatever else runs.
    """
    cores = os.cpu_count() or 1
    return max(1, min(cores // 2, 8)) if device.type == "cpu" else cores


PRECISIONS = ("auto", "bf16", "fp32")


@cache
def cpu_has_native_bf16() -> bool:
    """Whether this CPU computes bf16 in hardware (AVX512-BF16 or AMX, read from Linux's /proc/cpuinfo).

    There bf16 autocast makes the colour-image CNN's training step 1.4-1.7x faster (docs/learning.md);
    elsewhere oneDNN emulates bf16 and it is slower than float32.
    """
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:  # not Linux: no way to tell, so no bf16
        return False
    return any(flag in flags.split() for flag in ("avx512_bf16", "amx_bf16"))


def autocast_dtype(device: torch.device, precision: str = "auto") -> torch.dtype | None:
    """The autocast type for training on `device`; None for plain float32.

    auto: bf16 on CUDA where the GPU has it (no loss scaling needed), else fp16 (needs a GradScaler);
    on the CPU bf16 where it computes bf16 in hardware (cpu_has_native_bf16), else (and on MPS) float32.
    bf16: bf16 autocast on any device. fp32: no autocast.
    """
    if precision == "fp32":
        return None
    if device.type != "cuda":
        native = device.type == "cpu" and cpu_has_native_bf16()
        return torch.bfloat16 if precision == "bf16" or native else None
    if precision == "bf16" or torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return torch.float16
