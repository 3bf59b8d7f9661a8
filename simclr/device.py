"""Pick the compute device once, at the edge (CLI or app), and describe it for people."""

import os

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
    """CPU threads for a training process: all cores but one, which stays with the web server."""
    cores = os.cpu_count() or 1
    return max(1, cores - 1) if device.type == "cpu" else cores


def autocast_dtype(device: torch.device, enabled: bool = True) -> torch.dtype | None:
    """The mixed-precision type for training on `device`; None off CUDA or when disabled.

    bf16 where the GPU has it (no loss scaling needed), else fp16, which needs a GradScaler.
    """
    if not enabled or device.type != "cuda":
        return None
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
