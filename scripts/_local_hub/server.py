"""The HTTP side of the double: routes, auth, downloads, uploads, Spaces and fault injection.

Speaks the subset of the Hub's HTTP API that `huggingface_hub`, `transformers` and `datasets`
use (see the project's hub-protocol notes). It knows nothing about the demo suite.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import mimetypes
import re
import secrets
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from . import cards, spaces
from .errors import (
    BadRequestError,
    EntryNotFoundError,
    ForbiddenError,
    GatedRepoError,
    HubError,
    NotFoundError,
    RangeNotSatisfiableError,
    RepoNotFoundError,
    UnauthorizedError,
)
from .faults import TRUNCATE, FaultPlan
from .storage import (
    REPO_TYPES,
    SHA256_RE,
    AddFile,
    AddLfsFile,
    Commit,
    DeleteFile,
    DeleteFolder,
    FileEntry,
    Operation,
    RepoRecord,
    Storage,
    gitattributes_lfs_patterns,
    looks_binary,
    matches_gitattributes,
    now_iso,
)

SPACE_HARDWARE = (
    "cpu-basic", "cpu-upgrade", "cpu-xl", "zero-a10g", "t4-small", "t4-medium", "l4x1", "l4x4",
    "l40sx1", "l40sx4", "l40sx8", "a10g-small", "a10g-large", "a10g-largex2", "a10g-largex4",
    "a100-large", "a100x4", "a100x8", "h100", "h100x8", "rtx-pro-6000", "rtx-pro-6000x2",
    "rtx-pro-6000x4", "rtx-pro-6000x8",
)  # fmt: skip
SECRET_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
INVALID_CREDENTIALS = "Invalid credentials in Authorization header"
URL_PREFIX = {"model": "", "dataset": "datasets/", "space": "spaces/"}
_REPO = r"(?P<ns>[^/]+)/(?P<name>[^/]+)"
_TYPES = r"(?P<type>models|datasets|spaces)"


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
    page_size: int = 1000
    request_log: list[dict[str, Any]] = field(default_factory=list)
    signing_key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    log_lock: threading.Lock = field(default_factory=threading.Lock)


Handler = Callable[..., None]
ROUTES: list[tuple[str, re.Pattern[str], str]] = []


def route(method: str, pattern: str) -> Callable[[Handler], Handler]:
    """Register a handler method for `method` and a path regex (matched on the raw path)."""

    def register(func: Handler) -> Handler:
        for verb in method.split("|"):
            ROUTES.append((verb, re.compile("^" + pattern + "$"), func.__name__))
        return func

    return register


class _DroppedConnectionError(Exception):
    """Raised to close the socket without answering (fault injection)."""


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


class RequestHandler(BaseHTTPRequestHandler):
    """One instance per connection; `do_*` dispatch every request through `ROUTES`."""

    protocol_version = "HTTP/1.1"
    server: LocalHubServer
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
        self._status = 0
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
                raise _DroppedConnectionError
        except _DroppedConnectionError:
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

    def _route(self, method: str) -> None:
        for verb, pattern, name in ROUTES:
            if verb != method:
                continue
            match = pattern.match(self._path)
            if match:
                params = {k: urllib.parse.unquote(v) for k, v in match.groupdict().items() if v is not None}
                getattr(self, name)(**params)
                return
        raise NotFoundError(f"No route for {method} {self._path} on the local Hub")

    def _log(self, method: str, started: float, fault: str | None) -> None:
        entry = {
            "time": now_iso(),
            "method": method,
            "path": self._path,
            "status": self._status,
            "duration_ms": round((time.monotonic() - started) * 1000, 2),
        }
        if fault:
            entry["fault"] = fault
        with self.config.log_lock:
            self.config.request_log.append(entry)
            if self.config.log_file is not None:
                with open(self.config.log_file, "a") as log:
                    log.write(json.dumps(entry) + "\n")

    # ------------------------------------------------------------------ bodies

    def _read_body(self) -> bytes:
        self._body_read = True
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return b"".join(self._iter_chunks())
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _iter_chunks(self):
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return
            yield self.rfile.read(size)
            self.rfile.readline()

    def _discard_body(self) -> None:
        if not self._body_read:
            try:
                self._read_body()
            except (OSError, ValueError):
                self.close_connection = True

    def _json_body(self) -> Any:
        raw = self._read_body()
        try:
            return json.loads(raw or b"{}")
        except json.JSONDecodeError:
            raise BadRequestError("Request body is not valid JSON") from None

    # ------------------------------------------------------------------ responses

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
        headers = {"X-Error-Message": _header_safe(exc.message)}
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

    # ------------------------------------------------------------------ identity and metadata

    @route("GET", r"/api/whoami-v2")
    def whoami(self) -> None:
        account = self._account()
        if account is None:
            raise UnauthorizedError(INVALID_CREDENTIALS)
        self._send_json(
            200,
            {
                "type": "user",
                "id": _stable_id(account.name),
                "name": account.name,
                "fullname": account.name,
                "isPro": False,
                "orgs": [{"type": "org", "name": org, "fullname": org, "roleInOrg": "write"} for org in account.orgs],
                "auth": {
                    "type": "access_token",
                    "accessToken": {"displayName": "local-hub", "role": "write" if account.can_write else "read"},
                },
            },
        )

    @route("GET", r"/api/agent-harnesses")
    def agent_harnesses(self) -> None:
        self._send_json(200, {"standardEnvVars": [], "harnesses": {}})

    @route("HEAD|GET|POST", r"/api/telemetry/.*")
    def telemetry(self) -> None:
        self._send_json(200, {})

    @route("POST", r"/api/validate-yaml")
    def validate_yaml(self) -> None:
        body = self._json_body()
        content, repo_type = body.get("content"), body.get("repoType", "model")
        if not isinstance(content, str) or repo_type not in REPO_TYPES:
            raise BadRequestError('Expected {"content": <README text>, "repoType": "model" | "dataset" | "space"}')
        errors, warnings = cards.validate(content, repo_type)
        payload = {"errors": [{"message": e} for e in errors], "warnings": [{"message": w} for w in warnings]}
        if errors:
            payload["error"] = "Invalid metadata in README.md: " + "; ".join(errors)
            self._send_json(400, payload, headers={"X-Error-Message": _header_safe(payload["error"])})
        else:
            self._send_json(200, payload)

    # ------------------------------------------------------------------ repo lifecycle

    @route("POST", r"/api/repos/create")
    def create_repo(self) -> None:
        body = self._json_body()
        repo_type = body.get("type") or "model"
        if repo_type not in REPO_TYPES:
            raise BadRequestError(f"Invalid repo type {repo_type!r}: expected model, dataset or space")
        account = self._account()
        if account is None:
            raise UnauthorizedError("You must be authenticated with a write token to create a repo")
        namespace = body.get("organization") or account.name
        name = body.get("name") or ""
        repo_id = f"{namespace}/{name}"
        url = f"{self.base_url}/{URL_PREFIX[repo_type]}{repo_id}"
        storage = self.config.storage
        if storage.exists(repo_type, repo_id):
            record = storage.repo(repo_type, repo_id)
            if not record.private or account.member_of(namespace):
                self._send_json(409, {"error": f"You already created this {repo_type} repo", "url": url})
                return
        self._writer(namespace, f"create a {repo_type}")
        private = body.get("visibility", "public") == "private" or bool(body.get("private"))
        space: dict[str, Any] = {}
        initial_files: dict[str, bytes] = {}
        if repo_type == "space":
            space, initial_files = self._new_space_settings(body, name)
        storage.create_repo(
            repo_type=repo_type, repo_id=repo_id, author=account.name, private=private, space=space,
            initial_files=initial_files,
        )  # fmt: skip
        if repo_type == "space":
            self._rebuild(storage.repo("space", repo_id))
        self._send_json(200, {"url": url, "name": repo_id, "id": _stable_id(repo_id)})

    def _new_space_settings(self, body: dict[str, Any], name: str) -> tuple[dict[str, Any], dict[str, bytes]]:
        sdk = body.get("sdk")
        if sdk not in cards.SPACE_SDKS:
            raise BadRequestError(f"Invalid Space sdk {sdk!r}: expected one of {', '.join(cards.SPACE_SDKS)}")
        hardware = body.get("hardware") or "cpu-basic"
        if hardware not in SPACE_HARDWARE:
            raise BadRequestError(f"Invalid Space hardware {hardware!r}: expected one of {', '.join(SPACE_HARDWARE)}")
        space: dict[str, Any] = {
            "sdk": sdk,
            "hardware": hardware,
            "sleep_time": body.get("sleepTimeSeconds"),
            "secrets": {},
            "variables": {},
            "paused": False,
        }
        for item in body.get("secrets") or []:
            space["secrets"][_secret_key(item)] = _secret_record(item)
        for item in body.get("variables") or []:
            space["variables"][_secret_key(item)] = _variable_record(item)
        readme = (
            f"---\ntitle: {name}\nemoji: 🚀\ncolorFrom: blue\ncolorTo: purple\nsdk: {sdk}\n"
            + ("app_file: app.py\n" if sdk == "gradio" else "")
            + "pinned: false\n---\n\nCheck out the configuration reference at "
            "https://huggingface.co/docs/hub/spaces-config-reference\n"
        )
        return space, {"README.md": readme.encode()}

    @route("DELETE", r"/api/repos/delete")
    def delete_repo(self) -> None:
        body = self._json_body()
        repo_type = body.get("type") or "model"
        account = self._account()
        namespace = body.get("organization") or (account.name if account else "")
        repo_id = f"{namespace}/{body.get('name')}"
        self._writable_repo(repo_type, *repo_id.split("/", 1), what=f"delete a {repo_type}")
        self.config.storage.delete_repo(repo_type, repo_id)
        self._send_json(200, {})

    @route("POST", r"/api/repos/move")
    def move_repo(self) -> None:
        body = self._json_body()
        repo_type = body.get("type") or "model"
        from_id, to_id = body.get("fromRepo", ""), body.get("toRepo", "")
        if from_id.count("/") != 1 or to_id.count("/") != 1:
            raise BadRequestError("fromRepo and toRepo must be namespace/name")
        self._writable_repo(repo_type, *from_id.split("/"), what=f"move a {repo_type}")
        self._writer(to_id.split("/")[0], f"move a {repo_type}")
        self.config.storage.move_repo(repo_type, from_id, to_id)
        self._send_json(200, {})

    @route("PUT", rf"/api/{_TYPES}/{_REPO}/settings")
    def update_settings(self, type: str, ns: str, name: str) -> None:  # noqa: A002
        record, _ = self._writable_repo(type[:-1], ns, name, "change the settings of this repo")
        body = self._json_body()
        if "private" in body:
            record.private = bool(body["private"])
        if "visibility" in body:
            record.private = body["visibility"] == "private"
        if "gated" in body:
            if body["gated"] not in ("auto", "manual", False):
                raise BadRequestError('"gated" must be "auto", "manual" or false')
            record.gated = body["gated"]
        self.config.storage.save_repo(record)
        self._send_json(200, {})

    @route("POST", rf"/api/{_TYPES}/{_REPO}/user-access-request/grant")
    def grant_access(self, type: str, ns: str, name: str) -> None:  # noqa: A002
        record, _ = self._writable_repo(type[:-1], ns, name, "grant access to this repo")
        user = self._json_body().get("user")
        if not isinstance(user, str) or not user:
            raise BadRequestError('Expected {"user": <user name>}')
        if user not in record.granted_users:
            record.granted_users.append(user)
            self.config.storage.save_repo(record)
        self._send_json(200, {})

    @route("POST", rf"/api/{_TYPES}/{_REPO}/duplicate")
    def duplicate_repo(self, type: str, ns: str, name: str) -> None:  # noqa: A002
        repo_type = type[:-1]
        source = self._visible_repo(repo_type, ns, name)
        body = self._json_body()
        to_id = body.get("repository", "")
        if to_id.count("/") != 1:
            raise BadRequestError('Expected {"repository": "namespace/name"}')
        account = self._writer(to_id.split("/")[0], f"create a {repo_type}")
        storage = self.config.storage
        head = storage.resolve(source, "main")
        space = (
            dict(source.space, secrets={}, variables=dict(source.space.get("variables", {}))) if source.space else {}
        )
        if repo_type == "space" and body.get("hardware"):
            space["hardware"] = body["hardware"]
        private = body.get("private", source.private)
        storage.create_repo(repo_type=repo_type, repo_id=to_id, author=account.name, private=bool(private), space=space)
        target = storage.repo(repo_type, to_id)
        operations: list[Operation] = []
        for path, entry in head.tree.items():
            if entry.lfs:
                with open(storage.blob_path(source, entry), "rb") as stream:
                    storage.store_lfs(target, entry.lfs, entry.size, stream)
                operations.append(AddLfsFile(path, entry.lfs, entry.size))
            else:
                operations.append(AddFile(path, storage.read_file(source, entry)))
        storage.commit(
            target, revision="main", operations=operations, title=f"Duplicate from {source.id}", author=account.name
        )
        if repo_type == "space":
            self._rebuild(target)
        self._send_json(200, {"url": f"{self.base_url}/{URL_PREFIX[repo_type]}{to_id}"})

    # ------------------------------------------------------------------ repo info and listings

    @route("GET", rf"/api/{_TYPES}")
    def list_repos(self, type: str) -> None:  # noqa: A002
        account = self._account()
        author = (self._query.get("author") or [None])[0]
        search = (self._query.get("search") or [""])[0].lower()
        items = []
        for record in self.config.storage.list_repos(type[:-1]):
            if record.private and (account is None or not account.member_of(record.namespace)):
                continue
            if (author and record.namespace != author) or search not in record.id.lower():
                continue
            items.append(self._info(record, self.config.storage.resolve(record, "main"), files_metadata=False))
        self._send_json(200, items)

    @route("GET", rf"/api/{_TYPES}/{_REPO}(?:/revision/(?P<rev>.+))?")
    def repo_info(self, type: str, ns: str, name: str, rev: str = "main") -> None:  # noqa: A002
        record = self._visible_repo(type[:-1], ns, name)
        commit = self.config.storage.resolve(record, rev)
        info = self._info(record, commit, files_metadata=self._query.get("blobs") == ["true"])
        expand = self._query.get("expand[]") or self._query.get("expand")
        if expand:
            info = {k: v for k, v in info.items() if k in expand or k in ("id", "_id")}
        self._send_json(200, info)

    def _info(self, record: RepoRecord, commit: Commit, *, files_metadata: bool) -> dict[str, Any]:
        storage = self.config.storage
        card: dict[str, Any] = {}
        if "README.md" in commit.tree:
            try:
                card = (
                    cards.front_matter(storage.read_file(record, commit.tree["README.md"]).decode("utf-8", "replace"))
                    or {}
                )
            except ValueError:
                card = {}
        siblings = []
        for path, entry in commit.tree.items():
            sibling: dict[str, Any] = {"rfilename": path}
            if files_metadata:
                sibling.update(size=entry.size, blobId=entry.oid)
                if entry.lfs:
                    sibling["lfs"] = {"size": entry.size, "sha256": entry.lfs, "pointerSize": entry.pointer_size}
            siblings.append(sibling)
        tags = card.get("tags") if isinstance(card.get("tags"), list) else []
        info: dict[str, Any] = {
            "_id": _stable_id(f"{record.type}/{record.id}"),
            "id": record.id,
            "author": record.namespace,
            "sha": commit.id,
            "lastModified": commit.date,
            "createdAt": record.created_at,
            "private": record.private,
            "gated": record.gated,
            "disabled": False,
            "downloads": 0,
            "likes": 0,
            "tags": list(tags),
            "siblings": siblings,
            "usedStorage": sum(e.size for e in commit.tree.values()),
        }
        if card:
            info["cardData"] = card
        if record.type == "model":
            info["library_name"] = card.get("library_name")
            info["pipeline_tag"] = card.get("pipeline_tag")
        elif record.type == "dataset":
            info["description"] = None
        else:
            info.update(
                sdk=record.space.get("sdk"),
                subdomain=record.id.replace("/", "-").replace("_", "-").lower(),
                host=f"{self.base_url}/spaces/{record.id}",
                runtime=self._runtime(record),
                models=card.get("models"),
                datasets=card.get("datasets"),
            )
        return info

    def _tree_entry(
        self, record: RepoRecord, commit: Commit, path: str, entry: FileEntry | None, *, expand: bool
    ) -> dict[str, Any]:
        if entry is None:
            item: dict[str, Any] = {
                "type": "directory",
                "oid": self.config.storage.tree_ids(record, commit)[path],
                "size": 0,
                "path": path,
            }
        else:
            item = {"type": "file", "oid": entry.oid, "size": entry.size, "path": path}
            if entry.lfs:
                item["lfs"] = {"oid": entry.lfs, "size": entry.size, "pointerSize": entry.pointer_size}
        if expand:
            last = self._last_commit(record, commit, path)
            item["lastCommit"] = {"id": last.id, "title": last.title, "date": last.date}
        return item

    def _last_commit(self, record: RepoRecord, commit: Commit, path: str) -> Commit:
        """The newest commit (first-parent walk) that changed `path`."""

        def snapshot(c: Commit) -> Any:
            if path in c.tree:
                return c.tree[path]
            return sorted((p, e) for p, e in c.tree.items() if p.startswith(path + "/"))

        current, state = commit, snapshot(commit)
        while current.parents:
            parent = self.config.storage.get_commit(record, current.parents[0])
            if parent is None or snapshot(parent) != state:
                break
            current = parent
        return current

    @route("GET", rf"/api/{_TYPES}/{_REPO}/tree/(?P<rev>[^/]+)(?:/(?P<path>.*))?")
    def list_tree(self, type: str, ns: str, name: str, rev: str, path: str = "") -> None:  # noqa: A002
        record = self._visible_repo(type[:-1], ns, name)
        commit = self.config.storage.resolve(record, rev)
        path = path.strip("/")
        recursive = self._query.get("recursive") in (["true"], ["1"], ["True"])
        expand = self._query.get("expand") in (["true"], ["1"], ["True"])
        prefix = path + "/" if path else ""
        if path and path in commit.tree:
            raise BadRequestError(f"{path} is a file, not a folder")
        folders: set[str] = set()
        files: list[str] = []
        for file_path in commit.tree:
            if not file_path.startswith(prefix):
                continue
            rest = file_path[len(prefix) :].split("/")
            for depth in range(1, len(rest) if recursive else min(2, len(rest))):
                folders.add(prefix + "/".join(rest[:depth]))
            if recursive or len(rest) == 1:
                files.append(file_path)
        if path and not files and not folders:
            raise EntryNotFoundError(f"{path} does not exist at revision {rev}", commit=commit.id)
        entries = sorted([(p, None) for p in folders] + [(p, commit.tree[p]) for p in files], key=lambda item: item[0])
        page_size = self.config.page_size if not expand else min(self.config.page_size, 50)
        start = int((self._query.get("cursor") or ["0"])[0] or 0)
        page = entries[start : start + page_size]
        headers = {}
        if start + page_size < len(entries):
            query = {k: v[0] for k, v in self._query.items()} | {"cursor": str(start + page_size)}
            headers["Link"] = f'<{self.base_url}{self._path}?{urllib.parse.urlencode(query)}>; rel="next"'
        self._send_json(200, [self._tree_entry(record, commit, p, e, expand=expand) for p, e in page], headers=headers)

    @route("POST", rf"/api/{_TYPES}/{_REPO}/paths-info/(?P<rev>[^/]+)")
    def paths_info(self, type: str, ns: str, name: str, rev: str) -> None:  # noqa: A002
        record = self._visible_repo(type[:-1], ns, name)
        raw = self._read_body().decode()
        if "json" in (self.headers.get("Content-Type") or ""):
            body = json.loads(raw or "{}")
            paths, expand = body.get("paths", []), bool(body.get("expand"))
        else:
            form = urllib.parse.parse_qs(raw)
            paths, expand = form.get("paths", []), form.get("expand", ["false"])[0] in ("true", "True", "1")
        commit = self.config.storage.resolve(record, rev)
        folders = self.config.storage.tree_ids(record, commit)
        result = []
        for path in paths:
            path = path.strip("/")
            if path in commit.tree:
                result.append(self._tree_entry(record, commit, path, commit.tree[path], expand=expand))
            elif path in folders and path:
                result.append(self._tree_entry(record, commit, path, None, expand=expand))
        self._send_json(200, result)

    @route("GET", rf"/api/{_TYPES}/{_REPO}/refs")
    def list_refs(self, type: str, ns: str, name: str) -> None:  # noqa: A002
        record = self._visible_repo(type[:-1], ns, name)
        refs = self.config.storage.refs(record)
        payload: dict[str, Any] = {
            "branches": [
                {"name": b, "ref": f"refs/heads/{b}", "targetCommit": c} for b, c in sorted(refs["heads"].items())
            ],
            "tags": [
                {"name": t, "ref": f"refs/tags/{t}", "targetCommit": v["target"]}
                for t, v in sorted(refs["tags"].items())
            ],
            "converts": [],
        }
        if self._query.get("include_prs") in (["1"], ["true"]):
            payload["pullRequests"] = [
                {"name": f"refs/pr/{n}", "ref": f"refs/pr/{n}", "targetCommit": c}
                for n, c in sorted(refs["pulls"].items(), key=lambda item: int(item[0]))
            ]
        self._send_json(200, payload)

    @route("GET", rf"/api/{_TYPES}/{_REPO}/commits/(?P<rev>.+)")
    def list_commits(self, type: str, ns: str, name: str, rev: str) -> None:  # noqa: A002
        record = self._visible_repo(type[:-1], ns, name)
        history = self.config.storage.history(record, rev)
        page_size = min(self.config.page_size, 100)
        page_index = int((self._query.get("p") or ["0"])[0] or 0)
        page = history[page_index * page_size : (page_index + 1) * page_size]
        headers = {}
        if (page_index + 1) * page_size < len(history):
            query = {k: v[0] for k, v in self._query.items()} | {"p": str(page_index + 1)}
            headers["Link"] = f'<{self.base_url}{self._path}?{urllib.parse.urlencode(query)}>; rel="next"'
        payload = [
            {
                "id": c.id,
                "title": c.title,
                "message": c.message,
                "date": c.date,
                "authors": [{"user": c.author, "avatar": None}],
                "parents": list(c.parents),
            }
            for c in page
        ]
        self._send_json(200, payload, headers=headers)

    # ------------------------------------------------------------------ branches and tags

    @route("POST", rf"/api/{_TYPES}/{_REPO}/tag/(?P<rev>.+)")
    def create_tag(self, type: str, ns: str, name: str, rev: str) -> None:  # noqa: A002
        record, _ = self._writable_repo(type[:-1], ns, name, "create a tag")
        body = self._json_body()
        tag = body.get("tag")
        if not isinstance(tag, str) or not tag:
            raise BadRequestError('Expected {"tag": <name>, "message": <optional>}')
        self.config.storage.create_tag(record, tag, revision=rev, message=body.get("message"))
        self._send_json(200, {})

    @route("DELETE", rf"/api/{_TYPES}/{_REPO}/tag/(?P<tag>.+)")
    def delete_tag(self, type: str, ns: str, name: str, tag: str) -> None:  # noqa: A002
        record, _ = self._writable_repo(type[:-1], ns, name, "delete a tag")
        self.config.storage.delete_tag(record, tag)
        self._send_json(200, {})

    @route("POST", rf"/api/{_TYPES}/{_REPO}/branch/(?P<branch>.+)")
    def create_branch(self, type: str, ns: str, name: str, branch: str) -> None:  # noqa: A002
        record, account = self._writable_repo(type[:-1], ns, name, "create a branch")
        body = self._json_body()
        self.config.storage.create_branch(
            record, branch, start=body.get("startingPoint"), author=account.name, empty=bool(body.get("emptyBranch"))
        )
        self._send_json(200, {})

    @route("DELETE", rf"/api/{_TYPES}/{_REPO}/branch/(?P<branch>.+)")
    def delete_branch(self, type: str, ns: str, name: str, branch: str) -> None:  # noqa: A002
        record, _ = self._writable_repo(type[:-1], ns, name, "delete a branch")
        self.config.storage.delete_branch(record, branch)
        self._send_json(200, {})

    @route("POST", rf"/api/{_TYPES}/{_REPO}/super-squash/(?P<branch>.+)")
    def super_squash(self, type: str, ns: str, name: str, branch: str) -> None:  # noqa: A002
        record, account = self._writable_repo(type[:-1], ns, name, "squash history")
        title = self._json_body().get("message") or "Super-squash branch using huggingface_hub"
        commit = self.config.storage.super_squash(record, branch, title=title, author=account.name)
        self._send_json(200, {"commitId": commit.id})

    # ------------------------------------------------------------------ downloads

    @route(
        "HEAD|GET", r"/(?P<prefix>datasets/|spaces/)?(?P<ns>[^/]+)/(?P<name>[^/]+)/resolve/(?P<rev>[^/]+)/(?P<path>.+)"
    )
    def resolve_file(self, ns: str, name: str, rev: str, path: str, prefix: str = "") -> None:
        repo_type = {"": "model", "datasets/": "dataset", "spaces/": "space"}[prefix]
        storage = self.config.storage
        record = self._visible_repo(repo_type, ns, name)
        commit = storage.resolve(record, rev)
        entry = commit.tree.get(path)
        if entry is None:
            raise EntryNotFoundError(f"{path} does not exist at revision {commit.id}", commit=commit.id)
        self._check_gate(record)
        etag = entry.lfs or entry.oid
        headers = {
            "X-Repo-Commit": commit.id,
            "ETag": f'"{etag}"',
            "Accept-Ranges": "bytes",
            "Content-Disposition": f"inline; filename*=UTF-8''{urllib.parse.quote(path.rsplit('/', 1)[-1])}",
        }
        if entry.lfs:
            headers["X-Linked-Etag"] = f'"{entry.lfs}"'
            headers["X-Linked-Size"] = str(entry.size)
        content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        start, end = 0, entry.size - 1
        status = 200
        range_header = self.headers.get("Range")
        if range_header and self._method == "GET":
            start, end = _parse_range(range_header, entry.size)
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end}/{entry.size}"
        length = max(0, end - start + 1)
        self._status = status
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(length))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if self._method == "GET" and length:
            with open(storage.blob_path(record, entry), "rb") as blob:
                blob.seek(start)
                remaining = length
                if self._truncate:  # fault injection: send half the body, then hang up
                    self.wfile.write(blob.read(length // 2))
                    raise _DroppedConnectionError
                while remaining:
                    chunk = blob.read(min(1 << 20, remaining))
                    if not chunk:
                        break
                    self.wfile.write(chunk)
                    remaining -= len(chunk)

    # ------------------------------------------------------------------ uploads

    @route("POST", rf"/api/{_TYPES}/{_REPO}/preupload/(?P<rev>.+)")
    def preupload(self, type: str, ns: str, name: str, rev: str) -> None:  # noqa: A002
        record, _ = self._writable_repo(type[:-1], ns, name)
        storage = self.config.storage
        body = self._json_body()
        try:
            commit: Commit | None = storage.resolve(record, rev)
        except HubError:
            commit = None  # a new branch: nothing to compare against
        tree = commit.tree if commit else {}
        patterns: list[str] = []
        if ".gitattributes" in tree:
            patterns = gitattributes_lfs_patterns(
                storage.read_file(record, tree[".gitattributes"]).decode("utf-8", "replace")
            )
        files = []
        for item in body.get("files", []):
            path, size = item.get("path", ""), int(item.get("size", 0))
            sample = base64.b64decode(item.get("sample") or "")
            if self.config.lfs_mode == "regular":
                mode = "regular"
            else:
                is_lfs = size > 0 and (
                    size > 10 * 1024 * 1024 or matches_gitattributes(path, patterns) or looks_binary(sample)
                )
                mode = "lfs" if is_lfs else "regular"
            remote = tree.get(path)
            oid = None
            if remote is not None:
                oid = remote.lfs if mode == "lfs" else (None if remote.lfs else remote.oid)
            files.append({"path": path, "uploadMode": mode, "shouldIgnore": False, "oid": oid})
        self._send_json(200, {"files": files, "commitOid": commit.id if commit else None})

    @route("POST", r"/(?P<prefix>datasets/|spaces/)?(?P<ns>[^/]+)/(?P<name>[^/]+?)\.git/info/lfs/objects/batch")
    def lfs_batch(self, ns: str, name: str, prefix: str = "") -> None:
        repo_type = {"": "model", "datasets/": "dataset", "spaces/": "space"}[prefix]
        record, _ = self._writable_repo(repo_type, ns, name)
        body = self._json_body()
        if body.get("operation") != "upload":
            raise BadRequestError("Only the upload operation of the LFS batch API is served by the local Hub")
        if "basic" not in body.get("transfers", ["basic"]):
            raise BadRequestError("The local Hub only offers the basic LFS transfer")
        objects = []
        for obj in body.get("objects", []):
            oid, size = obj.get("oid", ""), obj.get("size")
            if not SHA256_RE.match(oid) or not isinstance(size, int) or size < 0:
                objects.append(
                    {"oid": str(oid), "size": int(size or 0), "error": {"code": 422, "message": "Invalid oid or size"}}
                )
                continue
            item: dict[str, Any] = {"oid": oid, "size": size, "authenticated": True}
            if not self.config.storage.lfs_path(record, oid).exists():
                expires = int(time.time()) + 3600
                signature = self._sign(record, oid, size, expires)
                query = urllib.parse.urlencode({"size": size, "expires": expires, "sig": signature})
                item["actions"] = {
                    "upload": {
                        "href": f"{self.base_url}/lfs-storage/{record.type}s/{record.id}/{oid}?{query}",
                        "header": {},
                    },
                    "verify": {
                        "href": f"{self.base_url}/{URL_PREFIX[record.type]}{record.id}.git/info/lfs/objects/verify",
                        "header": {},
                    },
                }
            objects.append(item)
        self._send_json(200, {"transfer": "basic", "objects": objects, "hash_algo": "sha256"})

    def _sign(self, record: RepoRecord, oid: str, size: int, expires: int) -> str:
        message = f"{record.type}/{record.id}/{oid}/{size}/{expires}".encode()
        return hmac.new(self.config.signing_key, message, hashlib.sha256).hexdigest()

    @route("PUT", rf"/lfs-storage/{_TYPES}/{_REPO}/(?P<oid>[0-9a-f]{{64}})")
    def lfs_upload(self, type: str, ns: str, name: str, oid: str) -> None:  # noqa: A002
        # Like a presigned storage URL: no Authorization header comes here, the signature is the proof.
        record = self.config.storage.repo(type[:-1], f"{ns}/{name}")
        try:
            size, expires = int(self._query["size"][0]), int(self._query["expires"][0])
            signature = self._query["sig"][0]
        except (KeyError, ValueError):
            raise ForbiddenError("Upload URL is missing its signature") from None
        if not hmac.compare_digest(signature, self._sign(record, oid, size, expires)) or expires < time.time():
            raise ForbiddenError("Upload URL signature is invalid or expired: ask the batch endpoint for a new one")
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = self._read_body()
            stream: Any = io.BytesIO(data)
            announced = len(data)
        else:
            announced = int(self.headers.get("Content-Length") or 0)
            stream = self.rfile
            self._body_read = True
        if announced != size:
            self.close_connection = True
            raise BadRequestError(f"Expected {size} bytes for LFS object {oid}, got {announced}")
        self.config.storage.store_lfs(record, oid, size, stream)
        self._send(200, b"", "text/plain", headers={"ETag": f'"{oid}"'})

    @route("POST", r"/(?P<prefix>datasets/|spaces/)?(?P<ns>[^/]+)/(?P<name>[^/]+?)\.git/info/lfs/objects/verify")
    def lfs_verify(self, ns: str, name: str, prefix: str = "") -> None:
        repo_type = {"": "model", "datasets/": "dataset", "spaces/": "space"}[prefix]
        record, _ = self._writable_repo(repo_type, ns, name)
        body = self._json_body()
        path = self.config.storage.lfs_path(record, str(body.get("oid", "")))
        if not SHA256_RE.match(str(body.get("oid", ""))) or not path.exists():
            raise NotFoundError(f"LFS object {body.get('oid')} was not uploaded")
        if path.stat().st_size != body.get("size"):
            raise BadRequestError(
                f"LFS object {body.get('oid')} has size {path.stat().st_size}, not {body.get('size')}"
            )
        self._send_json(200, {"success": True})

    @route("POST", rf"/api/{_TYPES}/{_REPO}/commit/(?P<rev>.+)")
    def commit(self, type: str, ns: str, name: str, rev: str) -> None:  # noqa: A002
        record, account = self._writable_repo(type[:-1], ns, name)
        storage = self.config.storage
        header: dict[str, Any] | None = None
        operations: list[Operation] = []
        for line in self._read_body().splitlines():
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                key, value = item["key"], item["value"]
            except (json.JSONDecodeError, KeyError, TypeError):
                raise BadRequestError('Commit payload must be ndjson lines of {"key", "value"}') from None
            if key == "header":
                header = value
            elif key == "file":
                if value.get("encoding", "base64") != "base64":
                    raise BadRequestError(f"Unsupported encoding for {value.get('path')}: {value.get('encoding')}")
                operations.append(AddFile(value["path"], base64.b64decode(value.get("content", ""))))
            elif key == "lfsFile":
                if value.get("algo", "sha256") != "sha256":
                    raise BadRequestError(f"Unsupported LFS hash algorithm: {value.get('algo')}")
                operations.append(AddLfsFile(value["path"], value["oid"], value.get("size")))
            elif key == "deletedFile":
                operations.append(DeleteFile(value["path"]))
            elif key == "deletedFolder":
                operations.append(DeleteFolder(value["path"]))
            else:
                raise BadRequestError(f"Unknown commit operation key: {key!r}")
        if header is None or not str(header.get("summary", "")).strip():
            raise BadRequestError("Commit payload must start with a header that has a non-empty summary")
        self._check_readme(record, operations)
        create_pr = self._query.get("create_pr") in (["1"], ["true"])
        result = storage.commit(
            record,
            revision=rev,
            operations=operations,
            title=str(header["summary"]).strip(),
            message=str(header.get("description") or ""),
            author=account.name,
            parent_commit=header.get("parentCommit"),
            create_pr=create_pr,
            allow_binary_regular=self.config.lfs_mode == "regular",
        )
        commit = result.commit
        payload: dict[str, Any] = {
            "success": True,
            "commitOid": commit.id,
            "commitUrl": f"{self.base_url}/{URL_PREFIX[record.type]}{record.id}/commit/{commit.id}",
            "hookOutput": "",
        }
        if result.pr_num is not None:
            storage.add_discussion(
                record,
                _new_discussion(
                    record,
                    result.pr_num,
                    title=commit.title,
                    description=commit.message,
                    author=account.name,
                    pull_request=True,
                    base="refs/heads/main",
                ),
            )
            payload["pullRequestUrl"] = (
                f"{self.base_url}/{URL_PREFIX[record.type]}{record.id}/discussions/{result.pr_num}"
            )
        elif result.created and record.type == "space" and rev in ("main", "refs/heads/main"):
            self._rebuild(record)
        self._send_json(200, payload)

    def _check_readme(self, record: RepoRecord, operations: list[Operation]) -> None:
        for operation in operations:
            if isinstance(operation, (AddFile, AddLfsFile)) and operation.path == "README.md":
                if isinstance(operation, AddFile):
                    text = operation.content.decode("utf-8", "replace")
                else:
                    text = self.config.storage.lfs_path(record, operation.oid).read_text("utf-8", "replace")
                errors, _ = cards.validate(text, record.type)
                if errors:
                    raise BadRequestError("Invalid metadata in README.md: " + "; ".join(errors))

    # ------------------------------------------------------------------ discussions and pull requests

    @route("GET", rf"/api/{_TYPES}/{_REPO}/discussions")
    def list_discussions(self, type: str, ns: str, name: str) -> None:  # noqa: A002
        record = self._visible_repo(type[:-1], ns, name)
        discussions = self.config.storage.discussions(record)
        for key, field_name in (("type", None), ("status", "status"), ("author", None)):
            wanted = (self._query.get(key) or ["all"])[0]
            if wanted == "all":
                continue
            if key == "type":
                discussions = [d for d in discussions if d["isPullRequest"] == (wanted == "pull_request")]
            elif key == "author":
                discussions = [d for d in discussions if d["author"]["name"] == wanted]
            else:
                discussions = [d for d in discussions if d[field_name] == wanted]
        summaries = [
            {k: v for k, v in d.items() if k not in ("events", "changes", "filesWithConflicts")}
            for d in reversed(discussions)
        ]
        self._send_json(200, {"discussions": summaries, "count": len(summaries), "start": 0, "numClosedDiscussions": 0})

    @route("POST", rf"/api/{_TYPES}/{_REPO}/discussions")
    def create_discussion(self, type: str, ns: str, name: str) -> None:  # noqa: A002
        record = self._visible_repo(type[:-1], ns, name)
        account = self._account()
        if account is None:
            raise UnauthorizedError("You must be authenticated to open a discussion")
        body = self._json_body()
        title = str(body.get("title") or "").strip()
        if len(title) < 3:
            raise BadRequestError("A discussion title needs at least 3 characters")
        storage = self.config.storage
        pull_request = bool(body.get("pullRequest"))
        discussion = storage.add_discussion(
            record,
            _new_discussion(
                record,
                None,
                title=title,
                description=body.get("description") or "",
                author=account.name,
                pull_request=pull_request,
                base="refs/heads/main",
            ),
        )
        if pull_request:
            storage.set_pr_ref(record, discussion["num"], storage.resolve(record, "main").id)
        self._send_json(
            200,
            {
                "num": discussion["num"],
                "url": f"{self.base_url}/{URL_PREFIX[record.type]}{record.id}/discussions/{discussion['num']}",
            },
        )

    @route("GET", rf"/api/{_TYPES}/{_REPO}/discussions/(?P<num>\d+)")
    def discussion_details(self, type: str, ns: str, name: str, num: str) -> None:  # noqa: A002
        record = self._visible_repo(type[:-1], ns, name)
        discussion = self.config.storage.find_discussion(record, int(num))
        self._send_json(200, discussion)

    @route("POST", rf"/api/{_TYPES}/{_REPO}/discussions/(?P<num>\d+)/merge")
    def merge_pull_request(self, type: str, ns: str, name: str, num: str) -> None:  # noqa: A002
        record, account = self._writable_repo(type[:-1], ns, name, "merge a pull request")
        storage = self.config.storage
        discussion = storage.find_discussion(record, int(num))
        if not discussion["isPullRequest"] or discussion["status"] != "open":
            raise BadRequestError(f"#{num} is not an open pull request")
        pr_head = storage.resolve(record, f"refs/pr/{num}")
        main = storage.resolve(record, "main")
        operations: list[Operation] = [DeleteFile(p) for p in main.tree if p not in pr_head.tree]
        for path, entry in pr_head.tree.items():
            if main.tree.get(path) != entry:
                operations.append(
                    AddLfsFile(path, entry.lfs, entry.size)
                    if entry.lfs
                    else AddFile(path, storage.read_file(record, entry))
                )
        result = storage.commit(
            record,
            revision="main",
            operations=operations,
            title=f"Merge pull request #{num}: {discussion['title']}",
            author=account.name,
        )
        self._set_discussion(
            record, int(num), status="merged", changes={**discussion["changes"], "mergeCommitId": result.commit.id}
        )
        if result.created and record.type == "space":
            self._rebuild(record)
        self._send_json(200, {})

    @route("PATCH|POST", rf"/api/{_TYPES}/{_REPO}/discussions/(?P<num>\d+)/status")
    def change_discussion_status(self, type: str, ns: str, name: str, num: str) -> None:  # noqa: A002
        record, _ = self._writable_repo(type[:-1], ns, name, "change a discussion status")
        status = self._json_body().get("status")
        if status not in ("open", "closed"):
            raise BadRequestError('status must be "open" or "closed"')
        discussion = self._set_discussion(record, int(num), status=status)
        self._send_json(
            200,
            {
                "newStatus": {
                    "id": _stable_id(f"{num}{status}{time.time()}"),
                    "type": "status-change",
                    "createdAt": now_iso(),
                    "author": discussion["author"],
                    "data": {"status": status},
                }
            },
        )

    def _set_discussion(self, record: RepoRecord, num: int, **changes: Any) -> dict[str, Any]:
        storage = self.config.storage
        with storage.write_lock():
            discussions = storage.discussions(record)
            for discussion in discussions:
                if discussion["num"] == num:
                    discussion.update(changes)
                    storage.save_discussions(record, discussions)
                    return discussion
        raise NotFoundError(f"Discussion #{num} not found in {record.type}s/{record.id}")

    # ------------------------------------------------------------------ Spaces

    def _update_space(self, ns: str, name: str, change: Callable[[RepoRecord], Any], *, rebuild: bool) -> RepoRecord:
        """Apply `change` to a Space's settings atomically (re-read under the write lock)."""
        self._writable_repo("space", ns, name, "manage this Space")
        storage = self.config.storage
        with storage.write_lock():
            record = storage.repo("space", f"{ns}/{name}")
            change(record)
            if rebuild:
                spaces.start_build(storage, record)
            storage.save_repo(record)
        return record

    def _rebuild(self, record: RepoRecord) -> None:
        self._update_space(*record.id.split("/"), lambda r: None, rebuild=True)

    def _runtime(self, record: RepoRecord) -> dict[str, Any]:
        return spaces.runtime(self.config.storage, record, build_seconds=self.config.space_build_seconds)

    @route("POST", rf"/api/spaces/{_REPO}/secrets")
    def add_secret(self, ns: str, name: str) -> None:
        body = self._json_body()
        key, secret = _secret_key(body), _secret_record(body)
        self._update_space(ns, name, lambda r: r.space.setdefault("secrets", {}).__setitem__(key, secret), rebuild=True)
        self._send_json(200, {})

    @route("DELETE", rf"/api/spaces/{_REPO}/secrets")
    def delete_secret(self, ns: str, name: str) -> None:
        key = self._json_body().get("key")

        def delete(record: RepoRecord) -> None:
            if record.space.setdefault("secrets", {}).pop(key, None) is None:
                raise NotFoundError(f"No secret named {key!r} in this Space")

        self._update_space(ns, name, delete, rebuild=True)
        self._send_json(200, {})

    @route("GET", rf"/api/spaces/{_REPO}/variables")
    def get_variables(self, ns: str, name: str) -> None:
        record, _ = self._writable_repo("space", ns, name, "manage this Space")
        self._send_json(200, record.space.get("variables", {}))

    @route("POST", rf"/api/spaces/{_REPO}/variables")
    def add_variable(self, ns: str, name: str) -> None:
        body = self._json_body()
        key, variable = _secret_key(body), _variable_record(body)
        record = self._update_space(
            ns, name, lambda r: r.space.setdefault("variables", {}).__setitem__(key, variable), rebuild=True
        )
        self._send_json(200, record.space["variables"])

    @route("DELETE", rf"/api/spaces/{_REPO}/variables")
    def delete_variable(self, ns: str, name: str) -> None:
        key = self._json_body().get("key")

        def delete(record: RepoRecord) -> None:
            if record.space.setdefault("variables", {}).pop(key, None) is None:
                raise NotFoundError(f"No variable named {key!r} in this Space")

        record = self._update_space(ns, name, delete, rebuild=True)
        self._send_json(200, record.space["variables"])

    @route("GET", rf"/api/spaces/{_REPO}/runtime")
    def get_runtime(self, ns: str, name: str) -> None:
        self._send_json(200, self._runtime(self._visible_repo("space", ns, name)))

    @route("POST", rf"/api/spaces/{_REPO}/hardware")
    def request_hardware(self, ns: str, name: str) -> None:
        body = self._json_body()
        flavor = body.get("flavor")
        if flavor not in SPACE_HARDWARE:
            raise BadRequestError(f"Invalid Space hardware {flavor!r}: expected one of {', '.join(SPACE_HARDWARE)}")

        def change(record: RepoRecord) -> None:
            if flavor == "zero-a10g" and record.space.get("sdk") != "gradio":
                raise BadRequestError("ZeroGPU hardware is only available to Gradio Spaces")
            record.space["hardware"] = flavor
            if body.get("sleepTimeSeconds") is not None:
                record.space["sleep_time"] = body["sleepTimeSeconds"]

        self._send_json(200, self._runtime(self._update_space(ns, name, change, rebuild=True)))

    @route("POST", rf"/api/spaces/{_REPO}/sleeptime")
    def set_sleep_time(self, ns: str, name: str) -> None:
        seconds = self._json_body().get("seconds")
        if not isinstance(seconds, int) or (seconds < 0 and seconds != -1):
            raise BadRequestError('Expected {"seconds": <positive integer, or -1 for never>}')
        record = self._update_space(ns, name, lambda r: r.space.__setitem__("sleep_time", seconds), rebuild=False)
        self._send_json(200, self._runtime(record))

    @route("POST", rf"/api/spaces/{_REPO}/pause")
    def pause(self, ns: str, name: str) -> None:
        record = self._update_space(ns, name, lambda r: r.space.__setitem__("paused", True), rebuild=False)
        self._send_json(200, self._runtime(record))

    @route("POST", rf"/api/spaces/{_REPO}/restart")
    def restart(self, ns: str, name: str) -> None:
        self._send_json(200, self._runtime(self._update_space(ns, name, lambda r: None, rebuild=True)))

    @route("GET", rf"/api/spaces/{_REPO}/logs/(?P<kind>build|run)")
    def logs(self, ns: str, name: str, kind: str) -> None:
        record, _ = self._writable_repo("space", ns, name, "read the logs of this Space")
        lines = spaces.log_lines(self.config.storage, record, kind, build_seconds=self.config.space_build_seconds)
        body = "".join(f"data: {json.dumps({'data': line, 'timestamp': now_iso()})}\n\n" for line in lines)
        self._send(200, body.encode(), "text/event-stream")


