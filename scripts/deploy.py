"""Deploy the demos to Hugging Face Spaces: every folder of `spaces/`, one Space each.

    python scripts/deploy.py --namespace my-org                    every demo
    python scripts/deploy.py sentiment --namespace my-org --dry-run    what would change, nothing written
    python scripts/deploy.py --namespace my-org --wait             and wait until each Space runs
    python scripts/deploy.py sentiment --namespace my-org --rollback deploy-20261123T101500Z-5702f2a
    python scripts/deploy.py --namespace my-org --preview pr-42 --wait   the demos a change touches
    python scripts/deploy.py --namespace my-org --delete-preview pr-42
    python scripts/deploy.py --namespace my-org --prune-previews --keep pr-40 pr-42 --older-than 7d

Each Space gets its demo folder, a copy of `shared/`, a pinned `requirements.txt` and a README
whose front matter is completed from the registry (models, datasets, `preload_from_hub` at the
pinned commits). The bundle is checked before anything is written: refs pinned and published,
no secrets, sizes within the Space limits, front matter valid (locally, then on the Hub). The
files go in one commit per Space (none when nothing changed), tagged `deploy-<utc>-<git sha>`.
With `--wait` each Space is waited for and smoke-tested; a preview deploys only the demos whose
bundle differs from their main Space, to Spaces of their own (`scripts/_deploy/preview.py`).
Honours `HF_ENDPOINT` and `HF_TOKEN` (or the token saved by `hf auth login`); never prints it.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import html
import os
import queue
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shared.catalog import NAMESPACE_ENV, SpaceSource, catalog_entries, discover_spaces, space_hardware, space_url
from shared.errors import SuiteError
from shared.feedback_log import DATASET_NAME as FEEDBACK_DATASET
from shared.registry import SHA_PATTERN, Registry, load_registry, registry_path

import httpx2

from scripts._deploy.apply import apply_plan
from scripts._deploy.bundle import Suite, forget_caches, stage
from scripts._deploy.errors import (
    DeployError,
    DeployInterruptedError,
    RefusedError,
    SmokeFailedError,
    SpaceStartError,
)
from scripts._deploy.pins import PinChecker
from scripts._deploy.plan import PASSED_PREFIX, TAG_NOTE, Plan, last_passed_deploy, plan_deploy, plan_rollback
from scripts._deploy.preview import (
    PREVIEW_HARDWARE,
    REPORT_MARKER,
    Removal,
    check_preview_name,
    find_previews,
    parse_age,
    preview_of,
    preview_space,
    remove,
    stale_previews,
)
from scripts._deploy.smoke import SmokeResult, call_inputs, run_smoke
from scripts._deploy.wait import wait_until_running
from scripts.hub_client import HubRequestError, diff, hub_failure, read_remote, retrying_requests, tag_commit

__all__ = [
    "DeployError",
    "DeployInterruptedError",
    "HubRequestError",
    "RefusedError",
    "Removal",
    "SmokeFailedError",
    "SmokeResult",
    "SpaceResult",
    "Suite",
    "call_inputs",
    "delete_preview",
    "deploy",
    "forget_caches",
    "format_plan",
    "main",
    "markdown_report",
    "prune_previews",
    "run_smoke",
    "summary_table",
]

WAIT_TIMEOUT = 900.0
# After Ctrl-C, how long the workers get to stop at their next step before the table is printed.
STOP_GRACE = 1.5
_NAMESPACE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$")

Progress = Callable[[str, str], None]


@dataclass
class SpaceResult:
    """How the deploy of one Space ended.

    Attributes:
        name: The demo (folder) name.
        repo_id: The Space.
        url: Its page on the Hub.
        status: `created`, `updated`, `unchanged`, `rolled back`, `completed` (an earlier deploy had
            stopped after its commit: this run applied its settings and tagged it), `would create`,
            `would update`, `same as main` (a preview of a demo its change leaves as it is: no
            preview Space; `, preview deleted` when an earlier one was removed), `refused`,
            `failed` or `interrupted`.
        commit: The Space's commit after the deploy (the new one, or its head when unchanged).
        tag: The deploy tag, when a commit was made.
        plan: What was (or would be) done.
        stage: The runtime stage reached with `--wait`.
        error: The one-line reason of a refusal or failure.
        log_tail: The end of the Space's log when it failed to build or start.
        smoke: How each smoke call went (after `--wait`, for a demo that declares them).
        passed_tag: The tag marking this deploy as one that passed its smoke tests.
        rolled_back_to: The deploy tag restored after this deploy failed (`--rollback-on-failure`).
        step: What the deploy of this Space was doing last.
        finished: Whether its deploy ended (False: interrupted before it could).
    """

    name: str
    repo_id: str
    url: str
    status: str = "failed"
    commit: str | None = None
    tag: str | None = None
    plan: Plan | None = None
    stage: str | None = None
    error: str | None = None
    log_tail: list[str] = field(default_factory=list)
    smoke: list[SmokeResult] = field(default_factory=list)
    passed_tag: str | None = None
    rolled_back_to: str | None = None
    step: str = "waiting for a worker"
    finished: bool = False

    @property
    def ok(self) -> bool:
        return self.status not in ("refused", "failed", "interrupted")


@dataclass(frozen=True)
class Source:
    """The git commit the bundles come from."""

    sha: str | None
    dirty: bool

    @property
    def short(self) -> str:
        return (self.sha[:7] if self.sha else "nogit") + ("-dirty" if self.dirty else "")

    def describe(self) -> str:
        if self.sha is None:
            return "a folder outside git"
        return f"git {self.sha[:7]}" + (" with uncommitted changes" if self.dirty else "")


def deploy(
    names: Sequence[str] = (),
    *,
    namespace: str,
    dry_run: bool = False,
    private: bool = False,
    wait: bool = False,
    rollback: str | None = None,
    rollback_on_failure: bool = False,
    preview: str | None = None,
    hardware: str | None = None,
    sync_secrets: bool = False,
    wait_timeout: float = WAIT_TIMEOUT,
    poll: float = 2.0,
    token: str | None = None,
    environ: Mapping[str, str] | None = None,
    suite: Suite | None = None,
    workers: int = 8,
    progress: Progress | None = None,
    on_done: Callable[[SpaceResult], None] | None = None,
    now: dt.datetime | None = None,
    cancel: threading.Event | None = None,
) -> list[SpaceResult]:
    """Deploy demos to their Spaces (all of them when `names` is empty), in parallel.

    One Space failing does not stop the others: each result says how its deploy ended.

    Args:
        names: Demo folder names; empty for every demo.
        namespace: User or organisation that owns the Spaces.
        dry_run: Plan and report only; write nothing (no token needed for public Spaces).
        private: Create new Spaces private, and make existing ones private.
        wait: Wait until each Space runs the deployed commit.
        rollback: Restore each Space to the files of this deploy tag (one new commit).
        rollback_on_failure: With `wait`: a Space that fails to start or fails a smoke test is
            restored to its newest deploy that passed its smoke tests (one commit), which is
            waited for and smoke-tested too.
        preview: Deploy a preview of this name (e.g. `pr-42`): only the demos whose bundle differs
            from what their main Space holds, each to `<namespace>/<demo>-preview-<name>` on
            `cpu-basic` (an earlier preview of a demo that now equals main is deleted).
        hardware: Hardware for every Space, instead of what each demo declares.
        sync_secrets: Set the declared secrets even when nothing else changes.
        wait_timeout: Seconds to wait for a Space to run.
        poll: Seconds between runtime checks while waiting.
        token: Hub token (default: `HF_TOKEN` or the saved login).
        environ: Where secret and variable values are read (default: `os.environ`).
        suite: Where the demos, `shared/` and the requirements are.
        workers: Spaces deployed at once.
        progress: Called with (demo name, what is happening).
        on_done: Called with each Space's result as soon as it is known.
        now: Time of the deploy (names the tag).
        cancel: Set it to stop: every worker stops at its next step (Ctrl-C sets it too).

    Returns:
        One result per Space, in the order of `names` (or by name).

    Raises:
        DeployError: bad arguments (unknown demo, bad namespace, hardware or preview name, no
            token, options that do not go together), before anything is read or written.
        DeployInterruptedError: stopped by Ctrl-C or `cancel`, within `STOP_GRACE` seconds; its
            `results` say what happened to each Space.

    Example:
        >>> results = deploy(["sentiment"], namespace="my-org", dry_run=True)
        >>> print(summary_table(results))
    """
    from huggingface_hub import HfApi

    suite = suite or Suite()
    _check_namespace(namespace)
    if hardware is not None and hardware not in space_hardware():
        raise DeployError(f"hardware {hardware!r} is not a Space hardware: use one of {', '.join(space_hardware())}")
    try:
        sources = discover_spaces(suite.spaces_dir)
        registry_file = registry_path()
        registry = load_registry(registry_file)
    except SuiteError as exc:
        raise DeployError(str(exc)) from None
    chosen = _choose(sources, names)
    if rollback_on_failure and not wait:
        raise DeployError("--rollback-on-failure needs --wait: a failure is seen only by waiting for the Space")
    if preview is not None:
        check_preview_name(preview)
        clash = [flag for flag, on in (("--rollback", rollback), ("--rollback-on-failure", rollback_on_failure),
                                        ("--hardware", hardware)) if on]  # fmt: skip
        if clash:
            raise DeployError(
                f"--preview does not go with {', '.join(clash)}: a preview shows the change as it is, on {PREVIEW_HARDWARE}"
            )
    token = _hub_token(token, required=not dry_run)
    api = HfApi(token=token or False)
    environ = os.environ if environ is None else environ
    source = _bundles_source(suite, registry_file)
    stamp = (now or dt.datetime.now(dt.timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    job = _Job(
        api=api,
        namespace=namespace,
        dry_run=dry_run,
        private=private,
        wait=wait,
        rollback=rollback,
        rollback_on_failure=rollback_on_failure,
        preview=preview,
        hardware=hardware,
        sync_secrets=sync_secrets,
        wait_timeout=wait_timeout,
        poll=poll,
        environ=environ,
        suite=suite,
        registry=registry,
        registry_file=registry_file,
        pins=PinChecker(api),
        catalog=catalog_entries(sources, endpoint=api.endpoint, namespace=namespace),
        source=source,
        tag=f"deploy-{stamp}-{source.short}",
        token=token,
        progress=progress or (lambda name, message: None),
        on_done=on_done or (lambda result: None),
        cancel=cancel or threading.Event(),
    )
    space_names = {s.name: preview_space(s.name, preview) if preview else s.name for s in chosen}
    results = [
        SpaceResult(
            s.name, f"{namespace}/{space_names[s.name]}", space_url(api.endpoint, namespace, space_names[s.name])
        )
        for s in chosen
    ]
    with retrying_requests(sleep=job.sleep):
        _run_all(job, list(zip(chosen, results, strict=True)), workers=max(1, min(workers, len(chosen))))
    return results


def delete_preview(name: str, *, namespace: str, dry_run: bool = False, token: str | None = None) -> list[Removal]:
    """Delete every Space of preview `name` (what `deploy(preview=name)` made) in the namespace.

    Only Spaces named `<demo>-preview-<name>` whose `SUITE_PREVIEW` variable says `name` are
    deleted, checked again just before each deletion.

    Args:
        name: The preview (e.g. `pr-42`).
        namespace: User or organisation that owns the Spaces.
        dry_run: Only say what would be deleted.
        token: Hub token (default: `HF_TOKEN` or the saved login); it must be able to read the
            Spaces' variables.

    Returns:
        One removal per preview Space found (none: there is no such preview).

    Raises:
        DeployError: bad name or namespace, or no token.
        HubRequestError: the Spaces could not be listed.
    """
    check_preview_name(name)
    api = _previews_api(namespace, token)
    with retrying_requests():
        found = [p for p in find_previews(api, namespace) if p.name == name]
        return remove(api, [Removal(p.repo_id, p.name, f"preview {name} deleted") for p in found], dry_run=dry_run)


def prune_previews(
    *,
    namespace: str,
    keep: Sequence[str] | None = None,
    older_than: dt.timedelta | None = None,
    now: dt.datetime | None = None,
    dry_run: bool = False,
    token: str | None = None,
) -> list[Removal]:
    """Delete the preview Spaces whose pull request is closed, or that are stale.

    Args:
        namespace: User or organisation that owns the Spaces.
        keep: The previews still wanted (those of the open pull requests): every other preview
            goes. None: judge by age only.
        older_than: Previews whose files last changed longer ago than this go too.
        now: The time ages are measured from (default: now).
        dry_run: Only say what would be deleted.
        token: Hub token (default: `HF_TOKEN` or the saved login).

    Returns:
        One removal per preview Space that goes, with the reason.

    Raises:
        DeployError: neither `keep` nor `older_than` given, a bad name, or no token.
        HubRequestError: the Spaces could not be listed.
    """
    if keep is None and older_than is None:
        raise DeployError("say which previews go: --keep the open pull requests' previews, --older-than AGE, or both")
    for name in keep or ():
        check_preview_name(name)
    api = _previews_api(namespace, token)
    with retrying_requests():
        removals = stale_previews(
            find_previews(api, namespace), keep=keep, older_than=older_than,
            now=now or dt.datetime.now(dt.timezone.utc),
        )  # fmt: skip
        return remove(api, removals, dry_run=dry_run)


def _previews_api(namespace: str, token: str | None) -> Any:
    from huggingface_hub import HfApi

    _check_namespace(namespace)
    # Always a token: a Space's variables (what marks a preview) are read with a token only.
    return HfApi(token=_hub_token(token, required=True))


def _check_namespace(namespace: str) -> None:
    if not _NAMESPACE.match(namespace or ""):
        raise DeployError(f"{namespace!r} is not a Hub user or organisation name: pass --namespace NAME")


def _hub_token(token: str | None, *, required: bool) -> str | None:
    """`token`, else HF_TOKEN or the saved login; never printed."""
    from huggingface_hub import get_token

    token = token or get_token()
    if not token and required:
        raise DeployError("no Hub token: set HF_TOKEN (a write token) or run 'hf auth login'")
    return token


def _create_feedback_dataset(api: Any, repo_id: str) -> None:
    """The private dataset every Space's verdicts go to (`shared.feedback_log`)."""
    from huggingface_hub.errors import HfHubHTTPError

    try:
        if not api.repo_exists(repo_id, repo_type="dataset"):
            api.create_repo(repo_id, repo_type="dataset", private=True, exist_ok=True)
    except HfHubHTTPError as exc:
        raise hub_failure(exc, f"creating the feedback dataset {repo_id}") from None


