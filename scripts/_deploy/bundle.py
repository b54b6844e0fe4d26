"""A Space's bundle: every file its repo will hold, checked before anything is written.

A bundle is the demo folder (minus caches and the deploy's own `space.yaml`), the part of the
`shared` package the demo uses with the registry in use, a generated `requirements.txt` for just
those imports, and the README with its front matter completed from what the suite knows.
Nothing else of the repo is copied. `stage` refuses (RefusedError) instead of returning a bundle
that would break on the Hub.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from shared.catalog import CARD_FILE, CATALOG_FILE, SETTINGS_FILE, ZEROGPU, CatalogEntry, SpaceSource, catalog_json
from shared.registry import Entry, Registry

from scripts import REPO_ROOT
from scripts._deploy.card import card_body, check_card, complete_card, render_readme
from scripts._deploy.checks import check_direct_loads, check_gpu_handler, check_sizes
from scripts._deploy.errors import RefusedError
from scripts._deploy.pins import PinChecker, registry_entries_used
from scripts._deploy.platform import CPU_BASIC
from scripts._deploy.requirements import forget_distributions, requirements_txt
from scripts._deploy.secrets import check_bundle, check_variables
from scripts._deploy.sources import forget_parsed, imported_names, parse_python

_SKIPPED_DIRS = {
    "__pycache__", ".git", ".gradio", ".ipynb_checkpoints", ".pytest_cache", ".ruff_cache", ".mypy_cache",
    ".venv", "venv", "node_modules", "flagged",
    "feedback",  # verdicts kept on this machine (shared.feedback): never shipped in a Space
    "smoke",  # the files of the demo's smoke calls (space.yaml): sent by the deploy, not shipped
}  # fmt: skip
_SKIPPED_FILES = {".DS_Store", "Thumbs.db", SETTINGS_FILE}
_SKIPPED_SUFFIXES = (".pyc", ".pyo")
# Written by the deploy: a copy in the demo folder would be overwritten, so it is not read.
_GENERATED = {"requirements.txt", CATALOG_FILE}
# What an inference server can answer for an app (`shared.serving`): chat completions.
SERVABLE_TASKS = ("text-generation",)


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
class Bundle:
    """Everything one Space's repo will hold.

    Attributes:
        source: The demo folder.
        files: Path in the repo → content (the README's front matter completed).
        hardware: The hardware the Space is to run on.
        served: The registry names an inference server answers for it (`servers:` of its
            `space.yaml`): the deploy sets their URL and token.
        in_process: The registry names of the models the Space runs itself.
    """

    source: SpaceSource
    files: dict[str, bytes]
    hardware: str
    served: tuple[str, ...] = ()
    in_process: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.source.name


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
        hardware: Overrides the hardware the demo declares (and the `cpu-basic` of a demo whose
            models are all served).
        catalog: The gallery entries, written as `catalog.json` when the demo asks for them.
        forbidden: Strings that must appear nowhere in the bundle (the token in use).

    Returns:
        The bundle.

    Raises:
        RefusedError: a rule is broken; the message names the file and what to do.
    """
    suite = suite or Suite()
    files = _demo_files(source.folder)
    demo_sources = _python_sources(files)
    entries = registry_entries_used(demo_sources, registry, served=source.servers)
    in_process = in_process_models(source, entries)
    # Servers answer for every model: nothing runs one here, so no GPU, no torch, no weights.
    all_served = bool(source.servers) and not in_process
    hardware = hardware or (CPU_BASIC if all_served else source.hardware)
    files.update(shared_files(suite.shared_dir, registry_file, demo_sources))
    if source.catalog:
        files[CATALOG_FILE] = catalog_json(list(catalog)).encode()
    check_direct_loads(source.name, demo_sources)
    if hardware == ZEROGPU:
        check_gpu_handler(source.name, demo_sources)
    with ThreadPoolExecutor(max_workers=max(1, len(entries))) as pool:  # one Hub round trip, not one per entry
        facts = tuple(pool.map(pins.check, entries))
    files["requirements.txt"] = requirements_txt(
        _python_sources(files), pins_file=suite.requirements, hardware=hardware, runs_models=not all_served
    ).encode()
    card = complete_card(source, facts, pins_file=suite.requirements, served=source.servers)
    files[CARD_FILE] = render_readme(card, card_body(source.folder / CARD_FILE)).encode()
    check_card(source.name, card, files, hardware=hardware)
    # Every file, generated ones included, and the variables' defaults, which the Hub would show.
    check_bundle(source.name, files, forbidden)
    check_variables(source.name, source.variables, forbidden)
    check_sizes(source.name, files)
    return Bundle(
        source=source,
        files=dict(sorted(files.items())),
        hardware=hardware,
        served=source.servers,
        in_process=tuple(e.name for e in in_process),
    )


def in_process_models(source: SpaceSource, entries: Sequence[Entry]) -> list[Entry]:
    """The models of `entries` that run in-process, once the demo's `servers:` are checked.

    Raises:
        RefusedError: `servers:` names what the app does not load, or a model that cannot be
            served (only chat models can: `shared.Chat`).
    """
    loaded = {e.name: e for e in entries}
    where = f"spaces/{source.name}/{SETTINGS_FILE}"
    for name in source.servers:
        if name not in loaded:
            uses = ", ".join(sorted(loaded)) or "no registry entry"
            raise RefusedError(f"{where}: servers names {name}, which the app does not load (it loads {uses})")
        if loaded[name].repo_type != "model" or loaded[name].task not in SERVABLE_TASKS:
            raise RefusedError(
                f"{where}: {name} cannot be served by an inference server (only {', '.join(SERVABLE_TASKS)} "
                f"models can, through shared.Chat): remove it from servers"
            )
    return [e for e in entries if e.repo_type == "model" and e.name not in source.servers]


def _python_sources(files: Mapping[str, bytes]) -> dict[str, str]:
    return {p: c.decode("utf-8", "replace") for p, c in files.items() if p.endswith(".py")}


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


def shared_files(shared_dir: Path, registry_file: Path, app_sources: Mapping[str, str]) -> dict[str, bytes]:
    """The part of `shared` a demo uses, as bundle files, with the registry in use.

    The package's `__init__.py` and what it imports eagerly, every module the demo's code names
    (`shared.load_model` is found through `__init__`'s lazy table), and everything those import
    of `shared`, wherever in the module the import stands.
    """
    modules = {p.stem: p for p in sorted(shared_dir.glob("*.py"))}
    sources = {name: path.read_text("utf-8") for name, path in modules.items()}
    lazy = _lazy_table(parse_python(sources["__init__"]))
    wanted = ["__init__", *_shared_names(app_sources.values(), modules, lazy)]
    used: set[str] = set()
    while wanted:
        name = wanted.pop()
        if name in used:
            continue
        used.add(name)
        wanted += _shared_names([sources[name]], modules, lazy, lazily=name != "__init__")
    files = {f"shared/{name}.py": modules[name].read_bytes() for name in sorted(used)}
    files["shared/registry.yaml"] = Path(registry_file).read_bytes()
    return files


def _shared_names(
    texts: Iterable[str], modules: Mapping[str, Path], lazy: Mapping[str, str], *, lazily: bool = True
) -> Iterator[str]:
    """The modules of `shared` that the sources import or name (`shared.NAME`, `from shared import NAME`)."""
    for text in texts:
        tree = parse_python(text)
        names = [n.removeprefix("shared.") for n in imported_names(tree) if n.startswith("shared.")]
        if lazily:  # __init__'s own attribute table is not a use of every module it lists
            names += [
                node.attr
                for node in ast.walk(tree)
                if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "shared"
            ]
        for name in names:
            head = name.split(".")[0]
            if head in modules:
                yield head
            elif head in lazy:
                yield lazy[head]


def _lazy_table(init: ast.Module) -> dict[str, str]:
    """`shared/__init__.py`'s `_LAZY` table, read from its source: public name → module name."""
    for node in init.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "_LAZY" for t in node.targets):
            table = ast.literal_eval(node.value)
            return {name: module.removeprefix("shared.") for module, names in table.items() for name in names}
    return {}


def forget_caches() -> None:
    """Forget what staging learnt (parsed sources, installed distributions): the next deploy is cold."""
    forget_parsed()
    forget_distributions()
