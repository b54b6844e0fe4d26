"""The parts of docs/architecture.md, held against the code's imports (every import, at any depth
of a module): no cycles, `shared` never imports `scripts`, an app imports only `shared` of the
suite, the Hub double nothing of the suite, and no part imports another's private module."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from scripts import REPO_ROOT

SOURCES = sorted(
    p
    for folder in ("shared", "scripts", "spaces")
    for p in (REPO_ROOT / folder).rglob("*.py")
    if "__pycache__" not in p.parts
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
    if parts[0] == "spaces":  # each app is a top-level script, not a package module
        return f"spaces.{parts[1]}"
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in SOURCES}


def imports_of(path: Path) -> set[str]:
    """The suite's modules `path` imports (resolved to files), and the outside top-level names."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            # `from package import module` imports the module; `from module import name`, the module.
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
        else:
            continue
        for name in names:
            found.add(name if name in MODULES else name.split(".")[0])
    found.discard(module_name(path))
    return found


GRAPH = {name: imports_of(path) for name, path in MODULES.items()}


def part_of(module: str) -> str:
    """The part a module belongs to: `scripts.deploy` and `scripts._deploy.*` are one part."""
    top, _, rest = module.partition(".")
    if top != "scripts" or not rest:
        return ".".join(module.split(".")[:2]) if top == "spaces" else top
    head = rest.split(".")[0].lstrip("_")
    return "scripts.benchmark" if head.startswith("benchmark") else f"scripts.{head}"


def test_there_is_no_import_cycle():
    cycles, state = [], {}

    def visit(module: str, trail: list[str]) -> None:
        state[module] = "open"
        for target in sorted(GRAPH[module] & MODULES.keys()):
            if state.get(target) == "open":
                cycles.append(" -> ".join([*trail[trail.index(target) :], target]))
            elif target not in state:
                visit(target, [*trail, target])
        state[module] = "done"

    for module in sorted(MODULES):
        if module not in state:
            visit(module, [module])
    assert not cycles


def test_shared_imports_nothing_of_scripts_or_tests():
    for module in (m for m in MODULES if part_of(m) == "shared"):
        # (`spaces` alone is the ZeroGPU package of PyPI, not the apps' folder.)
        assert not {t.split(".")[0] for t in GRAPH[module]} & {"scripts", "tests"}, module


def test_an_app_imports_only_shared_of_the_suite():
    for module in (m for m in MODULES if m.startswith("spaces.")):
        suite = {t for t in GRAPH[module] if t.split(".")[0] in {"scripts", "tests", "spaces", "shared"}}
        assert suite <= {"shared"} | {m for m in MODULES if m.startswith("shared.")}, module


def test_the_hub_double_knows_nothing_of_the_suite():
    for module in (m for m in MODULES if part_of(m) == "scripts.hub_double"):
        outside = {t for t in GRAPH[module] if part_of(t) != "scripts.hub_double" and t != "scripts"}
        assert outside <= set(sys.stdlib_module_names) | {"__future__", "yaml"}, (module, outside)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_part_imports_another_parts_private_module(module):
    for target in GRAPH[module] & MODULES.keys():
        private = any(piece.startswith("_") and not piece.startswith("__") for piece in target.split("."))
        assert not private or part_of(target) == part_of(module), f"{module} imports {target}"
