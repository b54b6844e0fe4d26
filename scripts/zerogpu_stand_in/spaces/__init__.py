"""A stand-in for the `spaces` package that checks a demo keeps the ZeroGPU rules, off ZeroGPU.

Put this folder first on `PYTHONPATH` of a demo's process, with `SPACES_ZERO_GPU=true` (safe
here: the real package is shadowed) and `SUITE_DEVICE=cpu`. Importing it:

- records a violation if torch or gradio was imported first (on a Space, `spaces` must be);
- refuses CUDA initialisation outside a `GPU` call (`torch.cuda._lazy_init`, which
  `torch.cuda.current_device()`, `torch.zeros(..., device="cuda")`, `.to("cuda")` … reach),
  from the moment torch is imported. Stricter than the platform, whose emulation answers a few
  of these in the main process (device queries, moving weights to "cuda" at start-up): apps
  get their device from `shared.device()`, which `SUITE_DEVICE=cpu` keeps on the CPU here;
- provides `GPU(fn=None, *, duration=60, size="large")`, which checks the duration (a positive
  number, or a callable that returns one for the handler's actual arguments) and sends every
  argument, return value and yielded item through pickle, as the real one does across processes,
  refusing tensors that are not on the CPU and `gr.Request`;
- provides what gradio looks for: `gradio_auto_wrap` (and its switches).

Every violation is raised as a `ZeroGPUError` where it happens (import order aside: recorded
only) and also recorded, with the number of calls per handler, in the JSON file named by
`ZEROGPU_STAND_IN_REPORT` (written at import, rewritten at each event, so that an error
swallowed on the way, or a killed process, still shows):

    {"spaces_file": ..., "violations": ["..."], "decorated": ["classify"], "gpu_calls": {"classify": 1}}
"""

from __future__ import annotations

from spaces._cuda_guard import install as _install_cuda_guard
from spaces._decorator import GPU
from spaces._report import REPORT_ENV, ZeroGPUError
from spaces._report import start as _start_report

__all__ = [
    "GPU",
    "REPORT_ENV",
    "ZeroGPUError",
    "disable_gradio_auto_wrap",
    "enable_gradio_auto_wrap",
    "gradio_auto_wrap",
]

_start_report()
_install_cuda_guard()


def _auto_wrap_from_environment() -> bool:
    import os

    return os.environ.get("SPACES_GRADIO_AUTO_WRAP", "").lower() in {"1", "t", "true"}


_auto_wrap = _auto_wrap_from_environment()


def gradio_auto_wrap(task: object) -> object:
    """What gradio calls on every event handler on a Space (`SYSTEM=spaces`): `GPU(task)` when
    `SPACES_GRADIO_AUTO_WRAP` is set, else the handler unchanged (as the real package does)."""
    if not _auto_wrap or not callable(task):
        return task
    return GPU(task)


def disable_gradio_auto_wrap() -> None:
    """Stop wrapping gradio's handlers."""
    global _auto_wrap
    _auto_wrap = False


def enable_gradio_auto_wrap() -> None:
    """Wrap every gradio handler in `GPU`."""
    global _auto_wrap
    _auto_wrap = True