def _run_all(job: _Job, spaces: list[tuple[SpaceSource, SpaceResult]], *, workers: int) -> None:
    """Deploy the Spaces on `workers` threads; on Ctrl-C (or `job.cancel`) stop them all quickly.

    The threads are daemons: a worker stuck in a request does not keep the command from ending.
    The main thread waits on an event, not on `Thread.join`: a join cut short by Ctrl-C marks a
    running thread as stopped in CPython 3.11 (the bpo-45274 fix misreads its lock).
    """
    todo: queue.SimpleQueue[tuple[SpaceSource, SpaceResult]] = queue.SimpleQueue()
    for item in spaces:
        todo.put(item)
    all_done = threading.Event()
    running = [workers]
    lock = threading.Lock()

    def work() -> None:
        try:
            while not job.cancel.is_set():
                try:
                    space, result = todo.get_nowait()
                except queue.Empty:
                    return
                job.run(space, result)
        finally:
            with lock:
                running[0] -= 1
                if running[0] == 0:
                    all_done.set()

    for i in range(workers):
        threading.Thread(target=work, name=f"deploy-{i}", daemon=True).start()
    try:
        while not all_done.wait(0.1):
            pass
    except KeyboardInterrupt:
        job.cancel.set()
    if not job.cancel.is_set():
        return
    all_done.wait(STOP_GRACE)
    for _, result in spaces:
        if not result.finished:
            result.status, result.error = "interrupted", _interrupted(result)
    raise DeployInterruptedError("interrupted", results=[result for _, result in spaces])


