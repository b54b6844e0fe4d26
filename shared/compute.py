"""Where inference runs: one choice of device and dtype, and batches that waste little on padding.

On a ZeroGPU Space (`shared.zerogpu`) models are placed on "cuda" at start-up (the `spaces`
package emulates it until a decorated call gets a real GPU); anywhere else the device is CUDA
when present, else the CPU. `SUITE_DEVICE=cpu|cuda` and `SUITE_DTYPE` override the choices.
Only apps that run or pick a model import this module; torch is imported where a function needs it.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from typing import Any

from shared import zerogpu
from shared.serving import is_served

DEVICE_ENV = "SUITE_DEVICE"
DTYPE_ENV = "SUITE_DTYPE"


@functools.cache
def device() -> str:
    """The torch device every model goes to: `cuda` or `cpu`."""
    choice = os.environ.get(DEVICE_ENV, "").strip().lower()
    if choice in {"cpu", "cuda"}:
        return choice
    if zerogpu.on_zerogpu():
        return "cuda"
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def pick_model(*, gpu: str, cpu: str) -> str:
    """The model an app runs: `gpu` where a GPU runs it or an inference server serves it
    (`shared.serving`), else `cpu`.

    The deploy reads this call in an app's code (literal names only): a Space whose `gpu` model
    is served loads neither model in-process, so it needs no GPU, no torch and no weights.

    Args:
        gpu: Registry name of the model for a GPU or a server.
        cpu: Registry name of the model a CPU can run in-process.
    """
    if is_served(gpu):
        return gpu
    return gpu if device() == "cuda" else cpu


def dtype() -> Any:
    """The torch dtype for weights and activations.

    bf16 on a GPU (fp16 where bf16 is unsupported) and on CPUs with native bf16 matrix
    instructions (AVX512-BF16 or AMX: about twice as fast as fp32 there), fp32 on other CPUs and
    where `ONEDNN_MAX_CPU_ISA` or `ATEN_CPU_CAPABILITY` caps the instructions torch uses below
    them. `SUITE_DTYPE=float32|bfloat16|float16` overrides.
    """
    import torch

    choice = os.environ.get(DTYPE_ENV, "").strip().lower()
    if choice in {"float32", "bfloat16", "float16"}:
        return getattr(torch, choice)
    if device() == "cuda":
        if zerogpu.on_zerogpu():
            return torch.bfloat16  # ZeroGPU hands out H200 slices
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.bfloat16 if _cpu_has_native_bf16() else torch.float32


# `ONEDNN_MAX_CPU_ISA` values under which oneDNN still has bf16 matrix instructions; a lower cap
# (AVX2, AVX512_CORE, ...) leaves bf16 emulated, several times slower than fp32.
_BF16_ISA_MARKS = ("BF16", "FP16", "AMX", "AVX10")


def _cpu_has_native_bf16() -> bool:
    import torch

    capped = os.environ.get("ONEDNN_MAX_CPU_ISA", "ALL").strip().upper()
    if capped not in {"", "ALL"} and not any(mark in capped for mark in _BF16_ISA_MARKS):
        return False
    if torch.backends.cpu.get_cpu_capability() in {"DEFAULT", "AVX2"}:  # ATEN_CPU_CAPABILITY caps it too
        return False
    probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(getattr(torch.cpu, probe, lambda: False)() for probe in probes)


def length_batches(
    tokenizer: Any, texts: list[str], *, size: int | None = None, **encode: Any
) -> Iterator[tuple[list[int], Any]]:
    """Tokenize `texts` in groups of similar length, so that little compute goes to padding.

    One long text in a Gradio batch would otherwise pad every other text to its length. On a
    CPU, several small groups also beat one large one; on a GPU one group is best.

    Args:
        tokenizer: A transformers tokenizer.
        texts: The texts of one batch.
        size: Texts per group (default: 8 on CPU, all of them on GPU).
        **encode: Passed to the tokenizer (e.g. `truncation=True`).

    Yields:
        `(positions, encoding)`: where the group's texts are in `texts`, and their tensors.
    """
    size = size or (8 if device() == "cpu" else max(len(texts), 1))
    lengths = [len(ids) for ids in tokenizer(texts, truncation=encode.get("truncation", False))["input_ids"]]
    order = sorted(range(len(texts)), key=lengths.__getitem__)
    for start in range(0, len(order), size):
        positions = order[start : start + size]
        yield positions, tokenizer([texts[i] for i in positions], padding=True, return_tensors="pt", **encode)
