"""`LocalHub`: the double in one object: start and stop it, its accounts, faults and request log,
and fixture content published under chosen commit ids (`publish_snapshot`)."""

from __future__ import annotations

import contextlib
import hashlib
import io
import secrets
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from . import _spaces as spaces
from ._errors import EntryNotFoundError, HubError
from ._faults import FaultPlan
from ._runner import SpaceRunner
from ._server import Account, HubConfig, LocalHubServer
from ._storage import (
    REPO_TYPES,
    SHA1_RE,
    AddFile,
    AddLfsFile,
    DeleteFile,
    Operation,
    Storage,
    gitattributes_lfs_patterns,
    goes_to_lfs,
)

DEFAULT_PORT = 8765
DEFAULT_USER = "local-user"


class RequestLog:
    """The requests a `LocalHub` answered while a `with hub.record()` block ran.

    Each entry is the JSON-line dict of `--log`: method, path, status, duration_ms, bytes_in, bytes_out
    (and fault).
    """

    def __init__(self, entries: list[dict[str, Any]], start: int) -> None:
        self._entries = entries
        self._start = start
        self._end: int | None = None

    @property
    def entries(self) -> list[dict[str, Any]]:
        return list(self._entries[self._start : self._end])

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.entries)

    def paths(self) -> list[str]:
        """`"METHOD /path"` of every request, in order."""
        return [f"{e['method']} {e['path']}" for e in self.entries]