def _interrupted(result: SpaceResult) -> str:
    """What an interrupted Space's deploy had done, and what to do."""
    step = result.step
    if step.startswith("waiting for the Space") and result.status not in ("failed", "interrupted"):
        done = f"{result.status}" + (f", tagged {result.tag}" if result.tag else "")
        return f"interrupted while {step} (the deploy itself is done: {done}): deploy again with --wait to see it run"
    if step.startswith("committing"):
        return (
            f"interrupted while {step}: the commit either landed whole or not at all; run the deploy again "
            f"(it finishes an untagged deploy)"
        )
    if step == "waiting for a worker":
        return "interrupted before it started: nothing was written"
    return f"interrupted while {step}: run the deploy again"


def _choose(sources: list[SpaceSource], names: Sequence[str]) -> list[SpaceSource]:
    by_name = {s.name: s for s in sources}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise DeployError(f"no demo named {', '.join(unknown)} in spaces/: choose from {', '.join(sorted(by_name))}")
    if not by_name:
        raise DeployError("spaces/ holds no demo (a folder with app.py)")
    return [by_name[n] for n in dict.fromkeys(names)] if names else sources


def _bundles_source(suite: Suite, registry_file: Path) -> Source:
    """The commit the bundles come from: dirty when what they are made of has uncommitted changes."""
    return _source_commit(
        suite.spaces_dir.parent, [suite.spaces_dir, suite.shared_dir, suite.requirements, registry_file]
    )


