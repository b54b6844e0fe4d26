"""The process boundary of a ZeroGPU call: values cross it pickled, and must be CPU data."""

from __future__ import annotations

import io
import pickle
import sys
from typing import Any

from spaces._report import violation

_PICKLE_ERRORS = (pickle.PicklingError, TypeError, AttributeError, ValueError, RecursionError)
_RULE = "ZeroGPU pickles arguments, return values and yielded items across processes: pass plain CPU data"


def cross(value: Any, *, handler: str, what: str) -> Any:
    """`value` as the other side of the boundary gets it: pickled and unpickled.

    Raises:
        ZeroGPUError: it does not pickle, or holds a tensor not on the CPU or a `gr.Request`.
    """
    try:
        return pickle.loads(_dumps(value))  # noqa: S301 - the bytes of the line before
    except _RefusedError as refused:
        raise violation(f"{handler}: {what} holds {refused}; {_RULE}") from None
    except _PICKLE_ERRORS as error:
        culprit = _culprit(value)
        kind = type(culprit).__qualname__
        if type(culprit).__module__ != "builtins":
            kind = f"{type(culprit).__module__}.{kind}"
        raise violation(
            f"{handler}: {what} does not pickle ({kind}: {_first_line(error)}); {_RULE} "
            "(no locks, lambdas, open files, gr.Request or CUDA tensors)"
        ) from None


class _RefusedError(Exception):
    """A value pickles, but must not cross."""


class _BoundaryPickler(pickle.Pickler):
    # persistent_id sees every object pickled, however deep: one place to refuse what must not cross.
    def persistent_id(self, obj: Any) -> None:
        torch = sys.modules.get("torch")
        if torch is not None and isinstance(obj, torch.Tensor) and obj.device.type != "cpu":
            raise _RefusedError(f"a tensor on {obj.device} (call .cpu() first)")
        gradio = sys.modules.get("gradio")
        request_type = getattr(gradio, "Request", None)
        if isinstance(request_type, type) and isinstance(obj, request_type):
            raise _RefusedError("a gr.Request (read what you need from it before the GPU call)")
        return None


def _dumps(value: Any) -> bytes:
    buffer = io.BytesIO()
    _BoundaryPickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return buffer.getvalue()


def _culprit(value: Any, depth: int = 0) -> Any:
    """The innermost part of `value` that does not pickle (`value` itself if none of its parts fails)."""
    if depth > 10:
        return value
    for part in _parts(value):
        try:
            _dumps(part)
        except Exception:
            return _culprit(part, depth + 1)
    return value


def _parts(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [*value.keys(), *value.values()]
    if isinstance(value, list | tuple | set | frozenset):
        return list(value)
    attributes = getattr(value, "__dict__", None)
    return list(attributes.values()) if isinstance(attributes, dict) else []


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
