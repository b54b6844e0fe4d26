"""Plumbing of the double's HTTP handler: routing, bodies, responses, auth and fault injection.

The route groups (`_routes_*.py`) subclass `BaseHandler`; `_server.py` joins them into one handler.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import re
import secrets
import shutil
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import IO, Any, Protocol

from . import _spaces as spaces
from ._errors import (
    BadRequestError,
    EntryNotFoundError,
    ForbiddenError,
    GatedRepoError,
    HubError,
    NotFoundError,
    PayloadTooLargeError,
    RangeNotSatisfiableError,
    RepoNotFoundError,
    UnauthorizedError,
)
from ._faults import TRUNCATE, FaultPlan
from ._storage import (
    RepoRecord,
    Storage,
    now_iso,
)

INVALID_CREDENTIALS = "Invalid credentials in Authorization header"
URL_PREFIX = {"model": "", "dataset": "datasets/", "space": "spaces/"}
# Path patterns of a repo id and of a repo type in API routes.
REPO = r"(?P<ns>[^/]+)/(?P<name>[^/]+)"
TYPES = r"(?P<type>models|datasets|spaces)"

# Request bodies. JSON bodies are small; a commit carries every regular file inline (base64), so
# it may be large and is spooled to disk. A body over its route's limit is refused (413) before a
# byte of it is read, and so is any body of a request that is not authorised.
MAX_JSON_BODY = 16 * 2**20
MAX_COMMIT_BODY = 2**30
# A body left unread (an error was answered first) is drained only when this small; a larger one
# is not read at all: the connection is closed instead.
MAX_DRAINED_BODY = 2**20
_SPOOL_IN_MEMORY = 8 * 2**20
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Account:
    """A user of the double and the token that authenticates as them.

    Attributes:
        name: User name; the user may write to this namespace and to `orgs`.
        token: Bearer token.
        orgs: Organisations the user belongs to.
        can_write: False for a read-only token (it can read private repos but not write).
    """

    name: str
    token: str
    orgs: tuple[str, ...] = ()
    can_write: bool = True

    def member_of(self, namespace: str) -> bool:
        return namespace == self.name or namespace in self.orgs


@dataclass
class HubConfig:
    """Everything the request handler needs, shared by all request threads."""

    storage: Storage
    accounts: dict[str, Account]
    lfs_mode: str = "auto"
    faults: FaultPlan | None = None
    log_file: Path | None = None
    space_build_seconds: float = 0.0
    # Runs each Space's committed app for real (`_runner.SpaceRunner`); None: a simulated runtime.
    space_runner: Any = None
    page_size: int = 1000
    # In-memory copy of the request log, for tests; a long-running `serve` turns it off.
    keep_requests: bool = True
    request_log: list[dict[str, Any]] = field(default_factory=list)
    signing_key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    log_lock: threading.Lock = field(default_factory=threading.Lock)
    # Requests being answered: a request is logged after its answer went out, so whoever reads
    # the log waits for them (`settled`) rather than miss the last one.
    in_flight: int = 0
    answering: threading.Condition = field(default_factory=threading.Condition)

    def settled(self, timeout: float = 2.0) -> None:
        """Wait (at most `timeout` seconds) until no request is being answered."""
        with self.answering:
            self.answering.wait_for(lambda: self.in_flight == 0, timeout=timeout)


Handler = Callable[..., None]


@dataclass(frozen=True)
class Route:
    """One route: method, path regex, handler method name, and whether a body may come without a token."""

    method: str
    pattern: re.Pattern[str]
    handler: str
    anonymous: bool


ROUTES: list[Route] = []


def route(method: str, pattern: str, *, anonymous: bool = False) -> Callable[[Handler], Handler]:
    """Register a handler method for `method` and a path regex (matched on the raw path).

    Args:
        method: `GET`, `POST`… or several joined by `|`.
        pattern: Regex of the path, with named groups passed to the handler.
        anonymous: A request with a body may come without a token (validation, public reads by
            POST, presigned uploads); otherwise such a request is refused before its body is read.
    """

    def register(func: Handler) -> Handler:
        for verb in method.split("|"):
            ROUTES.append(Route(verb, re.compile("^" + pattern + r"\Z"), func.__name__, anonymous))
        return func

    return register


class DroppedConnectionError(Exception):
    """Raised to close the socket without answering (fault injection)."""


class ServesConfig(Protocol):
    """What a handler needs of its server (`_server.LocalHubServer`): the Hub it serves."""

    config: HubConfig


class BaseHandler(BaseHTTPRequestHandler):
    """Plumbing shared by every route group: dispatch through `ROUTES`, bodies, responses, auth.

    One instance per connection. The route groups subclass it and `server.RequestHandler` joins them.
    """

    protocol_version = "HTTP/1.1"
    server: ServesConfig  # type: ignore[assignment]
    server_version = "LocalHub/1.0"

    # ------------------------------------------------------------------ plumbing

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Silence the default stderr access log: requests go to the JSON log instead."""

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    @property
    def config(self) -> HubConfig:
        return self.server.config

    @property
    def base_url(self) -> str:
        return f"http://{self.headers.get('Host') or self.server.url.removeprefix('http://')}"

    def _dispatch(self, method: str) -> None:
        started = time.monotonic()
        with self.config.answering:
            self.config.in_flight += 1
        self._status = 0
        self._bytes_out = 0
        self._body_read = False
        self._method = method
        split = urllib.parse.urlsplit(self.path)
        self._path, self._query = split.path, urllib.parse.parse_qs(split.query)
        fault_name = None
        self._truncate = False
        try:
            fault = self.config.faults.decide(method, self.path) if self.config.faults else None
            if fault is not None:
                fault_name = str(fault.kind)
            if fault is None:
                self._route(method)
            elif fault.is_status:
                self._discard_body()
                headers = {"Retry-After": str(fault.retry_after)} if fault.kind == 429 else {}
                message = "Too many requests" if fault.kind == 429 else "Injected server error"
                self._send_json(int(fault.kind), {"error": message}, headers=headers)
            elif fault.kind == TRUNCATE and method == "GET" and "/resolve/" in self._path:
                self._truncate = True
                self._route(method)
            else:
                raise DroppedConnectionError
        except DroppedConnectionError:
            self.close_connection = True
        except HubError as exc:
            self._send_error(exc)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as exc:  # a bug in the double: answer 500 and keep serving
            self._send_error(HubError(f"Internal error in the local Hub: {type(exc).__name__}: {exc}"))
        finally:
            if not self._body_read and not self.close_connection:
                self._discard_body()
            self._log(method, started, fault_name)
            with self.config.answering:
                self.config.in_flight -= 1
                self.config.answering.notify_all()

    def _route(self, method: str) -> None:
        account = self._account()  # an unknown token is refused on every route, as on the Hub
        for candidate in ROUTES:
            if candidate.method != method:
                continue
            match = candidate.pattern.match(self._path)
            if match:
                if method in _BODY_METHODS and account is None and not candidate.anonymous:
                    raise UnauthorizedError("You must be authenticated with a write token to do this")
                params = {k: urllib.parse.unquote(v) for k, v in match.groupdict().items() if v is not None}
                getattr(self, candidate.handler)(**params)
                return
        raise NotFoundError(f"No route for {method} {self._path} on the local Hub")

    def _log(self, method: str, started: float, fault: str | None) -> None:
        entry = {
            "time": now_iso(),
            "method": method,
            "path": self._path,
            "status": self._status,
            "duration_ms": round((time.monotonic() - started) * 1000, 2),
            "bytes_in": int(self.headers.get("Content-Length") or 0),
            "bytes_out": 0 if method == "HEAD" else self._bytes_out,
        }
        if fault:
            entry["fault"] = fault
        with self.config.log_lock:
            if self.config.keep_requests:
                self.config.request_log.append(entry)
            if self.config.log_file is not None:
                with open(self.config.log_file, "a") as log:
                    log.write(json.dumps(entry) + "\n")

    # ------------------------------------------------------------------ bodies

    def _body(self, limit: int) -> IO[bytes]:
        """The request body as a stream of at most `limit` bytes (413 beyond, before reading it)."""
        self._body_read = True
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return _ChunkedBody(self.rfile, limit, on_error=self._hang_up)
        length = self._content_length()
        if length > limit:
            self._hang_up()
            raise PayloadTooLargeError(f"The request body is {length:,} bytes; this endpoint takes at most {limit:,}")
        return _LimitedBody(self.rfile, length)

    def _read_body(self, limit: int = MAX_JSON_BODY) -> bytes:
        return self._body(limit).read()

    @contextlib.contextmanager
    def _spooled_body(self, limit: int) -> Iterator[IO[bytes]]:
        """The body copied to a temporary file (in memory while small), positioned at its start."""
        with tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY) as spool:
            shutil.copyfileobj(self._body(limit), spool, 1 << 20)
            spool.seek(0)
            yield spool

    def _content_length(self) -> int:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self._hang_up()
            raise BadRequestError("Content-Length is not a number") from None
        if length < 0:
            self._hang_up()
            raise BadRequestError("Content-Length is negative")
        return length

    def _hang_up(self) -> None:
        """Close the connection after the answer: the rest of the body stays unread."""
        self._body_read = True
        self.close_connection = True

    def _discard_body(self) -> None:
        """Drain an unread body so the connection can serve the next request; a large or chunked
        body is not read at all (the connection closes instead)."""
        if self._body_read:
            return
        self._body_read = True
        try:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                self.close_connection = True
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_DRAINED_BODY:
                self.close_connection = True
                return
            while length > 0:
                chunk = self.rfile.read(min(length, 1 << 16))
                if not chunk:
                    break
                length -= len(chunk)
        except (OSError, ValueError):
            self.close_connection = True

    def _json_body(self) -> Any:
        raw = self._read_body()
        try:
            return json.loads(raw or b"{}")
        except json.JSONDecodeError:
            raise BadRequestError("Request body is not valid JSON") from None

    # ------------------------------------------------------------------ responses

    def send_header(self, keyword: str, value: str) -> None:
        if keyword.lower() == "content-length":
            self._bytes_out = int(value)  # request log: bytes answered
        super().send_header(keyword, value)

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self._status = status
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self._method != "HEAD":
            self.wfile.write(body)

    def _send_json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(data).encode(), "application/json; charset=utf-8", headers)

    def _send_error(self, exc: HubError) -> None:
        headers = {"X-Error-Message": header_safe(exc.message)}
        if exc.code:
            headers["X-Error-Code"] = exc.code
        if isinstance(exc, EntryNotFoundError) and exc.commit:
            headers["X-Repo-Commit"] = exc.commit
        if isinstance(exc, RangeNotSatisfiableError):
            headers["Content-Range"] = exc.message.split(": ", 1)[-1]
        self._send_json(exc.status, {"error": exc.message}, headers=headers)

    # ------------------------------------------------------------------ auth

    def _account(self) -> Account | None:
        header = self.headers.get("Authorization")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        account = self.config.accounts.get(token.strip()) if scheme.lower() == "bearer" else None
        if account is None:
            raise UnauthorizedError(INVALID_CREDENTIALS)
        return account

    def _writer(self, namespace: str, what: str) -> Account:
        account = self._account()
        if account is None:
            raise UnauthorizedError(f"You must be authenticated with a write token to {what}")
        if not account.can_write:
            raise ForbiddenError(f"This token is read-only: use a token with write access to {what}")
        if not account.member_of(namespace):
            raise ForbiddenError(f"You don't have the rights to {what} under the namespace {namespace!r}")
        return account

    def _visible_repo(self, repo_type: str, ns: str, name: str) -> RepoRecord:
        record = self.config.storage.repo(repo_type, f"{ns}/{name}")
        if record.private:
            account = self._account()
            if account is None or not account.member_of(record.namespace):
                raise RepoNotFoundError(f"Repository not found: {repo_type}s/{record.id}")
        else:
            self._account()  # a bad token is refused even on public repos, as on the Hub
        return record

    def _writable_repo(
        self, repo_type: str, ns: str, name: str, what: str = "write to this repo"
    ) -> tuple[RepoRecord, Account]:
        record = self._visible_repo(repo_type, ns, name)
        return record, self._writer(record.namespace, what)

    def _check_gate(self, record: RepoRecord) -> None:
        if not record.gated:
            return
        account = self._account()
        if account is None:
            raise GatedRepoError(
                f"Access to {record.id} is restricted: log in with a token to ask for access", status=401
            )
        if not account.member_of(record.namespace) and account.name not in record.granted_users:
            raise GatedRepoError(
                f"Access to {record.id} is restricted and you are not in the authorized list: ask for access on the repo page",
                status=403,
            )

    # ------------------------------------------------------------------ Space settings (shared)

    def _update_space(self, ns: str, name: str, change: Callable[[RepoRecord], Any], *, rebuild: bool) -> RepoRecord:
        """Apply `change` to a Space's settings atomically (re-read under the write lock)."""
        self._writable_repo("space", ns, name, "manage this Space")
        storage = self.config.storage
        with storage.write_lock():
            record = storage.repo("space", f"{ns}/{name}")
            change(record)
            if rebuild:
                spaces.start_build(storage, record, runner=self.config.space_runner)
            storage.save_repo(record)
        return record

    def _rebuild(self, record: RepoRecord) -> None:
        self._update_space(*record.id.split("/"), lambda r: None, rebuild=True)

    def _runtime(self, record: RepoRecord) -> dict[str, Any]:
        return spaces.runtime(
            self.config.storage, record, build_seconds=self.config.space_build_seconds, runner=self.config.space_runner
        )


