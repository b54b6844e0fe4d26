"""Where inference runs: one choice of device and dtype, and the ZeroGPU decorator.

On a ZeroGPU Space (`SPACES_ZERO_GPU` set by the platform) models are placed on "cuda" at
start-up (the `spaces` package emulates it until a decorated call gets a real GPU) and every
handler that runs a model is wrapped in `spaces.GPU`. Anywhere else the decorator changes
nothing and the device is CUDA when present, else the CPU. `SUITE_DEVICE=cpu|cuda` and
`SUITE_DTYPE` override the choices.
"""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import Callable, Iterator
from typing import Any, Literal, TypeVar, overload

F = TypeVar("F", bound=Callable[..., Any])

DEVICE_ENV = "SUITE_DEVICE"
DTYPE_ENV = "SUITE_DTYPE"


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
    """The torch dtype for weights and activations.

    bf16 on a GPU (fp16 where bf16 is unsupported) and on CPUs with native bf16 matrix
    instructions (AVX512-BF16 or AMX: about twice as fast as fp32 there), fp32 on other CPUs.
    `SUITE_DTYPE=float32|bfloat16|float16` overrides.
    """
    import torch

    choice = os.environ.get(DTYPE_ENV, "").strip().lower()
    if choice in {"float32", "bfloat16", "float16"}:
        return getattr(torch, choice)
    if device() == "cuda":
        if on_zerogpu():
            return torch.bfloat16  # ZeroGPU hands out H200 slices
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.bfloat16 if _cpu_has_native_bf16() else torch.float32


def _cpu_has_native_bf16() -> bool:
    import torch

    probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(getattr(torch.cpu, probe, lambda: False)() for probe in probes)


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


def length_batches(
    tokenizer: Any, texts: list[str], *, size: int | None = None, **encode: Any
) -> Iterator[tuple[list[int], Any]]:
    """Tokenize `texts` in groups of similar length, so that little compute goes to padding.

    One long text in a Gradio batch would otherwise pad every other text to its length. On a
    CPU, several small groups also beat one large one; on a GPU one group is best.

    Args:
        tokenizer: A transformers tokenizer.
        texts: The texts of one batch.
        size: Texts per group (default: 8 on CPU, all of them on GPU).
        **encode: Passed to the tokenizer (e.g. `truncation=True`).

    Yields:
        `(positions, encoding)`: where the group's texts are in `texts`, and their tensors.
    """
    size = size or (8 if device() == "cpu" else max(len(texts), 1))
    lengths = [len(ids) for ids in tokenizer(texts, truncation=encode.get("truncation", False))["input_ids"]]
    order = sorted(range(len(texts)), key=lengths.__getitem__)
    for start in range(0, len(order), size):
        positions = order[start : start + size]
        yield positions, tokenizer([texts[i] for i in positions], padding=True, return_tensors="pt", **encode)
