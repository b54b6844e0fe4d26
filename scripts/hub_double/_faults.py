"""Fault injection: make chosen requests fail the way a flaky network or an overloaded Hub does."""

from __future__ import annotations

import random
import re
import threading
import time
from dataclasses import dataclass, field

FAULT_STATUSES = (500, 502, 503, 429)
DROP = "drop"
TRUNCATE = "truncate"


@dataclass(frozen=True)
class Fault:
    """What happens to one request: an HTTP status (`429` comes with `Retry-After`), a drop (the
    connection closes before any answer) or a truncation (a file download stops half-way)."""

    kind: int | str
    retry_after: int = 1

    @property
    def is_status(self) -> bool:
        return isinstance(self.kind, int)


@dataclass
class FaultPlan:
    """Which requests fail, and how.

    Attributes:
        rate: Fraction (0–1) of matching requests that fail.
        kinds: What a failure is: HTTP statuses among 500, 502, 503, 429, `"drop"` (the
            connection is closed before any response) and/or `"truncate"` (a file download sends
            its headers and half its body, then closes; other requests are dropped).
        path: Regular expression searched in `"METHOD /path?query"`; only matching requests can
            fail (all requests when None).
        times: Fail only this many matching requests, then none (overrides `rate` when set).
        retry_after: Seconds announced in `Retry-After` on 429 answers.
        latency: Seconds added before every request is answered (matching or not).
        seed: Seed of the random choices, for repeatable runs.
    """

    rate: float = 0.0
    kinds: tuple[int | str, ...] = (500,)
    path: str | None = None
    times: int | None = None
    retry_after: int = 1
    latency: float = 0.0
    seed: int | None = None
    injected: int = field(default=0, init=False)
    _rng: random.Random = field(init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"fault rate must be between 0 and 1, got {self.rate}")
        for kind in self.kinds:
            if kind not in (DROP, TRUNCATE, *FAULT_STATUSES):
                raise ValueError(f"unknown fault kind {kind!r}: use one of {FAULT_STATUSES}, 'drop' or 'truncate'")
        if not self.kinds:
            raise ValueError("a fault plan needs at least one kind of fault")
        if self.latency < 0:
            raise ValueError("latency cannot be negative")
        self._rng = random.Random(self.seed)
        self._pattern = re.compile(self.path) if self.path else None

    def decide(self, method: str, target: str) -> Fault | None:
        """Return the fault for this request, or None; sleeps for the configured latency first."""
        if self.latency:
            time.sleep(self.latency)
        if self._pattern is not None and not self._pattern.search(f"{method} {target}"):
            return None
        with self._lock:
            if self.times is not None:
                if self.injected >= self.times:
                    return None
            elif self.rate <= 0 or self._rng.random() >= self.rate:
                return None
            self.injected += 1
            return Fault(self._rng.choice(self.kinds), retry_after=self.retry_after)


def parse_kinds(text: str) -> tuple[int | str, ...]:
    """Parse a CLI list such as `500,429,drop`."""
    kinds: list[int | str] = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        kinds.append(item if item in (DROP, TRUNCATE) else int(item))
    return tuple(kinds)
