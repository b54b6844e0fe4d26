"""Fetching pinned artifacts: cache first, the Hub only for what is missing.

With every file of an entry already in the Hub cache at the pinned commit, `fetch` sends no
request at all (the client alone would still ask the Hub about the commit). Whatever fails is
turned into one line that names the repo, the revision and what to do.
"""

from __future__ import annotations

import os
from pathlib import Path

from shared.errors import (
    ArtifactNotFoundError,
    HubAccessError,
    HubUnreachableError,
    NotPublishedError,
    SuiteError,
    UnsafeArtifactError,
)
from shared.registry import Entry, get_registry

import yaml

# Cards are fetched with every entry: they say whether the weights are a stand-in.
CARD = "README.md"
STAND_IN_TAG = "stand-in"
# A model's weights: what a tokenizer or config alone does not need (a served model's Space).
WEIGHTS_SUFFIX = ".safetensors"

# The suite has no use for download counting (datasets pings S3 to do it).
os.environ.setdefault("HF_UPDATE_DOWNLOAD_COUNTS", "0")


def entry(name: str) -> Entry:
    """The registry entry called `name`.

    Raises:
        UnknownNameError: no such name.
        RegistryError: the registry file is broken.
    """
    return get_registry()[name]


def versions(name: str) -> list[str]:
    """The registry names of an entry's versions: `name`, and `<name>@candidate` when it has a
    candidate (the Compare tab shows both).

    Raises:
        UnknownNameError: no such name.
    """
    return get_registry().versions(name)


def fetch(name: str, *, weights: bool = True) -> Path:
    """Make sure the files of a registry entry are in the Hub cache; return their folder.

    The folder is the cache's snapshot of the pinned commit: `files` of the entry are in it
    (and the repo card, when the repo has one).

    Args:
        name: Logical name in the registry.
        weights: Also the `.safetensors` files (False: the config and tokenizer files only, what
            a model answered by an inference server needs here).

    Returns:
        The snapshot folder.

    Raises:
        HubUnreachableError: files are missing from the cache and the Hub cannot be reached.
        HubAccessError: the Hub refused the token (or the lack of one).
        ArtifactNotFoundError: the repo, the revision or a file does not exist.
        UnsafeArtifactError: the repo has no safetensors weights at that revision.
        NotPublishedError: one of our own artifacts that nobody has published yet.
    """
    pinned = entry(name)
    if not pinned.published:
        raise NotPublishedError(pinned.not_published())
    folder: Path | None = None
    wanted = [f for f in pinned.files if weights or not f.endswith(WEIGHTS_SUFFIX)] or list(pinned.files)
    for filename in (*wanted, CARD):
        path = _cached(pinned, filename)
        if path is None:
            path = _download(pinned, filename)
        if path is not None and filename != CARD:
            folder = Path(path).parent
            for _ in Path(filename).parts[1:]:
                folder = folder.parent
    assert folder is not None  # every entry has files
    return folder


def is_stand_in(name: str) -> bool:
    """Whether the card of an entry says it is a stand-in (sandbox weights or data).

    Reads the cached card; an entry never fetched gets its card fetched (only the card, once).
    Without a card, or when the Hub cannot be asked, the entry counts as genuine.
    """
    pinned = entry(name)
    try:
        path = _cached(pinned, CARD)
        if path is None:
            path = _download(pinned, CARD)
    except SuiteError:
        return False
    return bool(path) and card_is_stand_in(Path(path).read_text(encoding="utf-8", errors="replace"))


def card_is_stand_in(card: str) -> bool:
    """Whether a repo card's front matter carries the stand-in tag."""
    if not card.startswith("---"):
        return False
    try:
        meta = yaml.safe_load(card.split("---", 2)[1]) or {}
    except yaml.YAMLError:
        return False
    tags = (meta.get("tags") or []) if isinstance(meta, dict) else []
    return STAND_IN_TAG in tags


