"""Smoke tests: the calls a demo declares in its `space.yaml` (`smoke:`), made through
`gradio_client` against a running app, each judged by what a sound answer looks like."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.catalog import SmokeCall

# A call's answer must come within this many seconds (a cold model, a first download).
CALL_SECONDS = 120.0


@dataclass(frozen=True)
class SmokeResult:
    """How one smoke call went.

    Attributes:
        api: The endpoint called.
        ok: Whether the answer looked sound.
        seconds: How long the call took.
        detail: "ok", or one line saying what was wrong.
    """

    api: str
    ok: bool
    seconds: float
    detail: str


def run_smoke(
    src: str,
    calls: Sequence[SmokeCall],
    *,
    folder: Path,
    token: str | None = None,
    call_seconds: float = CALL_SECONDS,
) -> list[SmokeResult]:
    """Make each smoke call against the app at `src` and judge its answer.

    Args:
        src: The app's URL, or a Space id (`namespace/name`) that `gradio_client` resolves.
        calls: The demo's smoke calls.
        folder: The demo folder (files named by the inputs are read from it).
        token: A token that may read the Space (private Spaces); never printed.
        call_seconds: The longest a call may take.

    Returns:
        One result per call, in order (all failed, with the reason, when the app cannot be reached).
    """
    from gradio_client import Client

    try:
        client = Client(src, token=token, verbose=False, download_files=False, analytics_enabled=False)
    except Exception as exc:  # any failure to connect is the answer of this smoke test
        reason = f"cannot reach the app at {src}: {_first_line(exc)}"
        return [SmokeResult(call.api, False, 0.0, reason) for call in calls]
    try:
        return [_run(client, call, folder=Path(folder), call_seconds=call_seconds) for call in calls]
    finally:
        client.close()


def _run(client: Any, call: SmokeCall, *, folder: Path, call_seconds: float) -> SmokeResult:
    started = time.monotonic()
    try:
        job = client.submit(*call_inputs(call, folder), api_name=call.api)
        answer = job.result(timeout=call_seconds)
    except TimeoutError:
        return SmokeResult(call.api, False, time.monotonic() - started, f"no answer within {call_seconds:g} s")
    except Exception as exc:  # the app's error, as its client reports it
        return SmokeResult(call.api, False, time.monotonic() - started, f"the call failed: {_first_line(exc)}")
    seconds = time.monotonic() - started
    outputs = answer if isinstance(answer, tuple) else (answer,)
    if len(outputs) < len(call.expect):
        return SmokeResult(call.api, False, seconds, f"{len(outputs)} output(s), {len(call.expect)} expected")
    for index, (check, value) in enumerate(zip(call.expect, outputs, strict=False)):
        problem = judge(check, value)
        if problem:
            return SmokeResult(call.api, False, seconds, f"output {index + 1}: {problem}")
    return SmokeResult(call.api, True, seconds, "ok")


def judge(check: dict[str, Any], value: Any) -> str:
    """What is wrong with one output, given its check ("" when nothing is)."""
    [(kind, expected)] = check.items()
    if kind == "any":
        return ""
    if kind == "label":
        label = value.get("label") if isinstance(value, dict) else None
        if label is None or not value.get("confidences"):
            return f"expected a label with confidences, got {_shown(value)}"
        if isinstance(expected, list) and str(label) not in map(str, expected):
            return f"label {label!r} is not one of {', '.join(map(str, expected))}"
        return ""
    if kind == "text":
        if not isinstance(value, str) or not value.strip():
            return f"expected text, got {_shown(value)}"
        wanted = expected.get("contains") if isinstance(expected, dict) else None
        if wanted is not None and str(wanted) not in value:
            return f"the text does not contain {wanted!r}: {_shown(value)}"
        return ""
    if kind == "rows":
        rows = value.get("data") if isinstance(value, dict) else None
        if not isinstance(rows, list) or len(rows) < int(expected):
            return f"expected a table of at least {expected} row(s), got {_shown(value)}"
        return ""
    if kind == "file":
        if (isinstance(value, dict) and (value.get("path") or value.get("url"))) or (isinstance(value, str) and value):
            return ""
        return f"expected a file, got {_shown(value)}"
    return f"unknown check {kind!r}"


def call_inputs(call: SmokeCall, folder: Path) -> list[Any]:
    """The call's inputs as `gradio_client` takes them: every `{"file": path}` a file of `folder`
    to upload."""
    from gradio_client import handle_file

    return call.inputs_with_files(lambda path: handle_file(str(Path(folder) / path)))


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:79] + "…"


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
