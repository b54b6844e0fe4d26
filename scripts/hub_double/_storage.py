"""Repos on disk: commits, refs, blobs, LFS objects, discussions and Space settings.

Layout under the root (one folder per repo, everything in plain files so that a `--root` survives
restarts and can be written by another process, e.g. a seeding step):

    {type}s/{namespace}/{name}/repo.json        settings (visibility, gating, Space settings)
    {type}s/{namespace}/{name}/refs.json        branches, tags and pull-request refs
    {type}s/{namespace}/{name}/commits/{id}.json
    {type}s/{namespace}/{name}/blobs/{git blob id}
    {type}s/{namespace}/{name}/lfs/{sha256}

A commit records its whole file tree, so every past commit stays readable for ever. Commit ids
are git commit ids (or, for fixtures, an id the caller chose).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import fnmatch
import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from . import _cards as cards
from . import _gitobjects as gitobjects
from ._errors import (
    BadRequestError,
    ConflictError,
    EntryNotFoundError,
    NotFoundError,
    PreconditionFailedError,
    RepoNotFoundError,
    RevisionNotFoundError,
)

REPO_TYPES = ("model", "dataset", "space")
SHA1_RE = re.compile(r"^[0-9a-f]{40}\Z")
SHORT_SHA_RE = re.compile(r"^[0-9a-f]{7,39}\Z")
SHA256_RE = re.compile(r"^[0-9a-f]{64}\Z")
NAME_RE = re.compile(r"^(?![.-])(?!.*(--|\.\.))[A-Za-z0-9._-]{1,96}(?<![.-])\Z")
REF_NAME_RE = re.compile(r"^(?!.*\.\.)(?!/)(?!.*//)[A-Za-z0-9._/-]{1,200}(?<![/.])\Z")

# Regular (non-LFS) files above this size are refused, as on the Hub.
MAX_REGULAR_FILE_SIZE = 10 * 1024 * 1024

_LFS_PATTERNS = [
    "*.7z", "*.arrow", "*.bin", "*.bz2", "*.ckpt", "*.ftz", "*.gz", "*.h5", "*.joblib", "*.lfs.*",
    "*.mlmodel", "*.model", "*.msgpack", "*.npy", "*.npz", "*.onnx", "*.ot", "*.parquet", "*.pb",
    "*.pickle", "*.pkl", "*.pt", "*.pth", "*.rar", "*.safetensors", "saved_model/**/*", "*.tar.*",
    "*.tar", "*.tflite", "*.tgz", "*.wasm", "*.xz", "*.zip", "*.zst", "*tfevents*",
]  # fmt: skip
_DATASET_LFS_PATTERNS = [
    "*.lz4", "*.mds", "*.mp3", "*.ogg", "*.wav", "*.flac", "*.jpg", "*.jpeg", "*.png", "*.webp",
    "*.mp4",
]  # fmt: skip


def default_gitattributes(repo_type: str) -> str:
    """The `.gitattributes` the Hub writes into every new repo of this type."""
    patterns = _LFS_PATTERNS + (_DATASET_LFS_PATTERNS if repo_type == "dataset" else [])
    return "".join(f"{pattern} filter=lfs diff=lfs merge=lfs -text\n" for pattern in patterns)


def now_iso() -> str:
    """The current UTC time as the Hub writes it (`2026-11-23T09:16:00.000Z`)."""
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass(frozen=True)
class FileEntry:
    """One file of a commit's tree.

    Attributes:
        oid: Git blob id (for an LFS file, the id of its pointer file).
        size: Size of the content in bytes.
        lfs: sha256 of the content when the file is stored in LFS, else None.
    """

    oid: str
    size: int
    lfs: str | None = None

    @property
    def pointer_size(self) -> int:
        """Size of the git-lfs pointer that stands for an LFS file in git."""
        return len(gitobjects.lfs_pointer(self.lfs or "", self.size))


@dataclass(frozen=True)
class Commit:
    """A commit: its id, parents, full tree and message."""

    id: str
    parents: tuple[str, ...]
    tree: dict[str, FileEntry]
    title: str
    message: str
    author: str
    date: str

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["tree"] = {path: asdict(entry) for path, entry in self.tree.items()}
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Commit:
        return cls(
            id=data["id"],
            parents=tuple(data["parents"]),
            tree={path: FileEntry(**entry) for path, entry in data["tree"].items()},
            title=data["title"],
            message=data["message"],
            author=data["author"],
            date=data["date"],
        )


@dataclass(frozen=True)
class AddFile:
    """Commit operation: add or replace a regular file with this content."""

    path: str
    content: bytes


@dataclass(frozen=True)
class AddLfsFile:
    """Commit operation: add or replace a file with an already uploaded LFS object."""

    path: str
    oid: str
    size: int | None = None


@dataclass(frozen=True)
class DeleteFile:
    """Commit operation: delete a file (404 `EntryNotFound` if there is none)."""

    path: str


@dataclass(frozen=True)
class DeleteFolder:
    """Commit operation: delete every file under a folder."""

    path: str


Operation = AddFile | AddLfsFile | DeleteFile | DeleteFolder


@dataclass
class RepoRecord:
    """Settings of one repo (the content lives in its commits)."""

    type: str
    id: str
    private: bool = False
    gated: str | bool = False
    created_at: str = field(default_factory=now_iso)
    granted_users: list[str] = field(default_factory=list)
    space: dict[str, Any] = field(default_factory=dict)

    @property
    def namespace(self) -> str:
        return self.id.split("/")[0]


@dataclass(frozen=True)
class CommitResult:
    """What a commit did: the commit now at the head, whether it is new, and the PR it opened."""

    commit: Commit
    created: bool
    pr_num: int | None = None


def check_repo_id(repo_id: str) -> str:
    """Return a repo id that `create_repo` accepts; raise `BadRequestError` otherwise."""
    namespace, slash, name = str(repo_id).partition("/")
    if not slash or not NAME_RE.match(namespace) or not NAME_RE.match(name):
        raise BadRequestError(
            f"Invalid repo name {repo_id!r}: use letters, digits, '-', '_' and '.', "
            "not starting or ending with '-' or '.', at most 96 characters"
        )
    return repo_id


def validate_path(path: str) -> str:
    """Check a path in a repo and return it; raise `BadRequestError` for what git or the Hub refuse."""
    if not path or path.startswith("/") or path.endswith("/") or "\\" in path or "\0" in path:
        raise BadRequestError(f"Invalid path in repo: {path!r}")
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts) or parts[0] == ".git":
        raise BadRequestError(f"Invalid path in repo: {path!r}")
    return path


class Storage:
    """All repos under one root folder.

    Args:
        root: Folder holding the repos; created if missing.

    Every method that changes something takes a lock (a thread lock and an `flock` on the root),
    so several threads and processes can share one root.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._thread_lock = threading.RLock()
        self._flock_held = False
        self._tree_id_cache: dict[tuple[str, str], dict[str, str]] = {}

    # ------------------------------------------------------------------ locking and files

    @contextlib.contextmanager
    def write_lock(self) -> Iterator[None]:
        """Hold the root's write lock (re-entrant within a thread, shared with other processes)."""
        with self._thread_lock:
            # Only the thread holding the RLock gets here, so a plain flag tells re-entry apart.
            if self._flock_held:
                yield
                return
            with open(self.root / ".lock", "a+") as lock_file:
                fcntl.flock(lock_file, fcntl.LOCK_EX)
                self._flock_held = True
                try:
                    yield
                finally:
                    self._flock_held = False
                    fcntl.flock(lock_file, fcntl.LOCK_UN)

    def _repo_dir(self, repo_type: str, repo_id: str) -> Path:
        """The folder of a repo; a repo id that could name anything outside the root does not exist."""
        namespace, _, name = repo_id.partition("/")
        if repo_type not in REPO_TYPES or not NAME_RE.match(namespace) or not NAME_RE.match(name):
            raise RepoNotFoundError(f"Repository not found: {repo_type}s/{repo_id}")
        return self.root / f"{repo_type}s" / namespace / name

    @staticmethod
    def _write_json(path: Path, data: Any) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as tmp:
            json.dump(data, tmp, indent=1, sort_keys=True)
        os.replace(tmp.name, path)

    @staticmethod
    def _write_bytes(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=path.parent, delete=False, suffix=".tmp") as tmp:
            tmp.write(data)
        os.replace(tmp.name, path)

    # ------------------------------------------------------------------ repos

    def repo(self, repo_type: str, repo_id: str) -> RepoRecord:
        """Return a repo's settings; raise `RepoNotFoundError` if it does not exist."""
        path = self._repo_dir(repo_type, repo_id) / "repo.json"
        try:
            data = json.loads(path.read_text())
        except (FileNotFoundError, NotADirectoryError):
            raise RepoNotFoundError(f"Repository not found: {repo_type}s/{repo_id}") from None
        return RepoRecord(**data)

    def exists(self, repo_type: str, repo_id: str) -> bool:
        try:
            return (self._repo_dir(repo_type, repo_id) / "repo.json").is_file()
        except RepoNotFoundError:  # an id no repo can have
            return False

    def save_repo(self, record: RepoRecord) -> None:
        with self.write_lock():
            self._write_json(self._repo_dir(record.type, record.id) / "repo.json", asdict(record))

    def list_repos(self, repo_type: str) -> list[RepoRecord]:
        base = self.root / f"{repo_type}s"
        return [
            self.repo(repo_type, f"{p.parent.parent.name}/{p.parent.name}") for p in sorted(base.glob("*/*/repo.json"))
        ]

    def create_repo(
        self,
        *,
        repo_type: str,
        repo_id: str,
        author: str,
        private: bool = False,
        space: dict[str, Any] | None = None,
        initial_files: dict[str, bytes] | None = None,
    ) -> RepoRecord:
        """Create a repo with an initial commit holding `.gitattributes` (plus `initial_files`).

        Raises:
            BadRequestError: invalid type or name.
            ConflictError: the repo exists.
        """
        if repo_type not in REPO_TYPES:
            raise BadRequestError(f"Invalid repo type: {repo_type!r}")
        check_repo_id(repo_id)
        with self.write_lock():
            if self.exists(repo_type, repo_id):
                raise ConflictError(f"You already created this {repo_type} repo: {repo_id}")
            record = RepoRecord(type=repo_type, id=repo_id, private=private, space=space or {})
            self.save_repo(record)
            files = {".gitattributes": default_gitattributes(repo_type).encode(), **(initial_files or {})}
            self._write_refs(record, {"heads": {}, "tags": {}, "pulls": {}})
            self.commit(
                record,
                revision="main",
                operations=[AddFile(path, content) for path, content in files.items()],
                title="initial commit",
                author=author,
                new_branch=True,
            )
        return record

    def delete_repo(self, repo_type: str, repo_id: str) -> None:
        with self.write_lock():
            self.repo(repo_type, repo_id)
            shutil.rmtree(self._repo_dir(repo_type, repo_id))

    def move_repo(self, repo_type: str, from_id: str, to_id: str) -> RepoRecord:
        """Rename a repo; the new id follows the rules of `create_repo`.

        Raises:
            BadRequestError: invalid new id. ConflictError: it exists. RepoNotFoundError: no such repo.
        """
        check_repo_id(to_id)
        with self.write_lock():
            record = self.repo(repo_type, from_id)
            if self.exists(repo_type, to_id):
                raise ConflictError(f"A {repo_type} repo named {to_id} already exists")
            target = self._repo_dir(repo_type, to_id)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(self._repo_dir(repo_type, from_id), target)
            record.id = to_id
            self.save_repo(record)
            return record

    # ------------------------------------------------------------------ refs and commits

    def refs(self, record: RepoRecord) -> dict[str, dict[str, Any]]:
        """`{"heads": {branch: id}, "tags": {tag: {"target", "message"}}, "pulls": {num: id}}`."""
        return json.loads((self._repo_dir(record.type, record.id) / "refs.json").read_text())

    def _write_refs(self, record: RepoRecord, refs: dict[str, Any]) -> None:
        self._write_json(self._repo_dir(record.type, record.id) / "refs.json", refs)

    def get_commit(self, record: RepoRecord, commit_id: str) -> Commit | None:
        if not isinstance(commit_id, str) or not SHA1_RE.match(commit_id):
            return None  # ids come from requests: only a commit id may become a file name
        path = self._repo_dir(record.type, record.id) / "commits" / f"{commit_id}.json"
        try:
            return Commit.from_json(json.loads(path.read_text()))
        except FileNotFoundError:
            return None

    def resolve(self, record: RepoRecord, revision: str) -> Commit:
        """Resolve a branch, tag, `refs/...` name, `refs/pr/N` or (short) commit id.

        Raises:
            RevisionNotFoundError: nothing by that name.
        """
        refs = self.refs(record)
        commit_id: str | None = None
        name = revision
        if name.startswith("refs/heads/"):
            commit_id = refs["heads"].get(name.removeprefix("refs/heads/"))
        elif name.startswith("refs/tags/"):
            tag = refs["tags"].get(name.removeprefix("refs/tags/"))
            commit_id = tag["target"] if tag else None
        elif name.startswith("refs/pr/"):
            commit_id = refs["pulls"].get(name.removeprefix("refs/pr/"))
        elif name in refs["heads"]:
            commit_id = refs["heads"][name]
        elif name in refs["tags"]:
            commit_id = refs["tags"][name]["target"]
        elif SHA1_RE.match(name):
            commit_id = name
        elif SHORT_SHA_RE.match(name):
            matches = [p.stem for p in (self._repo_dir(record.type, record.id) / "commits").glob(f"{name}*.json")]
            commit_id = matches[0] if len(matches) == 1 else None
        commit = self.get_commit(record, commit_id) if commit_id else None
        if commit is None:
            raise RevisionNotFoundError(f"Invalid rev id: {revision}")
        return commit

    def history(self, record: RepoRecord, revision: str) -> list[Commit]:
        """Commits reachable from `revision`, newest first (first-parent order)."""
        commits = []
        commit: Commit | None = self.resolve(record, revision)
        while commit is not None:
            commits.append(commit)
            commit = self.get_commit(record, commit.parents[0]) if commit.parents else None
        return commits

    def tree_ids(self, record: RepoRecord, commit: Commit) -> dict[str, str]:
        """Git tree id of every folder of a commit (cached: commits never change)."""
        key = (f"{record.type}/{record.id}", commit.id)
        if key not in self._tree_id_cache:
            self._tree_id_cache[key] = gitobjects.tree_ids({p: e.oid for p, e in commit.tree.items()})
        return self._tree_id_cache[key]

    def create_branch(self, record: RepoRecord, branch: str, *, start: str | None, author: str, empty: bool) -> None:
        if not REF_NAME_RE.match(branch) or branch.startswith("refs/"):
            raise BadRequestError(f"Invalid branch name: {branch!r}")
        with self.write_lock():
            refs = self.refs(record)
            if branch in refs["heads"]:
                raise ConflictError(f"Reference already exists: refs/heads/{branch}")
            if empty:
                commit = self._new_commit(
                    record, parents=(), tree={}, title="initial commit", message="", author=author
                )
                target = commit.id
            else:
                target = self.resolve(record, start or "main").id
            refs["heads"][branch] = target
            self._write_refs(record, refs)

    def delete_branch(self, record: RepoRecord, branch: str) -> None:
        with self.write_lock():
            refs = self.refs(record)
            if branch not in refs["heads"]:
                raise RevisionNotFoundError(f"Invalid rev id: {branch}")
            if branch == "main":
                raise BadRequestError("Cannot delete the default branch")
            del refs["heads"][branch]
            self._write_refs(record, refs)

    def create_tag(self, record: RepoRecord, tag: str, *, revision: str, message: str | None) -> None:
        if not REF_NAME_RE.match(tag) or tag.startswith("refs/"):
            raise BadRequestError(f"Invalid tag name: {tag!r}")
        with self.write_lock():
            refs = self.refs(record)
            if tag in refs["tags"]:
                raise ConflictError(f"Tag already exists: refs/tags/{tag}")
            target = self.resolve(record, revision).id
            refs["tags"][tag] = {"target": target, "message": message or ""}
            self._write_refs(record, refs)

    def delete_tag(self, record: RepoRecord, tag: str) -> None:
        with self.write_lock():
            refs = self.refs(record)
            if tag not in refs["tags"]:
                raise RevisionNotFoundError(f"Invalid rev id: {tag}")
            del refs["tags"][tag]
            self._write_refs(record, refs)

    def _new_commit(
        self,
        record: RepoRecord,
        *,
        parents: tuple[str, ...],
        tree: dict[str, FileEntry],
        title: str,
        message: str,
        author: str,
        commit_id: str | None = None,
    ) -> Commit:
        timestamp = int(time.time())
        if commit_id is None:
            root_tree = gitobjects.tree_ids({p: e.oid for p, e in tree.items()})[""]
            full_message = title + ("\n\n" + message if message else "") + "\n"
            commit_id = gitobjects.commit_id(
                tree=root_tree, parents=list(parents), author=author, timestamp=timestamp, message=full_message
            )
        date = dt.datetime.fromtimestamp(timestamp, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        commit = Commit(
            id=commit_id, parents=parents, tree=dict(sorted(tree.items())), title=title, message=message,
            author=author, date=date,
        )  # fmt: skip
        self._write_json(self._repo_dir(record.type, record.id) / "commits" / f"{commit_id}.json", commit.to_json())
        return commit

    def commit(
        self,
        record: RepoRecord,
        *,
        revision: str,
        operations: Iterable[Operation],
        title: str,
        author: str,
        message: str = "",
        parent_commit: str | None = None,
        create_pr: bool = False,
        commit_id: str | None = None,
        new_branch: bool = False,
        allow_binary_regular: bool = True,
    ) -> CommitResult:
        """Apply operations on top of a branch (or a PR ref) and move it, all or nothing.

        Args:
            record: The repo.
            revision: Branch name (`main`, `refs/heads/x`) or `refs/pr/N`; with `create_pr`, the
                branch the pull request starts from.
            operations: Additions and deletions, applied in order.
            title: First line of the commit message.
            author: User name recorded in the commit.
            message: Rest of the commit message.
            parent_commit: If given, the commit must be made on top of exactly this commit.
            create_pr: Put the commit on a new `refs/pr/N` instead of moving the branch.
            commit_id: Use this id instead of computing one (fixtures pinned to real Hub commits);
                if it already exists in the repo, nothing is done.
            new_branch: Allow `revision` to be a branch that does not exist yet.
            allow_binary_regular: Accept binary or >10 MiB content as regular files.

        Returns:
            The head commit after the operation; `created` is False when the tree did not change.

        Raises:
            RevisionNotFoundError, EntryNotFoundError, PreconditionFailedError (stale parent), BadRequestError.
        """
        with self.write_lock():
            record = self.repo(record.type, record.id)
            if commit_id is not None:
                if not SHA1_RE.match(commit_id):
                    raise BadRequestError(f"Invalid commit id {commit_id!r}: expected 40 lowercase hex characters")
                existing = self.get_commit(record, commit_id)
                if existing is not None:
                    return CommitResult(existing, created=False)

            refs = self.refs(record)
            pr_target: str | None = None
            if revision.startswith("refs/pr/"):
                pr_target = revision.removeprefix("refs/pr/")
                if pr_target not in refs["pulls"]:
                    raise RevisionNotFoundError(f"Invalid rev id: {revision}")
                head_id: str | None = refs["pulls"][pr_target]
            else:
                branch = revision.removeprefix("refs/heads/")
                if branch not in refs["heads"] and not new_branch:
                    if SHA1_RE.match(branch) or branch in refs["tags"]:
                        raise BadRequestError(f"Invalid rev id: {revision} is not a branch")
                    raise RevisionNotFoundError(f"Invalid rev id: {revision}")
                head_id = refs["heads"].get(branch)

            base_id = head_id
            if parent_commit is not None:
                if create_pr:
                    if self.get_commit(record, parent_commit) is None:
                        raise RevisionNotFoundError(f"Invalid rev id: {parent_commit}")
                    base_id = parent_commit
                elif parent_commit != head_id:
                    raise PreconditionFailedError(
                        f"A commit has happened since {parent_commit}: the head of {revision} is now {head_id}. "
                        "Please refresh and try again."
                    )
            base = self.get_commit(record, base_id) if base_id else None
            tree = dict(base.tree) if base else {}
            for operation in operations:
                self._apply(record, tree, operation, allow_binary_regular=allow_binary_regular)

            if base is not None and tree == base.tree and commit_id is None:
                return CommitResult(base, created=False)

            commit = self._new_commit(
                record,
                parents=(base.id,) if base else (),
                tree=tree,
                title=title,
                message=message,
                author=author,
                commit_id=commit_id,
            )
            pr_num = None
            if create_pr:
                pr_num = self._next_discussion_num(record)
                refs["pulls"][str(pr_num)] = commit.id
            elif pr_target is not None:
                refs["pulls"][pr_target] = commit.id
            else:
                refs["heads"][revision.removeprefix("refs/heads/")] = commit.id
            self._write_refs(record, refs)
            return CommitResult(commit, created=True, pr_num=pr_num)

    def _apply(
        self, record: RepoRecord, tree: dict[str, FileEntry], operation: Operation, *, allow_binary_regular: bool
    ) -> None:
        if isinstance(operation, AddFile):
            path = validate_path(operation.path)
            content = operation.content
            if not allow_binary_regular:
                if len(content) > MAX_REGULAR_FILE_SIZE:
                    raise BadRequestError(
                        f"Your push was rejected because {path} is larger than 10 MiB. Upload it with Git LFS."
                    )
                if looks_binary(content[:8000]):
                    raise BadRequestError(
                        f"Your push was rejected because {path} is a binary file. Upload it with Git LFS."
                    )
            oid = gitobjects.blob_id(content)
            blob = self._repo_dir(record.type, record.id) / "blobs" / oid
            if not blob.exists():
                self._write_bytes(blob, content)
            self._check_no_file_folder_clash(tree, path)
            tree[path] = FileEntry(oid=oid, size=len(content))
        elif isinstance(operation, AddLfsFile):
            path = validate_path(operation.path)
            if not SHA256_RE.match(operation.oid):
                raise BadRequestError(f"Invalid LFS oid for {path}: {operation.oid!r}")
            stored = self.lfs_path(record, operation.oid)
            if not stored.exists():
                raise BadRequestError(
                    f"Your push was rejected because an LFS pointer pointed to a file that does not exist: "
                    f"{path} (oid {operation.oid})"
                )
            size = stored.stat().st_size
            if operation.size is not None and operation.size != size:
                raise BadRequestError(f"LFS object {operation.oid} has size {size}, not {operation.size}")
            self._check_no_file_folder_clash(tree, path)
            tree[path] = FileEntry(
                oid=gitobjects.blob_id(gitobjects.lfs_pointer(operation.oid, size)), size=size, lfs=operation.oid
            )
        elif isinstance(operation, DeleteFile):
            if operation.path in tree:
                del tree[operation.path]
                return
            # The Hub deletes a folder named like a file (huggingface_hub's `is_folder="auto"` sends
            # "deletedFile" for a path without a trailing slash).
            inside = [p for p in tree if p.startswith(operation.path.rstrip("/") + "/")]
            if not operation.path.strip("/") or not inside:
                raise EntryNotFoundError(f"A file with this name doesn't exist: {operation.path}")
            for path in inside:
                del tree[path]
        elif isinstance(operation, DeleteFolder):
            prefix = operation.path.strip("/")
            matched = [p for p in tree if p.startswith(prefix + "/")] if prefix else list(tree)
            if not matched:
                raise EntryNotFoundError(f"A folder with this name doesn't exist: {operation.path}")
            for path in matched:
                del tree[path]
        else:  # pragma: no cover - the server only builds the four kinds above
            raise BadRequestError(f"Unknown commit operation: {operation!r}")

    @staticmethod
    def _check_no_file_folder_clash(tree: dict[str, FileEntry], path: str) -> None:
        parents = [str(p) for p in PurePosixPath(path).parents if str(p) != "."]
        if any(parent in tree for parent in parents) or any(p.startswith(path + "/") for p in tree):
            raise BadRequestError(f"Cannot add {path}: a file and a folder would have the same name")

    def super_squash(self, record: RepoRecord, branch: str, *, title: str, author: str) -> Commit:
        with self.write_lock():
            head = self.resolve(record, branch)
            refs = self.refs(record)
            if branch not in refs["heads"]:
                raise RevisionNotFoundError(f"Invalid rev id: {branch}")
            commit = self._new_commit(record, parents=(), tree=head.tree, title=title, message="", author=author)
            refs["heads"][branch] = commit.id
            self._write_refs(record, refs)
            return commit

    # ------------------------------------------------------------------ content

    def blob_path(self, record: RepoRecord, entry: FileEntry) -> Path:
        """Where the bytes of a file of a commit are stored."""
        if entry.lfs:
            return self.lfs_path(record, entry.lfs)
        if not SHA1_RE.match(entry.oid):
            raise BadRequestError(f"Invalid blob id {entry.oid!r}")
        return self._repo_dir(record.type, record.id) / "blobs" / entry.oid

    def read_file(self, record: RepoRecord, entry: FileEntry) -> bytes:
        return self.blob_path(record, entry).read_bytes()

    def lfs_patterns(self, record: RepoRecord, tree: dict[str, FileEntry]) -> list[str]:
        """The patterns that the tree's `.gitattributes` sends to LFS."""
        if ".gitattributes" not in tree:
            return []
        return gitattributes_lfs_patterns(self.read_file(record, tree[".gitattributes"]).decode("utf-8", "replace"))

    def card(self, record: RepoRecord, commit: Commit) -> dict[str, Any]:
        """The README front matter of a commit ({} when missing or invalid)."""
        if "README.md" not in commit.tree:
            return {}
        try:
            return cards.front_matter(self.read_file(record, commit.tree["README.md"]).decode("utf-8", "replace")) or {}
        except ValueError:
            return {}

    def lfs_path(self, record: RepoRecord, oid: str) -> Path:
        """Where an LFS object is stored.

        Raises:
            BadRequestError: `oid` is not 64 lowercase hex characters (it never becomes a path).
        """
        if not isinstance(oid, str) or not SHA256_RE.match(oid):
            raise BadRequestError("Invalid LFS oid: 64 lowercase hex characters (a sha256) expected")
        return self._repo_dir(record.type, record.id) / "lfs" / oid

    def store_lfs(self, record: RepoRecord, oid: str, size: int, stream: BinaryIO) -> None:
        """Stream an LFS object to disk, checking its size and sha256 before keeping it.

        Raises:
            BadRequestError: the bytes do not match the announced size or sha256.
        """
        target = self.lfs_path(record, oid)
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        received = 0
        with tempfile.NamedTemporaryFile("wb", dir=target.parent, delete=False, suffix=".part") as tmp:
            try:
                while received < size:
                    chunk = stream.read(min(1 << 20, size - received))
                    if not chunk:
                        break
                    digest.update(chunk)
                    tmp.write(chunk)
                    received += len(chunk)
            except BaseException:
                os.unlink(tmp.name)
                raise
        if received != size or digest.hexdigest() != oid:
            os.unlink(tmp.name)
            raise BadRequestError(f"Uploaded content does not match LFS object {oid} ({received} of {size} bytes)")
        os.replace(tmp.name, target)

    # ------------------------------------------------------------------ discussions

    def discussions(self, record: RepoRecord) -> list[dict[str, Any]]:
        path = self._repo_dir(record.type, record.id) / "discussions.json"
        return json.loads(path.read_text()) if path.exists() else []

    def save_discussions(self, record: RepoRecord, discussions: list[dict[str, Any]]) -> None:
        with self.write_lock():
            self._write_json(self._repo_dir(record.type, record.id) / "discussions.json", discussions)

    def _next_discussion_num(self, record: RepoRecord) -> int:
        existing = self.discussions(record)
        pulls = self.refs(record)["pulls"]
        return max([d["num"] for d in existing] + [int(n) for n in pulls] + [0]) + 1

    def add_discussion(self, record: RepoRecord, discussion: dict[str, Any]) -> dict[str, Any]:
        with self.write_lock():
            discussions = self.discussions(record)
            if "num" not in discussion:
                discussion["num"] = self._next_discussion_num(record)
            discussions.append(discussion)
            self.save_discussions(record, discussions)
            return discussion

    def find_discussion(self, record: RepoRecord, num: int) -> dict[str, Any]:
        for discussion in self.discussions(record):
            if discussion["num"] == num:
                return discussion
        raise NotFoundError(f"Discussion #{num} not found in {record.type}s/{record.id}")

    def set_pr_ref(self, record: RepoRecord, num: int, commit_id: str) -> None:
        with self.write_lock():
            refs = self.refs(record)
            refs["pulls"][str(num)] = commit_id
            self._write_refs(record, refs)


def goes_to_lfs(path: str, size: int, sample: bytes, patterns: list[str]) -> bool:
    """Whether the Hub stores a file in LFS: large, binary or matched by `.gitattributes` (never empty)."""
    return size > 0 and (size > MAX_REGULAR_FILE_SIZE or looks_binary(sample) or matches_gitattributes(path, patterns))


def looks_binary(sample: bytes) -> bool:
    """Whether content looks binary to git (a NUL byte in its first bytes)."""
    return b"\0" in sample


def gitattributes_lfs_patterns(content: str) -> list[str]:
    """The patterns that a `.gitattributes` file sends to LFS."""
    patterns = []
    for line in content.splitlines():
        parts = line.split()
        if len(parts) >= 2 and not parts[0].startswith("#") and "filter=lfs" in parts[1:]:
            patterns.append(parts[0])
    return patterns


def matches_gitattributes(path: str, patterns: list[str]) -> bool:
    """Whether a path matches one of these gitattributes patterns (git's rules, simplified)."""
    name = path.rsplit("/", 1)[-1]
    for pattern in patterns:
        if "/" in pattern:
            regex = re.escape(pattern.lstrip("/")).replace(r"\*\*/", "(?:.*/)?").replace(r"\*", "[^/]*")
            if re.fullmatch(regex, path):
                return True
        elif fnmatch.fnmatchcase(name, pattern):
            return True
    return False
