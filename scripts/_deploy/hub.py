"""Talking to the Hub: retries with backoff for every request, and one-line errors.

huggingface_hub retries uploads (`http_backoff`) but sends repo, commit, tag and settings
requests once. The deploy installs, through huggingface_hub's own `set_client_factory`, a client
whose transport retries 429, 5xx and dropped connections with exponential backoff (honouring
`Retry-After`), so that every call converges on a flaky network or fails after the last try.
Requests whose body cannot be replayed (streamed uploads) are left to `http_backoff`.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx2
from huggingface_hub.utils import _http as hf_http
from huggingface_hub.utils import set_client_factory

from scripts._deploy.errors import HubRequestError

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
ATTEMPTS = 8
FIRST_WAIT = 0.25
MAX_WAIT = 8.0


class RetryingTransport(httpx2.BaseTransport):
    """An httpx transport that tries again on 429, 5xx and broken connections.

    Args:
        inner: The transport that sends requests.
        attempts: Tries per request, the first included (default `ATTEMPTS`).
        first_wait: Seconds before the second try; doubled each time up to `max_wait`, with jitter.
        max_wait: Longest wait between tries (a longer `Retry-After` is capped to it).
        sleep: How to wait (tests pass a fake).
    """

    def __init__(
        self,
        inner: httpx2.BaseTransport,
        *,
        attempts: int | None = None,
        first_wait: float | None = None,
        max_wait: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._inner = inner
        self._attempts = attempts or ATTEMPTS
        self._first_wait = FIRST_WAIT if first_wait is None else first_wait
        self._max_wait = MAX_WAIT if max_wait is None else max_wait
        self._sleep = sleep
        self.retries = 0

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        replayable = isinstance(request.stream, httpx2.ByteStream)
        for attempt in range(1, self._attempts + 1):
            last = attempt == self._attempts or not replayable
            try:
                response = self._inner.handle_request(request)
            except httpx2.TransportError:
                if last:
                    raise
                wait = self._backoff(attempt)
            else:
                if response.status_code not in RETRY_STATUSES or last:
                    return response
                wait = self._retry_after(response) or self._backoff(attempt)
                response.close()
            self.retries += 1
            self._sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _backoff(self, attempt: int) -> float:
        wait = min(self._max_wait, self._first_wait * 2 ** (attempt - 1))
        return wait * random.uniform(0.5, 1.0)  # noqa: S311 (jitter, not cryptography)

    def _retry_after(self, response: httpx2.Response) -> float | None:
        try:
            return min(self._max_wait, max(0.0, float(response.headers.get("Retry-After", ""))))
        except ValueError:
            return None

    def close(self) -> None:
        self._inner.close()


@contextlib.contextmanager
def retrying_requests(**options: Any) -> Iterator[None]:
    """Inside the block, every huggingface_hub request goes through a `RetryingTransport`."""

    def factory() -> httpx2.Client:
        default = hf_http.default_client_factory()
        client = httpx2.Client(
            transport=RetryingTransport(httpx2.HTTPTransport(), **options),
            event_hooks=default.event_hooks,
            follow_redirects=default.follow_redirects,
            timeout=default.timeout,
        )
        default.close()
        return client

    previous = hf_http._GLOBAL_CLIENT_FACTORY
    set_client_factory(factory)
    try:
        yield
    finally:
        set_client_factory(previous)


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
