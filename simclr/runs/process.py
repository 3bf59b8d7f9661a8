"""Is a run's process still alive? A pid names a process only until it ends: after a crash or a reboot the same
pid may belong to another, so on Linux a process is named by this boot's id and its start time as well.
"""
from __future__ import annotations

import os
from pathlib import Path

INT_LIMIT = 2**31  # ints at or beyond it are not a step, a pid or a count (and os.kill would overflow)


def pid_alive(pid: int) -> bool:
    """Whether process `pid` exists and has not exited (a zombie counts as exited)."""
    if not 0 < pid < INT_LIMIT:  # kill(0 or -1, ...) would address whole process groups
        return False
    if os.name == "nt":
        import ctypes

        kernel = ctypes.windll.kernel32
        handle = kernel.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        kernel.GetExitCodeProcess(handle, ctypes.byref(code))
        kernel.CloseHandle(handle)
        return code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # Linux: an exited child that its parent has not reaped yet is still listed, in state Z
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def process_identity(pid: int) -> str | None:
    """This boot's id and process `pid`'s start time (clock ticks since boot), from Linux's /proc; None elsewhere.

    A pid is reused once its process ends, and after a reboot; the pair names one process only.
    """
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        start = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]  # field 22, starttime
    except (OSError, IndexError):
        return None
    return f"{boot} {start}"
