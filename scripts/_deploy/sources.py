"""A bundle's Python sources, read once: parsed (thread-safely, once per deploy), the modules
they import, and how a refusal names a file of the bundle."""

from __future__ import annotations

import ast
import hashlib
import threading
from collections.abc import Iterator


def where(name: str, path: str) -> str:
    """How a refusal names a file of the bundle."""
    return path if path.startswith("shared/") else f"spaces/{name}/{path}"


def imported_names(tree: ast.Module) -> Iterator[str]:
    """The dotted names a module imports, anywhere in it (functions too), absolute imports only.

    `from a.b import c` gives `a.b` and `a.b.c` (`c` may be a module or a name in one).
    """
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


_PARSE_LOCK = threading.Lock()
_PARSED: dict[str, ast.Module] = {}


def forget_parsed() -> None:
    """Drop the parsed sources (a benchmark measures deploys from cold)."""
    with _PARSE_LOCK:
        _PARSED.clear()


def parse_python(text: str) -> ast.Module:
    """The syntax tree of a Python source, parsed once per deploy.

    ast.parse is not thread-safe in CPython before 3.12.1/3.11.8 (gh-106905: "AST constructor
    recursion depth mismatch"), and Spaces are staged in parallel: one parse at a time.

    Raises:
        SyntaxError: the source is not Python.
    """
    key = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    with _PARSE_LOCK:
        if key not in _PARSED:
            _PARSED[key] = ast.parse(text)
        return _PARSED[key]
