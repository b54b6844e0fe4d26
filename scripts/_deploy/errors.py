"""Every error the deploy raises on purpose; each message is one line that says what to do.

A failed Hub request is `scripts.hub_client.HubRequestError`: the deploy reports it as it is.
"""

from __future__ import annotations


class DeployError(Exception):
    """Base class: a Space could not be deployed; the message says why and what to do."""


class RefusedError(DeployError):
    """The bundle breaks a rule (an unpinned or unpublished ref, something that looks like a
    secret, a file over the Space limits, bad front matter): nothing was written."""


class SpaceStartError(DeployError):
    """The Space was deployed but did not reach RUNNING: it failed to build or start, or took
    longer than the wait allowed. The message names the stage; `log_tail` holds the last lines
    of the build or run log."""

    def __init__(self, message: str, *, stage: str, log_tail: list[str] | None = None) -> None:
        super().__init__(message)
        self.stage = stage
        self.log_tail = list(log_tail or [])


class SmokeFailedError(DeployError):
    """The Space runs the deployed commit but a smoke call of its demo got no sound answer (the
    message names the call and what was wrong)."""


class DeployInterruptedError(DeployError):
    """The deploy was interrupted (Ctrl-C). Each Space is either fully committed or untouched;
    `results` says how far each one got."""

    def __init__(self, message: str, *, results: list | None = None) -> None:
        super().__init__(message)
        self.results = list(results or [])
