"""Retries with backoff for every request the Hub client sends.

huggingface_hub retries uploads (`http_backoff`) but sends repo, commit, tag and settings
requests once. Inside `retrying_requests`, installed through huggingface_hub's own `set_client_factory`, a client
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
    # Imported here: HF_ENDPOINT may still be set after this module is imported.
    from huggingface_hub.utils import _http as hf_http
    from huggingface_hub.utils import set_client_factory

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
