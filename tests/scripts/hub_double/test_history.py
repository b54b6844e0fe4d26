"""History: real commits, every past commit readable, tags, branches, refs and listings."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from huggingface_hub import hf_hub_download, snapshot_download
from huggingface_hub.errors import HfHubHTTPError, RevisionNotFoundError


@pytest.fixture
def three_commits(hf_api, repo_id) -> list[str]:
    hf_api.create_repo(repo_id)
    return [
        hf_api.upload_file(
            path_or_fileobj=f"version {n}\n".encode(), path_in_repo="v.txt", repo_id=repo_id, commit_message=f"v{n}"
        ).oid
        for n in (1, 2, 3)
    ]


def test_commits_are_listed_newest_first_with_40_hex_ids(hf_api, repo_id, three_commits):
    commits = hf_api.list_repo_commits(repo_id)

    assert [c.title for c in commits] == ["v3", "v2", "v1", "initial commit"]
    assert [c.commit_id for c in commits[:3]] == three_commits[::-1]
    assert all(re.fullmatch(r"[0-9a-f]{40}", c.commit_id) for c in commits)
    assert commits[0].authors == ["local-user"]


def test_every_past_commit_stays_readable(repo_id, three_commits, fresh_hf_cache):
    for n, sha in enumerate(three_commits, start=1):
        assert Path(hf_hub_download(repo_id, "v.txt", revision=sha)).read_text() == f"version {n}\n"
    assert Path(hf_hub_download(repo_id, "v.txt", revision=three_commits[0][:7])).read_text() == "version 1\n"


def test_history_of_an_old_commit_follows_parent_links(hf_api, repo_id, three_commits):
    assert [c.commit_id for c in hf_api.list_repo_commits(repo_id, revision=three_commits[1])][:2] == three_commits[
        1::-1
    ]


def test_commit_listing_is_paginated(make_local_hub):
    from huggingface_hub import HfApi

    hub = make_local_hub(page_size=2)
    for n in range(4):
        hub.publish_snapshot("someone/long", {"n.txt": f"{n}"})

    with hub.record() as log:
        commits = HfApi(endpoint=hub.url).list_repo_commits("someone/long")

    assert len(commits) == 5 and len(log) == 3


def test_tags_and_refs(hf_api, repo_id, three_commits):
    hf_api.create_tag(repo_id, tag="v1.0.0", revision=three_commits[0], tag_message="first release")
    hf_api.create_tag(repo_id, tag="latest")
    hf_api.create_branch(repo_id, branch="staging", revision=three_commits[1])

    refs = hf_api.list_repo_refs(repo_id)

    assert {t.name: t.target_commit for t in refs.tags} == {"latest": three_commits[2], "v1.0.0": three_commits[0]}
    assert {b.name: b.target_commit for b in refs.branches} == {"main": three_commits[2], "staging": three_commits[1]}
    assert refs.tags[0].ref.startswith("refs/tags/")
    assert Path(hf_hub_download(repo_id, "v.txt", revision="v1.0.0")).read_text() == "version 1\n"
    assert Path(hf_hub_download(repo_id, "v.txt", revision="staging")).read_text() == "version 2\n"


def test_an_existing_tag_is_never_moved(hf_api, repo_id, three_commits):
    hf_api.create_tag(repo_id, tag="v1.0.0", revision=three_commits[0])

    with pytest.raises(HfHubHTTPError) as error:
        hf_api.create_tag(repo_id, tag="v1.0.0", revision=three_commits[2])

    assert error.value.response.status_code == 409
    assert hf_api.list_repo_refs(repo_id).tags[0].target_commit == three_commits[0]


def test_deleted_tags_and_branches_stop_resolving(hf_api, repo_id, three_commits):
    hf_api.create_tag(repo_id, tag="temp")
    hf_api.create_branch(repo_id, branch="wip")
    hf_api.delete_tag(repo_id, tag="temp")
    hf_api.delete_branch(repo_id, branch="wip")

    for revision in ("temp", "wip"):
        with pytest.raises(RevisionNotFoundError):
            hf_api.model_info(repo_id, revision=revision)


def test_commits_to_a_branch_leave_main_alone(hf_api, repo_id, three_commits):
    hf_api.create_branch(repo_id, branch="dev")
    hf_api.upload_file(path_or_fileobj=b"dev\n", path_in_repo="dev.txt", repo_id=repo_id, revision="dev")

    assert "dev.txt" in hf_api.list_repo_files(repo_id, revision="dev")
    assert "dev.txt" not in hf_api.list_repo_files(repo_id)


def test_super_squash_keeps_the_files_and_old_commits(hf_api, repo_id, three_commits, fresh_hf_cache):
    hf_api.super_squash_history(repo_id, commit_message="squashed")

    assert [c.title for c in hf_api.list_repo_commits(repo_id)] == ["squashed"]
    assert Path(hf_hub_download(repo_id, "v.txt")).read_text() == "version 3\n"
    assert Path(hf_hub_download(repo_id, "v.txt", revision=three_commits[0])).read_text() == "version 1\n"


def test_snapshot_published_under_a_pinned_commit_id(local_hub, hf_api, repo_id, fresh_hf_cache):
    pinned = "1110a243fdf4706b3f48f1d95db1a4f5529b4d41"

    first = local_hub.publish_snapshot(repo_id, {"config.json": "{}"}, commit_id=pinned, tags=["v1"])
    again = local_hub.publish_snapshot(repo_id, {"config.json": "{}"}, commit_id=pinned, tags=["v1"])

    assert first == again == pinned
    assert hf_api.model_info(repo_id).sha == pinned
    assert hf_api.list_repo_refs(repo_id).tags[0].target_commit == pinned
    assert (Path(snapshot_download(repo_id, revision=pinned)) / "config.json").read_text() == "{}"


@pytest.mark.skipif(shutil.which("git") is None, reason="needs the git command")
def test_ids_are_the_ones_git_computes(hf_api, repo_id, tmp_path):
    files = {
        "README.md": "---\nlicense: mit\n---\n# hi\n",
        "src/app.py": "print(1)\n",
        "src/util/x.py": "x = 1\n",
        "w.bin": bytes(range(200)),
    }
    hf_api.create_repo(repo_id)
    for name, content in files.items():
        hf_api.upload_file(
            path_or_fileobj=content if isinstance(content, bytes) else content.encode(),
            path_in_repo=name,
            repo_id=repo_id,
        )
    tree = {i.path: i for i in hf_api.list_repo_tree(repo_id, recursive=True)}

    checkout = tmp_path / "git"
    folder = Path(snapshot_download(repo_id))
    shutil.copytree(folder, checkout, symlinks=False)
    # In git, an LFS file is its pointer.
    (checkout / "w.bin").write_text(
        f"version https://git-lfs.github.com/spec/v1\noid sha256:{tree['w.bin'].lfs.sha256}\nsize {tree['w.bin'].size}\n"
    )

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=checkout, check=True, capture_output=True, text=True).stdout.strip()

    git("init", "-q")
    git("add", "-A")
    root = git("write-tree")
    assert git("rev-parse", f"{root}:src") == tree["src"].tree_id
    assert git("rev-parse", f"{root}:src/util") == tree["src/util"].tree_id
    assert git("rev-parse", f"{root}:w.bin") == tree["w.bin"].blob_id
    assert git("rev-parse", f"{root}:README.md") == tree["README.md"].blob_id