def _new_discussion(
    record: RepoRecord, num: int | None, *, title: str, description: str, author: str, pull_request: bool, base: str
) -> dict[str, Any]:
    created = now_iso()
    discussion: dict[str, Any] = {
        "title": title,
        "status": "open",
        "isPullRequest": pull_request,
        "author": {"name": author, "type": "user"},
        "createdAt": created,
        "repo": {"name": record.id, "type": record.type},
        "pinned": False,
        "numComments": 1,
        "events": [
            {
                "id": _stable_id(f"{record.id}{title}{created}"),
                "type": "comment",
                "createdAt": created,
                "author": {"name": author, "type": "user"},
                "data": {
                    "edited": False,
                    "hidden": False,
                    "latest": {
                        "raw": description,
                        "html": description,
                        "updatedAt": created,
                        "author": {"name": author},
                    },
                    "numEdits": 0,
                    "editors": [author],
                    "reactions": [],
                    "identifiedLanguage": None,
                },
            }
        ],
        "changes": {"base": base} if pull_request else {},
        "filesWithConflicts": [],
    }
    if num is not None:
        discussion["num"] = num
    return discussion


def _secret_key(item: Any) -> str:
    key = item.get("key") if isinstance(item, dict) else None
    if not isinstance(key, str) or not SECRET_KEY_RE.match(key):
        raise BadRequestError(
            f"Invalid secret or variable key {key!r}: use letters, digits and '_', not starting with a digit"
        )
    if not isinstance(item.get("value", ""), str):
        raise BadRequestError(f"The value of {key} must be a string")
    return key


