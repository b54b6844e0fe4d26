"""Device, dtype and the ZeroGPU decorator."""

from __future__ import annotations

import os
import subprocess
import sys

import shared
from shared import compute, zerogpu

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


@pytest.fixture
def on_zerogpu(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """Make shared believe it runs on ZeroGPU; record what reaches `spaces.GPU` (the installed one).

    `SPACES_ZERO_GPU` itself stays unset: the real package would then expect the platform.
    """
    import spaces

    calls: list[tuple] = []
    real_gpu = spaces.GPU

    def recording_gpu(task, *, duration, size):
        calls.append((task, duration, size))
        return real_gpu(task, duration=duration, size=size)  # off ZeroGPU: the task itself

    monkeypatch.setattr(zerogpu, "on_zerogpu", lambda: True)
    monkeypatch.setattr(spaces, "GPU", recording_gpu)
    return calls


def test_on_zerogpu_the_decorator_is_spaces_gpu_with_duration_and_size(on_zerogpu):
    def handler(x):
        return x

    def seconds(x):
        return 5

    assert shared.gpu(duration=20)(handler) is handler
    assert shared.gpu(handler) is handler
    assert shared.gpu(duration=seconds, size="xlarge")(handler) is handler
    assert on_zerogpu == [(handler, 20, "large"), (handler, 60, "large"), (handler, seconds, "xlarge")]
    assert shared.device() == "cuda" and shared.dtype() == torch.bfloat16


def test_on_zerogpu_a_streaming_handler_reaches_spaces_as_a_generator_function(on_zerogpu):
    import inspect

    def stream(prompt, max_new_tokens):
        yield prompt

    shared.gpu(duration=lambda prompt, max_new_tokens: 1 + max_new_tokens // 10)(stream)
    ((task, duration, _),) = on_zerogpu
    # spaces.GPU picks its streaming wrapper by inspect.isgeneratorfunction(task).
    assert task is stream and inspect.isgeneratorfunction(task)
    assert duration("hi", max_new_tokens=50) == 6


@pytest.mark.parametrize("duration", [0, -5])
def test_a_duration_that_is_not_positive_is_refused_before_any_handler(duration):
    with pytest.raises(ValueError, match=f"duration must be a positive number of seconds, not {duration}"):
        shared.gpu(duration=duration)


@pytest.mark.parametrize("duration", [True, 7.5, "20", None])
def test_a_duration_that_is_neither_seconds_nor_a_function_is_refused(duration):
    with pytest.raises(TypeError, match="duration must be whole seconds or a function"):
        shared.gpu(duration=duration)


def test_an_unknown_size_is_refused():
    with pytest.raises(ValueError, match="size must be one of 'large', 'xlarge', not 'huge'"):
        shared.gpu(duration=10, size="huge")


def test_async_handlers_are_refused_off_zerogpu_too():
    async def handler(x):
        return x

    async def stream(x):
        yield x

    for async_handler in (handler, stream):
        with pytest.raises(TypeError, match="is async: ZeroGPU cannot run async handlers"):
            shared.gpu(duration=10)(async_handler)


def test_cpu_without_cuda_in_bf16_where_the_cpu_has_it_else_fp32(monkeypatch):
    monkeypatch.delenv("SUITE_DEVICE", raising=False)
    monkeypatch.delenv("SUITE_DTYPE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert shared.device() == expected
    if expected == "cpu":
        native = torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()
        assert shared.dtype() == (torch.bfloat16 if native else torch.float32)


@pytest.mark.parametrize("variable", ["ONEDNN_MAX_CPU_ISA=AVX2", "ATEN_CPU_CAPABILITY=avx2"])
def test_fp32_on_a_cpu_whose_instructions_are_capped_below_bf16(variable):
    # Both are read when torch loads, so the choice is made in a process of its own.
    name, value = variable.split("=")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUITE_")}
    code = "import shared, torch; print(shared.device(), shared.dtype())"
    done = subprocess.run([sys.executable, "-c", code], env={**env, "SUITE_DEVICE": "cpu", name: value},
                          capture_output=True, text=True, timeout=120, check=True)  # fmt: skip
    assert done.stdout.split() == ["cpu", "torch.float32"]


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
