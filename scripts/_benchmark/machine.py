"""What the numbers were measured on: the CPU, and the instructions that decide its arithmetic speed.

A benchmark's numbers mean little without these: bf16 needs AVX512-BF16 or AMX to be fast (the
suite then runs bf16, about twice fp32's speed: `shared.compute.dtype`), and without AVX-512 the
fp32 kernels have half the vector width.
"""

from __future__ import annotations

import contextlib
import os
import platform
import resource
from pathlib import Path

# /proc/cpuinfo flag → the name people know it by.
FEATURES = {"avx2": "AVX2", "avx512f": "AVX-512", "avx512_bf16": "AVX512-BF16", "amx_tile": "AMX"}


def cpu_model() -> str:
    """The CPU's model name (`/proc/cpuinfo`), else what `platform` says."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def cpu_features() -> dict[str, bool]:
    """Which of `FEATURES` the CPU has (all False where `/proc/cpuinfo` cannot be read)."""
    flags: set[str] = set()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    return {name: flag in flags for flag, name in FEATURES.items()}


def cpu_summary() -> str:
    """One line: model, cores, and each feature yes/no, e.g. `AMD EPYC 7B13, 2 cores; AVX2 yes, …`."""
    features = ", ".join(f"{name} {'yes' if present else 'no'}" for name, present in cpu_features().items())
    return f"{cpu_model()}, {os.cpu_count()} cores; {features}"


def process_cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) a process has used so far, all its threads (None: not on Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    """CPU time (user + system) this process has used so far, all its threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
