"""A stand-in for the `spaces` package, to run a demo as on ZeroGPU on a machine without one.

The folder `FOLDER` holds a package named `spaces` (see its docstring for the rules it holds a
demo to). Put it first on a demo process's `PYTHONPATH` with `SPACES_ZERO_GPU=true` and
`SUITE_DEVICE=cpu` (`environment` does), and the demo's `spaces.GPU` calls go through it: every
broken rule and every GPU call is written to the JSON report named by `REPORT_ENV`
(`read_report` reads it). The tests use it to check each ZeroGPU demo keeps the rules; the
batching benchmark to count GPU calls per concurrent requests.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

FOLDER = Path(__file__).resolve().parent
PACKAGE_FILE = FOLDER / "spaces" / "__init__.py"
REPORT_ENV = "ZEROGPU_STAND_IN_REPORT"  # the stand-in's spaces/_report.py reads the same name

__all__ = ["FOLDER", "PACKAGE_FILE", "REPORT_ENV", "environment", "read_report"]


def environment(base: Mapping[str, str], *, report: Path) -> dict[str, str]:
    """`base` with what runs a demo under the stand-in: ZeroGPU on, the CPU as its device, the
    stand-in first on the path (the real `spaces` must never see `SPACES_ZERO_GPU`: it would
    expect the platform), gradio's own wrapping of every handler off, the report at `report`."""
    env = {k: v for k, v in base.items() if k != "SPACES_GRADIO_AUTO_WRAP"}
    env.update(SPACES_ZERO_GPU="true", SUITE_DEVICE="cpu", **{REPORT_ENV: str(report)})
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(FOLDER), base.get("PYTHONPATH", "")) if p)
    return env


def read_report(report: Path) -> dict[str, Any] | None:
    """What the stand-in recorded (`violations`, `decorated`, `gpu_calls` by handler), or None
    when the demo never imported `spaces`."""
    try:
        return json.loads(report.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
