"""A repo's files as the Hub lists them, the diff that turns them into a given tree, and the
writes that apply it: one commit naming its parent, and tags that never move."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2

from ._errors import (
    FrontMatterRejectedError,
    HubRequestError,
    ParentMovedError,
    RevisionNotFoundError,
    hub_failure,
    rejected_front_matter,
)

# The Hub's LFS rules for a repo: never deleted, never replaced by a diff.
KEEP = (".gitattributes",)
MAX_TAG_SUFFIX = 9


def git_blob_id(content: bytes) -> str:
    """The git blob id of `content` (the `oid` the Hub lists for a regular file)."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content, usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class RemoteFile:
    """One file of a repo: its git blob id, and its sha256 when it is stored in LFS."""

    blob_id: str | None
    sha256: str | None

    def holds(self, content: bytes) -> bool:
        """Whether the file's content is `content`."""
        if self.sha256:
            return hashlib.sha256(content).hexdigest() == self.sha256
        return git_blob_id(content) == self.blob_id


@dataclass(frozen=True)
class Remote:
    """A repo as the Hub has it (`exists` False: not created yet).

    Attributes:
        exists: Whether the repo exists (and the token can see it).
        repo_id: The repo.
        head: The commit read.
        files: Path → what the Hub lists for it.
        hardware: (Spaces) the hardware requested or running.
        private: Whether the repo is private.
    """

    exists: bool
    repo_id: str = ""
    head: str | None = None
    files: dict[str, RemoteFile] = field(default_factory=dict)
    hardware: str | None = None
    private: bool | None = None


@dataclass(frozen=True)
class FileChange:
    """One file to add, change or delete (`kind`)."""

    path: str
    kind: str

    @property
    def mark(self) -> str:
        return {"added": "+", "changed": "~", "deleted": "-"}[self.kind]


def read_remote(api: Any, repo_id: str, *, repo_type: str, revision: str | None = None) -> Remote:
    """The repo's files (with blob ids), head commit, and (Spaces) hardware and visibility, in one request.

    Raises:
        HubRequestError: the Hub refused or failed, or `revision` does not exist (a missing repo,
            read at its default branch, is `Remote(exists=False)`).
    """
    from huggingface_hub import errors as hub_errors
    from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

    try:
        info = api.repo_info(repo_id, repo_type=repo_type, revision=revision, files_metadata=True)
    except hub_errors.RevisionNotFoundError:
        raise RevisionNotFoundError(f"{repo_id} has no revision {revision!r}: list its tags on the Hub") from None
    except RepositoryNotFoundError:
        if revision is not None:
            raise HubRequestError(f"{repo_id} does not exist (or the token cannot see it)") from None
        return Remote(exists=False, repo_id=repo_id)
    except HfHubHTTPError as exc:
        raise hub_failure(exc, f"reading {repo_id}") from None
    files = {
        s.rfilename: RemoteFile(blob_id=s.blob_id, sha256=s.lfs.sha256 if s.lfs else None) for s in info.siblings or []
    }
    runtime = getattr(info, "runtime", None)
    hardware = None
    if runtime is not None:
        hardware = str(runtime.requested_hardware or runtime.hardware or "") or None
    return Remote(exists=True, repo_id=repo_id, head=info.sha, files=files, hardware=hardware, private=info.private)


def diff(files: Mapping[str, bytes], remote: Remote) -> list[FileChange]:
    """Per-file changes that turn the remote tree into `files` (`.gitattributes` kept), by path."""
    changes = []
    for path, content in files.items():
        there = remote.files.get(path)
        if there is None:
            changes.append(FileChange(path, "added"))
        elif not there.holds(content):
            changes.append(FileChange(path, "changed"))
    changes += [FileChange(p, "deleted") for p in remote.files if p not in files and p not in KEEP]
    return sorted(changes, key=lambda c: c.path)


