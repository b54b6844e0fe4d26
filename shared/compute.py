"""Where inference runs: one choice of device and dtype, and the ZeroGPU decorator.

On a ZeroGPU Space (`SPACES_ZERO_GPU` set by the platform) models are placed on "cuda" at
start-up (the `spaces` package emulates it until a decorated call gets a real GPU) and every
handler that runs a model is wrapped in `spaces.GPU`. Anywhere else the decorator changes
nothing and the device is CUDA when present, else the CPU. `SUITE_DEVICE=cpu|cuda` overrides.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any, TypeVar, overload

F = TypeVar("F", bound=Callable[..., Any])

DEVICE_ENV = "SUITE_DEVICE"


def on_zerogpu() -> bool:
    """Whether this process runs on a ZeroGPU Space."""
    return os.environ.get("SPACES_ZERO_GPU", "").strip().lower() in {"1", "true", "yes"}


@functools.cache
def device() -> str:
    """The torch device every model goes to: `cuda` or `cpu`."""
    choice = os.environ.get(DEVICE_ENV, "").strip().lower()
    if choice in {"cpu", "cuda"}:
        return choice
    if on_zerogpu():
        return "cuda"
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def dtype() -> Any:
    """The torch dtype for weights: half precision on a GPU (bf16 where supported), fp32 on CPU."""
    import torch

    if device() != "cuda":
        return torch.float32
    if on_zerogpu():
        return torch.bfloat16  # ZeroGPU hands out H200 slices
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


@overload
def gpu(fn: F, /) -> F: ...
@overload
def gpu(*, duration: int = 60) -> Callable[[F], F]: ...


def gpu(fn: F | None = None, /, *, duration: int = 60) -> F | Callable[[F], F]:
    """Mark a handler that runs a model: `spaces.GPU` on ZeroGPU, unchanged everywhere else.

    Args:
        fn: The handler (when used as a bare `@gpu`).
        duration: Seconds of GPU one call may take on ZeroGPU; shorter calls queue sooner.

    Returns:
        The handler, wrapped on ZeroGPU.

    Example:
        >>> @gpu(duration=20)
        ... def classify(texts): ...
    """

    def wrap(handler: F) -> F:
        if not on_zerogpu():
            return handler
        import spaces

        return spaces.GPU(duration=duration)(handler)

    return wrap(fn) if fn is not None else wrap
