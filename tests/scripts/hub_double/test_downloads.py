"""Download flows of the real `huggingface_hub` client against the local Hub."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from huggingface_hub import (
    HfApi,
    constants,
    get_hf_file_metadata,
    hf_hub_download,
    hf_hub_url,
    snapshot_download,
    try_to_load_from_cache,
)
from huggingface_hub.errors import EntryNotFoundError, GatedRepoError, RepositoryNotFoundError
from huggingface_hub.file_download import _CACHED_NO_EXIST
from huggingface_hub.utils import get_session

WEIGHTS = bytes(range(256)) * 40  # binary: goes to LFS
CONFIG = b'{"model_type": "toy"}\n'


@pytest.fixture
def model_repo(hf_api: HfApi, repo_id: str, tmp_path: Path) -> tuple[str, str]:
    """A model repo with a regular file, an LFS file and a nested file; returns (repo id, commit)."""
    folder = tmp_path / "model"
    (folder / "sub").mkdir(parents=True)
    (folder / "config.json").write_bytes(CONFIG)
    (folder / "model.safetensors").write_bytes(WEIGHTS)
    (folder / "sub" / "notes.txt").write_text("nested\n")
    hf_api.create_repo(repo_id)
    commit = hf_api.upload_folder(folder_path=folder, repo_id=repo_id, commit_message="add model")
    hf_api.create_tag(repo_id, tag="v1.0.0", revision=commit.oid)
    return repo_id, commit.oid


@pytest.mark.parametrize("revision", ["sha", "main", "v1.0.0"])
def test_snapshot_download_by_sha_branch_and_tag(model_repo, revision, fresh_hf_cache):
    repo_id, sha = model_repo
    folder = Path(snapshot_download(repo_id, revision=sha if revision == "sha" else revision))

    assert folder.name == sha
    assert (folder / "config.json").read_bytes() == CONFIG
    assert (folder / "model.safetensors").read_bytes() == WEIGHTS
    assert (folder / "sub" / "notes.txt").read_text() == "nested\n"


def test_hf_hub_download_by_sha_returns_the_file_at_that_commit(model_repo, hf_api, fresh_hf_cache):
    repo_id, first = model_repo
    hf_api.upload_file(path_or_fileobj=b'{"model_type": "v2"}', path_in_repo="config.json", repo_id=repo_id)

    assert Path(hf_hub_download(repo_id, "config.json", revision=first)).read_bytes() == CONFIG
    assert Path(hf_hub_download(repo_id, "config.json")).read_bytes() == b'{"model_type": "v2"}'


def test_head_metadata_carries_commit_etag_and_size(model_repo):
    repo_id, sha = model_repo

    lfs = get_hf_file_metadata(hf_hub_url(repo_id, "model.safetensors", revision="main"))
    regular = get_hf_file_metadata(hf_hub_url(repo_id, "config.json", revision="v1.0.0"))

    assert lfs.commit_hash == sha and regular.commit_hash == sha
    assert lfs.etag == hashlib.sha256(WEIGHTS).hexdigest()
    assert regular.etag == hashlib.sha1(b"blob %d\0" % len(CONFIG) + CONFIG, usedforsecurity=False).hexdigest()
    assert (lfs.size, regular.size) == (len(WEIGHTS), len(CONFIG))


def test_range_requests_are_honoured(model_repo, local_hub):
    repo_id, sha = model_repo
    url = hf_hub_url(repo_id, "model.safetensors", revision=sha)

    partial = get_session().get(url, headers={"Range": "bytes=10-19"})
    suffix = get_session().get(url, headers={"Range": "bytes=-5"})
    beyond = get_session().get(url, headers={"Range": f"bytes={len(WEIGHTS)}-"})

    assert partial.status_code == 206
    assert partial.content == WEIGHTS[10:20]
    assert partial.headers["Content-Range"] == f"bytes 10-19/{len(WEIGHTS)}"
    assert (suffix.status_code, suffix.content) == (206, WEIGHTS[-5:])
    assert beyond.status_code == 416
    assert beyond.headers["Content-Range"] == f"bytes */{len(WEIGHTS)}"


def test_a_cut_download_resumes_with_a_range_request(model_repo, local_hub, fresh_hf_cache, monkeypatch):
    repo_id, sha = model_repo
    # The client writes in 10 MB chunks; small ones let part of this small file land before the cut.
    monkeypatch.setattr(constants, "DOWNLOAD_CHUNK_SIZE", 1024)

    with local_hub.inject_faults(kinds=("truncate",), times=1, path=r"GET /.*/resolve/"), local_hub.record() as log:
        path = hf_hub_download(repo_id, "model.safetensors", revision=sha)

    assert Path(path).read_bytes() == WEIGHTS
    assert [(e["status"], e.get("fault")) for e in log if e["method"] == "GET"] == [(200, "truncate"), (206, None)]


def test_missing_file_raises_and_its_absence_is_cached(model_repo, fresh_hf_cache):
    repo_id, sha = model_repo

    with pytest.raises(EntryNotFoundError):
        hf_hub_download(repo_id, "missing.txt", revision="main")

    assert try_to_load_from_cache(repo_id, "missing.txt", revision=sha) is _CACHED_NO_EXIST
    assert try_to_load_from_cache(repo_id, "missing.txt", revision="main") is _CACHED_NO_EXIST


def test_a_warm_cache_by_sha_sends_no_request(model_repo, local_hub, fresh_hf_cache):
    repo_id, sha = model_repo
    snapshot_download(repo_id, revision=sha)

    with local_hub.record() as log:
        snapshot_download(repo_id, revision=sha)
        hf_hub_download(repo_id, "model.safetensors", revision=sha)

    assert log.paths() == []


def test_list_repo_files_and_recursive_tree_with_lfs_info(model_repo, hf_api):
    repo_id, sha = model_repo

    files = hf_api.list_repo_files(repo_id, revision=sha)
    tree = {item.path: item for item in hf_api.list_repo_tree(repo_id, revision=sha, recursive=True)}
    top = sorted(item.path for item in hf_api.list_repo_tree(repo_id, revision=sha))
    nested = [item.path for item in hf_api.list_repo_tree(repo_id, path_in_repo="sub", revision=sha)]

    assert sorted(files) == [".gitattributes", "config.json", "model.safetensors", "sub/notes.txt"]
    assert tree["model.safetensors"].lfs.sha256 == hashlib.sha256(WEIGHTS).hexdigest()
    assert tree["model.safetensors"].lfs.size == len(WEIGHTS)
    assert tree["config.json"].lfs is None
    assert type(tree["sub"]).__name__ == "RepoFolder" and len(tree["sub"].tree_id) == 40
    assert top == [".gitattributes", "config.json", "model.safetensors", "sub"]
    assert nested == ["sub/notes.txt"]


def test_tree_listing_is_paginated_with_link_headers(make_local_hub):
    hub = make_local_hub(page_size=2)
    hub.publish_snapshot("someone/many", {f"f{i}.txt": f"{i}\n" for i in range(5)})
    api = HfApi(endpoint=hub.url)

    with hub.record() as log:
        paths = [item.path for item in api.list_repo_tree("someone/many", recursive=True)]

    assert sorted(paths) == [".gitattributes"] + [f"f{i}.txt" for i in range(5)]
    assert len(log) == 3


def test_tree_with_expand_reports_the_last_commit_of_each_file(model_repo, hf_api):
    repo_id, sha = model_repo
    later = hf_api.upload_file(path_or_fileobj=b"new\n", path_in_repo="sub/notes.txt", repo_id=repo_id).oid

    items = {i.path: i for i in hf_api.list_repo_tree(repo_id, recursive=True, expand=True)}

    assert items["config.json"].last_commit.oid == sha
    assert items["sub/notes.txt"].last_commit.oid == later
    assert items["sub"].last_commit.oid == later


def test_repo_info_of_each_repo_type(model_repo, hf_api, local_hub, repo_id):
    model_id, sha = model_repo
    local_hub.publish_snapshot(
        f"{repo_id}-data", {"README.md": "---\nlicense: mit\n---\n", "a.csv": "x\n1\n"}, repo_type="dataset"
    )
    hf_api.create_repo(f"{repo_id}-space", repo_type="space", space_sdk="gradio")

    model = hf_api.model_info(model_id, revision="v1.0.0", files_metadata=True)
    dataset = hf_api.dataset_info(f"{repo_id}-data")
    space = hf_api.space_info(f"{repo_id}-space")
    generic = hf_api.repo_info(model_id, revision=sha)

    assert (model.id, model.sha, generic.sha) == (model_id, sha, sha)
    sizes = {s.rfilename: (s.size, s.lfs.sha256 if s.lfs else None) for s in model.siblings}
    assert sizes["model.safetensors"] == (len(WEIGHTS), hashlib.sha256(WEIGHTS).hexdigest())
    assert dataset.card_data.license == "mit"
    assert {s.rfilename for s in dataset.siblings} == {".gitattributes", "README.md", "a.csv"}
    assert space.sdk == "gradio" and space.runtime.stage == "NO_APP_FILE"


def test_private_repo_is_invisible_without_a_token(hf_api, repo_id, hub_token, local_hub):
    hf_api.create_repo(repo_id, private=True)
    hf_api.upload_file(path_or_fileobj=b"secret\n", path_in_repo="file.txt", repo_id=repo_id)
    anonymous = HfApi(endpoint=local_hub.url, token=False)

    with pytest.raises(RepositoryNotFoundError):
        anonymous.model_info(repo_id)
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download(repo_id, "file.txt", token=False)
    assert hf_api.model_info(repo_id).private is True
    assert Path(hf_hub_download(repo_id, "file.txt", token=hub_token)).read_bytes() == b"secret\n"


def test_gated_repo_needs_a_granted_token(hf_api, repo_id, local_hub, other_user_token, fresh_hf_cache):
    hf_api.create_repo(repo_id)
    hf_api.upload_file(path_or_fileobj=b"weights\n", path_in_repo="w.txt", repo_id=repo_id)
    hf_api.update_repo_settings(repo_id, gated="manual")

    with pytest.raises(GatedRepoError) as anonymous:
        hf_hub_download(repo_id, "w.txt", token=False)
    with pytest.raises(GatedRepoError) as not_granted:
        hf_hub_download(repo_id, "w.txt", token=other_user_token)
    hf_api.grant_access(repo_id, "other-user")

    assert anonymous.value.response.status_code == 401
    assert not_granted.value.response.status_code == 403
    assert Path(hf_hub_download(repo_id, "w.txt", token=other_user_token)).read_bytes() == b"weights\n"
    assert os.path.basename(hf_hub_download(repo_id, "w.txt")) == "w.txt"
