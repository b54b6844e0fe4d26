"""Routes that move file content: downloads (`resolve`), preupload, LFS batch/upload/verify and commits."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import mimetypes
import re
import time
import urllib.parse
from typing import Any

from . import _cards as cards
from ._errors import (
    BadRequestError,
    EntryNotFoundError,
    ForbiddenError,
    HubError,
    NotFoundError,
    RangeNotSatisfiableError,
)
from ._handler import (
    MAX_COMMIT_BODY,
    REPO,
    TYPES,
    URL_PREFIX,
    BaseHandler,
    DroppedConnectionError,
    route,
)
from ._routes_discussions import new_discussion
from ._storage import (
    SHA256_RE,
    AddFile,
    AddLfsFile,
    Commit,
    DeleteFile,
    DeleteFolder,
    Operation,
    RepoRecord,
    goes_to_lfs,
)


class FileRoutes(BaseHandler):
    """resolve, preupload, LFS basic transfer and the commit endpoint."""

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
            start, end = parse_range(range_header, entry.size)
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
                    raise DroppedConnectionError
                while remaining:
                    chunk = blob.read(min(1 << 20, remaining))
                    if not chunk:
                        break
                    self.wfile.write(chunk)
                    remaining -= len(chunk)

    # ------------------------------------------------------------------ uploads

    @route("POST", rf"/api/{TYPES}/{REPO}/preupload/(?P<rev>.+)")
    def preupload(self, type: str, ns: str, name: str, rev: str) -> None:  # noqa: A002
        record, _ = self._writable_repo(type[:-1], ns, name)
        storage = self.config.storage
        body = self._json_body()
        try:
            commit: Commit | None = storage.resolve(record, rev)
        except HubError:
            commit = None  # a new branch: nothing to compare against
        tree = commit.tree if commit else {}
        patterns = storage.lfs_patterns(record, tree)
        files = []
        for item in body.get("files", []):
            path, size = item.get("path", ""), int(item.get("size", 0))
            sample = base64.b64decode(item.get("sample") or "")
            is_lfs = self.config.lfs_mode != "regular" and goes_to_lfs(path, size, sample, patterns)
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

    @route("PUT", rf"/lfs-storage/{TYPES}/{REPO}/(?P<oid>[0-9a-f]{{64}})", anonymous=True)
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
        chunked = self.headers.get("Transfer-Encoding", "").lower() == "chunked"
        if not chunked and self._content_length() != size:
            self._hang_up()
            raise BadRequestError(f"Expected {size} bytes for LFS object {oid}, got {self._content_length()}")
        # Streamed to disk as it arrives; the signed size is the limit.
        self.config.storage.store_lfs(record, oid, size, self._body(size))
        self._send(200, b"", "text/plain", headers={"ETag": f'"{oid}"'})

    @route("POST", r"/(?P<prefix>datasets/|spaces/)?(?P<ns>[^/]+)/(?P<name>[^/]+?)\.git/info/lfs/objects/verify")
    def lfs_verify(self, ns: str, name: str, prefix: str = "") -> None:
        repo_type = {"": "model", "datasets/": "dataset", "spaces/": "space"}[prefix]
        record, _ = self._writable_repo(repo_type, ns, name)
        body = self._json_body()
        oid = str(body.get("oid", ""))
        if not SHA256_RE.match(oid):
            raise BadRequestError("An LFS oid is 64 lowercase hex characters (a sha256)")
        path = self.config.storage.lfs_path(record, oid)
        if not path.exists():
            raise NotFoundError(f"LFS object {oid} was not uploaded")
        if path.stat().st_size != body.get("size"):
            raise BadRequestError(
                f"LFS object {body.get('oid')} has size {path.stat().st_size}, not {body.get('size')}"
            )
        self._send_json(200, {"success": True})

    @route("POST", rf"/api/{TYPES}/{REPO}/commit/(?P<rev>.+)")
    def commit(self, type: str, ns: str, name: str, rev: str) -> None:  # noqa: A002
        record, account = self._writable_repo(type[:-1], ns, name)
        storage = self.config.storage
        header: dict[str, Any] | None = None
        operations: list[Operation] = []
        with self._spooled_body(MAX_COMMIT_BODY) as body:  # on disk: it may be large
            for line in body:
                if not line.strip():
                    continue
                try:
                    item = json.loads(line)
                    key, value = item["key"], item["value"]
                except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError):
                    raise BadRequestError('Commit payload must be ndjson lines of {"key", "value"}') from None
                if key == "header":
                    header = value if isinstance(value, dict) else None
                else:
                    operations.append(commit_operation(key, value))
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
                new_discussion(
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


def commit_operation(key: str, value: Any) -> Operation:
    """One operation line of a commit payload; `BadRequestError` for anything malformed."""
    if not isinstance(value, dict) or not isinstance(value.get("path"), str):
        raise BadRequestError(f'Commit operation {key!r} needs a "value" with a "path"')
    path = value["path"]
    if key == "file":
        if value.get("encoding", "base64") != "base64":
            raise BadRequestError(f"Unsupported encoding for {path}: {value.get('encoding')}")
        try:
            return AddFile(path, base64.b64decode(value.get("content", ""), validate=True))
        except (binascii.Error, TypeError, ValueError):
            raise BadRequestError(f"The content of {path} is not valid base64") from None
    if key == "lfsFile":
        if value.get("algo", "sha256") != "sha256":
            raise BadRequestError(f"Unsupported LFS hash algorithm: {value.get('algo')}")
        oid, size = value.get("oid"), value.get("size")
        # Never a path: an LFS id is a sha256, or the commit is refused before anything is read.
        if not isinstance(oid, str) or not SHA256_RE.match(oid):
            raise BadRequestError(f"Invalid LFS oid for {path!r}: 64 lowercase hex characters (a sha256) expected")
        if size is not None and (not isinstance(size, int) or size < 0):
            raise BadRequestError(f"Invalid LFS size for {path!r}: a whole number of bytes expected")
        return AddLfsFile(path, oid, size)
    if key == "deletedFile":
        return DeleteFile(path)
    if key == "deletedFolder":
        return DeleteFolder(path)
    raise BadRequestError(f"Unknown commit operation key: {key!r}")


def parse_range(header: str, size: int) -> tuple[int, int]:
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