def _secret_record(item: dict[str, Any]) -> dict[str, Any]:
    # The Hub never gives a secret back; the double keeps only a digest so tests can check it.
    digest = hashlib.sha256(str(item.get("value", "")).encode()).hexdigest()
    return {"description": item.get("description"), "updatedAt": now_iso(), "digest": digest}


def _variable_record(item: dict[str, Any]) -> dict[str, Any]:
    return {"value": item.get("value", ""), "description": item.get("description"), "updatedAt": now_iso()}


def _parse_range(header: str, size: int) -> tuple[int, int]:
    match = re.fullmatch(r"bytes=(\d*)-(\d*)", header.strip())
    if not match or match.groups() == ("", ""):
        raise RangeNotSatisfiableError(f"Invalid range: bytes */{size}")
    first, last = match.groups()
    if first == "":
        start, end = max(0, size - int(last)), size - 1
    else:
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
    if start >= size or start > end:
        if size == 0 and start == 0:
            return 0, -1
        raise RangeNotSatisfiableError(f"Range not satisfiable: bytes */{size}")
    return start, end


def _stable_id(text: str) -> str:
    """A 24-hex id in the style of the Hub's MongoDB ids, stable for the same input."""
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:24]


def _header_safe(text: str) -> str:
    return text.replace("\r", " ").replace("\n", " ").encode("latin-1", "replace").decode("latin-1")[:1000]


__all__ = ["Account", "HubConfig", "LocalHubServer"]
