"""Make a Space repo hold exactly a bundle: plan (a per-file diff and the settings that change),
then apply it as settings calls and one atomic commit, tagged.

The plan needs one request: the Space's file list with blob ids (`space_info(files_metadata=True)`),
compared with the bundle's git blob ids (or sha256 for LFS files). An unchanged Space gets no
commit. The commit names its parent, so a Space changed by someone else meanwhile is refused by
the Hub (HTTP 412) rather than overwritten.
"""

from __future__ import annotations

import hashlib
import re
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
# Every deploy commit names the tag it is to get, so that a run that stopped before tagging (or
# before its settings were applied) is recognised and completed by the next one.
TAG_NOTE = "tagged {tag}."
_TAG_NOTE = re.compile(r"\btagged (deploy-[A-Za-z0-9._-]+?)\.(?:\s|$)")


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
    repo_id: str = ""
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
        unfinished_tag: The tag an earlier deploy meant to give the Space's head and never did
            (it stopped after its commit): this run tags it and applies the settings again.
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
    unfinished_tag: str | None = None

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
        if self.unfinished_tag:
            lines.append(f"finish the earlier deploy of {(self.remote.head or '')[:7]}: tag it {self.unfinished_tag}")
        return lines

    @property
    def writes(self) -> bool:
        return bool(
            self.changes
            or self.create
            or self.hardware
            or self.private
            or self.variables
            or self.secrets
            or self.unfinished_tag
        )


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
    """Create the Space if the plan says so, then commit the file changes at once.

    A new Space is created with its settings (`exist_ok=False`: a Space created by someone else
    meanwhile is never taken over) and its first commit names the Hub's initial commit as its
    parent, so a concurrent writer is refused (412), never overwritten. Settings of an existing
    Space are applied afterwards by `apply_settings`, except visibility: a Space is made private
    before new files reach it.

    Returns:
        The new commit id, or None when no file changed.

    Raises:
        HubRequestError: a request failed after retries, or someone else created or changed the
            Space during the deploy (the message says what to do).
        RefusedError: the Hub rejected the README's front matter.
    """
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete
    from huggingface_hub.errors import HfHubHTTPError

    repo_id = plan.repo_id
    head = plan.remote.head
    try:
        if plan.create:
            progress("creating the Space")
            head = _create(api, plan)
        elif plan.private:
            api.update_repo_settings(repo_id, repo_type="space", private=True)
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
        failure: DeployError = RefusedError(f"{repo_id} README.md: {rejected_front_matter(exc)}")
    except HfHubHTTPError as exc:
        if getattr(exc.response, "status_code", None) == 412:
            return _landed_or_moved(api, plan)
        failure = hub_failure(exc, f"committing to {repo_id}")
    except (OSError, httpx2.TransportError) as exc:  # the connection kept breaking
        failure = hub_failure(exc, f"committing to {repo_id}")
    if plan.create:
        failure = _undo_creation(api, plan, head, failure)
    raise failure from None


def _create(api: Any, plan: Plan) -> str | None:
    """Create the Space with its settings; return its first commit (the Hub's README)."""
    from huggingface_hub.errors import HfHubHTTPError

    try:
        api.create_repo(
            plan.repo_id,
            repo_type="space",
            space_sdk="gradio",
            space_hardware=plan.hardware,
            private=plan.private,
            space_secrets=[{"key": k, "value": v} for k, v in plan.secrets.items()] or None,
            space_variables=[{"key": k, "value": v} for k, v in plan.variables.items()] or None,
            exist_ok=False,
        )
    except HfHubHTTPError as exc:
        if getattr(exc.response, "status_code", None) != 409:
            raise
        raise HubRequestError(
            f"{plan.repo_id} was created by someone else while this deploy planned it (nothing was written): "
            f"run the deploy again"
        ) from None
    return read_remote(api, plan.repo_id).head


def _landed_or_moved(api: Any, plan: Plan) -> str:
    """After a 412 the head has moved: either an earlier try of this very commit landed (its
    answer was lost) and the Space holds the bundle, or someone else pushed."""
    now = read_remote(api, plan.repo_id)
    if diff(plan.files, now):
        raise HubRequestError(
            f"{plan.repo_id} changed while deploying (new commit {now.head}): nothing was overwritten; "
            f"run the deploy again"
        )
    return str(now.head)


def apply_settings(api: Any, plan: Plan, *, progress: Callable[[str], None] = lambda _: None) -> None:
    """Set what changed in an existing Space's settings (after its files: a refused commit leaves
    the settings as they were). A new Space got its settings when it was created.

    Raises:
        HubRequestError: a setting could not be applied; the message names which.
    """
    from huggingface_hub.errors import HfHubHTTPError

    if plan.create:
        return
    repo_id = plan.repo_id
    steps: list[tuple[str, Callable[[], Any]]] = []
    steps += [
        (f"variable {k}", lambda k=k, v=v: api.add_space_variable(repo_id, k, v)) for k, v in plan.variables.items()
    ]
    steps += [(f"secret {k}", lambda k=k, v=v: api.add_space_secret(repo_id, k, v)) for k, v in plan.secrets.items()]
    if plan.hardware:
        steps.append((f"hardware {plan.hardware}", lambda: api.request_space_hardware(repo_id, plan.hardware)))
    for what, step in steps:
        progress(f"setting {what}")
        try:
            step()
        except HfHubHTTPError as exc:
            raise hub_failure(exc, f"setting {what} of {repo_id}") from None


def rejected_front_matter(error: ValueError) -> str:
    """The Hub's reasons for rejecting a README's front matter, on one line."""
    reasons = " ".join(line.strip().lstrip("- ") for line in str(error).splitlines()[1:] if line.strip())
    return f"the Hub rejects the front matter: {reasons or error}"


def _undo_creation(api: Any, plan: Plan, first: str | None, error: DeployError) -> DeployError:
    """Remove a Space this deploy created but could not fill, so no half-made Space is left; but
    only while it holds nothing but the Hub's first commit (someone else may have pushed since)."""
    try:
        now = read_remote(api, plan.repo_id)
        if now.exists and now.head != first:
            return type(error)(f"{error}; the new Space {plan.repo_id} was left as it is: someone else committed to it")
        api.delete_repo(plan.repo_id, repo_type="space", missing_ok=True)
    except Exception:
        return type(error)(f"{error}; the new, empty Space {plan.repo_id} is left: delete it or deploy again")
    return type(error)(f"{error}; the new Space was removed again")


def unfinished_tag(api: Any, remote: Remote) -> str | None:
    """The tag a deploy commit at the Space's head was to get, when it has none (the deploy that
    made it stopped before tagging it); None when the head is tagged or is not a deploy commit.

    Raises:
        HubRequestError: the Hub failed.
    """
    from huggingface_hub.errors import HfHubHTTPError

    if not remote.exists or remote.head is None:
        return None
    repo_id = remote.repo_id
    try:
        if any(t.target_commit == remote.head for t in api.list_repo_refs(repo_id, repo_type="space").tags):
            return None
        # Only when the head is untagged (rare: a failed or interrupted deploy, or someone else's push).
        head = api.list_repo_commits(repo_id, repo_type="space", revision=remote.head)[0]
    except HfHubHTTPError as exc:
        raise hub_failure(exc, f"reading the tags of {repo_id}") from None
    found = _TAG_NOTE.search(head.message or "")
    return found.group(1) if found else None


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