def hub_link(name: str) -> str:
    """The URL of an entry's files on the Hub in use, at the pinned revision."""
    from huggingface_hub import constants

    pinned = entry(name)
    prefix = "datasets/" if pinned.repo_type == "dataset" else ""
    return f"{constants.ENDPOINT.rstrip('/')}/{prefix}{pinned.repo_id}/tree/{pinned.revision}"


def _cached(pinned: Entry, filename: str) -> str | None:
    """The cached path of a file, "" if the cache knows the file does not exist, None if unknown."""
    from huggingface_hub import try_to_load_from_cache
    from huggingface_hub.file_download import _CACHED_NO_EXIST

    found = try_to_load_from_cache(pinned.repo_id, filename, revision=pinned.revision, repo_type=pinned.repo_type)
    if found is _CACHED_NO_EXIST:
        if filename == CARD:
            return ""
        raise _missing_file(pinned, filename)
    return found if isinstance(found, str) else None


def _download(pinned: Entry, filename: str) -> str | None:
    from huggingface_hub import constants, hf_hub_download
    from huggingface_hub import errors as hub_errors

    what = f"{pinned.name} ({pinned.repo_type} {pinned.repo_id} at {pinned.revision})"
    try:
        return hf_hub_download(pinned.repo_id, filename, revision=pinned.revision, repo_type=pinned.repo_type)
    except hub_errors.GatedRepoError:
        raise HubAccessError(
            f"{what} is gated: accept its terms on the Hub, then set HF_TOKEN to a token of that account"
        ) from None
    except hub_errors.RepositoryNotFoundError:
        raise HubAccessError(
            f"{what}: the Hub knows no such repo for this token; check the repo id in the registry, "
            "or set HF_TOKEN to a token that can read it if it is private"
        ) from None
    except hub_errors.RevisionNotFoundError:
        raise ArtifactNotFoundError(
            f"{what}: the repo has no such commit; fix the pin in the registry (see README, 'Bumping a pin')"
        ) from None
    except hub_errors.LocalEntryNotFoundError:  # before EntryNotFoundError, its base class
        if constants.HF_HUB_OFFLINE:
            raise HubUnreachableError(
                f"{what} is not in the cache and HF_HUB_OFFLINE=1 forbids downloading it: "
                "unset HF_HUB_OFFLINE while online once, or use the offline Hub (README, 'Offline')"
            ) from None
        raise HubUnreachableError(
            f"{what} is not in the cache and the Hub at {constants.ENDPOINT} cannot be reached: "
            "connect to the network, or start the offline Hub and point HF_ENDPOINT at it (README, 'Offline')"
        ) from None
    except (hub_errors.EntryNotFoundError, hub_errors.RemoteEntryNotFoundError):
        if filename == CARD:
            return None
        raise _missing_file(pinned, filename) from None
    except hub_errors.HfHubHTTPError as exc:
        status = exc.response.status_code if exc.response is not None else None
        if status in (401, 403):
            raise HubAccessError(
                f"{what}: the Hub refused the token (HTTP {status}); set HF_TOKEN to a valid token with read access"
            ) from None
        raise HubUnreachableError(
            f"{what}: the Hub at {constants.ENDPOINT} failed (HTTP {status}); try again later"
        ) from None
    except OSError as exc:
        raise HubUnreachableError(f"{what}: cannot download {filename} ({exc}); try again later") from None


def _missing_file(pinned: Entry, filename: str) -> SuiteError:
    where = f"{pinned.repo_type} {pinned.repo_id} at {pinned.revision}"
    if filename.endswith(".safetensors"):
        return UnsafeArtifactError(
            f"{pinned.name}: {where} has no {filename}; the suite loads safetensors weights only: "
            "pin a revision that has them"
        )
    return ArtifactNotFoundError(f"{pinned.name}: {where} has no file {filename}; fix 'files' in the registry")
