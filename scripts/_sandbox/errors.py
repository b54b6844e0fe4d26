"""The one error the sandbox raises on purpose; its message says what to do."""

from __future__ import annotations


class SandboxError(Exception):
    """Something the sandbox needs cannot be had (a wheel, a verified file)."""
