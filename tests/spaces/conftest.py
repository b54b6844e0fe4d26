"""Each demo's tests run its app in-process against the seeded local Hub."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.harness.apps import load_app, running

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@dataclass
class RunningApp:
    module: ModuleType
    url: str
    client: Any


@pytest.fixture(scope="module")
def app(request: pytest.FixtureRequest, sandbox) -> Iterator[RunningApp]:
    """The demo named by the test module's DEMO, launched on a free port, with a gradio_client."""
    from gradio_client import Client

    module = load_app(request.module.DEMO)
    with running(module.demo) as url:
        yield RunningApp(module, url, Client(url, verbose=False, download_files=False, analytics_enabled=False))


def save_screenshot(page: Any, name: str) -> Path:
    """Save the page as docs/screenshots/<name>.png (README shows it)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def assert_smoke_calls_pass(app: RunningApp, demo: str) -> None:
    """The smoke calls of the demo's space.yaml (what a deploy makes against its Space) pass
    against the app."""
    from shared.catalog import read_space

    from scripts.deploy import run_smoke
    from tests.harness.apps import SPACES_DIR

    source = read_space(SPACES_DIR / demo)
    results = run_smoke(app.url, source.smoke, folder=source.folder)
    assert source.smoke and [r.detail for r in results] == ["ok"] * len(source.smoke), results
