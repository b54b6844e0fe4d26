"""Parity: each deployed Space, downloaded into an empty folder and started as the Space builder
would (a fresh HF_HOME holding only what `preload_from_hub` lists), answers like the local app,
and passes every smoke call its demo declares (what `deploy.py --wait` makes against it).

This proves the bundle is self-contained (nothing from the repo but what the deploy copied) and
that a Space start downloads no model at run time. Every demo folder is covered automatically.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from shared.catalog import read_space

import pytest
import yaml

from scripts.deploy import deploy, run_smoke
from tests.harness.apps import SPACES_DIR, free_port, load_app, running, wait_for_client
from tests.harness.hub import SITE_DIR, subprocess_env
from tests.spaces.probes import DEMOS, probe_args

NS = "test-org"
# What a Space runs is `python app.py`; the check in front proves `shared` is the bundle's copy.
BOOT = (
    "import os, runpy, sys; sys.path.insert(0, os.getcwd()); import shared; "
    "assert shared.__file__.startswith(os.getcwd()), shared.__file__; "
    "runpy.run_path('app.py', run_name='__main__')"
)


@pytest.fixture(scope="module")
def deployed(sandbox, request) -> dict[str, Any]:
    """Every demo deployed to the local Hub under test-org."""
    token = sandbox.token
    results = deploy(namespace=NS, token=token)
    assert [(r.name, r.status, r.error) for r in results] == [(d, "created", None) for d in DEMOS]
    return {r.name: r for r in results}


def download_space(repo_id: str, into: Path) -> Path:
    """The Space's files, copied into an empty folder (what the Space's container holds)."""
    from huggingface_hub import snapshot_download

    snapshot = Path(snapshot_download(repo_id, repo_type="space", cache_dir=into.parent / "download-cache"))
    shutil.copytree(snapshot, into, symlinks=False)
    return into


def preload(readme: Path, hf_home: Path) -> list[str]:
    """Do what the Space builder does with `preload_from_hub`; returns the preloaded repo ids."""
    from huggingface_hub import hf_hub_download

    card = yaml.safe_load(readme.read_text().split("---")[1])
    repos = []
    for line in card.get("preload_from_hub", []):
        repo_id, files, revision = line.split(" ")
        for filename in files.split(","):
            hf_hub_download(repo_id, filename, revision=revision, cache_dir=hf_home / "hub")
        repos.append(repo_id)
    return repos


def normalised(value: Any) -> Any:
    """Answers compared with floats rounded (two processes may sum in another order), and files by
    content."""
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict) and value.get("meta", {}).get("_type") == "gradio.FileData":
        # A file output: gradio caches it under the sha256 of its content; the URL names the server.
        return ("file", Path(value["path"]).parent.name, value.get("orig_name"))
    if isinstance(value, dict):
        return {k: normalised(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [normalised(v) for v in value]
    return value


@pytest.mark.parametrize("demo", DEMOS)
def test_the_deployed_space_runs_alone_and_answers_like_the_local_app(deployed, sandbox, tmp_path, demo, monkeypatch):
    folder = download_space(deployed[demo].repo_id, tmp_path / "space")
    assert not (folder / "space.yaml").exists() and not (folder / "scripts").exists()
    hf_home = tmp_path / "hf-home"
    preloaded = preload(folder / "README.md", hf_home)
    assert bool(preloaded) == (demo != "gallery")  # every model demo preloads its models

    port = free_port()
    env = subprocess_env(GRADIO_SERVER_PORT=str(port), HF_HOME=str(hf_home))
    env["PYTHONPATH"] = str(SITE_DIR)  # the network guard only
    env["SUITE_AS_A_SPACE"] = "1"  # shared from the Space's folder alone, not the editable install
    env.pop("SUITE_REGISTRY", None)
    args, api_name = probe_args(demo)
    with sandbox.record() as log:
        process = subprocess.Popen(
            [sys.executable, "-c", BOOT], cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip
        try:
            client = wait_for_client(f"http://127.0.0.1:{port}/", process)
            answer = client.predict(*args, api_name=api_name)
            source = read_space(SPACES_DIR / demo)
            smoke = run_smoke(f"http://127.0.0.1:{port}/", source.smoke, folder=source.folder)
        finally:
            process.send_signal(signal.SIGINT)
            process.communicate(timeout=60)
    assert [r.detail for r in smoke] == ["ok"] * len(source.smoke), smoke
    model_requests = [p for p in log.paths() if any(repo in p for repo in preloaded)]
    assert model_requests == [], "the Space downloaded a preloaded model at run time"

    monkeypatch.setenv("SUITE_SPACES_NAMESPACE", NS)  # the gallery links to where the deploy put the demos
    local = load_app(demo)
    with running(local.demo) as url:
        from gradio_client import Client

        expected = Client(url, verbose=False, download_files=False).predict(*args, api_name=api_name)
    assert normalised(answer) == normalised(expected)