class _LimitedBody(io.RawIOBase):
    """The next `length` bytes of a stream, and no more."""

    def __init__(self, stream: IO[bytes], length: int) -> None:
        self._stream = stream
        self._left = length

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._left <= 0:
            return 0
        data = self._stream.read(min(len(buffer), self._left))
        buffer[: len(data)] = data
        self._left -= len(data)
        return len(data)


class _ChunkedBody(io.RawIOBase):
    """A `Transfer-Encoding: chunked` body, decoded as it is read; 413 once it passes `limit`."""

    def __init__(self, stream: IO[bytes], limit: int, *, on_error: Callable[[], None]) -> None:
        self._stream = stream
        self._limit = limit
        self._on_error = on_error
        self._chunk_left = 0
        self._total = 0
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._done:
            return 0
        if self._chunk_left == 0:
            line = self._stream.readline(1024)
            try:
                size = int(line.split(b";")[0].strip() or b"0", 16)
            except ValueError:
                self._on_error()
                raise BadRequestError("Malformed chunked request body") from None
            if size == 0:
                while self._stream.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                self._done = True
                return 0
            self._total += size
            if self._total > self._limit:
                self._on_error()
                raise PayloadTooLargeError(f"The request body is over the {self._limit:,}-byte limit of this endpoint")
            self._chunk_left = size
        data = self._stream.read(min(len(buffer), self._chunk_left))
        if not data:
            self._on_error()
            raise BadRequestError("The chunked request body ended early")
        buffer[: len(data)] = data
        self._chunk_left -= len(data)
        if self._chunk_left == 0:
            self._stream.readline(16)  # the CRLF after each chunk
        return len(data)


def stable_id(text: str) -> str:
    """A 24-hex id in the style of the Hub's MongoDB ids, stable for the same input."""
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:24]


def header_safe(text: str) -> str:
    return text.replace("\r", " ").replace("\n", " ").encode("latin-1", "replace").decode("latin-1")[:1000]
