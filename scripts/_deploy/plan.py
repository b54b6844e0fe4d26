"""What a deploy (or rollback) of one Space would do: the per-file diff against the Space's head,
the settings that change, and an earlier deploy to finish. Reading only: `apply` writes it."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.catalog import CARD_FILE, PREVIEW_ENV, SpaceSource
from shared.errors import SpaceConfigError
from shared.feedback_log import KEEPS_FILES_ENV as FEEDBACK_KEEPS_FILES_ENV
from shared.feedback_log import REPO_ENV as FEEDBACK_REPO_ENV
from shared.feedback_log import TOKEN_ENV as FEEDBACK_TOKEN_ENV
from shared.feedback_log import VERSION_ENV
from shared.serving import server_concurrency, server_concurrency_env, server_env, server_token_env

from scripts._deploy.bundle import Bundle
from scripts._deploy.errors import DeployError, RefusedError
from scripts._deploy.secrets import check_bundle, check_variables
from scripts.hub_client import (
    FileChange,
    Remote,
    diff,
    files_at,
    hub_failure,
    read_remote,
    rejected_front_matter,
    tags_of,
)

# Every deploy commit names the tag it is to get, so that a run that stopped before tagging (or
# before its settings were applied) is recognised and completed by the next one.
TAG_NOTE = "tagged {tag}."
# A deploy that passed its smoke tests gets this tag beside its deploy tag: the rollback targets.
PASSED_PREFIX = "passed-"
_TAG_NOTE = re.compile(r"\btagged (deploy-[A-Za-z0-9._-]+?)\.(?:\s|$)")


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


def plan_deploy(
    api: Any,
    bundle: Bundle,
    repo_id: str,
    *,
    private: bool,
    sync_secrets: bool,
    environ: Mapping[str, str],
    forbidden: Sequence[str],
    dry_run: bool,
    feedback_repo: str | None = None,
    app_version: str | None = None,
    preview: str | None = None,
) -> Plan:
    """The plan that makes `repo_id` hold `bundle`, with the demo's settings.

    Args:
        api: The deploy's `HfApi`.
        bundle: What the Space should hold.
        repo_id: The Space.
        private: Make the Space private (created so, or changed).
        sync_secrets: Set the declared secrets even when nothing else changes.
        environ: Where secret and variable values are read.
        forbidden: Strings no variable may hold (the token in use).
        dry_run: Only reporting: the README is validated by the Hub now when it changed.
        feedback_repo: The dataset the Space's verdicts go to (its variable), pushed with the
            token in `$SUITE_FEEDBACK_TOKEN` (its secret, when the environment has one).
        app_version: What the new files are (the git commit they come from): the Space's
            `SUITE_APP_VERSION` variable, which each verdict records; set only with new files.
        preview: The preview the Space belongs to (its `SUITE_PREVIEW` variable). A preview's
            verdicts stay on its own disk: the team's statistics are of the live demos only.

    Raises:
        RefusedError: a setting cannot be planned (a value missing for a new Space, a variable
            that looks like a secret, front matter the Hub rejects).
        HubRequestError: the Hub failed.
    """
    space = bundle.source
    remote = read_remote(api, repo_id, repo_type="space")
    plan = Plan(repo_id=repo_id, remote=remote, files=bundle.files, changes=diff(bundle.files, remote))
    plan.unfinished_tag = unfinished_tag(api, remote)
    plan.create = not remote.exists
    plan.hardware = bundle.hardware if plan.create or remote.hardware != bundle.hardware else None
    plan.private = private and (plan.create or not remote.private)
    extra: dict[str, str | None] = {FEEDBACK_REPO_ENV: feedback_repo} if feedback_repo and not preview else {}
    if preview:
        extra[PREVIEW_ENV] = preview
    # space.yaml is not uploaded: the Space reads this variable (switched off when it was on).
    extra[FEEDBACK_KEEPS_FILES_ENV] = "1" if space.feedback_keeps_files else None
    if app_version and plan.changes:
        extra[VERSION_ENV] = app_version
    # The URL of each model's server (a public variable), how many requests it takes at once (when
    # said), its token (a secret, when it wants one).
    declared = {**space.variables, **{server_env(name): None for name in bundle.served}}
    for name in bundle.served:
        if environ.get(server_concurrency_env(name), "").strip():
            try:
                declared[server_concurrency_env(name)] = str(server_concurrency(name, environ=environ))
            except SpaceConfigError as exc:
                raise RefusedError(f"spaces/{space.name}: {exc}") from None
    _plan_variables(api, space, plan, environ=environ, forbidden=forbidden, declared=declared, extra=extra)
    optional = {} if preview else {FEEDBACK_TOKEN_ENV: "verdicts stay on the Space's disk"}
    optional.update(
        {server_token_env(name): f"the server of {name} is asked without a token" for name in bundle.served}
    )
    _plan_secrets(space, plan, environ=environ, sync_secrets=sync_secrets, optional=optional)
    if bundle.served:
        alone = "" if bundle.in_process else f"; no model runs in the Space: {bundle.hardware}, no torch"
        plan.notes.append(f"served by an inference server: {', '.join(bundle.served)} (not preloaded{alone})")
    # The Hub checks the front matter before a commit that changes README.md; ask it first only
    # where something else would be written before that commit (or nothing will be).
    readme_changes = any(c.path == CARD_FILE for c in plan.changes)
    if readme_changes and (dry_run or plan.create or plan.settings):
        _validate_on_hub(bundle)
    return plan


def plan_rollback(api: Any, space: SpaceSource, repo_id: str, tag: str, *, forbidden: Sequence[str]) -> Plan:
    """The plan that restores the files of deploy tag `tag`, in one new commit.

    Raises:
        DeployError: the Space does not exist, or holds no files at `tag`.
        RefusedError: the files at `tag` hold what today's secret scan refuses.
        HubRequestError: no such tag, or the Hub failed.
    """
    head = read_remote(api, repo_id, repo_type="space")
    if not head.exists:
        raise DeployError(f"{repo_id} does not exist: nothing to roll back")
    files = files_at(api, repo_id, tag, repo_type="space")
    if not files:
        raise DeployError(f"{repo_id} at {tag} holds no files: pick another tag")
    try:  # an old deploy may hold what today's scan refuses: it is not re-committed
        check_bundle(space.name, files, forbidden)
    except RefusedError as exc:
        raise RefusedError(f"rollback to {tag}: {exc}") from None
    plan = Plan(repo_id=repo_id, remote=head, files=files, changes=diff(files, head))
    plan.unfinished_tag = unfinished_tag(api, head)
    if plan.changes:  # what the Space's verdicts will name as the app they judged
        plan.variables = {VERSION_ENV: tag}
    if f"{PASSED_PREFIX}{tag}" not in tags_of(api, repo_id, repo_type="space"):
        plan.notes.append(
            f"{tag} was never seen passing its smoke tests (no {PASSED_PREFIX}{tag} tag): "
            f"use --wait to smoke-test the Space after the rollback"
        )
    return plan


def _plan_variables(
    api: Any,
    space: SpaceSource,
    plan: Plan,
    *,
    environ: Mapping[str, str],
    forbidden: Sequence[str],
    declared: Mapping[str, str | None],
    extra: Mapping[str, str | None],
) -> None:
    """The variables to set: the `declared` ones (name → default; None: from the environment
    only), and `extra` (None: "0" where the Space has it on)."""
    wanted = {k: v for k, v in extra.items() if v is not None}
    switched_off = [k for k, v in extra.items() if v is None]
    for key, default in declared.items():
        value = environ.get(key, default)
        if value is None:
            if plan.create:
                raise RefusedError(f"spaces/{space.name} declares variable {key} with no default: set ${key}")
            plan.notes.append(f"variable {key}: not in the environment, the Space keeps its value")
        else:
            wanted[key] = value
    for name in space.servers:
        if server_env(name) in wanted:
            check_server_url(space.name, name, wanted[server_env(name)])
    if not wanted and not (switched_off and plan.remote.exists):
        return
    check_variables(space.name, wanted, forbidden)  # values from the environment too
    current: dict[str, str] = {}
    if plan.remote.exists:
        from huggingface_hub.errors import HfHubHTTPError

        try:
            current = {k: v.value for k, v in api.get_space_variables(plan.repo_id).items()}
        except HfHubHTTPError as exc:
            raise hub_failure(exc, f"reading the variables of {plan.repo_id}") from None
    wanted.update({k: "0" for k in switched_off if current.get(k) not in (None, "0")})
    plan.variables = {k: v for k, v in wanted.items() if current.get(k) != v}


def _plan_secrets(
    space: SpaceSource,
    plan: Plan,
    *,
    environ: Mapping[str, str],
    sync_secrets: bool,
    optional: Mapping[str, str],
) -> None:
    """The secrets to set: the demo's (required), and the `optional` ones (name → what their
    absence means) that the environment has."""
    # The Hub never gives secrets back, so they cannot be compared: they are set with the
    # Space's creation, with any other change (the Space restarts anyway), or when asked.
    missing = [k for k in space.secrets if not environ.get(k)]
    if missing and plan.create:
        raise RefusedError(f"spaces/{space.name} needs secret(s) {', '.join(missing)}: set them in the environment")
    plan.notes += [f"secret {k}: not in the environment, the Space keeps its value" for k in missing]
    absent = [k for k in optional if k not in space.secrets and not environ.get(k)]
    if absent and plan.create:
        plan.notes += [f"secret {k}: not in the environment: {optional[k]}" for k in absent]
    if plan.writes or sync_secrets:  # an unfinished deploy may not have set them
        names = [*space.secrets, *(k for k in optional if k not in space.secrets)]
        plan.secrets = {k: environ[k] for k in names if environ.get(k)}


def check_server_url(demo: str, name: str, url: str) -> None:
    """Refuse the URL of model `name`'s server if it would not work or would publish a secret
    (Space variables are public).

    Raises:
        RefusedError: not an http(s) URL with a host, or it holds a user, password, query or
            fragment.
    """
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        parts = None
    key = server_env(name)
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefusedError(
            f"spaces/{demo}: ${key} must be the server's base URL, like https://xyz.endpoints.huggingface.cloud/v1/ "
            f"(it is not an http(s) URL)"
        )
    if parts.username or parts.password or parts.query or parts.fragment:
        raise RefusedError(
            f"spaces/{demo}: ${key} holds credentials or a query, and Space variables are public: "
            f"give the bare URL and put the token in ${server_token_env(name)}"
        )


def _validate_on_hub(bundle: Bundle) -> None:
    from huggingface_hub import SpaceCard
    from huggingface_hub.errors import HfHubHTTPError

    readme = bundle.files[CARD_FILE].decode()
    try:
        SpaceCard(readme).validate(repo_type="space")
    except ValueError as exc:
        raise RefusedError(f"spaces/{bundle.name}/{CARD_FILE}: {rejected_front_matter(exc)}") from None
    except HfHubHTTPError as exc:
        raise hub_failure(exc, f"validating the README of {bundle.name}") from None


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
    if remote.head in tags_of(api, repo_id, repo_type="space").values():
        return None
    try:  # only when the head is untagged (rare: a failed or interrupted deploy, or someone else's push)
        head = api.list_repo_commits(repo_id, repo_type="space", revision=remote.head)[0]
    except HfHubHTTPError as exc:
        raise hub_failure(exc, f"reading the history of {repo_id}") from None
    found = _TAG_NOTE.search(head.message or "")
    return found.group(1) if found else None


def last_passed_deploy(api: Any, repo_id: str, *, besides: str | None) -> str | None:
    """The deploy tag of the newest commit of the Space (other than `besides`) whose deploy passed
    its smoke tests (it has a `passed-<deploy tag>` tag); None when there is none.

    Raises:
        HubRequestError: the Hub failed.
    """
    from huggingface_hub.errors import HfHubHTTPError

    passed = {
        commit: tag.removeprefix(PASSED_PREFIX)
        for tag, commit in tags_of(api, repo_id, repo_type="space").items()
        if tag.startswith(PASSED_PREFIX)
    }
    if not passed:
        return None
    try:
        history = api.list_repo_commits(repo_id, repo_type="space")
    except HfHubHTTPError as exc:
        raise hub_failure(exc, f"reading the history of {repo_id}") from None
    return next((passed[c.commit_id] for c in history if c.commit_id in passed and c.commit_id != besides), None)
