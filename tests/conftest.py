"""Fixtures shared by the whole suite.

At start-up (before any test module imports `huggingface_hub`, which reads its settings once) a
local Hub double starts in-process on a free port and `HF_ENDPOINT`, `HF_HOME`, telemetry and
analytics switches point every client at it. Sockets to anything but this machine are refused.
"""

from __future__ import annotations

import re
import secrets
import shutil
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from scripts.hub_double import LocalHub
from tests.harness import hub as hub_env
from tests.harness import network

pytest_plugins = ["tests.harness.browser"]

_state: dict[str, Any] = {}


def pytest_configure(config: pytest.Config) -> None:
    if "huggingface_hub" in sys.modules:
        raise pytest.UsageError(
            "huggingface_hub was imported before the test harness could point it at the local Hub; "
            "remove the plugin or import that loads it early"
        )
    network.install()
    workdir = Path(tempfile.mkdtemp(prefix="suite-tests-"))
    hub = LocalHub(root=workdir / "hub", tokens=[f"test-write-{secrets.token_hex(8)}"], orgs=["test-org"]).start()
    hub.add_account(hub.user, f"test-read-{secrets.token_hex(8)}", can_write=False)
    hub.add_account("other-user", f"test-other-{secrets.token_hex(8)}")
    network_log = workdir / "subprocess-network.log"
    network_log.touch()
    hub_env.configure(
        hub_url=hub.url, hf_home=workdir / "hf-home", network_log=network_log, feedback=workdir / "feedback"
    )
    _state.update(hub=hub, workdir=workdir, network_log=network_log)


def pytest_unconfigure(config: pytest.Config) -> None:
    if "hub" in _state:
        _state["hub"].stop()
        shutil.rmtree(_state["workdir"], ignore_errors=True)


@pytest.fixture(autouse=True)
def _no_internet() -> Iterator[None]:
    """Fail any test during which this process or a subprocess tried to leave the machine."""
    log: Path = _state["network_log"]
    start, start_size = len(network.attempts), log.stat().st_size
    yield
    tried = network.attempts[start:]
    with open(log) as handle:
        handle.seek(start_size)
        tried += handle.read().split()
    if tried:
        pytest.fail(f"the test tried to reach the internet: {sorted(set(tried))}", pytrace=False)


@pytest.fixture(scope="session")
def local_hub() -> LocalHub:
    """The session's local Hub (its URL is `HF_ENDPOINT`)."""
    return _state["hub"]


@pytest.fixture(scope="session")
def sandbox(local_hub: LocalHub) -> LocalHub:
    """The session's local Hub, seeded with every registry entry at its pinned revision (tiny stand-ins),
    our own artifacts published into it by the real publish flow, and `SUITE_REGISTRY` set to the
    registry holding their pins."""
    if not _state.get("seeded"):
        import os

        from scripts.sandbox import sandbox_registry, seed

        _state["seeded"] = seed(local_hub)
        # Apps and tools read the pins our publish flow wrote for what it published into this Hub.
        os.environ["SUITE_REGISTRY"] = str(sandbox_registry(local_hub))
    return local_hub


@pytest.fixture
def hub_token(local_hub: LocalHub) -> str:
    """A write token of `local_hub.user` (who may also write to `test-org`)."""
    return local_hub.token


def _token_of(hub: LocalHub, name: str, *, can_write: bool) -> str:
    return next(a.token for a in hub.config.accounts.values() if a.name == name and a.can_write == can_write)


@pytest.fixture
def read_token(local_hub: LocalHub) -> str:
    """A read-only token of `local_hub.user`."""
    return _token_of(local_hub, local_hub.user, can_write=False)


@pytest.fixture
def other_user_token(local_hub: LocalHub) -> str:
    """A write token of `other-user`, who owns none of the test repos."""
    return _token_of(local_hub, "other-user", can_write=True)


@pytest.fixture
def hf_api(local_hub: LocalHub, hub_token: str):
    """An `HfApi` client of the local Hub with a write token."""
    from huggingface_hub import HfApi

    return HfApi(endpoint=local_hub.url, token=hub_token)


@pytest.fixture
def repo_id(local_hub: LocalHub, request: pytest.FixtureRequest) -> str:
    """A repo id no other test uses: `<user>/<test name>-<random>`."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", request.node.name)[:60].strip("-")
    return f"{local_hub.user}/{slug}-{uuid.uuid4().hex[:6]}"


@pytest.fixture
def fresh_hf_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty Hub cache for this test (huggingface_hub, transformers and datasets use it)."""
    from huggingface_hub import constants

    cache = tmp_path / "hub-cache"
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    if "datasets" in sys.modules:
        monkeypatch.setattr(sys.modules["datasets"].config, "HF_DATASETS_CACHE", tmp_path / "datasets-cache")
    return cache


@pytest.fixture
def make_local_hub() -> Iterator[Callable[..., LocalHub]]:
    """Start extra local Hubs (own port, own root) with custom settings; all stop after the test."""
    hubs: list[LocalHub] = []

    def make(**kwargs: Any) -> LocalHub:
        hub = LocalHub(**kwargs).start()
        hubs.append(hub)
        return hub

    yield make
    for hub in hubs:
        hub.stop()


@pytest.fixture(scope="module")
def one_torch_thread() -> Iterator[None]:
    """Torch on one thread for a module of tiny models: a second thread only adds OpenMP hand-offs
    (and crawls when the machine's cores are busy)."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