class LocalHub:
    """A local Hub double serving on 127.0.0.1 in a background thread.

    Args:
        root: Folder that keeps the repos (a temporary one, removed on `stop`, when None).
        port: TCP port; 0 picks a free one.
        tokens: Write tokens of the user `user` (one is generated when empty).
        read_tokens: Read-only tokens of the same user.
        user: Name of the user the tokens belong to.
        orgs: Organisations that user may write to besides their own namespace.
        lfs_mode: `"auto"` answers `lfs` for large, binary or `.gitattributes`-matched files, as
            the Hub does; `"regular"` answers `regular` for every file (for clients that have Xet
            enabled and would otherwise upload through Xet).
        log_file: Append one JSON line per request to this file.
        faults: Requests to fail on purpose (see `FaultPlan`).
        space_build_seconds: How long a simulated Space build stays in BUILDING.
        run_spaces: Run each Space's committed app for real (`python app.py` in a folder of the
            commit, own port and `HF_HOME`, this Hub as `HF_ENDPOINT`): its runtime reports
            APP_STARTING, RUNNING (with the app's URL as `host`) or RUNTIME_ERROR with its log.
        space_environment: Extra environment variables every running Space gets.
        page_size: Entries per page of tree and commit listings.

    Example:
        >>> with LocalHub(tokens=["t0ken"]) as hub:
        ...     HfApi(endpoint=hub.url, token=hub.token).create_repo("local-user/demo")
    """

    def __init__(
        self,
        *,
        root: str | Path | None = None,
        port: int = 0,
        tokens: Sequence[str] = (),
        read_tokens: Sequence[str] = (),
        user: str = DEFAULT_USER,
        orgs: Sequence[str] = (),
        lfs_mode: str = "auto",
        log_file: str | Path | None = None,
        faults: FaultPlan | None = None,
        space_build_seconds: float = 0.0,
        run_spaces: bool = False,
        space_environment: Mapping[str, str] | None = None,
        page_size: int = 1000,
    ) -> None:
        if lfs_mode not in ("auto", "regular"):
            raise ValueError(f"lfs_mode must be 'auto' or 'regular', not {lfs_mode!r}")
        self._tempdir = None if root is not None else tempfile.TemporaryDirectory(prefix="local-hub-")
        self.root = Path(root if root is not None else self._tempdir.name)  # type: ignore[union-attr]
        self.token_generated = not tokens
        self.tokens = list(tokens) or [f"localhub_{secrets.token_urlsafe(24)}"]
        accounts = [Account(user, t, tuple(orgs)) for t in self.tokens]
        accounts += [Account(user, t, tuple(orgs), can_write=False) for t in read_tokens]
        self.config = HubConfig(
            storage=Storage(self.root),
            accounts={a.token: a for a in accounts},
            lfs_mode=lfs_mode,
            faults=faults,
            log_file=Path(log_file) if log_file else None,
            space_build_seconds=space_build_seconds,
            page_size=page_size,
        )
        if run_spaces:
            self.run_spaces(environment=space_environment or {})
        self._port = port
        self._server: LocalHubServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> LocalHub:
        """Bind the port and serve in a daemon thread; returns self."""
        self._server = LocalHubServer(self.config, port=self._port)
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-hub", daemon=True)
        self._thread.start()
        return self

    def run_spaces(self, *, environment: Mapping[str, str] | None = None) -> SpaceRunner:
        """Run Spaces' apps for real from now on (see `run_spaces` of the constructor)."""
        if self.config.space_runner is None:
            self.config.space_runner = SpaceRunner(
                self.root / "space-runs", hub_url=lambda: self.url, environment=environment or {}
            )
        return self.config.space_runner

    def stop_running_spaces(self) -> None:
        """Stop every running Space's app and go back to a simulated runtime."""
        runner, self.config.space_runner = self.config.space_runner, None
        if runner is not None:
            runner.stop_all()

    def stop(self) -> None:
        """Stop serving (and every running Space) and remove a temporary root."""
        self.stop_running_spaces()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._tempdir is not None:
            self._tempdir.cleanup()
            self._tempdir = None

    def __enter__(self) -> LocalHub:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """Whether the server is serving (`start` called, `stop` not yet)."""
        return self._server is not None

    @property
    def url(self) -> str:
        """Base URL, e.g. `http://127.0.0.1:8765` (the value for `HF_ENDPOINT`)."""
        if self._server is None:
            raise RuntimeError("the local Hub is not running: call start() first")
        return self._server.url

    @property
    def token(self) -> str:
        """The first write token."""
        return self.tokens[0]

    @property
    def user(self) -> str:
        return next(iter(self.config.accounts.values())).name

    def add_account(self, name: str, token: str, *, orgs: Sequence[str] = (), can_write: bool = True) -> Account:
        """Accept another token, belonging to another user."""
        account = Account(name, token, tuple(orgs), can_write)
        self.config.accounts[token] = account
        return account

    # ------------------------------------------------------------------ observation and faults

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Every request answered so far (JSON-line dicts)."""
        self.config.settled()
        return list(self.config.request_log)

    @contextlib.contextmanager
    def record(self) -> Iterator[RequestLog]:
        """Collect the requests answered inside the block.

        Example:
            >>> with hub.record() as log:
            ...     hf_hub_download(repo_id, "config.json", revision=sha)
            >>> len(log)
        """
        self.config.settled()
        log = RequestLog(self.config.request_log, len(self.config.request_log))
        try:
            yield log
        finally:
            self.config.settled()
            log._end = len(self.config.request_log)

    @property
    def faults(self) -> FaultPlan | None:
        return self.config.faults

    @faults.setter
    def faults(self, plan: FaultPlan | None) -> None:
        self.config.faults = plan

    @contextlib.contextmanager
    def inject_faults(self, **plan: Any) -> Iterator[FaultPlan]:
        """Apply a `FaultPlan(**plan)` inside the block, then restore the previous one."""
        previous, self.config.faults = self.config.faults, FaultPlan(**plan)
        try:
            yield self.config.faults
        finally:
            self.config.faults = previous

    # ------------------------------------------------------------------ fixtures

    def publish_snapshot(
        self,
        repo_id: str,
        files: Mapping[str, bytes | str | Path] | Path,
        *,
        commit_id: str | None = None,
        repo_type: str = "model",
        branch: str = "main",
        message: str | None = None,
        tags: Sequence[str] = (),
        private: bool = False,
    ) -> str:
        """Make `files` the whole content of a repo in one commit, optionally with a fixed id.

        The repo is created if needed. Files the branch has that `files` lacks are deleted
        (`.gitattributes` is kept unless given). Binary, large and `.gitattributes`-matched files
        are stored in LFS. Publishing again under an existing `commit_id` does nothing.

        Args:
            repo_id: `namespace/name`.
            files: Path in repo → content (bytes, text or a local file), or a local folder.
            commit_id: 40-hex id to give the commit (a real Hub commit the suite pins).
            repo_type: `model`, `dataset` or `space`.
            branch: Branch to move to the new commit.
            message: Commit title.
            tags: Tags to point at the commit (an existing tag must already point there).
            private: Visibility if the repo is created.

        Returns:
            The commit id.

        Raises:
            ValueError: a bad repo type or commit id, or a tag that points elsewhere.
        """
        if repo_type not in REPO_TYPES:
            raise ValueError(f"repo_type must be one of {REPO_TYPES}, not {repo_type!r}")
        if commit_id is not None and not SHA1_RE.match(commit_id):
            raise ValueError(f"commit_id must be 40 lowercase hex characters, not {commit_id!r}")
        contents = _snapshot_contents(files)
        storage = self.config.storage
        namespace = repo_id.split("/")[0]
        with storage.write_lock():
            if not storage.exists(repo_type, repo_id):
                storage.create_repo(repo_type=repo_type, repo_id=repo_id, author=namespace, private=private,
                                    space={"sdk": "gradio", "hardware": "cpu-basic"} if repo_type == "space" else None)  # fmt: skip
            record = storage.repo(repo_type, repo_id)
            head = storage.resolve(record, branch)
            if ".gitattributes" in contents:
                patterns = gitattributes_lfs_patterns(contents[".gitattributes"].decode("utf-8", "replace"))
            else:
                patterns = storage.lfs_patterns(record, head.tree)
            operations: list[Operation] = [
                DeleteFile(p) for p in head.tree if p not in contents and p != ".gitattributes"
            ]
            for path, content in contents.items():
                if goes_to_lfs(path, len(content), content[:8000], patterns):
                    oid = _sha256(content)
                    if not storage.lfs_path(record, oid).exists():
                        storage.store_lfs(record, oid, len(content), io.BytesIO(content))
                    operations.append(AddLfsFile(path, oid, len(content)))
                else:
                    operations.append(AddFile(path, content))
            result = storage.commit(
                record,
                revision=branch,
                operations=operations,
                title=message or f"Snapshot of {repo_id}",
                author=namespace,
                commit_id=commit_id,
            )
            refs = storage.refs(record)
            for tag in tags:
                existing = refs["tags"].get(tag)
                if existing is None:
                    storage.create_tag(record, tag, revision=result.commit.id, message=None)
                elif existing["target"] != result.commit.id:
                    raise ValueError(f"tag {tag} of {repo_id} already points at {existing['target']}")
            if repo_type == "space" and result.created:
                record = storage.repo(repo_type, repo_id)
                spaces.start_build(storage, record, runner=self.config.space_runner)
                storage.save_repo(record)
        return result.commit.id

    def read_snapshot_file(self, repo_id: str, path: str, *, revision: str, repo_type: str = "model") -> bytes:
        """The content of one file of a repo at a revision, read from storage (no server needed).

        Raises:
            HubError: no such repo, revision or file.
        """
        storage = self.config.storage
        record = storage.repo(repo_type, repo_id)
        tree = storage.resolve(record, revision).tree
        if path not in tree:
            raise EntryNotFoundError(f"{path} is not in {repo_id} at {revision}", commit=revision)
        return storage.read_file(record, tree[path])

    def has_commit(self, repo_id: str, commit_id: str, *, repo_type: str = "model") -> bool:
        """Whether repo `repo_id` has the commit `commit_id` (e.g. a snapshot published before)."""
        storage = self.config.storage
        if not storage.exists(repo_type, repo_id):
            return False
        try:
            return storage.resolve(storage.repo(repo_type, repo_id), commit_id).id == commit_id
        except HubError:
            return False

    def script_space(
        self,
        repo_id: str,
        *,
        stage: str = "RUNNING",
        logs: Sequence[str] | None = None,
        error: str | None = None,
        build_seconds: float | None = None,
    ) -> None:
        """Decide how the simulated builds of a Space end.

        Args:
            repo_id: The Space.
            stage: Stage reached after the build (`RUNNING`, `BUILD_ERROR`, `RUNTIME_ERROR`…).
            logs: Lines shown in the build log (BUILD_ERROR) or run log (RUNTIME_ERROR).
            error: `errorMessage` of the runtime.
            build_seconds: How long builds of this Space stay in BUILDING.
        """
        if stage not in spaces.STAGES:
            raise ValueError(f"unknown Space stage {stage!r}: use one of {', '.join(spaces.STAGES)}")
        storage = self.config.storage
        with storage.write_lock():
            record = storage.repo("space", repo_id)
            script: dict[str, Any] = {"stage": stage}
            if logs is not None:
                script["logs"] = [line if line.endswith("\n") else line + "\n" for line in logs]
            if error is not None:
                script["error"] = error
            if build_seconds is not None:
                script["build_seconds"] = build_seconds
            record.space["script"] = script
            storage.save_repo(record)

    def space_secret_matches(self, repo_id: str, key: str, value: str) -> bool:
        """Whether the Space has secret `key` set to `value` (the double keeps only a digest)."""
        secret = self.config.storage.repo("space", repo_id).space.get("secrets", {}).get(key)
        return secret is not None and secret["digest"] == _sha256(value.encode())


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _snapshot_contents(files: Mapping[str, bytes | str | Path] | Path) -> dict[str, bytes]:
    if isinstance(files, Path):
        if not files.is_dir():
            raise ValueError(f"{files} is not a folder")
        return {
            p.relative_to(files).as_posix(): p.read_bytes()
            for p in sorted(files.rglob("*"))
            if p.is_file() and ".git" not in p.relative_to(files).parts
        }
    contents = {}
    for path, content in files.items():
        if isinstance(content, Path):
            contents[path] = content.read_bytes()
        elif isinstance(content, str):
            contents[path] = content.encode()
        else:
            contents[path] = bytes(content)
    return contents
