"""Every error the clients can get from the Hub, as the client's own exception types."""

from __future__ import annotations

import pytest
from huggingface_hub import CommitOperationAdd, HfApi, hf_hub_download
from huggingface_hub.errors import (
    EntryNotFoundError,
    HfHubHTTPError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)


@pytest.fixture
def public_repo(hf_api, repo_id) -> str:
    hf_api.create_repo(repo_id)
    hf_api.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=repo_id)
    return repo_id


def test_repository_not_found(hf_api, local_hub, fresh_hf_cache):
    with pytest.raises(RepositoryNotFoundError):
        hf_api.model_info("nobody/nothing")
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download("nobody/nothing", "config.json")
    with pytest.raises(RepositoryNotFoundError):
        hf_api.dataset_info("nobody/nothing")


def test_a_repo_of_another_type_is_not_found(hf_api, public_repo):
    with pytest.raises(RepositoryNotFoundError):
        hf_api.dataset_info(public_repo)


def test_revision_not_found(hf_api, public_repo, fresh_hf_cache):
    with pytest.raises(RevisionNotFoundError):
        hf_api.model_info(public_repo, revision="no-such-branch")
    with pytest.raises(RevisionNotFoundError):
        hf_hub_download(public_repo, "x.txt", revision="0" * 40)


def test_entry_not_found(hf_api, public_repo, fresh_hf_cache):
    with pytest.raises(EntryNotFoundError):
        hf_hub_download(public_repo, "nope.txt")
    with pytest.raises(EntryNotFoundError):
        list(hf_api.list_repo_tree(public_repo, path_in_repo="no/such/folder"))


def test_an_invalid_token_is_401_even_for_public_reads(public_repo, local_hub):
    api = HfApi(endpoint=local_hub.url, token="not-a-valid-token")

    with pytest.raises(HfHubHTTPError) as read_error:
        api.model_info(public_repo)
    with pytest.raises(HfHubHTTPError, match="Invalid user token"):
        api.whoami()

    assert read_error.value.response.status_code == 401
    assert not isinstance(read_error.value, RepositoryNotFoundError)


def test_writes_without_a_token_are_401(local_hub, public_repo):
    anonymous = HfApi(endpoint=local_hub.url, token=False)

    with pytest.raises(HfHubHTTPError) as create_error:
        anonymous.create_repo(f"{local_hub.user}/anonymous")
    with pytest.raises(HfHubHTTPError) as commit_error:
        anonymous.upload_file(path_or_fileobj=b"y", path_in_repo="y.txt", repo_id=public_repo)

    assert create_error.value.response.status_code == 401
    assert commit_error.value.response.status_code == 401


def test_read_only_tokens_and_foreign_namespaces_are_403(local_hub, public_repo, read_token, other_user_token):
    with pytest.raises(HfHubHTTPError) as read_only:
        HfApi(endpoint=local_hub.url, token=read_token).upload_file(
            path_or_fileobj=b"y", path_in_repo="y.txt", repo_id=public_repo
        )
    with pytest.raises(HfHubHTTPError) as foreign:
        HfApi(endpoint=local_hub.url, token=other_user_token).upload_file(
            path_or_fileobj=b"y", path_in_repo="y.txt", repo_id=public_repo
        )
    with pytest.raises(HfHubHTTPError) as foreign_create:
        HfApi(endpoint=local_hub.url, token=other_user_token).create_repo("test-org/not-yours")

    assert read_only.value.response.status_code == 403
    assert foreign.value.response.status_code == 403
    assert foreign_create.value.response.status_code == 403


def test_members_may_write_to_their_organisations(hf_api):
    url = hf_api.create_repo("test-org/shared-model", exist_ok=True)

    assert url.repo_id == "test-org/shared-model"


def test_existing_repo_is_409(hf_api, public_repo):
    with pytest.raises(HfHubHTTPError) as error:
        hf_api.create_repo(public_repo)

    assert error.value.response.status_code == 409


def test_stale_parent_commit_is_412(hf_api, public_repo):
    stale = hf_api.list_repo_commits(public_repo)[-1].commit_id

    with pytest.raises(HfHubHTTPError) as error:
        hf_api.create_commit(
            public_repo, operations=[CommitOperationAdd("z.txt", b"z")], commit_message="z", parent_commit=stale
        )

    assert error.value.response.status_code == 412


@pytest.mark.parametrize("bad_path", ["../escape.txt", "/abs.txt", "a//b.txt", ".git/config"])
def test_invalid_paths_are_refused(hf_api, public_repo, bad_path, local_hub, hub_token):
    from huggingface_hub.utils import get_session

    line = f'{{"key":"file","value":{{"path":"{bad_path}","content":"eA==","encoding":"base64"}}}}'
    response = get_session().post(
        f"{local_hub.url}/api/models/{public_repo}/commit/main",
        content=b'{"key":"header","value":{"summary":"bad"}}\n' + line.encode() + b"\n",
        headers={"Authorization": f"Bearer {hub_token}"},
    )

    assert response.status_code == 400
