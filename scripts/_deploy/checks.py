"""Rules a bundle's code and size must keep: every Hub load pinned through the registry, a GPU
handler on ZeroGPU, files and Space within the platform's limits. The secret scan is `secrets`."""

from __future__ import annotations

import ast
from collections.abc import Mapping

from shared.catalog import SETTINGS_FILE

from scripts._deploy.errors import RefusedError
from scripts._deploy.platform import MAX_FILE_BYTES, MAX_SPACE_BYTES
from scripts._deploy.sources import parse_python, where

_LOADERS = {"from_pretrained", "hf_hub_download", "snapshot_download", "load_dataset", "pipeline"}


def check_direct_loads(name: str, sources: Mapping[str, str]) -> None:
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


def check_gpu_handler(name: str, sources: Mapping[str, str]) -> None:
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
