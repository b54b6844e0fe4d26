"""What a Space ships: its files, its `shared` modules, its requirements, and the download that
`pip install --dry-run --report` resolves for them (wheel sizes read from the index, not fetched)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

# A file added to each demo for the "before" bundle: it imports every module of `shared`, which
# is what the deploy shipped before it followed imports (all of shared, requirements for all).
WHOLE_SHARED = "_every_shared_module.py"


@dataclass(frozen=True)
class Shipped:
    """One Space's bundle, as shipped."""

    space: str
    files: int
    shared_modules: int
    requirements: tuple[str, ...]
    download_bytes: int | None  # None: pip could not resolve the requirements here
    unsized: int  # wheels whose size the index did not say


def whole_shared_module(shared_dir: Path) -> str:
    """The source of `WHOLE_SHARED`."""
    names = sorted(p.stem for p in shared_dir.glob("*.py") if p.stem != "__init__")
    return "".join(f"import shared.{name}  # noqa: F401\n" for name in names)


def shipped(space: str, files: Mapping[str, bytes]) -> Shipped:
    """Measure a planned bundle (`files`: path → content); `WHOLE_SHARED` is not counted."""
    files = {p: c for p, c in files.items() if p != WHOLE_SHARED}
    lines = files["requirements.txt"].decode().splitlines()
    requirements = tuple(line for line in lines if line and not line.startswith("#"))
    size, unsized = download_size(requirements)
    shared = [p for p in files if p.startswith("shared/") and p.endswith(".py")]
    return Shipped(space, len(files), len(shared), requirements, size, unsized)


def download_size(requirements: tuple[str, ...]) -> tuple[int | None, int]:
    """Bytes of every wheel pip would download for `requirements` (dependencies included) into an
    empty environment, and how many wheels had no size to read."""
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "report.json"
        done = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
             "--disable-pip-version-check", "--report", str(report), *requirements],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode or not report.is_file():
            return None, 0
        urls = [item["download_info"]["url"] for item in json.loads(report.read_text())["install"]]
    with ThreadPoolExecutor(max_workers=8) as pool:
        sizes = list(pool.map(_size_of, urls))
    return sum(s for s in sizes if s is not None), sum(s is None for s in sizes)


def _size_of(url: str) -> int | None:
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme == "file":
        path = urllib.request.url2pathname(parsed.path)
        return os.path.getsize(path) if os.path.isfile(path) else None
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=20) as answer:  # noqa: S310
            return int(answer.headers["Content-Length"])
    except (OSError, KeyError, TypeError, ValueError):
        return None


def report(before: list[Shipped], after: list[Shipped]) -> str:
    """Per Space: files, shared modules, requirements and download, before → after."""
    lines = [
        "what each Space ships (before: all of shared/ and requirements for all of it; after: what it uses)",
        f"{'space':<22}{'files':>11}{'shared':>10}{'requirements':>15}{'download':>22}",
    ]
    for old, new in zip(before, after, strict=True):
        lines.append(
            f"{new.space:<22}{old.files:>5} → {new.files:<4}{old.shared_modules:>4} → {new.shared_modules:<4}"
            f"{len(old.requirements):>6} → {len(new.requirements):<6}{_mb(old):>10} → {_mb(new):<10}"
        )
        gone = sorted({r.split("==")[0] for r in old.requirements} - {r.split("==")[0] for r in new.requirements})
        if gone:
            lines.append(f"{'':<22}no longer ships: {', '.join(gone)}")
    return "\n".join(lines)


def _mb(shipped: Shipped) -> str:
    if shipped.download_bytes is None:
        return "unresolved"
    unsized = f" (+{shipped.unsized}?)" if shipped.unsized else ""
    return f"{shipped.download_bytes / 2**20:,.0f} MB{unsized}"
