"""Loader tests use their own registry file (through SUITE_REGISTRY) over repos they publish."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.harness.builders import tiny_sentiment_model


@pytest.fixture
def use_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[dict], Path]:
    """Write a registry (name → entry mapping) and make it the one in use."""

    def use(entries: dict) -> Path:
        path = tmp_path / "registry.yaml"
        path.write_text(yaml.safe_dump(entries, sort_keys=False), encoding="utf-8")
        monkeypatch.setenv("SUITE_REGISTRY", str(path))
        return path

    return use


@pytest.fixture(scope="session")
def tiny_model_folder(tmp_path_factory) -> Path:
    """A tiny DistilBERT sentiment classifier (safetensors) with its tokenizer, built once."""
    return tiny_sentiment_model(tmp_path_factory.mktemp("tiny-model"))


MODEL_FILES = ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"]


def model_entry(repo_id: str, revision: str, **extra) -> dict:
    return {"type": "model", "repo": repo_id, "revision": revision, "files": MODEL_FILES,
            "task": "text-classification", **extra}  # fmt: skip


@pytest.fixture
def app_file(tmp_path: Path) -> Callable[[str], str]:
    """An app's `__file__` in a demo folder whose README is titled `title` (for `shared.page`)."""

    def make(title: str) -> str:
        folder = tmp_path / title.lower().replace(" ", "-")
        folder.mkdir()
        (folder / "README.md").write_text(f"---\ntitle: {title}\nlicense: mit\n---\n", encoding="utf-8")
        (folder / "app.py").write_text("", encoding="utf-8")
        return str(folder / "app.py")

    return make
