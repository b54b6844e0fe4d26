"""One call per demo that shows it works: the first smoke call of its `space.yaml` (the call a
deploy makes against its Space, see shared.catalog.SmokeCall). Every demo must have one."""

from __future__ import annotations

from typing import Any

from shared.catalog import read_space

from scripts.deploy import call_inputs
from tests.harness.hub import REPO_ROOT

DEMOS = sorted(p.parent.name for p in (REPO_ROOT / "spaces").glob("*/app.py"))
PROBES = {demo: read_space(REPO_ROOT / "spaces" / demo).smoke[:1] for demo in DEMOS}
PROBES = {demo: calls[0] for demo, calls in PROBES.items() if calls}


def probe_args(demo: str) -> tuple[tuple[Any, ...], str]:
    """The arguments and api_name of the demo's probe call."""
    call = PROBES[demo]
    return tuple(call_inputs(call, REPO_ROOT / "spaces" / demo)), call.api
