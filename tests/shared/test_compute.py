"""Device, dtype and the ZeroGPU decorator."""

from __future__ import annotations

import sys

import shared
from shared import compute

import pytest
import torch


@pytest.fixture(autouse=True)
def _fresh_device_choice():
    compute.device.cache_clear()
    yield
    compute.device.cache_clear()


def test_off_zerogpu_the_decorator_returns_the_handler_unchanged():
    def handler(x):
        return x

    assert not shared.on_zerogpu()
    assert shared.gpu(handler) is handler
    assert shared.gpu(duration=5)(handler) is handler


def test_on_zerogpu_the_decorator_is_spaces_gpu(monkeypatch):
    import spaces

    calls = []
    monkeypatch.setenv("SPACES_ZERO_GPU", "true")
    monkeypatch.setattr(spaces, "GPU", lambda duration: calls.append(duration) or (lambda fn: ("wrapped", fn)))

    def handler(x):
        return x

    assert shared.gpu(duration=20)(handler) == ("wrapped", handler)
    assert calls == [20]
    assert shared.device() == "cuda" and shared.dtype() == torch.bfloat16


def test_cpu_without_cuda_in_bf16_where_the_cpu_has_it_else_fp32(monkeypatch):
    monkeypatch.delenv("SUITE_DEVICE", raising=False)
    monkeypatch.delenv("SUITE_DTYPE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert shared.device() == expected
    if expected == "cpu":
        native = torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()
        assert shared.dtype() == (torch.bfloat16 if native else torch.float32)


def test_device_and_dtype_can_be_forced(monkeypatch):
    monkeypatch.setenv("SUITE_DEVICE", "cpu")
    monkeypatch.setenv("SUITE_DTYPE", "float32")
    assert shared.device() == "cpu" and shared.dtype() == torch.float32


def test_shared_imports_spaces_before_torch_and_gradio_in_every_app():
    import ast

    from tests.harness.hub import REPO_ROOT

    for app in sorted((REPO_ROOT / "spaces").glob("*/app.py")):
        imports = [
            alias.name.split(".")[0]
            for node in ast.parse(app.read_text()).body
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in (node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")])
        ]
        before = imports[: imports.index("shared")]
        assert all(m in sys.stdlib_module_names for m in before), f"{app}: 'import shared' must come first (ZeroGPU)"
