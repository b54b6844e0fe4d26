"""Stakeholders' verdicts, kept: one JSON line per verdict, appended to a file of this process,
pushed to a private dataset repo on the Hub by `huggingface_hub.CommitScheduler`.

Where records go: with `SUITE_FEEDBACK_REPO` (a dataset repo id; `deploy` sets it) and a token
(`SUITE_FEEDBACK_TOKEN`, a Space secret, or `HF_TOKEN`), to `data/<demo>/<process>.jsonl` of that
repo; otherwise to a local folder only (`SUITE_FEEDBACK_DIR`, default `./feedback`), which the
page names. Each process writes its own file (replicas never touch each other's lines), only
ever appends, and the scheduler uploads each changed file whole: a record is never committed
twice, and a push that fails leaves every line on disk for the next one. A failure is logged as
one line; the last push runs when the process exits.

Only the standard library is imported at module level (huggingface_hub when pushing).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import tempfile
import threading
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from shared.errors import InputError
from shared.limits import MAX_FEEDBACK_COMMENT_CHARS, MAX_FEEDBACK_FILE_BYTES, MAX_FEEDBACK_SUMMARY_CHARS

# The suite's naming scheme: one private dataset per namespace for every demo's verdicts
# (`data/<demo>/…`), so that one report reads them all and one token writes them.
DATASET_NAME = "suite-feedback"
REPO_ENV = "SUITE_FEEDBACK_REPO"
TOKEN_ENV = "SUITE_FEEDBACK_TOKEN"  # noqa: S105 - the name of a variable, not a token
FOLDER_ENV = "SUITE_FEEDBACK_DIR"
VERSION_ENV = "SUITE_APP_VERSION"
# Set ("1") by deploy for Spaces whose space.yaml has `feedback_keeps_files: true` (space.yaml
# itself is not uploaded).
KEEPS_FILES_ENV = "SUITE_FEEDBACK_KEEPS_FILES"
PUSH_MINUTES = 5.0
VERDICTS = ("up", "down")
# A comparison's outcome, by revision (the stakeholder saw only "left" and "right").
CHOICES = ("baseline", "candidate", "same", "both bad")
_LOG = logging.getLogger("shared.feedback_log")
# Of a file's bytes, at most this many go into a summary (and only when asked).
_KEPT_BYTES = MAX_FEEDBACK_SUMMARY_CHARS // 4


@dataclass(frozen=True)
class Pin:
    """A registry name as the app loaded it: repo and commit."""

    name: str
    repo: str
    revision: str


@dataclass(frozen=True)
class Record:
    """One stakeholder's verdict (a line of the feedback dataset).

    Attributes:
        id: Unique id of the record.
        time: When it was given (UTC, ISO 8601).
        demo: The demo (Space) name.
        endpoint: The API name of the output judged.
        kind: `verdict` (👍 / 👎) or `comparison` (two revisions side by side).
        verdict: `up` / `down`, or for a comparison one of `CHOICES`.
        comment: What the stakeholder wrote (at most `MAX_FEEDBACK_COMMENT_CHARS`).
        input: A summary of the input (text truncated; files by sha256 and size).
        output: A summary of the output.
        pins: Every registry name the app uses, with its repo and commit.
        compared: For a comparison, the two pins compared (`baseline`, then `candidate`).
        app_version: The deploy tag or git commit the app runs.
        session: A salted hash of the browser session (never an IP or a user name).
    """

    id: str
    time: str
    demo: str
    endpoint: str
    kind: str
    verdict: str
    comment: str
    input: str
    output: str
    pins: list[Pin] = field(default_factory=list)
    compared: list[Pin] = field(default_factory=list)
    app_version: str = ""
    session: str = ""


def summary(value: Any, *, keep_bytes: bool = False) -> str:
    """A bounded JSON summary of an input or output: text truncated, files and arrays by sha256 and
    size (their bytes only with `keep_bytes`, never more than the summary's limit)."""
    text = json.dumps(summarised(value, keep_bytes=keep_bytes), ensure_ascii=False, default=str)
    if len(text) > MAX_FEEDBACK_SUMMARY_CHARS:
        text = text[: MAX_FEEDBACK_SUMMARY_CHARS - 1] + "…"
    return text


def summarised(value: Any, *, keep_bytes: bool = False) -> Any:
    """What `summary` writes, before it becomes JSON: small enough to hold until a verdict comes
    (summarising it again changes nothing)."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        if _is_upload(value):
            with open(value, "rb") as file:
                head = file.read(_KEPT_BYTES)
                file.seek(0)
                digest = hashlib.file_digest(file, "sha256").hexdigest()  # read in chunks
            return _described("file", digest, os.path.getsize(value), head if keep_bytes else None)
        return value[:MAX_FEEDBACK_SUMMARY_CHARS]
    if isinstance(value, bytes | bytearray):
        return _digest(bytes(value), kind="bytes", keep_bytes=keep_bytes)
    if isinstance(value, Mapping):
        return {str(k): summarised(v, keep_bytes=keep_bytes) for k, v in list(value.items())[:32]}
    if isinstance(value, Sequence):
        return [summarised(v, keep_bytes=keep_bytes) for v in list(value)[:32]]
    if hasattr(value, "tobytes"):  # numpy arrays and PIL images: their pixels, hashed
        raw = value.tobytes()
        described = _digest(raw, kind=type(value).__name__, keep_bytes=False)
        return {**described, "shape": list(getattr(value, "shape", getattr(value, "size", ())))}
    return str(value)[:MAX_FEEDBACK_SUMMARY_CHARS]


def _is_upload(value: str) -> bool:
    """Whether a string is the path of an uploaded file: one in the temporary folders where Gradio
    keeps uploads. A path typed into a text box names no file of the server's."""
    if len(value) > 4096 or os.sep not in value or not os.path.isfile(value):
        return False
    roots = [tempfile.gettempdir(), os.environ.get("GRADIO_TEMP_DIR") or tempfile.gettempdir()]
    return any(Path(value).resolve().is_relative_to(Path(root).resolve()) for root in roots)


def _digest(data: bytes, *, kind: str, keep_bytes: bool) -> dict[str, Any]:
    return _described(kind, hashlib.sha256(data).hexdigest(), len(data), data[:_KEPT_BYTES] if keep_bytes else None)


def _described(kind: str, sha256: str, size: int, head: bytes | None) -> dict[str, Any]:
    described: dict[str, Any] = {"kind": kind, "sha256": sha256, "bytes": size}
    if head is not None:
        described["hex"] = head.hex()
    return described


def session_hash(session: str, *, salt: str) -> str:
    """The session's id, hashed with this process's salt: lines of one session group together,
    and nothing leads back to who it was."""
    return hashlib.sha256(f"{salt}:{session}".encode()).hexdigest()[:16]


class FeedbackLog:
    """Where one app's verdicts go: a file of this process, pushed to the Hub when configured.

    Args:
        demo: The demo's name (records' `demo`, and their folder in the dataset).
        pins: The registry names the app uses, with repo and commit.
        repo_id: The dataset repo (default `$SUITE_FEEDBACK_REPO`); None: local folder only.
        token: A token that may write to it (default `$SUITE_FEEDBACK_TOKEN`, then `$HF_TOKEN`).
        folder: The local folder (default `$SUITE_FEEDBACK_DIR`, else `./feedback`).
        every_minutes: Minutes between pushes.
        app_version: The deploy tag or git commit (default `$SUITE_APP_VERSION`).
        keep_bytes: Keep the first bytes of files in summaries (default: `$SUITE_FEEDBACK_KEEPS_FILES`
            is "1"); otherwise files are kept as sha256 and size only.
    """

    def __init__(
        self,
        demo: str,
        *,
        pins: Sequence[Pin] = (),
        repo_id: str | None = None,
        token: str | None = None,
        folder: str | os.PathLike[str] | None = None,
        every_minutes: float = PUSH_MINUTES,
        app_version: str | None = None,
        keep_bytes: bool | None = None,
    ) -> None:
        self.demo = demo
        self.keep_bytes = keep_bytes if keep_bytes is not None else os.environ.get(KEEPS_FILES_ENV) == "1"
        self.pins = list(pins)
        self.folder = Path(folder or os.environ.get(FOLDER_ENV) or "feedback").resolve()
        self.repo_id = repo_id if repo_id is not None else (os.environ.get(REPO_ENV) or None)
        self.app_version = app_version if app_version is not None else os.environ.get(VERSION_ENV, "")
        self.file = self.folder / "data" / demo / f"{uuid.uuid4().hex}.jsonl"
        self._salt = uuid.uuid4().hex
        self._lock = threading.Lock()
        self._scheduler: Any = None
        token = token or os.environ.get(TOKEN_ENV) or os.environ.get("HF_TOKEN")
        if self.repo_id and token:
            self._scheduler = _scheduler(self.repo_id, self.folder, token=token, every=every_minutes)

    @property
    def where(self) -> str:
        """Where the records go, in words (the page shows it)."""
        if self._scheduler is not None:
            return f"the private dataset {self.repo_id} on the Hub"
        return f"the local folder {self.folder} (no feedback repo is configured)"

    def record(
        self,
        *,
        endpoint: str,
        verdict: str,
        comment: object = "",
        input: Any = None,  # noqa: A002 - the record's field
        output: Any = None,
        session: str = "",
        compared: Sequence[Pin] = (),
    ) -> Record:
        """Append one verdict to this process's file (flushed to disk before returning).

        Raises:
            InputError: an unknown verdict, a comment that is not text or is too long, or this
                process's file is full (`MAX_FEEDBACK_FILE_BYTES`).
        """
        kind = "comparison" if compared else "verdict"
        allowed = CHOICES if compared else VERDICTS
        if verdict not in allowed:
            raise InputError(f"A {kind} is one of {', '.join(allowed)}, not {verdict!r}.")
        if comment is None:
            comment = ""
        if not isinstance(comment, str):
            raise InputError("The comment must be text.")
        if len(comment) > MAX_FEEDBACK_COMMENT_CHARS:
            raise InputError(
                f"The comment is {len(comment):,} characters long; the limit is {MAX_FEEDBACK_COMMENT_CHARS:,}."
            )
        record = Record(
            id=uuid.uuid4().hex,
            time=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            demo=self.demo,
            endpoint=endpoint,
            kind=kind,
            verdict=verdict,
            comment=comment.encode("utf-8", "replace").decode("utf-8").strip(),
            input=summary(input, keep_bytes=self.keep_bytes),
            output=summary(output, keep_bytes=self.keep_bytes),
            pins=self.pins,
            compared=list(compared),
            app_version=self.app_version,
            session=session_hash(session, salt=self._salt) if session else "",
        )
        line = json.dumps(asdict(record), ensure_ascii=False) + "\n"
        lock = self._scheduler.lock if self._scheduler is not None else self._lock
        with lock:  # the scheduler never reads a half-written line
            self.file.parent.mkdir(parents=True, exist_ok=True)
            if self.file.exists() and self.file.stat().st_size + len(line) > MAX_FEEDBACK_FILE_BYTES:
                raise InputError("Thank you: this demo takes no more feedback for now. Try again later.")
            with open(self.file, "a", encoding="utf-8") as handle:
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())
        return record

    def push(self) -> Any:
        """Push now and wait (the scheduler pushes by itself too). Returns the commit, or None
        when nothing was pushed (nothing new, no repo, or the push failed: the lines stay)."""
        if self._scheduler is None:
            return None
        return self._scheduler.trigger().result()

    def close(self) -> None:
        """Push what is left, then stop the scheduler."""
        if self._scheduler is not None:
            self.push()
            self._scheduler.stop()


