"""The registry entries a Space loads, and whether each pinned commit is on the Hub with its files."""

from __future__ import annotations

import ast
import threading
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from shared.catalog import CARD_FILE
from shared.registry import CANDIDATE_SUFFIX, Entry, Registry

from scripts._deploy.errors import RefusedError
from scripts._deploy.sources import parse_python
from scripts.hub_client import hub_failure


@dataclass(frozen=True)
class PinFacts:
    """What the Hub says about a registry entry at its pinned commit."""

    entry: Entry
    has_card: bool


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


def registry_entries_used(
    sources: Mapping[str, str], registry: Registry, *, served: Collection[str] = ()
) -> list[Entry]:
    """The registry entries the demo's code may load, in-process or from a server.

    Every string constant that is a registry name, with its candidate (`shared.page` shows both
    versions where there is one), except the CPU model of a `pick_model(gpu=..., cpu=...)` call
    whose GPU model is `served`: the app then never loads it (`shared.compute.pick_model`).
    """
    unused: set[int] = set()
    trees = [parse_python(text) for text in sources.values()]
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _called_name(node.func) == "pick_model":
                models = {k.arg: k.value for k in node.keywords if isinstance(k.value, ast.Constant)}
                if "gpu" in models and "cpu" in models and models["gpu"].value in served:
                    unused.add(id(models["cpu"]))
    names: set[str] = set()
    for tree in trees:
        for node in ast.walk(tree):
            named = isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in registry
            if named and id(node) not in unused:
                names.update(registry.versions(node.value.removesuffix(CANDIDATE_SUFFIX)))
    return [registry[name] for name in sorted(names)]


def _called_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else None
