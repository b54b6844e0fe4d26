"""The ZeroGPU decorator, and whether this process runs on ZeroGPU.

On a ZeroGPU Space (`SPACES_ZERO_GPU` set by the platform) every handler that runs a model is
wrapped in `spaces.GPU`; anywhere else the decorator changes nothing. This module imports only
the standard library (and `spaces` on ZeroGPU), so every app can load it first.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable
from typing import Any, Literal, TypeVar, overload

F = TypeVar("F", bound=Callable[..., Any])


def on_zerogpu() -> bool:
    """Whether this process runs on a ZeroGPU Space."""
    return os.environ.get("SPACES_ZERO_GPU", "").strip().lower() in {"1", "true", "yes"}


GPU_SIZES = ("large", "xlarge")


@overload
def gpu(fn: F, /) -> F: ...
@overload
def gpu(
    *, duration: int | Callable[..., float] = 60, size: Literal["large", "xlarge"] = "large"
) -> Callable[[F], F]: ...


def gpu(
    fn: F | None = None,
    /,
    *,
    duration: int | Callable[..., float] = 60,
    size: Literal["large", "xlarge"] = "large",
) -> F | Callable[[F], F]:
    """Mark a handler that runs a model: `spaces.GPU` on ZeroGPU, unchanged everywhere else.

    On ZeroGPU each call runs in a separate process that holds a GPU: its arguments, its return
    value and, for a generator (a streaming handler), each item it yields are pickled across, so
    they must be plain CPU data (no `gr.Request`, locks, lambdas or CUDA tensors). `spaces.GPU`
    streams a generator function's items as they come; an async handler it cannot run at all.
    The options are checked here, on every machine, so that a mistake shows before a deploy.

    Args:
        fn: The handler (when used as a bare `@gpu`).
        duration: Seconds of GPU one call may take, or a function of the handler's own arguments
            that returns them (called before each call). Shorter requests queue sooner and spend
            less of a visitor's daily quota.
        size: `"large"` (the usual GPU slice) or `"xlarge"` (a bigger one, at twice the quota cost).

    Returns:
        The handler, wrapped on ZeroGPU.

    Raises:
        ValueError: `duration` is a number of seconds that is not positive, or `size` is unknown.
        TypeError: `duration` is neither a whole number nor a callable, or the handler is async.

    Example:
        >>> @gpu(duration=20)
        ... def classify(texts): ...
        >>> @gpu(duration=lambda prompt, max_new_tokens: 5 + max_new_tokens // 50, size="xlarge")
        ... def answer(prompt, max_new_tokens): yield "..."
    """
    _check_gpu_options(duration, size)

    def wrap(handler: F) -> F:
        if inspect.iscoroutinefunction(handler) or inspect.isasyncgenfunction(handler):
            raise TypeError(
                f"{getattr(handler, '__qualname__', handler)!r} is async: ZeroGPU cannot run async handlers, make it a "
                "plain function or generator"
            )
        if not on_zerogpu():
            return handler
        import spaces

        # The handler itself, not a wrapper: spaces.GPU tells streaming handlers by
        # inspect.isgeneratorfunction, and gradio reads the signature.
        return spaces.GPU(handler, duration=duration, size=size)

    return wrap(fn) if fn is not None else wrap


def _check_gpu_options(duration: object, size: object) -> None:
    if isinstance(duration, bool) or not (isinstance(duration, int) or callable(duration)):
        raise TypeError(
            f"duration must be whole seconds or a function of the handler's arguments, not {type(duration).__name__}"
        )
    if isinstance(duration, int) and duration <= 0:
        raise ValueError(f"duration must be a positive number of seconds, not {duration}")
    if size not in GPU_SIZES:
        raise ValueError(f"size must be one of {', '.join(map(repr, GPU_SIZES))}, not {size!r}")