def _scheduler(repo_id: str, folder: Path, *, token: str | None, every: float) -> Any:
    """A `CommitScheduler` that says in one line when a push fails, and starts even when the Hub
    does not answer (the repo is then created, or found, by the next push)."""
    from huggingface_hub import CommitScheduler, HfApi, RepoUrl

    class ForgivingApi(HfApi):
        created = False

        def create_repo(self, repo_id: str, **options: Any) -> Any:
            try:
                made = super().create_repo(repo_id, **options)
            except Exception as exc:  # the Hub is away: the records wait on disk
                _LOG.warning(
                    "feedback: cannot reach %s now (%s); records are kept in %s", repo_id, _reason(exc), folder
                )
                return RepoUrl(f"{self.endpoint}/datasets/{repo_id}", endpoint=self.endpoint)
            self.created = True
            return made

    class Scheduler(CommitScheduler):
        def push_to_hub(self) -> Any:
            try:
                if not self.api.created:
                    HfApi.create_repo(self.api, self.repo_id, repo_type="dataset", private=True, exist_ok=True)
                    self.api.created = True
                return super().push_to_hub()
            except Exception as exc:
                _LOG.warning(
                    "feedback: pushing to %s failed (%s); the records are kept in %s and pushed again in %g min",
                    self.repo_id, _reason(exc), folder, self.every,
                )  # fmt: skip
                return None

    return Scheduler(
        repo_id=repo_id,
        repo_type="dataset",
        folder_path=folder,
        every=every,
        private=True,
        hf_api=ForgivingApi(token=token),
        allow_patterns=["data/**/*.jsonl"],
    )


def _reason(error: Exception) -> str:
    status = getattr(getattr(error, "response", None), "status_code", None)
    if status is not None:
        return f"HTTP {status}"
    return type(error).__name__
