"""Fixture demos and helpers for the deploy tests (all against the session's seeded local Hub)."""

from __future__ import annotations

import os
import subprocess
import textwrap
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from scripts.deploy import Suite
from tests.harness import network
from tests.harness.hub import SITE_DIR

APP = '''\
"""A fixture demo: echoes its input."""

import shared

import gradio as gr

examples = shared.load_dataset("sentiment-examples")


@shared.gpu(duration=10)
def echo(text: str) -> str:
    return text


with shared.page(__file__, "Echoes.", uses=["sentiment-examples"]) as demo:
    box = gr.Textbox()
    box.submit(echo, box, box, api_name="echo")

if __name__ == "__main__":
    demo.launch()
'''

README = """\
---
title: Echo
emoji: 🔁
colorFrom: blue
colorTo: green
sdk: gradio
short_description: Echoes what you type
license: apache-2.0
---

# Echo

Says it back.
"""


@pytest.fixture
def running_spaces(local_hub):
    """The session's Hub runs Spaces for real during the test (each as its Space would: the
    bundle's own `shared`, no internet)."""
    environment = {"PYTHONPATH": str(SITE_DIR), "SUITE_AS_A_SPACE": "1"}
    if os.environ.get(network.LOG_ENV):
        environment[network.LOG_ENV] = os.environ[network.LOG_ENV]
    yield local_hub.run_spaces(environment=environment)
    local_hub.stop_running_spaces()


@pytest.fixture
def spaces_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "repo" / "spaces"
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def suite(spaces_dir: Path) -> Suite:
    """A suite whose demos are the fixture demos of the test (shared/ and requirements: the repo's)."""
    return Suite(spaces_dir=spaces_dir)


@pytest.fixture
def make_demo(spaces_dir: Path) -> Callable[..., str]:
    """Write a fixture demo; returns its (unique) name."""

    def make(
        name: str | None = None,
        *,
        app: str = APP,
        readme: str = README,
        settings: str | None = None,
        files: dict[str, bytes | str] | None = None,
    ) -> str:
        name = name or f"echo-{uuid.uuid4().hex[:8]}"
        folder = spaces_dir / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "app.py").write_text(app)
        (folder / "README.md").write_text(readme)
        if settings is not None:
            (folder / "space.yaml").write_text(textwrap.dedent(settings))
        for path, content in (files or {}).items():
            target = folder / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content if isinstance(content, bytes) else content.encode())
        return name

    return make


def git_commit(root: Path) -> str:
    """Make `root` a git repo with everything committed; returns the commit sha."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()

    if not (root / ".git").exists():
        git("init", "-q")
    git("add", "-A")
    git("commit", "-q", "-m", "fixture", "--allow-empty")
    return git("rev-parse", "HEAD")


def space_files(api: Any, repo_id: str, revision: str | None = None) -> dict[str, bytes]:
    """Every file of a Space at a revision (downloaded from the local Hub)."""
    from huggingface_hub import snapshot_download

    folder = Path(snapshot_download(repo_id, repo_type="space", revision=revision, token=api.token))
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def commits(api: Any, repo_id: str) -> list[Any]:
    return api.list_repo_commits(repo_id, repo_type="space")