def _source_commit(root: Path, sources: Sequence[Path]) -> Source:
    """The commit of `root`, dirty when any of `sources` (what bundles are made of) inside it has
    uncommitted changes."""

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True)
        except (OSError, subprocess.CalledProcessError):
            return None
        return done.stdout.strip()

    sha = git("rev-parse", "HEAD")
    if not sha or not SHA_PATTERN.match(sha):
        return Source(sha=None, dirty=False)
    inside = [str(p) for p in sources if Path(p).resolve().is_relative_to(root.resolve())]
    return Source(sha=sha, dirty=bool(inside and git("status", "--porcelain", "--", *inside)))


@dataclass
class _Job:
    api: Any
    namespace: str
    dry_run: bool
    private: bool
    wait: bool
    rollback: str | None
    rollback_on_failure: bool
    preview: str | None
    hardware: str | None
    sync_secrets: bool
    wait_timeout: float
    poll: float
    environ: Mapping[str, str]
    suite: Suite
    registry: Registry
    registry_file: Path
    pins: PinChecker
    catalog: list[Any]
    source: Source
    tag: str
    token: str | None
    progress: Progress
    on_done: Callable[[SpaceResult], None]
    cancel: threading.Event
    _feedback_lock: threading.Lock = field(default_factory=threading.Lock)
    _feedback_made: bool = False

    @property
    def feedback_repo(self) -> str:
        return f"{self.namespace}/{FEEDBACK_DATASET}"

    def _make_feedback_dataset(self) -> None:
        """Once per deploy, before the first Space is written (a deploy that writes nothing makes nothing)."""
        with self._feedback_lock:
            if not self._feedback_made:
                _create_feedback_dataset(self.api, self.feedback_repo)
                self._feedback_made = True

    def sleep(self, seconds: float) -> None:
        """Wait between retries and polls; a cancelled deploy stops waiting at once."""
        if self.cancel.wait(seconds):
            raise DeployInterruptedError("interrupted")

    def run(self, space: SpaceSource, result: SpaceResult) -> SpaceResult:
        repo_id = result.repo_id

        def tell(message: str) -> None:  # report, unless the deploy was stopped meanwhile
            if self.cancel.is_set():
                raise DeployInterruptedError("interrupted")
            self.progress(space.name, message)

        def say(message: str) -> None:  # a new step
            tell(message)
            result.step = message

        try:
            plan = self._rollback_plan(space, repo_id) if self.rollback else self._deploy_plan(space, repo_id, say)
            result.plan = plan
            if plan is None:  # a preview of a demo that equals its main Space
                result.status = "same as main" + self._drop_preview(repo_id, say)
            elif self.dry_run:
                result.status = ("would create" if plan.create else "would update") if plan.writes else "unchanged"
                result.commit = plan.remote.head
            else:
                self._apply(space, plan, result, say)
                if self.wait:
                    try:
                        self._prove(space, result, say, tell)
                    except (SpaceStartError, SmokeFailedError) as failure:
                        if not self.rollback_on_failure:
                            raise
                        self._roll_back_after(failure, space, result, say, tell)
        except DeployInterruptedError:
            result.status, result.error = "interrupted", _interrupted(result)
        except RefusedError as exc:
            result.status, result.error = "refused", str(exc)
        except SpaceStartError as exc:
            result.status, result.error, result.stage, result.log_tail = "failed", str(exc), exc.stage, exc.log_tail
        except (DeployError, HubRequestError) as exc:
            result.status, result.error = "failed", str(exc)
        except (OSError, httpx2.TransportError) as exc:
            result.status, result.error = "failed", str(hub_failure(exc, f"deploying {repo_id}"))
        except Exception as exc:  # one Space's surprise must not stop the others, nor print a traceback
            result.status, result.error = "failed", f"unexpected {type(exc).__name__}: {exc}"
        result.finished = True
        self.progress(space.name, result.status if result.ok else f"{result.status}: {result.error}")
        self.on_done(result)
        return result

    def _prove(
        self, space: SpaceSource, result: SpaceResult, say: Callable[[str], None], tell: Callable[[str], None]
    ) -> None:
        """Wait until the Space runs the deployed commit, then smoke-test it."""
        say("waiting for the Space to run")
        result.stage = wait_until_running(
            self.api, result.repo_id, commit=result.commit, timeout=self.wait_timeout, poll=self.poll,
            progress=tell, sleep=self.sleep,
        )  # fmt: skip
        self._smoke_test(space, result, say)

    def _roll_back_after(
        self,
        failure: SpaceStartError | SmokeFailedError,
        space: SpaceSource,
        result: SpaceResult,
        say: Callable[[str], None],
        tell: Callable[[str], None],
    ) -> None:
        """Restore the newest deploy that passed its smoke tests, in one commit; wait and smoke-test it."""
        if isinstance(failure, SpaceStartError):
            result.stage, result.log_tail = failure.stage, failure.log_tail
        target = last_passed_deploy(self.api, result.repo_id, besides=result.commit)
        if target is None:
            raise DeployError(f"{failure}; no earlier deploy of it passed its smoke tests, so nothing was rolled back")
        say(f"rolling back to {target}")
        plan = plan_rollback(self.api, space, result.repo_id, target, forbidden=self._forbidden)
        self._apply(space, plan, result, say, rollback_to=target, because=str(failure))
        result.rolled_back_to, result.smoke, result.passed_tag = target, [], None
        try:
            self._prove(space, result, say, tell)
        except (SpaceStartError, SmokeFailedError) as second:
            raise DeployError(f"{failure}; rolled back to {target}, which failed too: {second}") from None
        raise DeployError(f"{failure}; rolled back to {target}, which runs and passes its smoke tests")

    def _smoke_test(self, space: SpaceSource, result: SpaceResult, say: Callable[[str], None]) -> None:
        """Make the demo's smoke calls against the running Space; a deploy that passes them gets a
        `passed-<deploy tag>` tag (what `--rollback-on-failure` may return to)."""
        if not space.smoke:
            return
        say("smoke testing")
        from huggingface_hub.errors import HfHubHTTPError

        try:
            host = self.api.space_info(result.repo_id).host
        except HfHubHTTPError as exc:
            raise hub_failure(exc, f"reading the address of {result.repo_id}") from None
        result.smoke = run_smoke(host or result.repo_id, space.smoke, folder=space.folder, token=self.token)
        failed = [r for r in result.smoke if not r.ok]
        if failed:
            more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
            raise SmokeFailedError(f"smoke test {failed[0].api} failed: {failed[0].detail}{more}")
        if result.tag and result.commit:
            result.passed_tag = tag_commit(
                self.api, result.repo_id, f"{PASSED_PREFIX}{result.tag}", repo_type="space", revision=result.commit,
                message=f"{result.tag} passed its smoke tests ({len(result.smoke)} call(s))",
            )  # fmt: skip

    def _deploy_plan(self, space: SpaceSource, repo_id: str, say: Callable[[str], None]) -> Plan | None:
        """The plan of a deploy; for a preview, None when the demo's bundle is what its main Space holds."""
        say("staging")
        bundle = stage(
            space,
            registry=self.registry,
            registry_file=self.registry_file,
            pins=self.pins,
            suite=self.suite,
            hardware=self.hardware,
            catalog=self.catalog,
            forbidden=self._forbidden,
        )
        app_version = f"git {self.source.sha or 'unknown'}" + ("-dirty" if self.source.dirty else "")
        if self.preview:
            say(f"comparing with {self.namespace}/{space.name}")
            main_space = read_remote(self.api, f"{self.namespace}/{space.name}", repo_type="space")
            if main_space.exists and not diff(bundle.files, main_space):
                return None
            if (
                preview_of(self.api, repo_id) != self.preview
                and read_remote(self.api, repo_id, repo_type="space").exists
            ):
                raise RefusedError(
                    f"{repo_id} exists and is not preview {self.preview} (its SUITE_PREVIEW variable does not say so): "
                    f"nothing was written; rename that Space or choose another preview name"
                )
            # The very files main would get; only the hardware differs (see scripts/_deploy/preview.py).
            bundle = dataclasses.replace(bundle, hardware=PREVIEW_HARDWARE)
            app_version = f"preview {self.preview} of {app_version}"
        return plan_deploy(
            self.api,
            bundle,
            repo_id,
            private=self.private,
            sync_secrets=self.sync_secrets,
            environ=self.environ,
            forbidden=self._forbidden,
            dry_run=self.dry_run,
            feedback_repo=self.feedback_repo,
            app_version=app_version,
            preview=self.preview,
        )

    def _drop_preview(self, repo_id: str, say: Callable[[str], None]) -> str:
        """Delete the demo's preview Space left from an earlier push of the change (it now shows main)."""
        if preview_of(self.api, repo_id) != self.preview:
            return ""
        if self.dry_run:
            return ", preview would be deleted"
        say(f"deleting {repo_id}: the demo is back to what main holds")
        [removal] = remove(self.api, [Removal(repo_id, self.preview or "", "same as main")], dry_run=False)
        if not removal.ok:
            raise HubRequestError(removal.error or f"deleting {repo_id} failed")
        return ", preview deleted"

    def _rollback_plan(self, space: SpaceSource, repo_id: str) -> Plan:
        return plan_rollback(self.api, space, repo_id, self.rollback or "", forbidden=self._forbidden)

    @property
    def _forbidden(self) -> list[str]:
        return [self.token] if self.token else []

    def _apply(
        self,
        space: SpaceSource,
        plan: Plan,
        result: SpaceResult,
        say: Callable[[str], None],
        *,
        rollback_to: str | None = None,
        because: str = "",
    ) -> None:
        """Write the plan: a deploy, `--rollback`, or (`rollback_to`) the automatic rollback of a
        deploy that failed `because`."""
        target = rollback_to or self.rollback
        if rollback_to:
            message = f"Roll back {space.name} to {rollback_to} (automatic: the deploy failed)"
            description = (
                f"Restores the files of tag {rollback_to}: {because} (scripts/deploy.py --rollback-on-failure); "
            )
        elif target:
            message = f"Roll back {space.name} to {target}"
            description = f"Restores the files of tag {target} (scripts/deploy.py --rollback); "
        elif self.preview:
            message = f"Preview {self.preview} of {space.name} from {self.source.describe()}"
            description = f"Deployed by scripts/deploy.py --preview {self.preview} from git commit {self.source.sha or 'unknown'}; "
        else:
            message = f"Deploy {space.name} from {self.source.describe()}"
            description = (
                f"Deployed by scripts/deploy.py from git commit {self.source.sha or 'unknown'}"
                + (" with uncommitted changes" if self.source.dirty else "")
                + "; "
            )
        description += TAG_NOTE.format(tag=self.tag)
        if not target and not self.preview and plan.writes:
            say(f"making sure the feedback dataset {self.feedback_repo} exists")
            self._make_feedback_dataset()
        applied = apply_plan(
            self.api, plan, message=message, description=description, tag=self.tag,
            rollback=bool(target), progress=say, committed=lambda commit: setattr(result, "commit", commit),
        )  # fmt: skip
        result.commit, result.tag, result.status = applied.commit, applied.tag, applied.status


