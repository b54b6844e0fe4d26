"""The publish flow every artifact goes through: build into a folder, diff against the repo's head,
one commit, a new semantic-version tag, the pin written into the registry.

Identical content makes no commit and no tag; a tag is never moved; `dry_run` only reports.
"""

from __future__ import annotations

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

    Returns:
        What happened.

    Raises:
        PublishError: the build, the Hub or the registry failed (one line).
    """
    with tempfile.TemporaryDirectory(prefix=f"publish-{name}-") as scratch:
        folder = Path(scratch)
        summary = build(folder)
        files = {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
    try:
        with retrying_requests():
            return _publish(name, files, summary, api=api, repo_id=repo_id, repo_type=repo_type,
                            registry_file=registry_file, bump=bump, dry_run=dry_run)  # fmt: skip
    except HubRequestError as exc:
        raise PublishError(str(exc)) from None
    except (OSError, httpx2.TransportError) as exc:
        raise PublishError(str(hub_failure(exc, f"publishing {repo_id}"))) from None


def _publish(name: str, files: dict[str, bytes], summary: str, *, api: Any, repo_id: str, repo_type: str,
             registry_file: Path, bump: str, dry_run: bool) -> Published:  # fmt: skip
    from huggingface_hub.errors import HfHubHTTPError

    remote = read_remote(api, repo_id, repo_type=repo_type)
    changes = diff(files, remote)
    tags = tags_of(api, repo_id, repo_type=repo_type) if remote.exists else {}
    result = Published(name, repo_id, repo_type, status="", changes=changes, summary=summary)
    if remote.exists and not changes:
        result.status = "would not change" if dry_run else "unchanged"
        result.commit = remote.head
        result.tag = max(
            (t for t, c in tags.items() if c == remote.head and SEMVER.match(t)), key=_version, default=None
        )
    else:
        result.status = "would publish" if dry_run else "published"
        result.tag = next_version(tags, bump)  # above every existing version: no tag ever moves
    if dry_run:
        from shared.registry import load_registry

        pinned = load_registry(registry_file)[name]
        result.registry_changed = result.commit is None or (pinned.repo_id, pinned.revision) != (repo_id, result.commit)
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
    result.registry_changed = write_pin(registry_file, name, repo_id=repo_id, revision=result.commit or "")
    return result


def _version(tag: str) -> tuple[int, ...]:
    return tuple(map(int, SEMVER.match(tag).groups()))  # type: ignore[union-attr]