def commit_changes(
    api: Any,
    repo_id: str,
    *,
    repo_type: str,
    files: Mapping[str, bytes],
    changes: list[FileChange],
    parent: str | None,
    message: str,
    description: str = "",
) -> str:
    """Apply `changes` (content from `files`) in one commit whose parent is `parent`.

    Returns:
        The new commit id.

    Raises:
        ParentMovedError: the head is no longer `parent` (someone else committed): nothing written.
        FrontMatterRejectedError: the Hub rejected README.md's front matter.
        HubRequestError: the Hub refused or failed after retries.
    """
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete
    from huggingface_hub.errors import HfHubHTTPError

    operations = [
        CommitOperationDelete(c.path) if c.kind == "deleted" else CommitOperationAdd(c.path, files[c.path])
        for c in changes
    ]
    try:
        return api.create_commit(
            repo_id, repo_type=repo_type, operations=operations, commit_message=message,
            commit_description=description, parent_commit=parent,
        ).oid  # fmt: skip
    except ValueError as exc:  # huggingface_hub asked the Hub about README.md first
        raise FrontMatterRejectedError(f"{repo_id} README.md: {rejected_front_matter(exc)}") from None
    except HfHubHTTPError as exc:
        if getattr(exc.response, "status_code", None) == 412:
            raise ParentMovedError(
                f"{repo_id} changed since {str(parent)[:7]}: nothing was overwritten; run again"
            ) from None
        raise hub_failure(exc, f"committing to {repo_id}") from None
    except (OSError, httpx2.TransportError) as exc:  # the connection kept breaking
        raise hub_failure(exc, f"committing to {repo_id}") from None


def tags_of(api: Any, repo_id: str, *, repo_type: str) -> dict[str, str]:
    """The repo's tags: name → commit.

    Raises:
        HubRequestError: the Hub failed.
    """
    from huggingface_hub.errors import HfHubHTTPError

    try:
        return {t.name: t.target_commit for t in api.list_repo_refs(repo_id, repo_type=repo_type).tags}
    except HfHubHTTPError as exc:
        raise hub_failure(exc, f"reading the tags of {repo_id}") from None


def tag_commit(api: Any, repo_id: str, name: str, *, repo_type: str, revision: str, message: str) -> str:
    """Tag a commit; a tag that already points there counts as done.

    A tag of the same name on another commit is never moved: the new one gets a `-2`, `-3`…
    suffix.

    Returns:
        The tag's name.

    Raises:
        HubRequestError: the Hub failed, or every suffix is taken.
    """
    from huggingface_hub.errors import HfHubHTTPError

    existing: dict[str, str] | None = None
    for attempt in range(1, MAX_TAG_SUFFIX + 1):
        candidate = name if attempt == 1 else f"{name}-{attempt}"
        if existing is not None and candidate in existing:
            if existing[candidate] == revision:
                return candidate
            continue
        try:
            api.create_tag(repo_id, repo_type=repo_type, tag=candidate, revision=revision, tag_message=message)
            return candidate
        except HfHubHTTPError as exc:
            if getattr(exc.response, "status_code", None) != 409:
                raise hub_failure(exc, f"tagging {repo_id}") from None
        existing = tags_of(api, repo_id, repo_type=repo_type)
        if existing.get(candidate) == revision:
            return candidate
    raise HubRequestError(
        f"{repo_id} already has tags {name} to {name}-{MAX_TAG_SUFFIX} on other commits: try again later"
    )


def files_at(api: Any, repo_id: str, revision: str, *, repo_type: str) -> dict[str, bytes]:
    """Every file of the repo at `revision` (`.gitattributes` left out), read into memory.

    Raises:
        HubRequestError: no such revision, or the Hub failed.
    """
    from huggingface_hub.errors import HfHubHTTPError

    remote = read_remote(api, repo_id, repo_type=repo_type, revision=revision)
    files = {}
    with tempfile.TemporaryDirectory(prefix="hub-files-") as folder:
        for path in remote.files:
            if path in KEEP:
                continue
            try:
                local = api.hf_hub_download(
                    repo_id, path, repo_type=repo_type, revision=remote.head, cache_dir=Path(folder) / "cache"
                )
            except HfHubHTTPError as exc:
                raise hub_failure(exc, f"reading {path} of {repo_id} at {revision}") from None
            files[path] = Path(local).read_bytes()
    return files
