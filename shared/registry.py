"""The registry: logical name → pinned Hub artifact, read from one human-edited YAML file.

The file is `shared/registry.yaml` unless `SUITE_REGISTRY` names another (a fork, a test).
It is validated as a whole when read, so a bad pin fails at start-up with one line, never
halfway through a demo.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from shared.errors import RegistryError, UnknownNameError

import yaml

REGISTRY_ENV = "SUITE_REGISTRY"
DEFAULT_REGISTRY = Path(__file__).with_name("registry.yaml")

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)+$")
SHA_PATTERN = re.compile(r"^[0-9a-f]{40}$")
_HEX = re.compile(r"^[0-9a-fA-F]+$")
REPO_ID_PATTERN = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
REPO_TYPES = ("model", "dataset")
POOLINGS = ("mean", "cls")
# Formats that unpickle (run code) when loaded.
UNSAFE_WEIGHTS = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle", ".h5", ".msgpack")

_KEYS = {"type", "repo", "revision", "files", "task", "embedding", "rows", "description", "publish", "candidate"}
# `name@candidate` is the entry at its candidate pin: same files, task and conventions.
CANDIDATE_SUFFIX = "@candidate"
PUBLISH_COMMAND = "python scripts/publish.py"
_EMBEDDING_KEYS = {"pooling", "normalize", "query_prefix", "passage_prefix", "max_tokens"}


@dataclass(frozen=True)
class Embedding:
    """How an embedding model must be called; applied by `shared.Embedder`, never by apps.

    Attributes:
        pooling: `mean` (over non-padding tokens) or `cls` (first token).
        normalize: Scale vectors to unit length (cosine similarity becomes a dot product).
        query_prefix: Text put before every query (E5: `"query: "`, BGE: its instruction).
        passage_prefix: Text put before every passage (E5: `"passage: "`).
        max_tokens: Truncate inputs to this many tokens (the length the model was trained on).
    """

    pooling: str = "mean"
    normalize: bool = True
    query_prefix: str = ""
    passage_prefix: str = ""
    max_tokens: int = 512


@dataclass(frozen=True)
class Entry:
    """One pinned artifact.

    Attributes:
        name: The logical name apps use.
        repo_type: `model` or `dataset`.
        repo_id: The Hub repo (None: one of our own artifacts, not published yet).
        revision: Full 40-hex commit sha (None: not published yet).
        files: Files needed from the repo at that commit.
        task: What a model does (`text-classification`, `image-classification`, ...).
        embedding: Calling conventions of an embedding model.
        rows: For datasets, how many leading rows to load (None: all).
        description: One line for app footers.
        publish: For the suite's own artifacts, the `scripts/publish.py` command that builds and
            publishes it (and writes `repo` and `revision` here).
        candidate: Another version to compare with, as `repo@revision` (the same repo retrained,
            or another repo with the same files); the registry name `<name>@candidate` loads it.
    """

    name: str
    repo_type: str
    repo_id: str | None
    revision: str | None
    files: tuple[str, ...]
    task: str | None = None
    embedding: Embedding | None = None
    rows: int | None = None
    description: str = ""
    publish: str | None = None
    candidate: str | None = None

    @property
    def published(self) -> bool:
        return self.revision is not None

    @property
    def pin(self) -> str:
        """`repo@revision`, short enough for messages (12 hex digits)."""
        if self.revision is None:
            return "(not published yet)"
        return f"{self.repo_id}@{self.revision[:12]}"

    @property
    def publish_command(self) -> str:
        """The command that publishes one of our own artifacts."""
        return f"{PUBLISH_COMMAND} {self.publish} --namespace NAMESPACE"

    def not_published(self) -> str:
        """What to do about an entry nobody has published yet (one line)."""
        return f"{self.name} is not published yet: run `{self.publish_command}`"

    @property
    def is_candidate(self) -> bool:
        """Whether this is the candidate version of an entry (`<name>@candidate`)."""
        return self.name.endswith(CANDIDATE_SUFFIX)

    @property
    def base_name(self) -> str:
        """The entry's name without `@candidate`."""
        return self.name.removesuffix(CANDIDATE_SUFFIX)

    def as_candidate(self) -> Entry:
        """The entry at its candidate pin, named `<name>@candidate`.

        Raises:
            UnknownNameError: the entry has no candidate.
        """
        if self.candidate is None:
            raise UnknownNameError(
                f"{self.name} has no candidate version: add `candidate: repo@<40-hex sha>` to its registry "
                f"entry{f' or run `{self.publish_command} --candidate`' if self.publish else ''}"
            )
        repo_id, revision = self.candidate.split("@")
        return replace(
            self, name=self.name + CANDIDATE_SUFFIX, repo_id=repo_id, revision=revision, candidate=None,
            description=f"the candidate to replace {self.name} (the Compare tab)",
        )  # fmt: skip


