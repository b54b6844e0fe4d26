"""Make a Space repo hold exactly a bundle: plan (a per-file diff and the settings that change),
then apply it as settings calls and one atomic commit, tagged.

The plan needs one request: the Space's file list with blob ids (`space_info(files_metadata=True)`),
compared with the bundle's git blob ids (or sha256 for LFS files). An unchanged Space gets no
commit. The commit names its parent, so a Space changed by someone else meanwhile is refused by
the Hub (HTTP 412) rather than overwritten.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2

from scripts._deploy.errors import DeployError, HubRequestError, RefusedError
from scripts._deploy.hub import hub_failure
from scripts._deploy.staging import git_blob_id

KEEP = (".gitattributes",)  # the Hub's LFS rules for the repo: never deleted, never replaced


@dataclass(frozen=True)
class RemoteFile:
    blob_id: str | None
    sha256: str | None  # LFS files only

    def holds(self, content: bytes) -> bool:
        if self.sha256:
            return hashlib.sha256(content).hexdigest() == self.sha256
        return git_blob_id(content) == self.blob_id


@dataclass(frozen=True)
class Remote:
    """A Space as the Hub has it (`exists` False: not created yet)."""

    exists: bool
    head: str | None = None
    files: dict[str, RemoteFile] = field(default_factory=dict)
    hardware: str | None = None
    private: bool | None = None


@dataclass(frozen=True)
class FileChange:
    path: str
    kind: str  # "added", "changed" or "deleted"

    @property
    def mark(self) -> str:
        return {"added": "+", "changed": "~", "deleted": "-"}[self.kind]


@dataclass
class Plan:
    """What a deploy (or rollback) of one Space would do.

    Attributes:
        repo_id: The Space.
        remote: Its state when planned.
        files: Content of every file the Space should hold (the target tree).
        changes: Files to add, change and delete.
        create: Create the Space first.
        hardware: Hardware to request (None: leave it).
        private: Make the Space private.
        variables: Variables to set (name → value).
        secrets: Secrets to set (name → value; never printed).
        notes: Things worth telling that change nothing (e.g. a secret kept as is).
    """

    repo_id: str
    remote: Remote
    files: dict[str, bytes]
    changes: list[FileChange]
    create: bool = False
    hardware: str | None = None
    private: bool = False
    variables: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def settings(self) -> list[str]:
        """The settings that would change, in words (secret values never appear)."""
        lines = []
        if self.create:
            visibility = "private" if self.private else "public"
            lines.append(f"create the Space (gradio, {self.hardware}, {visibility})")
        else:
            if self.hardware:
                lines.append(f"hardware: {self.remote.hardware or 'none'} → {self.hardware}")
            if self.private:
                lines.append("visibility: public → private")
        lines += [f"variable {k} = {v!r}" for k, v in sorted(self.variables.items())]
        lines += [f"secret {k} (from ${k})" for k in sorted(self.secrets)]
        return lines

    @property
    def writes(self) -> bool:
        return bool(self.changes or self.create or self.hardware or self.private or self.variables or self.secrets)


def read_remote(api: Any, repo_id: str, *, revision: str | None = None, repo_type: str = "space") -> Remote:
    """The repo's files (with blob ids), head commit, and (Spaces) hardware and visibility.

    Raises:
        HubRequestError: the Hub refused or failed (a missing repo is `Remote(exists=False)`).
    """
    from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError, RevisionNotFoundError

    try:
        info = api.repo_info(repo_id, repo_type=repo_type, revision=revision, files_metadata=True)
    except RevisionNotFoundError:
        raise HubRequestError(f"{repo_id} has no revision {revision!r}: list its tags on the Hub") from None
    except RepositoryNotFoundError:
        if revision is not None:
            raise HubRequestError(f"{repo_id} does not exist (or the token cannot see it)") from None
        return Remote(exists=False)
    except HfHubHTTPError as exc:
        raise hub_failure(exc, f"reading {repo_id}") from None
    files = {
        s.rfilename: RemoteFile(blob_id=s.blob_id, sha256=s.lfs.sha256 if s.lfs else None) for s in info.siblings or []
    }
    runtime = getattr(info, "runtime", None)
    hardware = None
    if runtime is not None:
        hardware = str(runtime.requested_hardware or runtime.hardware or "") or None
    return Remote(exists=True, head=info.sha, files=files, hardware=hardware, private=info.private)


def diff(files: Mapping[str, bytes], remote: Remote) -> list[FileChange]:
    """Per-file changes that turn the remote tree into `files` (`.gitattributes` kept)."""
    changes = []
    for path, content in files.items():
        there = remote.files.get(path)
        if there is None:
            changes.append(FileChange(path, "added"))
        elif not there.holds(content):
            changes.append(FileChange(path, "changed"))
    changes += [FileChange(p, "deleted") for p in remote.files if p not in files and p not in KEEP]
    return sorted(changes, key=lambda c: c.path)


def commit(
    api: Any,
    plan: Plan,
    *,
    message: str,
    description: str,
    progress: Callable[[str], None] = lambda _: None,
) -> str | None:
    """Apply a plan: create the Space, set its settings, then commit the file changes at once.

    Returns:
        The new commit id, or None when no file changed.

    Raises:
        HubRequestError: a request failed after retries, or the Space changed under the deploy.
    """
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete
    from huggingface_hub.errors import HfHubHTTPError

    repo_id = plan.repo_id
    head = plan.remote.head
    try:
        if plan.create:
            progress("creating the Space")
            api.create_repo(
                repo_id,
                repo_type="space",
                space_sdk="gradio",
                space_hardware=plan.hardware,
                private=plan.private,
                space_secrets=[{"key": k, "value": v} for k, v in plan.secrets.items()] or None,
                space_variables=[{"key": k, "value": v} for k, v in plan.variables.items()] or None,
                exist_ok=True,
            )
            # The Hub starts every Space with its own README and .gitattributes, which the commit
            # replaces and keeps: no deletion to plan, so no need to read the new Space back.
        else:
            for key, value in plan.variables.items():
                api.add_space_variable(repo_id, key, value)
            for key, value in plan.secrets.items():
                api.add_space_secret(repo_id, key, value)
            if plan.private:
                api.update_repo_settings(repo_id, repo_type="space", private=True)
            if plan.hardware:
                progress(f"requesting {plan.hardware}")
                api.request_space_hardware(repo_id, plan.hardware)
    except HfHubHTTPError as exc:
        raise hub_failure(exc, f"setting up {repo_id}") from None
    if not plan.changes:
        return None
    operations = [
        CommitOperationDelete(c.path) if c.kind == "deleted" else CommitOperationAdd(c.path, plan.files[c.path])
        for c in plan.changes
    ]
    progress(f"committing {len(plan.changes)} file change(s)")
    try:
        return api.create_commit(
            repo_id,
            repo_type="space",
            operations=operations,
            commit_message=message,
            commit_description=description,
            parent_commit=head,
        ).oid
    except ValueError as exc:  # huggingface_hub asked the Hub about README.md first
        raise _undo_creation(api, plan, RefusedError(f"{repo_id} README.md: {rejected_front_matter(exc)}")) from None
    except HfHubHTTPError as exc:
        if getattr(exc.response, "status_code", None) != 412:
            raise _undo_creation(api, plan, hub_failure(exc, f"committing to {repo_id}")) from None
    except (OSError, httpx2.TransportError) as exc:  # the connection kept breaking
        raise _undo_creation(api, plan, hub_failure(exc, f"committing to {repo_id}")) from None
    # 412: the head moved. If it now holds our tree, an earlier try of this very commit landed
    # (its answer was lost); otherwise someone else pushed, and the deploy must be re-run.
    now = read_remote(api, repo_id)
    if diff(plan.files, now):
        raise HubRequestError(f"{repo_id} changed while deploying (new commit {now.head}): run the deploy again")
    return now.head


def rejected_front_matter(error: ValueError) -> str:
    """The Hub's reasons for rejecting a README's front matter, on one line."""
    reasons = " ".join(line.strip().lstrip("- ") for line in str(error).splitlines()[1:] if line.strip())
    return f"the Hub rejects the front matter: {reasons or error}"


def _undo_creation(api: Any, plan: Plan, error: DeployError) -> DeployError:
    """A Space this deploy created but could not fill is removed, so no half-made Space is left."""
    if not plan.create:
        return error
    try:
        api.delete_repo(plan.repo_id, repo_type="space")
    except Exception:
        return type(error)(f"{error}; the new, empty Space {plan.repo_id} is left: delete it or deploy again")
    return type(error)(f"{error}; the new Space was removed again")


def tag(api: Any, repo_id: str, name: str, *, revision: str, message: str) -> str:
    """Tag a commit of the Space; a tag that already points there counts as done.

    A tag of the same name on another commit (two deploys in the same second) is never moved:
    the new one gets a `-2`, `-3`… suffix.

    Returns:
        The tag's name.

    Raises:
        HubRequestError: the Hub failed.
    """
    from huggingface_hub.errors import HfHubHTTPError

    existing: dict[str, str] | None = None
    for attempt in range(1, 10):
        candidate = name if attempt == 1 else f"{name}-{attempt}"
        if existing is not None and candidate in existing:
            if existing[candidate] == revision:
                return candidate
            continue
        try:
            api.create_tag(repo_id, repo_type="space", tag=candidate, revision=revision, tag_message=message)
            return candidate
        except HfHubHTTPError as exc:
            if getattr(exc.response, "status_code", None) != 409:
                raise hub_failure(exc, f"tagging {repo_id}") from None
        refs = api.list_repo_refs(repo_id, repo_type="space")
        existing = {t.name: t.target_commit for t in refs.tags}
        if existing.get(candidate) == revision:
            return candidate
    raise HubRequestError(f"{repo_id} already has tags {name} to {name}-9 on other commits: deploy again later")


def rollback_files(api: Any, repo_id: str, tag_name: str) -> dict[str, bytes]:
    """The Space's files at `tag_name`.

    Raises:
        DeployError: no such tag, or the Hub failed.
    """
    from huggingface_hub.errors import HfHubHTTPError

    remote = read_remote(api, repo_id, revision=tag_name)
    files = {}
    with tempfile.TemporaryDirectory(prefix="rollback-") as folder:
        for path in remote.files:
            if path in KEEP:
                continue
            try:
                local = api.hf_hub_download(
                    repo_id, path, repo_type="space", revision=remote.head, cache_dir=Path(folder) / "cache"
                )
            except HfHubHTTPError as exc:
                raise hub_failure(exc, f"reading {path} of {repo_id} at {tag_name}") from None
            files[path] = Path(local).read_bytes()
    if not files:
        raise DeployError(f"{repo_id} at {tag_name} holds no files: pick another tag")
    return files
