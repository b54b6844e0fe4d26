"""`--wait`: poll a Space's runtime until it runs the deployed commit, or report why it does not."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from scripts._deploy.errors import SpaceStartError
from scripts.hub_client import hub_failure

RUNNING = ("RUNNING", "RUNNING_BUILDING", "RUNNING_APP_STARTING")
# Stages a Space does not leave by itself: waiting longer would change nothing.
FAILED = ("BUILD_ERROR", "RUNTIME_ERROR", "CONFIG_ERROR", "NO_APP_FILE", "PAUSED", "STOPPED", "DELETING")
_BUILD_STAGES = ("BUILD_ERROR", "CONFIG_ERROR", "BUILDING", "NO_APP_FILE")
LOG_TAIL = 20


def wait_until_running(
    api: Any,
    repo_id: str,
    *,
    commit: str | None,
    timeout: float,
    poll: float = 2.0,
    progress: Callable[[str], None] = lambda _: None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """Wait until the Space runs `commit` (any commit when None).

    Returns:
        The stage reached (`RUNNING` or a running variant).

    Raises:
        SpaceStartError: the Space failed to build or start, or the time ran out; the error's
            `log_tail` holds the last lines of the build or run log.
    """
    from huggingface_hub.errors import HfHubHTTPError

    deadline = clock() + timeout
    seen = None
    while True:
        try:
            runtime = api.get_space_runtime(repo_id)
        except HfHubHTTPError as exc:
            raise hub_failure(exc, f"reading the runtime of {repo_id}") from None
        stage = str(runtime.stage)
        built = (runtime.raw or {}).get("sha")
        current = commit is None or built is None or built == commit
        if stage != seen:
            progress(stage.lower().replace("_", " "))
            seen = stage
        if current and stage in RUNNING:
            return stage
        if current and stage in FAILED:
            detail = (runtime.raw or {}).get("errorMessage")
            raise _failure(api, repo_id, stage, f"{repo_id} is {stage}" + (f": {detail}" if detail else ""))
        if clock() >= deadline:
            raise _failure(api, repo_id, stage, f"{repo_id} is still {stage} after {timeout:g} s")
        sleep(poll)


def _failure(api: Any, repo_id: str, stage: str, message: str) -> SpaceStartError:
    tail = log_tail(api, repo_id, build=stage in _BUILD_STAGES)
    hint = "see the log below, fix the cause and deploy again" if tail else "fix the cause and deploy again"
    return SpaceStartError(f"{message}: {hint}", stage=stage, log_tail=tail)


def log_tail(api: Any, repo_id: str, *, build: bool, lines: int = LOG_TAIL) -> list[str]:
    """The last lines of the Space's build or run log (empty when the log cannot be read)."""
    from huggingface_hub.errors import HfHubHTTPError

    try:
        return [line.rstrip("\n") for line in api.fetch_space_logs(repo_id, build=build)][-lines:]
    except (HfHubHTTPError, OSError, ValueError):
        return []
