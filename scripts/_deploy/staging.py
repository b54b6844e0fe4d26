"""Build a Space's bundle: every file its repo will hold, checked before anything is written.

A bundle is the demo folder (minus caches and the deploy's own `space.yaml`), a copy of the
`shared` package with the registry in use, a generated `requirements.txt` and the README with
its front matter completed from what the suite knows. Nothing is copied from elsewhere in the
repo. `stage` refuses (RefusedError) instead of returning a bundle that would break on the Hub.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.metadata
import re
import sys
import threading
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.catalog import APP_FILE, CARD_FILE, CATALOG_FILE, SETTINGS_FILE, CatalogEntry, SpaceSource, catalog_json
from shared.registry import Entry, Registry

from scripts._deploy.errors import RefusedError
from scripts._deploy.secrets import check_bundle, check_variables, forget_parsed, parse_python, where

REPO_ROOT = Path(__file__).resolve().parents[2]
SPACE_PYTHON = "3.12"
ZEROGPU = "zero-a10g"
# What ZeroGPU supports (spaces-platform.md): the Space's torch must be one of these even when
# the suite develops on a newer one.
ZEROGPU_TORCH = ("2.8.0", "2.9.1", "2.10.0", "2.11.0")
ZEROGPU_PYTHON = ("3.10", "3.12")
# Space repos: weights and data belong in model and dataset repos, pinned in the registry.
MAX_FILE_BYTES = 50 * 2**20
MAX_SPACE_BYTES = 2**30

_SKIPPED_DIRS = {
    "__pycache__", ".git", ".gradio", ".ipynb_checkpoints", ".pytest_cache", ".ruff_cache", ".mypy_cache",
    ".venv", "venv", "node_modules", "flagged",
}  # fmt: skip
_SKIPPED_FILES = {".DS_Store", "Thumbs.db", SETTINGS_FILE}
_SKIPPED_SUFFIXES = (".pyc", ".pyo")
# Written by the deploy: a copy in the demo folder would be overwritten, so it is not read.
_GENERATED = {"requirements.txt", CATALOG_FILE}
# Keys of the README front matter the deploy computes; whatever the source says is replaced.
COMPUTED_KEYS = ("sdk", "sdk_version", "python_version", "app_file", "models", "datasets", "preload_from_hub")
_LOADERS = {"from_pretrained", "hf_hub_download", "snapshot_download", "load_dataset", "pipeline"}
_SPACE_COLORS = ("red", "yellow", "green", "blue", "indigo", "purple", "pink", "gray")
_SUGGESTED_HARDWARE = (
    "cpu-basic", "cpu-upgrade", "t4-small", "t4-medium", "l4x1", "l4x4", "l40sx1", "l40sx4", "l40sx8",
    "a10g-small", "a10g-large", "a10g-largex2", "a10g-largex4", "a100-large", "a100x4", "a100x8",
)  # fmt: skip
_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_VERSION = re.compile(r"^\d+\.\d+(\.\d+)?$")
_SHA = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True)
class Suite:
    """Where the suite keeps what a bundle is made of (tests point it at fixture demos).

    Attributes:
        spaces_dir: The demo folders.
        shared_dir: The `shared` package copied into every Space.
        requirements: The suite's pinned requirements file (versions for the Space's).
    """

    spaces_dir: Path = REPO_ROOT / "spaces"
    shared_dir: Path = REPO_ROOT / "shared"
    requirements: Path = REPO_ROOT / "requirements.txt"


@dataclass(frozen=True)
class PinFacts:
    """What the Hub says about a registry entry at its pinned commit."""

    entry: Entry
    has_card: bool


@dataclass(frozen=True)
class Bundle:
    """Everything one Space's repo will hold.

    Attributes:
        source: The demo folder.
        files: Path in the repo → content (the README's front matter completed).
        hardware: The hardware the Space is to run on.
    """

    source: SpaceSource
    files: dict[str, bytes]
    hardware: str

    @property
    def name(self) -> str:
        return self.source.name


class PinChecker:
    """Asks the Hub, once per entry and deploy, whether each pinned commit exists with its files.

    Args:
        api: The `HfApi` of the deploy.
    """

    def __init__(self, api: Any) -> None:
        self._api = api
        self._facts: dict[str, PinFacts | RefusedError] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def check(self, entry: Entry) -> PinFacts:
        """The facts of `entry`.

        Raises:
            RefusedError: the commit or one of the files is not on the Hub (not published yet), or
                a model is private (Spaces cannot preload it).
        """
        with self._lock:
            lock = self._locks.setdefault(entry.name, threading.Lock())
        with lock:
            if entry.name not in self._facts:
                try:
                    self._facts[entry.name] = self._ask(entry)
                except RefusedError as refusal:
                    self._facts[entry.name] = refusal
            known = self._facts[entry.name]
        if isinstance(known, RefusedError):
            raise known
        return known

    def _ask(self, entry: Entry) -> PinFacts:
        from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError, RevisionNotFoundError

        from scripts._deploy.hub import hub_failure

        if not entry.published:
            raise RefusedError(entry.not_published())
        try:
            info = self._api.repo_info(entry.repo_id, repo_type=entry.repo_type, revision=entry.revision)
        except (RepositoryNotFoundError, RevisionNotFoundError):
            raise RefusedError(f"{entry.name} is not published: {_unpublished(entry)}") from None
        except HfHubHTTPError as exc:
            raise hub_failure(exc, f"checking the pin of {entry.name}") from None
        present = {s.rfilename for s in info.siblings or []}
        missing = [f for f in entry.files if f not in present]
        if missing:
            raise RefusedError(
                f"{entry.name}: {', '.join(missing)} not in {entry.repo_id} at {entry.revision[:12]}: "
                f"fix `files` in the registry or publish them"
            )
        if info.private and entry.repo_type == "model":
            raise RefusedError(
                f"{entry.name}: {entry.repo_id} is private and Spaces cannot preload private models: make it public"
            )
        return PinFacts(entry=entry, has_card=CARD_FILE in present)


def _unpublished(entry: Entry) -> str:
    where = f"{entry.repo_type} {entry.repo_id} has no commit {entry.revision[:12]} on this Hub"
    return f"{where}; publish it (README.md, 'Publishing our own artifacts') or fix the pin in the registry"


def stage(
    source: SpaceSource,
    *,
    registry: Registry,
    registry_file: Path,
    pins: PinChecker,
    suite: Suite | None = None,
    hardware: str | None = None,
    catalog: Sequence[CatalogEntry] = (),
    forbidden: Sequence[str] = (),
) -> Bundle:
    """Build and check the bundle of one demo.

    Args:
        source: The demo folder.
        registry: The registry in use; `registry_file` is its file, copied into the bundle.
        pins: Checks every entry the app loads against the Hub.
        suite: Where `shared/` and the suite's requirements are.
        hardware: Overrides the hardware the demo declares.
        catalog: The gallery entries, written as `catalog.json` when the demo asks for them.
        forbidden: Strings that must appear nowhere in the bundle (the token in use).

    Returns:
        The bundle.

    Raises:
        RefusedError: a rule is broken; the message names the file and what to do.
    """
    suite = suite or Suite()
    hardware = hardware or source.hardware
    files = _demo_files(source.folder)
    files.update(_shared_files(suite.shared_dir, registry_file))
    if source.catalog:
        files[CATALOG_FILE] = catalog_json(list(catalog)).encode()
    sources = {p: c.decode("utf-8", "replace") for p, c in files.items() if p.endswith(".py")}
    demo_sources = {p: s for p, s in sources.items() if not p.startswith("shared/")}
    _check_direct_loads(source.name, demo_sources)
    if hardware == ZEROGPU:
        _check_gpu_handler(source.name, demo_sources)
    entries = _uses(demo_sources, registry)
    with ThreadPoolExecutor(max_workers=max(1, len(entries))) as pool:  # one Hub round trip, not one per entry
        facts = tuple(pool.map(pins.check, entries))
    files["requirements.txt"] = requirements_txt(sources, suite=suite, hardware=hardware).encode()
    card = complete_card(source, facts, hardware=hardware, suite=suite)
    files[CARD_FILE] = render_readme(card, _card_body(source.folder / CARD_FILE)).encode()
    check_card(source.name, card, files, hardware=hardware)
    # Every file, generated ones included, and the variables' defaults, which the Hub would show.
    check_bundle(source.name, files, forbidden)
    check_variables(source.name, source.variables, forbidden)
    check_sizes(source.name, files)
    return Bundle(source=source, files=dict(sorted(files.items())), hardware=hardware)


# ---------------------------------------------------------------------- files


def _demo_files(folder: Path) -> dict[str, bytes]:
    files = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part in _SKIPPED_DIRS for part in relative.parts) or path.is_dir():
            continue
        if relative.name in _SKIPPED_FILES or relative.suffix in _SKIPPED_SUFFIXES:
            continue
        if relative.as_posix() in _GENERATED:
            continue
        if path.is_symlink() and not path.resolve().is_relative_to(folder.resolve()):
            raise RefusedError(f"spaces/{folder.name}/{relative} links outside the demo folder: copy the file in")
        files[relative.as_posix()] = path.read_bytes()
    return files


def _shared_files(shared_dir: Path, registry_file: Path) -> dict[str, bytes]:
    files = {f"shared/{p.name}": p.read_bytes() for p in sorted(shared_dir.glob("*.py"))}
    files["shared/registry.yaml"] = Path(registry_file).read_bytes()
    return files


def _card_body(readme: Path) -> str:
    from huggingface_hub import RepoCard

    return RepoCard(readme.read_text("utf-8")).text


def reset_caches() -> None:
    """Forget what staging learnt (parsed sources, installed distributions): the next deploy is cold."""
    forget_parsed()
    _top_levels.cache_clear()


def git_blob_id(content: bytes) -> str:
    """The git blob id of `content` (the `oid` the Hub lists for a regular file)."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content, usedforsecurity=False).hexdigest()


# ---------------------------------------------------------------------- what the app loads


def _uses(sources: Mapping[str, str], registry: Registry) -> list[Entry]:
    """The registry entries the demo's code names (every string constant that is a registry name)."""
    names: set[str] = set()
    for text in sources.values():
        for node in ast.walk(parse_python(text)):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in registry:
                names.add(node.value)
    return [registry[name] for name in sorted(names)]


def _check_direct_loads(name: str, sources: Mapping[str, str]) -> None:
    """Refuse Hub loads that bypass the registry: nothing would pin them."""
    for path, text in sources.items():
        for node in ast.walk(parse_python(text)):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            via_shared = isinstance(func, ast.Attribute) and getattr(func.value, "id", None) == "shared"
            if called in _LOADERS and not via_shared:
                raise RefusedError(
                    f"spaces/{name}/{path}:{node.lineno} calls {called}() directly, which pins nothing: add the "
                    f"artifact to the registry and load it through shared"
                )


def _check_gpu_handler(name: str, sources: Mapping[str, str]) -> None:
    """ZeroGPU refuses to start an app with no GPU-decorated handler."""
    for text in sources.values():
        for node in ast.walk(parse_python(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for decorator in node.decorator_list:
                    target = decorator.func if isinstance(decorator, ast.Call) else decorator
                    if isinstance(target, ast.Attribute) and target.attr in {"gpu", "GPU"}:
                        return
    raise RefusedError(
        f"spaces/{name} runs on ZeroGPU but no handler is decorated with @shared.gpu (ZeroGPU would not "
        f"start it): decorate the inference function, or declare 'hardware: cpu-basic' in {SETTINGS_FILE}"
    )


# ---------------------------------------------------------------------- requirements


def requirements_txt(sources: Mapping[str, str], *, suite: Suite, hardware: str) -> str:
    """The Space's `requirements.txt`: every distribution its code imports, pinned.

    Versions are the suite's pins (its requirements file), else the installed ones. gradio is
    left out: the Space installs the README's `sdk_version`. On ZeroGPU torch is pinned to the
    newest version ZeroGPU supports.

    Raises:
        RefusedError: the code imports something that is not installed here (no version to pin).
    """
    local = {Path(p).parts[0].removesuffix(".py") for p in sources}
    modules: dict[str, str] = {}
    for path, text in sources.items():
        for module in _imported_modules(text):
            if module not in local and module not in sys.stdlib_module_names and module != "__future__":
                modules.setdefault(module, path)
    suite_pins = _read_pins(suite.requirements)
    lines: dict[str, str] = {}
    for module, path in sorted(modules.items()):
        dist = _distribution_of(module)
        if dist is None:
            raise RefusedError(
                f"{path} imports {module}, which is not installed here, so its version cannot be pinned: "
                f"install it and add it to requirements.txt"
            )
        key = _normalize(dist)
        if key in {"gradio", "gradio-client"}:
            continue
        version = suite_pins.get(key) or importlib.metadata.version(dist)
        if key == "torch" and hardware == ZEROGPU:
            version = ZEROGPU_TORCH[-1]
        lines[key] = f"{dist}=={version}"
    header = [
        "# Generated by scripts/deploy.py from what this Space imports, at the suite's pinned versions.",
        "# gradio is installed by the Space itself, at sdk_version of README.md.",
    ]
    if hardware == ZEROGPU and "torch" in lines:
        header.append(f"# ZeroGPU supports torch {', '.join(ZEROGPU_TORCH)} only.")
    return "\n".join([*header, *lines.values()]) + "\n"


def _distribution_of(module: str) -> str | None:
    """The installed distribution that provides an importable top-level module (None: not installed)."""
    try:
        return importlib.metadata.distribution(module).metadata["Name"]  # most: the module's own name
    except importlib.metadata.PackageNotFoundError:
        pass
    for index in (_top_levels, importlib.metadata.packages_distributions):  # cheap first, then thorough
        names = index().get(module)
        if names:
            return names[0]
    return None


@functools.cache
def _top_levels() -> dict[str, list[str]]:
    """Module → distributions, from the `top_level.txt` files installers write (yaml → PyYAML)."""
    index: dict[str, list[str]] = {}
    for dist in importlib.metadata.distributions():
        for module in (dist.read_text("top_level.txt") or "").split():
            index.setdefault(module, []).append(dist.metadata["Name"])
    return index


def _imported_modules(text: str) -> Iterable[str]:
    for node in ast.walk(parse_python(text)):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0]


def _read_pins(path: Path) -> dict[str, str]:
    pins = {}
    if path.is_file():
        for line in path.read_text("utf-8").splitlines():
            match = re.match(r"^\s*([A-Za-z0-9_.-]+)\s*==\s*([^\s;#]+)", line)
            if match:
                pins[_normalize(match.group(1))] = match.group(2)
    return pins


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


# ---------------------------------------------------------------------- the README


def complete_card(source: SpaceSource, uses: Sequence[PinFacts], *, hardware: str, suite: Suite) -> dict[str, Any]:
    """The README front matter the Space gets: the source's, plus what the suite knows.

    `sdk_version` is the gradio the suite pins, `models`/`datasets` are the repos the app loads,
    and `preload_from_hub` pins every model's files (and card) at its commit, so that the Space
    downloads them at build time and sends no request for them at run time.
    """
    card = {k: v for k, v in source.card.items() if k not in COMPUTED_KEYS}
    gradio = _read_pins(suite.requirements).get("gradio") or importlib.metadata.version("gradio")
    models = [f for f in uses if f.entry.repo_type == "model"]
    datasets = [f for f in uses if f.entry.repo_type == "dataset"]
    computed: dict[str, Any] = {
        "sdk": "gradio",
        "sdk_version": gradio,
        "python_version": SPACE_PYTHON,
        "app_file": APP_FILE,
    }
    if models:
        computed["models"] = sorted({f.entry.repo_id for f in models})
        computed["preload_from_hub"] = [
            f"{f.entry.repo_id} {','.join([*f.entry.files, *([CARD_FILE] if f.has_card else [])])} {f.entry.revision}"
            for f in models
        ]
    if datasets:
        computed["datasets"] = sorted({f.entry.repo_id for f in datasets})
    ordered = {k: card.pop(k) for k in ("title", "emoji", "colorFrom", "colorTo") if k in card}
    return {**ordered, **computed, **card}


def render_readme(card: Mapping[str, Any], body: str) -> str:
    """A README with `card` as its front matter (huggingface_hub's own YAML rendering)."""
    from huggingface_hub import SpaceCardData

    return f"---\n{SpaceCardData(**card).to_yaml(original_order=list(card))}\n---\n{body}"


def check_card(name: str, card: Mapping[str, Any], files: Mapping[str, bytes], *, hardware: str) -> None:
    """The Spaces configuration rules (spaces-platform.md) that can be checked without the Hub.

    Raises:
        RefusedError: every broken rule, in one line.
    """
    problems = []
    title = card.get("title")
    if not isinstance(title, str) or not title.strip():
        problems.append("title is missing")
    emoji = card.get("emoji")
    if emoji is not None and (not isinstance(emoji, str) or not emoji or not all(map(_is_emoji_part, emoji))):
        problems.append(f"emoji {emoji!r} must be a single emoji")
    for key in ("colorFrom", "colorTo"):
        if key in card and card[key] not in _SPACE_COLORS:
            problems.append(f"{key} {card[key]!r} must be one of {', '.join(_SPACE_COLORS)}")
    description = card.get("short_description")
    if description is not None and (not isinstance(description, str) or len(description) > 60):
        problems.append("short_description must be text of at most 60 characters")
    if not isinstance(card.get("license"), str) or not card["license"].strip():
        problems.append("license is missing (e.g. 'license: apache-2.0')")
    if not _VERSION.match(str(card.get("sdk_version"))):
        problems.append(f"sdk_version {card.get('sdk_version')!r} is not a version")
    python = card.get("python_version")
    if not isinstance(python, str) or not _VERSION.match(python):
        problems.append(f'python_version {python!r} must be a quoted version such as "3.12"')
    elif hardware == ZEROGPU and python not in ZEROGPU_PYTHON:
        problems.append(f"python_version {python} is not supported on ZeroGPU ({', '.join(ZEROGPU_PYTHON)})")
    if card.get("app_file") not in files:
        problems.append(f"app_file {card.get('app_file')!r} is not in the Space")
    for key in ("pinned", "fullWidth", "disable_embedding"):
        if key in card and not isinstance(card[key], bool):
            problems.append(f"{key} must be true or false")
    if "header" in card and card["header"] not in ("mini", "default"):
        problems.append("header must be mini or default")
    if "hardware" in card:
        problems.append("hardware is not a front-matter key: declare it in space.yaml")
    if "suggested_hardware" in card and card["suggested_hardware"] not in _SUGGESTED_HARDWARE:
        problems.append(f"suggested_hardware {card['suggested_hardware']!r} is not a hint the Hub accepts")
    for key in ("models", "datasets"):
        values = card.get(key, [])
        if not isinstance(values, list) or not all(isinstance(v, str) and _REPO_ID.match(v) for v in values):
            problems.append(f"{key} must be a list of repo ids")
    for line in card.get("preload_from_hub", []):
        parts = str(line).split(" ")
        if len(parts) != 3 or not _REPO_ID.match(parts[0]) or not _SHA.match(parts[2]):
            problems.append(f"preload_from_hub line {line!r} must be 'repo_id file1,file2 <40-hex sha>'")
    if problems:
        raise RefusedError(f"spaces/{name}/{CARD_FILE}: {'; '.join(problems)}")


def _is_emoji_part(char: str) -> bool:
    return (
        unicodedata.category(char) in ("So", "Sk")
        or char in "\u200d\ufe0f\u20e3"
        or "\U0001f3fb" <= char <= "\U0001f3ff"
    )


# ---------------------------------------------------------------------- secrets and sizes


def check_sizes(name: str, files: Mapping[str, bytes]) -> None:
    """Refuse files and bundles over the Space limits.

    Raises:
        RefusedError: names the file, its size and the limit.
    """
    for path, content in files.items():
        if len(content) > MAX_FILE_BYTES:
            raise RefusedError(
                f"{where(name, path)} is {_mb(len(content))}, over the {_mb(MAX_FILE_BYTES)} limit for a Space file: "
                f"publish it as a model or dataset and load it through the registry"
            )
    total = sum(map(len, files.values()))
    if total > MAX_SPACE_BYTES:
        raise RefusedError(f"spaces/{name} is {_mb(total)} in all, over the {_mb(MAX_SPACE_BYTES)} limit of a Space")


def _mb(size: int) -> str:
    return f"{size / 2**20:.1f} MB"
