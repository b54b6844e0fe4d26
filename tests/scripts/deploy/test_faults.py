"""A flaky Hub: retries with backoff make the deploy converge, or it fails cleanly; never a partial commit."""

from __future__ import annotations

import io

import httpx2
import pytest

from scripts.deploy import deploy
from scripts.hub_client import RetryingTransport
from scripts.hub_client import _retries as deploy_hub
from tests.scripts.deploy.conftest import commits, space_files

pytestmark = pytest.mark.usefixtures("sandbox")
NS = "local-user"


@pytest.fixture(autouse=True)
def _quick_backoff(monkeypatch):
    monkeypatch.setattr(deploy_hub, "FIRST_WAIT", 0.01)
    monkeypatch.setattr(deploy_hub, "MAX_WAIT", 0.05)


def png_bytes(color: str) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), color).save(buffer, format="PNG")
    return buffer.getvalue()


def complete_or_initial(api, repo_id: str, bundle: dict[str, bytes]) -> None:
    """Every commit of the Space holds either the Hub's initial files or a whole bundle."""
    for commit in commits(api, repo_id):
        files = space_files(api, repo_id, revision=commit.commit_id)
        if set(files) == {".gitattributes", "README.md"}:
            continue
        assert {p: files.get(p) for p in bundle} == bundle, f"partial commit {commit.commit_id}"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_deploys_converge_through_a_fifth_of_requests_failing(hf_api, hub_token, suite, make_demo, local_hub, seed):
    names = [make_demo(files={"pic.png": png_bytes(c)}) for c in ("red", "blue")]

    with local_hub.inject_faults(rate=0.2, kinds=(500, 429, "drop"), retry_after=0, seed=seed) as plan:
        results = deploy(names, namespace=NS, token=hub_token, suite=suite)
        again = deploy(names, namespace=NS, token=hub_token, suite=suite)

    assert plan.injected > 0
    for first, second in zip(results, again, strict=True):
        assert first.status == "created", first.error
        assert second.status == "unchanged"
        bundle = {p: c for p, c in first.plan.files.items()}
        complete_or_initial(hf_api, first.repo_id, bundle)
        assert {p: space_files(hf_api, first.repo_id).get(p) for p in bundle} == bundle


def test_a_hub_that_keeps_failing_fails_the_deploy_cleanly(hf_api, hub_token, suite, make_demo, local_hub):
    name = make_demo()

    with local_hub.inject_faults(rate=1.0, kinds=(503,), path=r"^POST /api/spaces/.*/commit/"):
        [result] = deploy([name], namespace=NS, token=hub_token, suite=suite)

    assert result.status == "failed"
    assert result.error == (
        f"committing to {NS}/{name}: the Hub kept failing (HTTP 503) after retries: try again later; "
        "the new Space was removed again"
    )
    assert not hf_api.repo_exists(f"{NS}/{name}", repo_type="space")


def test_an_existing_space_is_left_as_it_was_when_the_commit_keeps_failing(hf_api, hub_token, suite, make_demo,
                                                                           spaces_dir, local_hub):  # fmt: skip
    name = make_demo()
    deploy([name], namespace=NS, token=hub_token, suite=suite)
    before = space_files(hf_api, f"{NS}/{name}")
    (spaces_dir / name / "extra.txt").write_text("new")

    with local_hub.inject_faults(rate=1.0, kinds=("drop",), path=r"^POST /api/spaces/.*/commit/"):
        [result] = deploy([name], namespace=NS, token=hub_token, suite=suite)

    assert result.status == "failed"
    assert result.error == (
        f"committing to {NS}/{name}: cannot reach the Hub (RemoteProtocolError) after retries: "
        "check the network and HF_ENDPOINT"
    )
    assert space_files(hf_api, f"{NS}/{name}") == before


def test_an_unreachable_hub_is_one_line(hub_token, suite, make_demo, monkeypatch):
    from huggingface_hub import constants

    name = make_demo()
    monkeypatch.setattr(constants, "ENDPOINT", "http://127.0.0.1:9")  # nothing listens on the discard port

    [result] = deploy([name], namespace=NS, token=hub_token, suite=suite)

    assert result.status == "failed"
    assert result.error.endswith("cannot reach the Hub (ConnectError) after retries: check the network and HF_ENDPOINT")


class Flaky(httpx2.BaseTransport):
    """Answers with `statuses` in turn (then 200); a `None` drops the connection."""

    def __init__(self, *statuses: int | None, headers: dict[str, str] | None = None) -> None:
        self.statuses = list(statuses)
        self.headers = headers or {}
        self.seen = 0

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        self.seen += 1
        status = self.statuses.pop(0) if self.statuses else 200
        if status is None:
            raise httpx2.RemoteProtocolError("Server disconnected without sending a response.", request=request)
        return httpx2.Response(status, headers=self.headers, request=request)


def test_the_transport_retries_429_5xx_and_drops_with_growing_waits():
    waits: list[float] = []
    inner = Flaky(500, None, 429, 503)
    client = httpx2.Client(transport=RetryingTransport(inner, sleep=waits.append, first_wait=1, max_wait=100))

    assert client.post("http://hub.test/api/x", content=b"body").status_code == 200
    assert inner.seen == 5
    assert 0.5 <= waits[0] <= 1 and 1 <= waits[1] <= 2 and 4 <= waits[3] <= 8


def test_the_transport_honours_retry_after_and_gives_up_after_the_last_attempt():
    waits: list[float] = []
    inner = Flaky(*[429] * 10, headers={"Retry-After": "3"})
    client = httpx2.Client(transport=RetryingTransport(inner, attempts=4, sleep=waits.append, max_wait=10))

    assert client.get("http://hub.test/api/x").status_code == 429
    assert (inner.seen, waits) == (4, [3.0, 3.0, 3.0])


def test_the_transport_does_not_replay_streamed_bodies():
    inner = Flaky(500)
    client = httpx2.Client(transport=RetryingTransport(inner, sleep=lambda s: None))

    assert client.put("http://hub.test/upload", content=iter([b"chunk"])).status_code == 500
    assert inner.seen == 1


def test_client_errors_are_not_retried():
    inner = Flaky(404, 401)
    client = httpx2.Client(transport=RetryingTransport(inner, sleep=lambda s: None))

    assert client.get("http://hub.test/api/x").status_code == 404
    assert inner.seen == 1
