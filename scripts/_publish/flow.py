"""The publish flow every artifact goes through: build into a folder, diff against the repo's head,
one commit, a new semantic-version tag, the pin written into the registry.

Identical content makes no commit and no tag; a tag is never moved; `dry_run` only reports.
"""

from __future__ import annotations

import functools
import re
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2

from scripts._publish.errors import PublishError
from scripts._publish.registry_file import write_pin
from scripts.hub_client import (
    FileChange,
    HubRequestError,
    RevisionNotFoundError,
    commit_changes,
    diff,
    hub_failure,
    read_remote,
    retrying_requests,
    tags_of,
)

SEMVER = re.compile(r"^v(\d+)\.(\d+)\.(\d+)$")
BUMPS = ("major", "minor", "patch")
FIRST_VERSION = "v1.0.0"


@dataclass
class Published:
    """How publishing one artifact ended.

    Attributes:
        name: The registry entry.
        repo_id: The repo it went to.
        repo_type: `model` or `dataset`.
        status: `published`, `unchanged`, `would publish` or `would not change`.
        commit: The repo's commit holding the artifact (None: nothing published yet, dry run).
        tag: Its version tag (the new one, or the one already on that commit).
        changes: Files added, changed and deleted.
        registry_changed: Whether the registry's pin changed (or would).
        summary: What the build reported (e.g. the accuracy).
        candidate: Pinned as the entry's candidate, not as its revision.
    """

    name: str
    repo_id: str
    repo_type: str
    status: str
    commit: str | None = None
    tag: str | None = None
    changes: list[FileChange] = field(default_factory=list)
    registry_changed: bool = False
    summary: str = ""
    candidate: bool = False


def next_version(tags: Iterable[str], bump: str) -> str:
    """The version after the highest `vX.Y.Z` of `tags` (`v1.0.0` when there is none)."""
    if bump not in BUMPS:
        raise ValueError(f"bump must be one of {', '.join(BUMPS)}, not {bump!r}")
    versions = [tuple(map(int, m.groups())) for m in map(SEMVER.match, tags) if m]
    if not versions:
        return FIRST_VERSION
    major, minor, patch = max(versions)
    if bump == "major":
        return f"v{major + 1}.0.0"
    if bump == "minor":
        return f"v{major}.{minor + 1}.0"
    return f"v{major}.{minor}.{patch + 1}"


