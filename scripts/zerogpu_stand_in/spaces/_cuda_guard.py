"""Refuse CUDA initialisation outside a GPU call, from the moment torch is imported.

On ZeroGPU the main process never holds a GPU: whatever initialises CUDA there (at import time,
or in a handler that is not decorated) fails on the Space. Every path into CUDA in torch goes
through `torch.cuda._lazy_init` (device queries, tensors created on or moved to "cuda",
`synchronize`…), which is replaced here by a check that lets it through only inside a GPU call.
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib.abc
import importlib.machinery
import sys
from collections.abc import Callable, Iterator, Sequence
from types import ModuleType
from typing import Any

from spaces._report import violation

_inside_gpu_call: contextvars.ContextVar[str | None] = contextvars.ContextVar("inside_gpu_call", default=None)


@contextlib.contextmanager
def gpu_call(handler: str) -> Iterator[None]:
    """CUDA is allowed while this is open (in this thread): `handler` holds the GPU."""
    token = _inside_gpu_call.set(handler)
    try:
        yield
    finally:
        _inside_gpu_call.reset(token)


def install() -> None:
    """Guard torch now if it is already imported, else as soon as it is."""
    if "torch" in sys.modules:
        _guard(sys.modules["torch"])
    elif not any(isinstance(finder, _TorchImportWatcher) for finder in sys.meta_path):
        sys.meta_path.insert(0, _TorchImportWatcher())


def _guard(torch: ModuleType) -> None:
    cuda = torch.cuda
    if getattr(cuda._lazy_init, "_zerogpu_guard", False):
        return
    guarded = _guarded(cuda._lazy_init)
    cuda._lazy_init = guarded
    # torch.cuda.random took its own reference at import.
    random = sys.modules.get("torch.cuda.random")
    if random is not None and hasattr(random, "_lazy_init"):
        random._lazy_init = guarded


def _guarded(lazy_init: Callable[[], None]) -> Callable[[], None]:
    def lazy_init_inside_gpu_calls_only() -> None:
        if _inside_gpu_call.get() is None:
            raise violation(
                "CUDA was initialised outside a @spaces.GPU call (at import time or in an undecorated handler): "
                "ZeroGPU forbids it; move the CUDA work into a handler decorated with @shared.gpu"
            )
        lazy_init()

    lazy_init_inside_gpu_calls_only._zerogpu_guard = True  # type: ignore[attr-defined]
    return lazy_init_inside_gpu_calls_only


class _TorchImportWatcher(importlib.abc.MetaPathFinder):
    """Finds torch the ordinary way, and guards it once its `__init__` has run."""

    def find_spec(self, name: str, path: Sequence[str] | None, target: ModuleType | None = None) -> Any:
        if name != "torch":
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return None
        run_init = spec.loader.exec_module

        def exec_module(module: ModuleType) -> None:
            run_init(module)
            with contextlib.suppress(ValueError):
                sys.meta_path.remove(self)
            _guard(module)

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec
