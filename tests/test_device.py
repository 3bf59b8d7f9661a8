"""simclr.device: which precision `auto` trains in, and how the CPU's bf16 support is read."""

import torch

from simclr import device


def test_auto_trains_in_bf16_only_on_a_cpu_that_computes_it(monkeypatch):
    cpu = torch.device("cpu")
    monkeypatch.setattr(device, "cpu_has_native_bf16", lambda: True)
    assert device.autocast_dtype(cpu, "auto") is torch.bfloat16
    assert device.autocast_dtype(cpu, "fp32") is None  # an explicit choice wins
    monkeypatch.setattr(device, "cpu_has_native_bf16", lambda: False)
    assert device.autocast_dtype(cpu, "auto") is None  # emulated bf16 would be slower than float32
    assert device.autocast_dtype(cpu, "bf16") is torch.bfloat16
    assert device.autocast_dtype(torch.device("mps"), "auto") is None


def test_native_bf16_is_read_from_the_cpu_flags(monkeypatch, tmp_path):
    cpuinfo = tmp_path / "cpuinfo"

    def flags(line: str) -> bool:
        cpuinfo.write_text(f"processor\t: 0\nflags\t\t: {line}\n")
        device.cpu_has_native_bf16.cache_clear()
        return device.cpu_has_native_bf16()

    real = device.Path
    monkeypatch.setattr(device, "Path", lambda name: cpuinfo if name == "/proc/cpuinfo" else real(name))
    try:
        assert flags("fpu sse avx2 avx512f avx512_bf16 avx512_vnni")
        assert flags("fpu avx512f amx_tile amx_bf16")
        assert not flags("fpu sse avx2 avx512f avx512_vnni")  # AVX-512 alone: oneDNN would emulate bf16
        assert not flags("fpu avx512_bf16x")  # a whole flag, not a prefix
        cpuinfo.unlink()
        device.cpu_has_native_bf16.cache_clear()
        assert not device.cpu_has_native_bf16()  # no /proc/cpuinfo (macOS, Windows): float32
    finally:
        device.cpu_has_native_bf16.cache_clear()
