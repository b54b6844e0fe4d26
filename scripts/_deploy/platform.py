"""What the Spaces platform accepts (../shared/reference/spaces-platform.md), in one place."""

from __future__ import annotations

from shared.catalog import ZEROGPU

SPACE_PYTHON = "3.12"
# The Space's torch must be one of these on ZeroGPU, even when the suite develops on a newer one.
ZEROGPU_TORCH = ("2.8.0", "2.9.1", "2.10.0", "2.11.0")
ZEROGPU_PYTHON = ("3.10", "3.12")
# The free CPU hardware: previews, and Spaces whose models inference servers answer.
CPU_BASIC = "cpu-basic"
# Space repos: weights and data belong in model and dataset repos, pinned in the registry.
MAX_FILE_BYTES = 50 * 2**20
MAX_SPACE_BYTES = 2**30

__all__ = [
    "CPU_BASIC",
    "MAX_FILE_BYTES",
    "MAX_SPACE_BYTES",
    "SPACE_PYTHON",
    "ZEROGPU",
    "ZEROGPU_PYTHON",
    "ZEROGPU_TORCH",
]