# ---------------------------------------------------------------------- reports


def format_plan(result: SpaceResult) -> str:
    """The dry-run report of one Space: per-file diff, settings and notes."""
    lines = [f"{result.repo_id} ({result.status})"]
    plan = result.plan
    if plan is None:
        return "\n".join([*lines, f"  {result.error}"]) if result.error else lines[0]
    lines += [f"  {change.mark} {change.path}" for change in plan.changes]
    lines += [f"  setting: {line}" for line in plan.settings]
    lines += [f"  note: {line}" for line in plan.notes]
    if len(lines) == 1:
        lines.append("  no change")
    return "\n".join(lines)


def summary_table(results: Sequence[SpaceResult]) -> str:
    """The end-of-deploy table: Space, URL, commit, status."""
    rows = [("Space", "URL", "Commit", "Status")]
    for r in results:
        status = r.status + (f", {r.stage}" if r.stage else "")
        if r.rolled_back_to:
            status += f", rolled back to {r.rolled_back_to}"
        if r.smoke:
            status += f", smoke {sum(s.ok for s in r.smoke)}/{len(r.smoke)}"
        rows.append((r.repo_id, r.url, (r.commit or "-")[:7], status))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)) + "  " + row[3]
        for row in rows
    )


def markdown_report(
    results: Sequence[SpaceResult] | Sequence[Removal], *, title: str, marker: str = REPORT_MARKER
) -> str:
    """A deploy's (or a preview's deletion's) outcome in Markdown, for a pull request comment:
    each Space linked, its status and smoke calls, then each failure's line and log tail.

    Text that comes from a Space (errors, logs) is escaped: it cannot add links or markup.
    """
    lines = [marker, f"### {title}", ""]
    if not results:
        return "\n".join([*lines, "Nothing to do: no demo differs from main, and no preview exists."]) + "\n"
    if isinstance(results[0], Removal):
        lines += ["| Space | Why | Status |", "|---|---|---|"]
        lines += [f"| `{r.repo_id}` | {r.reason} | {r.status} |" for r in results]
        failures = [(r.repo_id, r.error or "", []) for r in results if not r.ok]
    else:
        lines += ["| Demo | Space | Status | Smoke tests |", "|---|---|---|---|"]
        for r in results:
            space = "—" if r.status.startswith("same as main") else f"[{r.repo_id}]({r.url})"
            status = r.status + (f", {r.stage}" if r.stage else "")
            passed = sum(s.ok for s in r.smoke)
            smoke = f"{passed}/{len(r.smoke)} passed" if r.smoke else "—"
            lines.append(f"| {r.name} | {space} | {status} | {smoke} |")
        failures = [(r.name, r.error or "", r.log_tail) for r in results if not r.ok]
    for name, error, log_tail in failures:
        lines += ["", f"**{name}**: {_escaped(error)}"]
        if log_tail:
            log = "\n".join(html.escape(line) for line in log_tail)
            lines += ["<details><summary>log</summary>", "", f"<pre>{log}</pre>", "</details>"]
    return "\n".join(lines) + "\n"


