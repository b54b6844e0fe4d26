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

# What makes torch on a newer CPU compute as on one with AVX2 only (the kind most small cloud
# machines have): ATen's vectorised kernels, oneDNN (and with it native bf16, so the suite runs
# fp32: `shared.compute.dtype`) and MKL's matrix products all kept to AVX2. Measured on a Xeon
# with AMX, an fp32 linear layer of DistilBERT's size is then 1.6x slower, as with half the vector
# width. Clock, caches and memory stay the machine's own: an emulation, not the other CPU.
AVX2_ONLY = {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2", "MKL_ENABLE_INSTRUCTIONS": "AVX2"}


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


def cpu_summary(*, avx2_only: bool = False) -> str:
    """One line: model, cores, and each feature yes/no, e.g. `AMD EPYC 7B13, 2 cores; AVX2 yes, …`,
    and whether torch was kept to AVX2 (`avx2_only`, or `AVX2_ONLY`'s variables set here)."""
    features = ", ".join(f"{name} {'yes' if present else 'no'}" for name, present in cpu_features().items())
    summary = f"{cpu_model()}, {os.cpu_count()} cores; {features}"
    if avx2_only or any(os.environ.get(name) for name in AVX2_ONLY):
        summary += "; torch kept to AVX2 (" + ", ".join(f"{k}={v}" for k, v in AVX2_ONLY.items()) + ")"
    return summary


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
