"""Every error the publishing raises on purpose; each message is one line that says what to do."""

from __future__ import annotations


class PublishError(Exception):
    """An artifact could not be built or published (missing input, a tag that would move, a Hub
    failure after retries); nothing half-done is left on the Hub."""
