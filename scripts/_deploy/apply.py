"""Write a plan to the Hub, in an order that a stopped deploy can always finish: create the Space
(never taking over one made meanwhile), one commit naming its parent, the settings, the tag."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from scripts._deploy.errors import RefusedError
from scripts._deploy.plan import Plan
from scripts.hub_client import (
    FrontMatterRejectedError,
    HubRequestError,
    ParentMovedError,
    commit_changes,
    diff,
    hub_failure,
    read_remote,
    tag_commit,
)

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Applied:
    """What applying a plan did.

    Attributes:
        commit: The Space's commit now (the new one, or its head when no file changed).
        tag: The deploy tag given: the new commit's, else the one an earlier deploy left unset
            (None: no tag was given).
        status: `created`, `updated`, `rolled back`, `completed` or `unchanged`.
    """

    commit: str | None
    tag: str | None
    status: str


def apply_plan(
    api: Any,
    plan: Plan,
    *,
    message: str,
    description: str,
    tag: str,
    rollback: bool = False,
    progress: Progress = lambda _: None,
    committed: Callable[[str | None], None] = lambda _: None,
) -> Applied:
    """Files first, then settings, then the tag: a deploy that stops half-way leaves an untagged
    commit that names its tag (`description` says it), which the next run recognises and finishes.
    `committed` hears the Space's commit as soon as the files are in, before settings and tag.

    Raises:
        HubRequestError: a write failed; the message says what is already done and what to do.
        RefusedError: the Hub rejected the README's front matter (nothing was written).
    """
    new = _commit(api, plan, message=message, description=description, progress=progress)
    commit = new or plan.remote.head
    committed(commit)
    short = (commit or "")[:7]
    try:
        _apply_settings(api, plan, progress=progress)
    except HubRequestError as exc:
        raise HubRequestError(f"{exc}; the files are committed ({short}): run the deploy again to finish") from None
    given = None
    try:
        if plan.unfinished_tag and plan.remote.head:
            progress(f"tagging {plan.remote.head[:7]} {plan.unfinished_tag} (an earlier deploy stopped before it)")
            given = tag_commit(api, plan.repo_id, plan.unfinished_tag, repo_type="space",
                               revision=plan.remote.head, message=message)  # fmt: skip
        if new:
            progress(f"tagging {short}")
            given = tag_commit(api, plan.repo_id, tag, repo_type="space", revision=new, message=message)
    except HubRequestError as exc:
        raise HubRequestError(f"{exc}; {short} is committed but untagged: run the deploy again to tag it") from None
    if new:
        status = "created" if plan.create else ("rolled back" if rollback else "updated")
    elif plan.unfinished_tag:
        status = "completed"
    else:
        status = "created" if plan.create else ("updated" if plan.writes else "unchanged")
    return Applied(commit=commit, tag=given, status=status)


def _commit(api: Any, plan: Plan, *, message: str, description: str, progress: Progress) -> str | None:
    """Create the Space if the plan says so, then commit the file changes at once.

    A new Space is created with its settings (`exist_ok=False`: a Space created by someone else
    meanwhile is never taken over) and its first commit names the Hub's initial commit as its
    parent, so a concurrent writer is refused (412), never overwritten. Settings of an existing
    Space are applied afterwards, except visibility: a Space is made private before new files
    reach it.

    Returns:
        The new commit id, or None when no file changed.
    """
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
    progress(f"committing {len(plan.changes)} file change(s)")
    try:
        return commit_changes(
            api, repo_id, repo_type="space", files=plan.files, changes=plan.changes, parent=head,
            message=message, description=description,
        )  # fmt: skip
    except ParentMovedError:
        return _landed_or_moved(api, plan)
    except FrontMatterRejectedError as exc:
        failure: Exception = RefusedError(str(exc))
    except HubRequestError as exc:
        failure = exc
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
    return read_remote(api, plan.repo_id, repo_type="space").head


def _landed_or_moved(api: Any, plan: Plan) -> str:
    """After a 412 the head has moved: either an earlier try of this very commit landed (its
    answer was lost) and the Space holds the bundle, or someone else pushed."""
    now = read_remote(api, plan.repo_id, repo_type="space")
    if diff(plan.files, now):
        raise HubRequestError(
            f"{plan.repo_id} changed while deploying (new commit {now.head}): nothing was overwritten; "
            f"run the deploy again"
        )
    return str(now.head)


def _apply_settings(api: Any, plan: Plan, *, progress: Callable[[str], None] = lambda _: None) -> None:
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


def _undo_creation(api: Any, plan: Plan, first: str | None, error: Exception) -> Exception:
    """Remove a Space this deploy created but could not fill, so no half-made Space is left; but
    only while it holds nothing but the Hub's first commit (someone else may have pushed since)."""
    try:
        now = read_remote(api, plan.repo_id, repo_type="space")
        if now.exists and now.head != first:
            return type(error)(f"{error}; the new Space {plan.repo_id} was left as it is: someone else committed to it")
        api.delete_repo(plan.repo_id, repo_type="space", missing_ok=True)
    except Exception:
        return type(error)(f"{error}; the new, empty Space {plan.repo_id} is left: delete it or deploy again")
    return type(error)(f"{error}; the new Space was removed again")
