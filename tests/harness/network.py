"""Refuse, loudly, any connection that leaves this machine.

`install()` wraps `socket.connect`, `connect_ex` and `getaddrinfo`: a non-loopback address raises
`InternetAccessBlocked` and is recorded, so that code which swallows the error (a version check,
a telemetry thread) still fails the test that caused it. Subprocesses get the same guard through
the `sitecustomize` in `site/`, and append what they tried to the file named by
`LOCAL_TESTS_NETWORK_LOG`.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from collections.abc import Iterator

LOG_ENV = "LOCAL_TESTS_NETWORK_LOG"
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}

attempts: list[str] = []
_report_path: str | None = None


class InternetAccessBlockedError(RuntimeError):
    """A test (or code it ran) tried to reach a host outside this machine."""


def is_local(host: object) -> bool:
    """Whether `host` is this machine: a loopback or unspecified address, or `localhost`."""
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode()
    if not isinstance(host, str):
        return False
    if host.lower() in _LOCAL_NAMES:
        return True
    try:
        address = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _refuse(host: object) -> None:
    attempts.append(str(host))
    if _report_path:
        with contextlib.suppress(OSError), open(_report_path, "a") as log:
            log.write(f"{host}\n")
    raise InternetAccessBlockedError(f"the test suite must not reach the internet: connection to {host!r} refused")


def install(*, report_to: str | None = None) -> None:
    """Patch the socket module (idempotent).

    Args:
        report_to: Also append each refused host to this file (how a subprocess tells the test
            that started it).
    """
    global _report_path
    _report_path = report_to
    if getattr(socket, "_local_tests_guarded", False):
        return
    original_connect = socket.socket.connect
    original_connect_ex = socket.socket.connect_ex
    original_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: object) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not is_local(address[0]):  # type: ignore[index]
            _refuse(address[0])  # type: ignore[index]
        return original_connect(self, address)

    def connect_ex(self: socket.socket, address: object) -> int:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not is_local(address[0]):  # type: ignore[index]
            _refuse(address[0])  # type: ignore[index]
        return original_connect_ex(self, address)

    def getaddrinfo(host: object, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        if not is_local(host):
            _refuse(host)
        return original_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = getaddrinfo  # type: ignore[assignment]
    socket._local_tests_guarded = True  # type: ignore[attr-defined]


@contextlib.contextmanager
def expect_blocked() -> Iterator[list[str]]:
    """For tests of the guard itself: collect (and forgive) the attempts made inside the block."""
    start = len(attempts)
    blocked: list[str] = []
    try:
        yield blocked
    finally:
        blocked.extend(attempts[start:])
        del attempts[start:]
