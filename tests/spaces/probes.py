"""One call per demo that shows it works: (arguments, api_name). Every demo must have one.

`FILE` in the arguments stands for the demo's sample file (see `probe_args`).
"""

from __future__ import annotations

from typing import Any

from tests.harness.hub import REPO_ROOT

FILE = object()

PROBES: dict[str, tuple[tuple[Any, ...], str]] = {
    "sentiment": (("a fine film",), "/classify"),
    "semantic-search": (("football", 2), "/search"),
    "image-classification": ((FILE,), "/classify"),
    "chat": (("What is the capital of France?", "You are a helpful assistant.", 0.0, 24), "/chat"),
    "speech-to-text": ((FILE, True), "/transcribe"),
    "gallery": (("", "Any hardware"), "/list"),
    "digits": ((7,), "/read_example"),
}
DEMOS = sorted(p.parent.name for p in (REPO_ROOT / "spaces").glob("*/app.py"))


def probe_args(demo: str) -> tuple[tuple[Any, ...], str]:
    """The arguments and api_name of the demo's probe call."""
    from gradio_client import handle_file

    args, api_name = PROBES[demo]
    return tuple(handle_file(_sample_file(demo)) if arg is FILE else arg for arg in args), api_name


def _sample_file(demo: str) -> str:
    if demo == "speech-to-text":
        import shared

        return shared.example_clips("sample-media")[0][0]  # a clip of the pinned dataset
    return str(REPO_ROOT / "scripts" / "_publish" / "sample_images" / "cat.jpg")