@dataclass(frozen=True)
class Registry:
    """All entries of one registry file, by name."""

    path: Path
    entries: Mapping[str, Entry] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Entry:
        if isinstance(name, str) and name.endswith(CANDIDATE_SUFFIX) and name != CANDIDATE_SUFFIX:
            return self[name.removesuffix(CANDIDATE_SUFFIX)].as_candidate()
        try:
            return self.entries[name]
        except KeyError:
            close = difflib.get_close_matches(name, self.entries, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"known names: {', '.join(sorted(self.entries))}"
            raise UnknownNameError(f"{name!r} is not in the registry {self.path}: {hint}") from None

    def __contains__(self, name: object) -> bool:
        if isinstance(name, str) and name.endswith(CANDIDATE_SUFFIX):
            base = self.entries.get(name.removesuffix(CANDIDATE_SUFFIX))
            return base is not None and base.candidate is not None
        return name in self.entries

    def versions(self, name: str) -> list[str]:
        """`name`, and `<name>@candidate` when the entry has a candidate: what a comparison loads."""
        return [name, name + CANDIDATE_SUFFIX] if self[name].candidate else [name]

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries.values())

    def __len__(self) -> int:
        return len(self.entries)


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's own rule keeps the last of two equal keys; a registry must refuse them."""


def _construct_unique_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise RegistryError(f"line {key_node.start_mark.line + 1}: {key!r} is defined twice")
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping)


def registry_path() -> Path:
    """The registry file in use: `$SUITE_REGISTRY` if set, else `shared/registry.yaml`."""
    override = os.environ.get(REGISTRY_ENV, "").strip()
    return Path(override).expanduser() if override else DEFAULT_REGISTRY


_cache: dict[tuple[Path, int, int], Registry] = {}


def get_registry() -> Registry:
    """The registry in use, read and validated once per file version.

    Returns:
        The parsed registry.

    Raises:
        RegistryError: the file is missing, is not valid YAML, or breaks a rule.
    """
    path = registry_path()
    try:
        stat = path.stat()
    except OSError:
        where = f" (from ${REGISTRY_ENV})" if os.environ.get(REGISTRY_ENV) else ""
        raise RegistryError(f"registry file {path}{where} does not exist: fix the path") from None
    key = (path, stat.st_mtime_ns, stat.st_size)
    if key not in _cache:
        _cache.clear()
        _cache[key] = load_registry(path)
    return _cache[key]


