"""Writing a pin into the registry file, keeping its comments and layout."""

from __future__ import annotations

import re
from pathlib import Path

from shared.errors import RegistryError
from shared.registry import load_registry


def write_pin(path: Path, name: str, *, repo_id: str, revision: str, candidate: bool = False) -> bool:
    """Set `repo` and `revision` of entry `name` in the registry file at `path` (with `candidate`:
    its `candidate: repo@revision` instead, the pinned revision kept).

    Returns:
        Whether the file changed.

    Raises:
        RegistryError: no such entry, or the edited file would not be a valid registry (the file
            is then left as it was).
    """
    text = Path(path).read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if re.match(rf"^{re.escape(name)}:\s*(#.*)?$", line)), None)
    if start is None:
        raise RegistryError(f"registry {path} has no entry {name!r}")
    end = start + 1
    while end < len(lines) and (lines[end].startswith((" ", "\t")) or not lines[end].strip()):
        end += 1
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1  # blank lines after the block belong to the next one
    replaced = r"^\s+candidate:" if candidate else r"^\s+(repo|revision):"
    block = [line for line in lines[start + 1 : end] if not re.match(replaced, line)]
    if not candidate:  # pinning the candidate adopts it: it is no longer a candidate
        block = [line for line in block if line.split("#")[0].split() != ["candidate:", f"{repo_id}@{revision}"]]
    indent = next((re.match(r"^(\s+)", line).group(1) for line in block if line.strip()), "  ")  # type: ignore[union-attr]
    after = r"^\s+revision:" if candidate else r"^\s+type:"
    at = next((i + 1 for i, line in enumerate(block) if re.match(after, line)), 0)
    written = [f"{indent}candidate: {repo_id}@{revision}\n"] if candidate else [
        f"{indent}repo: {repo_id}\n", f"{indent}revision: {revision}\n"
    ]  # fmt: skip
    block[at:at] = written
    new = "".join([*lines[: start + 1], *block, *lines[end:]])
    if new == text:
        return False
    Path(path).write_text(new, encoding="utf-8")
    try:
        load_registry(Path(path))
    except RegistryError:
        Path(path).write_text(text, encoding="utf-8")
        raise
    return True
