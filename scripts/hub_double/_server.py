"""The local Hub's HTTP server: one handler class joining every route group.

Speaks the subset of the Hub's HTTP API that `huggingface_hub`, `transformers` and `datasets`
use (see the project's hub-protocol notes). It knows nothing about the demo suite.
"""

from __future__ import annotations

import socket
from http.server import ThreadingHTTPServer

from ._handler import Account, HubConfig
from ._routes_discussions import DiscussionRoutes
from ._routes_files import FileRoutes
from ._routes_repos import RepoRoutes
from ._routes_spaces import SpaceRoutes


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now (for a server that must know its port up front)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RequestHandler(RepoRoutes, FileRoutes, DiscussionRoutes, SpaceRoutes):
    """Every route of the double."""


class LocalHubServer(ThreadingHTTPServer):
    """A threading HTTP server bound to 127.0.0.1 that serves one `HubConfig`."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, config: HubConfig, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.config = config
        super().__init__((host, port), RequestHandler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


__all__ = ["Account", "HubConfig", "LocalHubServer", "RequestHandler", "free_port"]
