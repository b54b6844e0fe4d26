"""Fault injection: the clients' retries get something real to retry, and failures stay clean."""

from __future__ import annotations

import httpx2
import pytest
from huggingface_hub import CommitOperationAdd, hf_hub_url
from huggingface_hub.errors import HfHubHTTPError
from huggingface_hub.utils import get_session

from scripts.hub_double import FaultPlan


def test_a_fraction_of_requests_fail(make_local_hub):
    hub = make_local_hub(faults=FaultPlan(rate=0.5, kinds=(500, 502), seed=7))
    hub.publish_snapshot("someone/flaky", {"a.txt": "a"})
    url = hf_hub_url("someone/flaky", "a.txt", endpoint=hub.url)

    statuses = [get_session().get(url).status_code for _ in range(40)]

    assert set(statuses) <= {200, 500, 502}
    assert 8 <= statuses.count(200) <= 32
    assert hub.faults.injected == 40 - statuses.count(200)


def test_429_carries_retry_after(make_local_hub):
    hub = make_local_hub(faults=FaultPlan(times=1, kinds=(429,), retry_after=3))

    response = get_session().get(f"{hub.url}/api/models/someone/anything")

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3"


def test_only_requests_matching_the_path_pattern_fail(make_local_hub):
    hub = make_local_hub(faults=FaultPlan(rate=1.0, path=r"^GET /api/whoami"))

    assert get_session().get(f"{hub.url}/api/whoami-v2").status_code == 500
    assert get_session().get(f"{hub.url}/api/models/a/b").status_code == 404


def test_a_dropped_connection_reaches_the_client_as_a_disconnect(make_local_hub):
    hub = make_local_hub(faults=FaultPlan(times=1, kinds=("drop",)))

    with pytest.raises(httpx2.RemoteProtocolError):
        get_session().get(f"{hub.url}/api/models/a/b")
    assert get_session().get(f"{hub.url}/api/models/a/b").status_code == 404


@pytest.mark.parametrize("kind", [500, 429, "drop"])
def test_uploads_converge_through_the_clients_retries(hf_api, repo_id, local_hub, kind):
    hf_api.create_repo(repo_id)

    with local_hub.inject_faults(times=1, kinds=(kind,), retry_after=0, path="/preupload/") as plan:
        commit = hf_api.upload_file(path_or_fileobj=b"data", path_in_repo="data.txt", repo_id=repo_id)

    assert plan.injected == 1
    assert hf_api.model_info(repo_id).sha == commit.oid
    assert "data.txt" in hf_api.list_repo_files(repo_id)


def test_a_commit_that_keeps_failing_changes_nothing(hf_api, repo_id, local_hub):
    hf_api.create_repo(repo_id)
    head = hf_api.model_info(repo_id).sha

    with (
        local_hub.inject_faults(rate=1.0, kinds=(500,), path=r"^POST /api/models/.*/commit/"),
        pytest.raises(HfHubHTTPError),
    ):
        hf_api.create_commit(repo_id, operations=[CommitOperationAdd("a.txt", b"a")], commit_message="never lands")

    assert hf_api.model_info(repo_id).sha == head
    assert hf_api.list_repo_files(repo_id) == [".gitattributes"]


def test_latency_is_added_to_every_request(make_local_hub):
    hub = make_local_hub(faults=FaultPlan(latency=0.2))

    get_session().get(f"{hub.url}/api/models/a/b")

    assert hub.requests[-1]["duration_ms"] >= 200


def test_bad_fault_plans_are_refused():
    with pytest.raises(ValueError, match="unknown fault kind"):
        FaultPlan(kinds=(418,))
    with pytest.raises(ValueError, match="between 0 and 1"):
        FaultPlan(rate=1.5)
