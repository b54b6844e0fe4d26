"""One call per demo that shows it works: (arguments, api_name). Every demo must have one.

Arguments that are None are replaced by the demo's sample file (see `probe_args`).
"""

from __future__ import annotations

from typing import Any

from tests.harness.hub import REPO_ROOT

PROBES: dict[str, tuple[tuple[Any, ...] | None, str]] = {
    "sentiment": (("a fine film",), "/classify"),
    "semantic-search": (("football", 2), "/search"),
    "image-classification": (None, "/classify"),
    "gallery": (("", "Any hardware"), "/list"),
    "digits": ((7,), "/read_example"),
}
DEMOS = sorted(p.parent.name for p in (REPO_ROOT / "spaces").glob("*/app.py"))


def probe_args(demo: str) -> tuple[tuple[Any, ...], str]:
    """The arguments and api_name of the demo's probe call."""
    from gradio_client import handle_file

    args, api_name = PROBES[demo]
    return args or (handle_file(REPO_ROOT / "scripts" / "sample_images" / "cat.jpg"),), api_name