def _escaped(text: str, limit: int = 500) -> str:
    text = " ".join(text.split())
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return "`" + text.replace("`", "'") + "`"  # a code span: nothing in it is markup


# ---------------------------------------------------------------------- command line


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="deploy.py",
        description="Deploy the demos of spaces/ to Hugging Face Spaces (every demo when no name is given).",
    )
    parser.add_argument("names", nargs="*", metavar="NAME", help="demo folder names (default: all)")
    parser.add_argument(
        "--namespace",
        default=os.environ.get(NAMESPACE_ENV) or None,
        help=f"user or organisation owning the Spaces (default: ${NAMESPACE_ENV})",
    )
    parser.add_argument("--dry-run", action="store_true", help="show the per-file diff and settings; write nothing")
    parser.add_argument("--private", action="store_true", help="make the Spaces private")
    parser.add_argument("--wait", action="store_true", help="wait until every Space runs the deployed commit")
    parser.add_argument("--wait-timeout", type=float, default=WAIT_TIMEOUT, help="seconds to wait (default 900)")
    parser.add_argument("--rollback-on-failure", action="store_true",
                        help="with --wait: restore the newest deploy that passed its smoke tests when one fails")  # fmt: skip
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--rollback", metavar="TAG", help="restore the files of this deploy tag, in one new commit")
    mode.add_argument("--preview", metavar="NAME",
                      help="deploy the demos that differ from main to <demo>-preview-NAME Spaces (cpu-basic)")  # fmt: skip
    mode.add_argument("--delete-preview", metavar="NAME", help="delete the Spaces of preview NAME")
    mode.add_argument("--prune-previews", action="store_true",
                      help="delete previews not named by --keep, or older than --older-than")  # fmt: skip
    parser.add_argument("--keep", nargs="*", metavar="NAME",
                        help="with --prune-previews: the previews to keep (the open pull requests'); no name: none")  # fmt: skip
    parser.add_argument(
        "--older-than", metavar="AGE", help="with --prune-previews: e.g. 7d, 36h (since the last deploy)"
    )
    parser.add_argument("--report", metavar="FILE", type=Path,
                        help="also write the outcome as Markdown (the pull request comment of a preview)")  # fmt: skip
    parser.add_argument("--hardware", choices=space_hardware(), metavar="FLAVOR", help="hardware for every Space")
    parser.add_argument("--sync-secrets", action="store_true", help="set declared secrets even when nothing changed")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (1 when any Space failed)."""
    args = _parser().parse_args(argv)
    if not args.namespace:
        print(f"error: pass --namespace NAME (or set {NAMESPACE_ENV})", file=sys.stderr)
        return 2
    if args.delete_preview or args.prune_previews:
        return _remove_previews(args)
    if args.keep is not None or args.older_than:
        print("error: --keep and --older-than go with --prune-previews", file=sys.stderr)
        return 2
    from huggingface_hub.utils import are_progress_bars_disabled, disable_progress_bars, enable_progress_bars
    from huggingface_hub.utils import tqdm as hf_tqdm

    try:
        total = len(args.names) or len(discover_spaces(Suite().spaces_dir))
    except SuiteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    bar = hf_tqdm(total=total, unit="Space", desc="Planning" if args.dry_run else "Deploying", leave=False)

    def progress(name: str, message: str) -> None:
        bar.write(f"{name}: {message}", file=sys.stderr)

    quiet_before = are_progress_bars_disabled()
    disable_progress_bars()  # per-file upload bars of parallel Spaces would interleave
    try:
        results = deploy(
            args.names,
            namespace=args.namespace,
            dry_run=args.dry_run,
            private=args.private,
            wait=args.wait,
            wait_timeout=args.wait_timeout,
            rollback=args.rollback,
            rollback_on_failure=args.rollback_on_failure,
            preview=args.preview,
            hardware=args.hardware,
            sync_secrets=args.sync_secrets,
            progress=progress,
            on_done=lambda result: bar.update(1),
        )
    except DeployInterruptedError as exc:
        results = exc.results
        print("error: interrupted: each Space is either fully committed or untouched; run again", file=sys.stderr)
    except DeployError as exc:
        bar.close()
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # before any Space was started
        bar.close()
        print("error: interrupted before anything was written", file=sys.stderr)
        return 130
    finally:
        if not quiet_before:
            enable_progress_bars()
    bar.close()
    for result in results:
        if args.dry_run:
            print(format_plan(result))
        elif result.error:
            print(f"{result.repo_id}: {result.error}")
        if args.rollback and not args.dry_run and result.plan:
            for line in result.plan.notes:
                print(f"{result.repo_id}: note: {line}")
        for line in result.log_tail:
            print(f"    | {line}")
    print()
    print(summary_table(results))
    if args.report:
        title = f"Preview `{args.preview}`" if args.preview else "Deploy"
        _write_report(args.report, markdown_report(results, title=f"{title} from {_source_line()}"))
    if any(r.status == "interrupted" for r in results):
        return 130
    return 0 if all(r.ok for r in results) else 1


def _remove_previews(args: argparse.Namespace) -> int:
    """`--delete-preview NAME` and `--prune-previews`."""
    if args.names or args.rollback_on_failure or args.wait or args.hardware:
        print("error: --delete-preview and --prune-previews take no demo names, --wait or --hardware", file=sys.stderr)
        return 2
    try:
        if args.delete_preview:
            title = f"Preview `{args.delete_preview}` deleted"
            removals = delete_preview(args.delete_preview, namespace=args.namespace, dry_run=args.dry_run)
        else:
            title = "Previews pruned"
            older_than = parse_age(args.older_than) if args.older_than else None
            removals = prune_previews(namespace=args.namespace, keep=args.keep, older_than=older_than,
                                      dry_run=args.dry_run)  # fmt: skip
    except (DeployError, HubRequestError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rows = [("Space", "Why", "Status")] + [
        (r.repo_id, r.reason, r.status + (f": {r.error}" if r.error else "")) for r in removals
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    print("\n".join(f"{row[0].ljust(widths[0])}  {row[1].ljust(widths[1])}  {row[2]}" for row in rows)
          if removals else "no preview to delete")  # fmt: skip
    if args.report:
        _write_report(args.report, markdown_report(removals, title=title))
    return 0 if all(r.ok for r in removals) else 1


def _source_line() -> str:
    try:
        return _bundles_source(Suite(), registry_path()).describe()
    except SuiteError:
        return "an unknown source"


def _write_report(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"error: could not write the report to {path}: {exc.strerror}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
