"""Every error the local Hub double answers with.

Each exception carries the HTTP status, the `X-Error-Code` header value the real Hub sends (the
`huggingface_hub` client maps it to its own exception types) and a message for the JSON body and
the `X-Error-Message` header.
"""

from __future__ import annotations


class HubError(Exception):
    """Base class: an HTTP error response of the double.

    Args:
        message: Human-readable reason, sent as `{"error": message}` and `X-Error-Message`.
    """

    status: int = 500
    code: str | None = None

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequestError(HubError):
    """400: the request is malformed or breaks a rule of the Hub (bad metadata, bad path…)."""

    status = 400


class UnauthorizedError(HubError):
    """401: a token was sent but is not one the double accepts, or a write came with no token."""

    status = 401


class ForbiddenError(HubError):
    """403: the token is valid but may not do this (read-only token, foreign namespace)."""

    status = 403


class GatedRepoError(HubError):
    """401/403 with `X-Error-Code: GatedRepo`: the repo is gated and the caller has no access."""

    code = "GatedRepo"

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


class RepoNotFoundError(HubError):
    """404 `RepoNotFound`: no such repo, or a private one the caller may not see."""

    status = 404
    code = "RepoNotFound"


class RevisionNotFoundError(HubError):
    """404 `RevisionNotFound`: the repo exists but the branch, tag or commit does not."""

    status = 404
    code = "RevisionNotFound"


class EntryNotFoundError(HubError):
    """404 `EntryNotFound`: the revision exists but the file does not.

    Args:
        message: The reason.
        commit: The resolved commit, sent as `X-Repo-Commit` so the client can cache the miss.
    """

    status = 404
    code = "EntryNotFound"

    def __init__(self, message: str, *, commit: str | None = None) -> None:
        super().__init__(message)
        self.commit = commit


class NotFoundError(HubError):
    """404 with no Hub error code: an unknown route or object (discussion, LFS object…)."""

    status = 404


class ConflictError(HubError):
    """409: the repo, tag or branch already exists."""

    status = 409


class PreconditionFailedError(HubError):
    """412: a commit named a `parentCommit` that is no longer the head of the branch."""

    status = 412


class PayloadTooLargeError(HubError):
    """413: a request body larger than the route accepts (refused before it is read)."""

    status = 413


class RangeNotSatisfiableError(HubError):
    """416: a `Range` header outside the file."""

    status = 416
