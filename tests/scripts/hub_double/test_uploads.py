"""Write flows of the real client: creating repos and committing regular and LFS files."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi, hf_hub_download
from huggingface_hub.errors import HfHubHTTPError

BINARY = bytes(range(256)) * 8


def _files(hf_api: HfApi, repo_id: str, **kwargs) -> list[str]:
    return sorted(hf_api.list_repo_files(repo_id, **kwargs))


@pytest.mark.parametrize("repo_type", ["model", "dataset"])
def test_create_repo_makes_an_initial_commit_with_gitattributes(hf_api, repo_id, repo_type):
    url = hf_api.create_repo(repo_id, repo_type=repo_type)

    assert url.repo_id == repo_id and url.repo_type == repo_type
    assert _files(hf_api, repo_id, repo_type=repo_type) == [".gitattributes"]
    assert [c.title for c in hf_api.list_repo_commits(repo_id, repo_type=repo_type)] == ["initial commit"]


def test_create_space_with_sdk_hardware_secrets_variables_and_visibility(hf_api, repo_id, local_hub):
    hf_api.create_repo(
        repo_id,
        repo_type="space",
        space_sdk="gradio",
        space_hardware="zero-a10g",
        private=True,
        space_secrets=[{"key": "API_KEY", "value": "s3cr3t"}],
        space_variables=[{"key": "MODE", "value": "demo", "description": "how the app runs"}],
    )

    info = hf_api.space_info(repo_id)
    assert (info.sdk, info.private) == ("gradio", True)
    assert info.runtime.requested_hardware == "zero-a10g"
    assert hf_api.get_space_variables(repo_id)["MODE"].value == "demo"
    assert local_hub.space_secret_matches(repo_id, "API_KEY", "s3cr3t")
    assert "README.md" in _files(hf_api, repo_id, repo_type="space")


def test_create_space_needs_a_valid_sdk_and_hardware(hf_api, repo_id):
    with pytest.raises(HfHubHTTPError, match="hardware"):
        hf_api.create_repo(repo_id, repo_type="space", space_sdk="gradio", space_hardware="quantum-x1")


def test_create_existing_repo_is_a_409_unless_exist_ok(hf_api, repo_id):
    hf_api.create_repo(repo_id)

    with pytest.raises(HfHubHTTPError) as error:
        hf_api.create_repo(repo_id)
    url = hf_api.create_repo(repo_id, exist_ok=True)

    assert error.value.response.status_code == 409
    assert url.repo_id == repo_id


def test_upload_folder_stores_binary_and_matched_files_in_lfs(hf_api, repo_id, tmp_path):
    (tmp_path / "weights.safetensors").write_bytes(b"not binary but matched by .gitattributes")
    (tmp_path / "blob.dat").write_bytes(BINARY)
    (tmp_path / "app.py").write_text("print('hi')\n")
    hf_api.create_repo(repo_id)

    commit = hf_api.upload_folder(folder_path=tmp_path, repo_id=repo_id, commit_message="upload")

    tree = {f.path: f for f in hf_api.list_repo_tree(repo_id, revision=commit.oid)}
    assert tree["blob.dat"].lfs.sha256 == hashlib.sha256(BINARY).hexdigest()
    assert tree["weights.safetensors"].lfs is not None
    assert tree["app.py"].lfs is None
    assert Path(hf_hub_download(repo_id, "blob.dat", revision=commit.oid)).read_bytes() == BINARY


def test_an_lfs_object_already_stored_is_not_uploaded_again(hf_api, repo_id, local_hub):
    hf_api.create_repo(repo_id)
    hf_api.upload_file(path_or_fileobj=BINARY, path_in_repo="a.bin", repo_id=repo_id)

    with local_hub.record() as log:
        hf_api.upload_file(path_or_fileobj=BINARY, path_in_repo="copy.bin", repo_id=repo_id)

    assert not [p for p in log.paths() if p.startswith("PUT ")]
    assert {"a.bin", "copy.bin"} <= set(_files(hf_api, repo_id))


def test_create_commit_with_additions_deletions_and_folder_deletions(hf_api, repo_id):
    hf_api.create_repo(repo_id)
    hf_api.create_commit(
        repo_id,
        operations=[
            CommitOperationAdd("keep.txt", b"keep\n"),
            CommitOperationAdd("old.txt", b"old\n"),
            CommitOperationAdd("logs/a.txt", b"a\n"),
            CommitOperationAdd("logs/deep/b.txt", b"b\n"),
        ],
        commit_message="first",
    )

    commit = hf_api.create_commit(
        repo_id,
        operations=[
            CommitOperationDelete("old.txt"),
            CommitOperationDelete("logs/", is_folder=True),
            CommitOperationAdd("new.txt", b"new\n"),
        ],
        commit_message="second",
        commit_description="deletes and adds in one commit",
    )

    assert _files(hf_api, repo_id) == [".gitattributes", "keep.txt", "new.txt"]
    assert hf_api.list_repo_commits(repo_id)[0].message.strip() == "deletes and adds in one commit"
    assert commit.commit_message == "second"


def test_deleting_a_missing_file_fails_and_commits_nothing(hf_api, repo_id):
    hf_api.create_repo(repo_id)
    head = hf_api.model_info(repo_id).sha

    with pytest.raises(HfHubHTTPError) as error:
        hf_api.create_commit(
            repo_id,
            operations=[CommitOperationAdd("a.txt", b"a"), CommitOperationDelete("ghost.txt")],
            commit_message="half",
        )

    assert error.value.response.status_code == 404
    assert hf_api.model_info(repo_id).sha == head


def test_upload_folder_with_delete_patterns_removes_stale_files(hf_api, repo_id, tmp_path):
    hf_api.create_repo(repo_id)
    hf_api.upload_folder(
        folder_path=_write(tmp_path / "v1", {"app.py": "v1", "stale.py": "x", "data/old.csv": "1"}),
        repo_id=repo_id,
    )

    hf_api.upload_folder(folder_path=_write(tmp_path / "v2", {"app.py": "v2"}), repo_id=repo_id, delete_patterns="*")

    assert _files(hf_api, repo_id) == [".gitattributes", "app.py"]
    assert Path(hf_hub_download(repo_id, "app.py")).read_text() == "v2"


def test_create_pr_leaves_main_alone_and_can_be_merged(hf_api, repo_id):
    hf_api.create_repo(repo_id)
    main_before = hf_api.model_info(repo_id).sha

    commit = hf_api.upload_file(path_or_fileobj=b"proposal\n", path_in_repo="idea.txt", repo_id=repo_id, create_pr=True)

    assert commit.pr_num == 1 and commit.pr_revision == "refs/pr/1"
    assert hf_api.model_info(repo_id).sha == main_before
    assert "idea.txt" in hf_api.list_repo_files(repo_id, revision="refs/pr/1")
    details = hf_api.get_discussion_details(repo_id, 1)
    assert details.is_pull_request and details.status == "open" and details.target_branch == "refs/heads/main"
    assert [d.num for d in hf_api.get_repo_discussions(repo_id)] == [1]

    hf_api.merge_pull_request(repo_id, 1)

    assert "idea.txt" in hf_api.list_repo_files(repo_id)
    assert hf_api.get_discussion_details(repo_id, 1).status == "merged"


def test_upload_folder_can_open_a_pull_request(hf_api, repo_id, tmp_path):
    hf_api.create_repo(repo_id)

    commit = hf_api.upload_folder(folder_path=_write(tmp_path, {"a.txt": "a"}), repo_id=repo_id, create_pr=True)

    assert commit.pr_revision == "refs/pr/1"
    assert "a.txt" not in hf_api.list_repo_files(repo_id)


def test_a_stale_parent_commit_is_refused_with_412(hf_api, repo_id):
    hf_api.create_repo(repo_id)
    parent = hf_api.model_info(repo_id).sha
    hf_api.upload_file(path_or_fileobj=b"1", path_in_repo="one.txt", repo_id=repo_id)

    with pytest.raises(HfHubHTTPError) as error:
        hf_api.create_commit(
            repo_id, operations=[CommitOperationAdd("two.txt", b"2")], commit_message="late", parent_commit=parent
        )
    ok = hf_api.create_commit(
        repo_id,
        operations=[CommitOperationAdd("two.txt", b"2")],
        commit_message="fresh",
        parent_commit=hf_api.model_info(repo_id).sha,
    )

    assert error.value.response.status_code == 412
    assert hf_api.model_info(repo_id).sha == ok.oid


def test_identical_content_makes_no_commit(hf_api, repo_id, tmp_path):
    hf_api.create_repo(repo_id)
    folder = _write(tmp_path, {"a.txt": "a", "b.bin": BINARY})
    first = hf_api.upload_folder(folder_path=folder, repo_id=repo_id)

    second = hf_api.upload_folder(folder_path=folder, repo_id=repo_id)
    third = hf_api.create_commit(repo_id, operations=[CommitOperationAdd("a.txt", b"a")], commit_message="same")

    assert first.oid == second.oid == third.oid
    assert len(hf_api.list_repo_commits(repo_id)) == 2


def test_the_server_refuses_an_identical_commit_sent_directly(hf_api, repo_id, local_hub, hub_token):
    from huggingface_hub.utils import get_session

    hf_api.create_repo(repo_id)
    hf_api.upload_file(path_or_fileobj=b"a", path_in_repo="a.txt", repo_id=repo_id)
    head = hf_api.model_info(repo_id).sha
    payload = b'{"key":"header","value":{"summary":"again"}}\n{"key":"file","value":{"path":"a.txt","content":"YQ==","encoding":"base64"}}\n'

    response = get_session().post(
        f"{local_hub.url}/api/models/{repo_id}/commit/main",
        content=payload,
        headers={"Authorization": f"Bearer {hub_token}", "Content-Type": "application/x-ndjson"},
    )

    assert response.status_code == 200 and response.json()["commitOid"] == head
    assert hf_api.model_info(repo_id).sha == head


def test_regular_mode_accepts_every_file_inline_even_with_xet_enabled(make_local_hub, tmp_path, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", False)
    hub = make_local_hub(lfs_mode="regular", tokens=["regular-mode-token"])
    api = HfApi(endpoint=hub.url, token="regular-mode-token")
    api.create_repo(f"{hub.user}/plain")

    with hub.record() as log:
        api.upload_folder(
            folder_path=_write(tmp_path, {"w.safetensors": BINARY, "a.txt": "a"}), repo_id=f"{hub.user}/plain"
        )

    tree = {f.path: f for f in api.list_repo_tree(f"{hub.user}/plain")}
    assert tree["w.safetensors"].lfs is None and tree["w.safetensors"].size == len(BINARY)
    assert not [p for p in log.paths() if "lfs" in p or "xet" in p]


def test_binary_file_sent_as_regular_is_refused_in_lfs_mode(hf_api, repo_id, local_hub, hub_token):
    from huggingface_hub.utils import get_session

    hf_api.create_repo(repo_id)
    payload = b'{"key":"header","value":{"summary":"bin"}}\n{"key":"file","value":{"path":"x.bin","content":"AAEC","encoding":"base64"}}\n'

    response = get_session().post(
        f"{local_hub.url}/api/models/{repo_id}/commit/main",
        content=payload,
        headers={"Authorization": f"Bearer {hub_token}", "Content-Type": "application/x-ndjson"},
    )

    assert response.status_code == 400 and "binary" in response.json()["error"]


def _write(folder: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return folder
