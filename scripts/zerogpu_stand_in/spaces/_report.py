"""What the stand-in saw: violations of the ZeroGPU rules and GPU calls, kept in a JSON file."""

from __future__ import annotations

import json
import os
import sys
import threading
from collections import Counter

REPORT_ENV = "ZEROGPU_STAND_IN_REPORT"

_lock = threading.Lock()
_violations: list[str] = []
_decorated: list[str] = []
_calls: Counter[str] = Counter()


class ZeroGPUError(RuntimeError):
    """A demo broke a rule that ZeroGPU enforces (or that breaks it there)."""


def violation(message: str) -> ZeroGPUError:
    """Record a broken rule; return the error to raise where it happened."""
    with _lock:
        _violations.append(message)
        _write()
    return ZeroGPUError(message)


def decorated(handler: str) -> None:
    """Record that `handler` was wrapped in `GPU`."""
    with _lock:
        _decorated.append(handler)
        _write()


def called(handler: str) -> None:
    """Count one call of `handler` through `GPU`."""
    with _lock:
        _calls[handler] += 1
        _write()


def start() -> None:
    """Write the first report (no violation yet, unless torch or gradio came before `spaces`).

    On a Space `spaces` must come first: it patches torch before anything can initialise CUDA,
    and gradio integrates with it only when it is already loaded.
    """
    with _lock:
        _write()
    for module in ("torch", "gradio"):
        if module in sys.modules:
            violation(
                f"{module} was imported before spaces: import spaces (through 'import shared') first in app.py, "
                "ZeroGPU needs it"
            )


def _write() -> None:
    path = os.environ.get(REPORT_ENV)
    if not path:
        return
    spaces = sys.modules.get("spaces")
    report = {
        "spaces_file": getattr(spaces, "__file__", None),
        "violations": _violations,
        "decorated": _decorated,
        "gpu_calls": dict(_calls),
    }
    # Replaced whole, so that a reader never sees half a file.
    partial = f"{path}.{os.getpid()}.tmp"
    with open(partial, "w", encoding="utf-8") as handle:
        json.dump(report, handle, indent=2)
    os.replace(partial, path)
