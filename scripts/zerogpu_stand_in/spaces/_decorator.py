"""`GPU`: the decorator, with the checks the real one makes across its process boundary."""

from __future__ import annotations

import functools
import inspect
import itertools
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

from spaces._boundary import cross
from spaces._cuda_guard import gpu_call
from spaces._report import called, decorated, violation

SIZES = ("large", "xlarge")


def GPU(  # noqa: N802 - the real package's name
    task: Callable[..., Any] | str | int | None = None,
    *,
    duration: Any = None,
    size: str | None = None,
) -> Any:
    """Wrap a handler as ZeroGPU does, checking what the platform would refuse.

    Args:
        task: The handler (bare `@GPU`); like the real one, also a size (`@GPU("xlarge")`) or a
            duration (`@GPU(45)`) as a first argument.
        duration: Seconds (int, float or timedelta; default 60), or a callable that returns them
            for the handler's actual arguments.
        size: "large" (the default) or "xlarge".

    Returns:
        The wrapped handler (a generator function for a generator function), or a decorator.

    Raises:
        ZeroGPUError: bad duration or size, or an async handler (and, at call time, a duration
            callable that fails or returns no positive number, or a value that cannot cross).
    """
    if isinstance(task, str):
        task, size = None, task
    elif task is not None and not callable(task):
        task, duration = None, task
    if size not in (None, *SIZES):
        raise violation(f"spaces.GPU size must be one of {', '.join(SIZES)}, not {size!r}")
    if not callable(duration) and duration is not None:
        _check_seconds(duration, source="spaces.GPU duration")
    if task is None:
        return functools.partial(_wrap, duration=duration)
    return _wrap(task, duration=duration)


def _wrap(task: Callable[..., Any], *, duration: Any) -> Callable[..., Any]:
    name = getattr(task, "__qualname__", None) or repr(task)
    module = getattr(task, "__module__", None)
    if module not in (None, "__main__"):
        name = f"{module}.{name}"
    if inspect.iscoroutinefunction(task) or inspect.isasyncgenfunction(task):
        raise violation(f"{name} is async: spaces.GPU cannot run async handlers, make it a plain function")
    decorated(name)

    def enter(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        if callable(duration):
            try:
                seconds = duration(*args, **kwargs)
            except Exception as error:
                raise violation(
                    f"{name}: its duration callable failed ({type(error).__name__}: {error}); it must take the "
                    "handler's own arguments"
                ) from error
            _check_seconds(seconds, source=f"{name}: its duration callable")
        args = tuple(cross(arg, handler=name, what=f"argument {i}") for i, arg in enumerate(args, 1))
        kwargs = {key: cross(value, handler=name, what=f"argument {key!r}") for key, value in kwargs.items()}
        called(name)
        return args, kwargs

    if inspect.isgeneratorfunction(task):

        @functools.wraps(task)
        def streaming_handler(*args: Any, **kwargs: Any) -> Iterator[Any]:
            args, kwargs = enter(args, kwargs)
            items = task(*args, **kwargs)
            try:
                for number in itertools.count(1):
                    # The GPU is held while the generator computes, not while the consumer reads.
                    with gpu_call(name):
                        try:
                            item = next(items)
                        except StopIteration:
                            return
                    yield cross(item, handler=name, what=f"yielded item {number}")
            finally:
                items.close()

        return streaming_handler

    @functools.wraps(task)
    def handler(*args: Any, **kwargs: Any) -> Any:
        args, kwargs = enter(args, kwargs)
        with gpu_call(name):
            result = task(*args, **kwargs)
        return cross(result, handler=name, what="the return value")

    return handler


def _check_seconds(seconds: object, *, source: str) -> None:
    if isinstance(seconds, timedelta):
        seconds = seconds.total_seconds()
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not seconds > 0:
        raise violation(f"{source} gave {seconds!r}: ZeroGPU needs a positive number of seconds")