def publish(
    name: str,
    build: Callable[[Path], str],
    *,
    api: Any,
    repo_id: str,
    repo_type: str,
    registry_file: Path,
    bump: str = "minor",
    dry_run: bool = False,
    candidate: bool = False,
) -> Published:
    """Build an artifact and publish it as the whole content of `repo_id`, in one commit.

    Args:
        name: The registry entry that pins it.
        build: Writes the artifact's files into the folder it is given; returns a one-line summary.
        api: An `HfApi` with a write token.
        repo_id: Where it goes.
        repo_type: `model` or `dataset`.
        registry_file: The registry to write the new pin into.
        bump: Which part of the version grows when the content changed.
        dry_run: Build and compare only; write nothing.
        candidate: Pin it as the entry's candidate (the version the Compare tab shows beside the
            pinned one), not as its revision.

    Returns:
        What happened.

    Raises:
        PublishError: the build, the Hub or the registry failed (one line), or a candidate is the
            pinned revision itself.
    """
    with tempfile.TemporaryDirectory(prefix=f"publish-{name}-") as scratch:
        folder = Path(scratch)
        summary = build(folder)
        files = {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
    try:
        with retrying_requests():
            return _publish(name, files, summary, api=api, repo_id=repo_id, repo_type=repo_type,
                            registry_file=registry_file, bump=bump, dry_run=dry_run, candidate=candidate)  # fmt: skip
    except HubRequestError as exc:
        raise PublishError(str(exc)) from None
    except (OSError, httpx2.TransportError) as exc:
        raise PublishError(str(hub_failure(exc, f"publishing {repo_id}"))) from None


def _publish(name: str, files: dict[str, bytes], summary: str, *, api: Any, repo_id: str, repo_type: str,
             registry_file: Path, bump: str, dry_run: bool, candidate: bool) -> Published:  # fmt: skip
    from shared.registry import load_registry

    from huggingface_hub.errors import HfHubHTTPError

    pinned = load_registry(registry_file)[name]
    if candidate and not pinned.published:
        raise PublishError(f"{name} has no pinned revision to compare a candidate with: publish it first")
    remote = read_remote(api, repo_id, repo_type=repo_type)
    changes = diff(files, remote)
    tags = tags_of(api, repo_id, repo_type=repo_type) if remote.exists else {}

    @functools.cache  # one read per commit: the pinned revision is asked about twice for a candidate
    def holds_the_build(commit: str) -> bool:
        if commit == remote.head:
            return not changes
        try:
            return not diff(files, read_remote(api, repo_id, repo_type=repo_type, revision=commit))
        except RevisionNotFoundError:  # a pin of another Hub: it holds nothing here
            return False

    if candidate and pinned.repo_id == repo_id and holds_the_build(pinned.revision):
        raise PublishError(
            f"{name}: the build is identical to the pinned revision {pinned.revision[:12]}, so there is nothing to "
            "compare: change what it is built from (for the digits model, --train-seed) and publish again"
        )
    result = Published(name, repo_id, repo_type, status="", changes=changes, summary=summary, candidate=candidate)
    # The same content published before (the head, what the registry pins, a version): no new commit.
    known = [remote.head, *_commits_of(pinned, repo_id), *(c for _, c in sorted(tags.items(), key=_newest_first))]
    same = next((c for c in dict.fromkeys(known) if c and holds_the_build(c)), None) if remote.exists else None
    if same is not None:
        result.status = "would not change" if dry_run else "unchanged"
        result.commit, result.changes = same, []
        result.tag = max((t for t, c in tags.items() if c == same and SEMVER.match(t)), key=_version, default=None)
    else:
        result.status = "would publish" if dry_run else "published"
        result.tag = next_version(tags, bump)  # above every existing version: no tag ever moves
    was = pinned.candidate if candidate else f"{pinned.repo_id}@{pinned.revision}"
    if dry_run:
        result.registry_changed = result.commit is None or was != f"{repo_id}@{result.commit}"
        return result
    if result.status == "published":
        message = f"Publish {name} {result.tag}" + (f": {summary}" if summary else "")
        try:
            api.create_repo(repo_id, repo_type=repo_type, exist_ok=True)
        except HfHubHTTPError as exc:
            raise hub_failure(exc, f"publishing {repo_id}") from None
        result.commit = commit_changes(
            api, repo_id, repo_type=repo_type, files=files, changes=changes, parent=remote.head, message=message
        )
        try:  # a new version: never an existing tag (next_version is above them all)
            api.create_tag(repo_id, repo_type=repo_type, tag=result.tag, revision=result.commit, tag_message=message)
        except HfHubHTTPError as exc:
            raise hub_failure(exc, f"tagging {repo_id} {result.tag}") from None
    result.registry_changed = write_pin(
        registry_file, name, repo_id=repo_id, revision=result.commit or "", candidate=candidate
    )
    return result


def _commits_of(pinned: Any, repo_id: str) -> list[str]:
    """The commits of `repo_id` the registry entry pins (its revision, its candidate)."""
    pins = [pinned] if pinned.published else []
    pins += [pinned.as_candidate()] if pinned.candidate else []
    return [p.revision for p in pins if p.repo_id == repo_id]


def _newest_first(tag_and_commit: tuple[str, str]) -> tuple[int, ...]:
    tag = tag_and_commit[0]
    return tuple(-part for part in _version(tag)) if SEMVER.match(tag) else (1,)


def _version(tag: str) -> tuple[int, ...]:
    return tuple(map(int, SEMVER.match(tag).groups()))  # type: ignore[union-attr]
