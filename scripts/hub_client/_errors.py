"""The errors of the Hub-client layer: one line each, saying what to do, never quoting a token."""

from __future__ import annotations

from typing import Any

import httpx2

from ._retries import RETRY_STATUSES


class HubRequestError(Exception):
    """The Hub refused a request (bad token, no permission, unknown repo or revision) or could not
    be reached even after retries. The message says what was being done and what to do."""


class FrontMatterRejectedError(HubRequestError):
    """The Hub rejected the YAML front matter of a README in a commit (`reasons`: its words)."""


class RevisionNotFoundError(HubRequestError):
    """The repo has no such revision (a pin of another Hub, a mistyped tag)."""


class ParentMovedError(HubRequestError):
    """A commit named its parent and the repo's head had moved (HTTP 412): nothing was written."""


def hub_failure(error: Exception, doing: str) -> HubRequestError:
    """A one-line error for a failed Hub request, saying what to do (never quoting a token)."""
    from huggingface_hub.errors import HfHubHTTPError

    status = getattr(getattr(error, "response", None), "status_code", None)
    if isinstance(error, HfHubHTTPError) and status is not None:
        server = _server_message(error)
        if status == 401:
            return HubRequestError(f"{doing}: the Hub refused the token: set HF_TOKEN to a valid write token")
        if status == 403:
            return HubRequestError(f"{doing}: the token may not do this{server}: use a token with write access")
        if status == 404:
            return HubRequestError(f"{doing}: not found{server}")
        if status in RETRY_STATUSES:
            return HubRequestError(f"{doing}: the Hub kept failing (HTTP {status}) after retries: try again later")
        return HubRequestError(f"{doing}: the Hub answered HTTP {status}{server}")
    if isinstance(error, httpx2.TransportError | OSError):
        return HubRequestError(
            f"{doing}: cannot reach the Hub ({type(error).__name__}) after retries: check the network and HF_ENDPOINT"
        )
    return HubRequestError(f"{doing}: {error}")


def _server_message(error: Any) -> str:
    message = getattr(error, "server_message", None) or ""
    message = " ".join(str(message).split())
    return f" ({message[:200]})" if message else ""


def rejected_front_matter(error: ValueError) -> str:
    """The Hub's reasons for rejecting a README's front matter, on one line."""
    reasons = " ".join(line.strip().lstrip("- ") for line in str(error).splitlines()[1:] if line.strip())
    return f"the Hub rejects the front matter: {reasons or error}"