def load_registry(path: Path) -> Registry:
    """Read and validate a registry file.

    Args:
        path: The YAML file.

    Returns:
        The parsed registry.

    Raises:
        RegistryError: the file cannot be read, is not valid YAML, or breaks a rule; the message
            names the file and the entry.

    Example:
        >>> load_registry(DEFAULT_REGISTRY)["sentiment-model"].task
        'text-classification'
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise RegistryError(f"cannot read registry {path}: {exc.strerror}") from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader subclass)
    except RegistryError as exc:
        raise RegistryError(f"registry {path}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise RegistryError(f"registry {path} is not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise RegistryError(f"registry {path} must map names to entries, not be a {type(data).__name__}")
    entries = {}
    for name, raw in data.items():
        entries[name] = _entry(path, name, raw)
    return Registry(path=Path(path), entries=entries)


def _entry(path: Path, name: Any, raw: Any) -> Entry:
    def fail(problem: str) -> RegistryError:
        return RegistryError(f"registry {path}: entry {name!r}: {problem}")

    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise fail("names are lowercase kebab-case '<subject>-<role>', e.g. 'sentiment-model'")
    if not isinstance(raw, dict):
        raise fail("must be a mapping with type, repo, revision and files")
    unknown = set(raw) - _KEYS
    if unknown:
        raise fail(f"unknown key(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(_KEYS))}")
    publish = raw.get("publish")
    if publish is not None and (not isinstance(publish, str) or not NAME_PATTERN.match(publish)):
        raise fail(f"publish must name a `{PUBLISH_COMMAND}` command, e.g. 'digits-model'")
    # Our own artifacts are listed before anyone publishes them: no repo and revision yet.
    required = {"type", "files"} if publish and "repo" not in raw and "revision" not in raw else None
    missing = (required or {"type", "repo", "revision", "files"}) - set(raw)
    if missing:
        raise fail(f"missing {', '.join(sorted(missing))}")

    repo_type = raw["type"]
    if repo_type not in REPO_TYPES:
        raise fail(f"type must be one of {', '.join(REPO_TYPES)}, not {repo_type!r}")
    repo_id, revision = raw.get("repo"), raw.get("revision")
    if required is None:
        _check_pin(repo_id, revision, fail)
    files = raw["files"]
    if not isinstance(files, list) or not files or not all(isinstance(f, str) and f.strip() for f in files):
        raise fail("files must be a non-empty list of paths in the repo")
    if len(set(files)) != len(files):
        raise fail("files lists a path twice")
    for file in files:
        if file.startswith("/") or ".." in file.split("/"):
            raise fail(f"file {file!r} must be a path inside the repo")

    task = raw.get("task")
    embedding = None
    if repo_type == "model":
        unsafe = [f for f in files if f.endswith(UNSAFE_WEIGHTS)]
        if unsafe:
            raise fail(f"{', '.join(unsafe)}: the suite loads safetensors weights only")
        if not any(f.endswith(".safetensors") for f in files):
            raise fail("a model must list its .safetensors weights (the suite loads no other format)")
        if "embedding" in raw:
            embedding = _embedding(raw["embedding"], fail)
    elif "embedding" in raw or "task" in raw:
        raise fail("task and embedding apply to models only")

    rows = raw.get("rows")
    if rows is not None and (repo_type != "dataset" or not isinstance(rows, int) or isinstance(rows, bool) or rows < 1):
        raise fail("rows must be a positive whole number, on datasets only")
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise fail("description must be text")
    candidate = raw.get("candidate")
    if candidate is not None:
        candidate = _candidate(candidate, repo_id, revision, fail)
    return Entry(
        name=name,
        repo_type=repo_type,
        repo_id=repo_id,
        revision=revision,
        files=tuple(files),
        task=task,
        embedding=embedding,
        rows=rows,
        description=description,
        publish=publish,
        candidate=candidate,
    )


def _candidate(raw: Any, repo_id: Any, revision: Any, fail: Any) -> str:
    """A candidate pin `repo@revision`, checked like a pin; the entry itself must be pinned."""
    if repo_id is None or revision is None:
        raise fail("a candidate needs the entry pinned first (repo and revision): publish the baseline first")
    if not isinstance(raw, str) or raw.count("@") != 1:
        raise fail(f"candidate must be 'namespace/name@<40-hex commit sha>', not {raw!r}")
    candidate_repo, candidate_revision = raw.split("@")
    _check_pin(candidate_repo, candidate_revision, lambda problem: fail(f"candidate: {problem}"))
    if (candidate_repo, candidate_revision) == (repo_id, revision):
        raise fail("the candidate is the pinned revision itself: nothing to compare")
    return raw


def _check_pin(repo_id: Any, revision: Any, fail: Any) -> None:
    if not isinstance(repo_id, str) or not REPO_ID_PATTERN.match(repo_id):
        raise fail(f"repo must be a Hub repo id 'namespace/name', not {repo_id!r}")
    if not isinstance(revision, str):
        # YAML reads an all-digit sha as a number.
        raise fail(f"revision must be a quoted 40-hex commit sha, not {revision!r}")
    if not SHA_PATTERN.match(revision):
        if _HEX.match(revision) and len(revision) < 40:
            raise fail(f"revision {revision!r} is a short sha; write the full 40-hex commit sha")
        if _HEX.match(revision) and len(revision) == 40:
            raise fail(f"revision {revision!r} must be lowercase")
        raise fail(f"revision {revision!r} is a branch or tag name, which moves; pin the full 40-hex commit sha")


def _embedding(raw: Any, fail: Any) -> Embedding:
    if not isinstance(raw, dict):
        raise fail("embedding must be a mapping")
    unknown = set(raw) - _EMBEDDING_KEYS
    if unknown:
        raise fail(f"embedding: unknown key(s) {', '.join(sorted(unknown))}")
    conventions = Embedding(**raw)
    if conventions.pooling not in POOLINGS:
        raise fail(f"embedding: pooling must be one of {', '.join(POOLINGS)}")
    if not isinstance(conventions.normalize, bool):
        raise fail("embedding: normalize must be true or false")
    if not isinstance(conventions.query_prefix, str) or not isinstance(conventions.passage_prefix, str):
        raise fail("embedding: prefixes must be text (quote them to keep trailing spaces)")
    if not isinstance(conventions.max_tokens, int) or conventions.max_tokens < 1:
        raise fail("embedding: max_tokens must be a positive whole number")
    return conventions
