"""Preview Spaces: a pull request's version of the demos it changes, each in a Space of its own.

The scheme: the preview `NAME` (for a pull request, `pr-<number>`) of demo `D` lives in
`<namespace>/D-preview-NAME`, runs on `cpu-basic` (ZeroGPU Spaces are limited per account, and
previews would use up that limit) and carries the Space variable `SUITE_PREVIEW=NAME`. Only a
Space with both the name and the variable is a preview: nothing else is ever deleted here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from shared.catalog import MAX_PREVIEW_NAME, PREVIEW_ENV, PREVIEW_NAME

from scripts._deploy.errors import DeployError
from scripts._deploy.platform import CPU_BASIC
from scripts.hub_client import HubRequestError, hub_failure

PREVIEW_HARDWARE = CPU_BASIC
PREVIEW_INFIX = "-preview-"
# The first line of a preview report: the pull request's comment that holds it is found by it.
REPORT_MARKER = "<!-- scripts/deploy.py preview report -->"
_AGE = re.compile(r"^(\d{1,5})([dhm])$")
_AGE_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


@dataclass(frozen=True)
class Preview:
    """A preview Space found on the Hub.

    Attributes:
        repo_id: The Space.
        name: The preview it belongs to (its `SUITE_PREVIEW` variable).
        last_deployed: When its files last changed (UTC).
    """

    repo_id: str
    name: str
    last_deployed: dt.datetime | None


@dataclass
class Removal:
    """What `--delete-preview` or `--prune-previews` did to one preview Space.

    Attributes:
        repo_id: The Space.
        name: Its preview name.
        reason: Why it goes (`pull request closed`, `last deployed 9 days ago`, …).
        status: `deleted`, `would delete` (dry run) or `failed`.
        error: The one-line reason of a failure.
    """

    repo_id: str
    name: str
    reason: str
    status: str = "would delete"
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status != "failed"


def check_preview_name(name: str) -> str:
    """The preview name, checked: it becomes part of Space names.

    Raises:
        DeployError: it is not lowercase words joined by single hyphens, at most 32 characters.
    """
    if not PREVIEW_NAME.match(name or "") or len(name) > MAX_PREVIEW_NAME:
        raise DeployError(
            f"{name!r} is not a preview name: use lowercase letters, digits and single hyphens, "
            f"at most {MAX_PREVIEW_NAME} characters (e.g. pr-42)"
        )
    return name


def preview_space(demo: str, preview: str) -> str:
    """The name (without namespace) of demo `demo`'s Space in preview `preview`."""
    return f"{demo}{PREVIEW_INFIX}{preview}"


def parse_age(text: str) -> dt.timedelta:
    """`7d`, `36h` or `90m` as a duration.

    Raises:
        DeployError: anything else.
    """
    found = _AGE.match(text.strip())
    if not found or int(found.group(1)) == 0:
        raise DeployError(f"{text!r} is not an age: write a whole number and d, h or m (e.g. 7d)")
    return dt.timedelta(**{_AGE_UNITS[found.group(2)]: int(found.group(1))})


def preview_of(api: Any, repo_id: str) -> str | None:
    """The preview a Space belongs to: its `SUITE_PREVIEW` variable when its name ends in
    `-preview-<that value>`, else None (not a preview, or no such Space).

    Raises:
        HubRequestError: the Hub failed.
    """
    from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

    try:
        variables = api.get_space_variables(repo_id)
    except RepositoryNotFoundError:
        return None
    except HfHubHTTPError as exc:
        raise hub_failure(exc, f"reading the variables of {repo_id}") from None
    name = getattr(variables.get(PREVIEW_ENV), "value", None)
    if not name or not repo_id.endswith(PREVIEW_INFIX + name):
        return None
    return name


def find_previews(api: Any, namespace: str) -> list[Preview]:
    """Every preview Space of the namespace, by name.

    Raises:
        HubRequestError: the Hub failed.
    """
    from huggingface_hub.errors import HfHubHTTPError

    try:
        candidates = list(api.list_spaces(author=namespace, search=PREVIEW_INFIX))
    except HfHubHTTPError as exc:
        raise hub_failure(exc, f"listing the Spaces of {namespace}") from None
    found = []
    for space in candidates:
        if PREVIEW_INFIX not in space.id.partition("/")[2]:
            continue
        name = preview_of(api, space.id)
        if name:
            found.append(Preview(repo_id=space.id, name=name, last_deployed=space.last_modified))
    return sorted(found, key=lambda p: p.repo_id)


def stale_previews(
    previews: Iterable[Preview],
    *,
    keep: Sequence[str] | None,
    older_than: dt.timedelta | None,
    now: dt.datetime,
) -> list[Removal]:
    """The previews to prune: those not in `keep` (the open pull requests' previews; None: do not
    judge by name) and those last deployed longer than `older_than` ago."""
    removals = []
    for preview in previews:
        if keep is not None and preview.name not in keep:
            removals.append(Removal(preview.repo_id, preview.name, "its pull request is closed"))
        elif older_than is not None and preview.last_deployed and now - preview.last_deployed > older_than:
            days = (now - preview.last_deployed).total_seconds() / 86400
            removals.append(Removal(preview.repo_id, preview.name, f"last deployed {days:.1f} days ago"))
    return removals


def remove(api: Any, removals: Iterable[Removal], *, dry_run: bool) -> list[Removal]:
    """Delete each preview Space (one failing does not stop the others), checking again just
    before that it is a preview."""
    from huggingface_hub.errors import HfHubHTTPError

    done = []
    for removal in removals:
        if not dry_run:
            try:
                if preview_of(api, removal.repo_id) != removal.name:
                    raise HubRequestError(f"{removal.repo_id} is no longer preview {removal.name}: it was left alone")
                api.delete_repo(removal.repo_id, repo_type="space", missing_ok=True)
                removal.status = "deleted"
            except HfHubHTTPError as exc:
                removal.status, removal.error = "failed", str(hub_failure(exc, f"deleting {removal.repo_id}"))
            except HubRequestError as exc:
                removal.status, removal.error = "failed", str(exc)
        done.append(removal)
    return done
