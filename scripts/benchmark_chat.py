"""Benchmark the chat demo's streaming path against what most Spaces do, side by side.

    python scripts/benchmark_chat.py [--models 135M 360M] [--prompt-tokens 128] [--new-tokens 256]
                                     [--repeats 3] [--warmup 1] [--quick] [--json FILE]

Each model is SmolLM2's real architecture (`scripts._sandbox.smollm2.SMOLLM2_CONFIGS`) with
random weights (speed does not depend on their values), in bfloat16 on a GPU and in the suite's
CPU dtype (`shared.compute.dtype()`) on a CPU; `SUITE_DEVICE` / `SUITE_DTYPE` override both.
Batch 1, a prompt of random ids, greedy decoding that never stops early. Three ways to stream:

  (a) `model.generate`, raw (no streaming at all: the ceiling of the usual way);
  (b) `generate` in a thread + `TextIteratorStreamer`, read chunk by chunk (what most Spaces do);
  (c) `shared.generation.TokenStreamer.stream`, its ids turned into text by `stream_text` (what
      the chat demo does).

tok/s is new tokens ÷ the wall time of the whole call (prompt pass included); first token is the
time from the call to the first token: for (a) a `generate` of one token, for (b) the first text
chunk, for (c) the first text. Each is the median of --repeats runs after --warmup rounds (the
first warm-up of (c), its cold call, captures its CUDA graph and is reported apart); the methods
take turns, in alternating order, each run on a fresh worker thread, as Gradio runs handlers.
Text comes from a word-level tokenizer over the model's vocabulary (one word per id): a stand-in
for SmolLM2's, whose genuine files are not needed to measure speed.

Exit status 1 when (c)'s tokens are not those of `generate`: the same as (a)'s, or, in a reduced
precision where attention over a masked static cache may round differently from attention over
the tokens so far, the same as `generate` given a static cache of (c)'s length.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shared import compute

from scripts._benchmark.machine import cpu_summary
from scripts.sandbox import SMOLLM2_CONFIGS

METHODS = ("(a) generate", "(b) generate + streamer thread", "(c) TokenStreamer")
HEADER = f"{'model':<8}{'method':<34}{'tok/s':>9}{'first token ms':>16}"
CPU_NEW_TOKENS = 32  # a CPU takes seconds per answer: fewer new tokens keep the default run to minutes
QUICK = {
    "models": {
        "tiny": {
            "vocab_size": 512, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
            "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 256,
            "initializer_range": 0.3, "tie_word_embeddings": True,
        }
    },
    "prompt_tokens": 16, "new_tokens": 12, "repeats": 1, "warmup": 1,
}  # fmt: skip
# Memory bandwidth by GPU name (bytes/s, vendors' data sheets): a decode step reads every weight once.
BANDWIDTH = {
    "H200": 4.8e12, "H100 NVL": 3.9e12, "H100 PCIe": 2.0e12, "H100": 3.35e12, "A100-SXM4-80GB": 2.04e12,
    "A100 80GB PCIe": 1.94e12, "A100": 1.56e12, "L40S": 0.864e12, "A10G": 0.6e12, "A10": 0.6e12,
    "L4": 0.3e12, "T4": 0.32e12, "RTX 4090": 1.01e12,
}  # fmt: skip


@dataclass
class Measure:
    """One method on one model (medians over the repeats)."""

    model: str
    method: str
    tokens_per_s: float
    first_token_ms: float


@dataclass
class ModelResult:
    """What one model measured, and whether (c)'s tokens are generate's."""

    model: str
    parameters: int
    weight_bytes: int
    mode: str
    cold_call_s: float
    identical: bool
    first_difference: int | None
    identical_static_reference: bool | None  # None: not needed (identical to (a))
    measures: list[Measure] = field(default_factory=list)


@dataclass
class Setup:
    """Where and how it ran."""

    machine: str
    device: str
    dtype: str
    prompt_tokens: int
    new_tokens: int
    repeats: int
    warmup: int
    notes: list[str] = field(default_factory=list)


def machine_name(device: str) -> str:
    """GPU name, or CPU model, cores and load, with torch and transformers versions."""
    import torch
    import transformers

    if device == "cuda":
        where = f"GPU {torch.cuda.get_device_name()}"
    else:
        # the load average says whether other processes shared the cores (and the numbers are noisy)
        load = f", load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
        where = f"CPU {cpu_summary()} ({torch.get_num_threads()} torch threads{load})"
    return f"{where}; torch {torch.__version__}, transformers {transformers.__version__}, Python {platform.python_version()}"


def bandwidth_ceiling(gpu_name: str, weight_bytes: int) -> tuple[str, float] | None:
    """(the GPU's data-sheet name, tok/s if each step only read every weight once at full bandwidth)."""
    for name, bandwidth in BANDWIDTH.items():  # longest, most specific names first
        if name in gpu_name:
            return name, bandwidth / weight_bytes
    return None


def word_tokenizer(vocab_size: int) -> Any:
    """A tokenizer whose every id is one word ("w17"): decoding is real tokenizer work, cheaply built."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocabulary = {f"w{i}": i for i in range(vocab_size)}
    words = Tokenizer(models.WordLevel(vocabulary, unk_token="w0"))  # noqa: S106 (a token, not a password)
    words.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return PreTrainedTokenizerFast(tokenizer_object=words)


def build_model(config_kwargs: dict[str, Any], *, device: str, dtype: Any) -> Any:
    """A seeded random-weight Llama of this architecture that never stops at an end token."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(**copy.deepcopy(config_kwargs))
    torch.manual_seed(0)
    with torch.device(device):
        model = LlamaForCausalLM._from_config(config, dtype=dtype)
    model.generation_config.eos_token_id = None  # random weights: an early end token would cut the timing short
    return model.eval()


def _sync(device: str) -> None:
    import torch

    if device == "cuda":
        torch.cuda.synchronize()


def _on_worker_thread(measure: Callable[[], Any]) -> Any:
    """Run `measure` on a fresh thread and return its result.

    Gradio runs a sync handler on a worker thread, never the main one; and on a busy CPU PyTorch's
    OpenMP team of the main thread can run several times slower than a worker thread's, which would
    favour (b) (its generate runs on a thread) for reasons no Space sees.
    """
    results: list[Any] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            results.append(measure())
        except BaseException as error:  # re-raised on the caller's thread
            errors.append(error)

    worker = threading.Thread(target=target)
    worker.start()
    worker.join()
    if errors:
        raise errors[0]
    return results[0]


def _median(runs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def run(
    *,
    models: dict[str, dict[str, Any]] | None = None,
    prompt_tokens: int = 128,
    new_tokens: int | None = None,
    repeats: int = 3,
    warmup: int = 1,
    progress: Callable[[str], None] = print,
) -> tuple[Setup, list[ModelResult]]:
    """Measure (a), (b) and (c) on each model.

    Args:
        models: name → `LlamaConfig` kwargs (default: SmolLM2 135M and 360M).
        prompt_tokens: Prompt length (random ids).
        new_tokens: Tokens to generate (default: 256 on a GPU, `CPU_NEW_TOKENS` on a CPU).
        repeats: Timed runs per method (the median counts).
        warmup: Untimed rounds of every method first.
        progress: Where to report progress.

    Returns:
        The setup and one result per model.
    """
    device, dtype = compute.device(), compute.dtype()
    notes = []
    if new_tokens is None:
        new_tokens = 256 if device == "cuda" else CPU_NEW_TOKENS
        if device != "cuda":
            notes.append(f"{CPU_NEW_TOKENS} new tokens: the CPU default (256 on a GPU; --new-tokens to change)")
    setup = Setup(
        machine_name(device),
        device,
        str(dtype).removeprefix("torch."),
        prompt_tokens,
        new_tokens,
        repeats,
        warmup,
        notes,
    )
    results = []
    for name, config_kwargs in (models if models is not None else SMOLLM2_CONFIGS).items():
        progress(f"{name}: building random weights ({setup.dtype}, {device}) …")
        model = build_model(config_kwargs, device=device, dtype=dtype)
        results.append(_measure_model(name, model, setup, progress=progress))
        del model  # before the next one is built
        if device == "cuda":
            import torch

            torch.cuda.empty_cache()
    return setup, results


def _measure_model(name: str, model: Any, setup: Setup, *, progress: Callable[[str], None]) -> ModelResult:
    """(a), (b) and (c) on one model, their token identity, and (c)'s cold first call."""
    from shared.generation import TokenStreamer, stream_text

    import torch

    device, prompt_tokens, new_tokens = setup.device, setup.prompt_tokens, setup.new_tokens
    tokenizer = word_tokenizer(model.config.vocab_size)
    prompt = torch.randint(0, model.config.vocab_size, (prompt_tokens,), generator=torch.Generator().manual_seed(1))
    prompt_ids = prompt.tolist()
    input_ids = prompt[None].to(device)
    streamer = TokenStreamer(model, max_cache_tokens=max(2048, prompt_tokens + new_tokens))

    def generate(tokens: int = new_tokens, **options: Any) -> list[int]:
        output = model.generate(input_ids, do_sample=False, max_new_tokens=tokens, **options)
        return output[0, prompt_tokens:].tolist()

    def raw() -> tuple[float, float, list[int]]:
        _sync(device)
        started = time.perf_counter()
        tokens = generate()
        _sync(device)
        total = time.perf_counter() - started
        started = time.perf_counter()
        generate(1)
        _sync(device)
        return total, time.perf_counter() - started, tokens

    def threaded() -> tuple[float, float, list[int]]:
        from transformers import TextIteratorStreamer

        text_streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
        options = {"input_ids": input_ids, "do_sample": False, "max_new_tokens": new_tokens, "streamer": text_streamer}
        _sync(device)
        started = time.perf_counter()
        worker = threading.Thread(target=model.generate, kwargs=options)
        worker.start()
        first = None
        for _chunk in text_streamer:
            first = first if first is not None else time.perf_counter() - started
        worker.join()
        return time.perf_counter() - started, first or 0.0, []

    def ours() -> tuple[float, float, list[int]]:
        tokens: list[int] = []

        def recorded(ids: Iterator[int]) -> Iterator[int]:
            for token in ids:
                tokens.append(token)
                yield token

        _sync(device)
        started = time.perf_counter()
        first = None
        for _text in stream_text(tokenizer, recorded(streamer.stream(prompt_ids, max_new_tokens=new_tokens))):
            first = first if first is not None else time.perf_counter() - started
        return time.perf_counter() - started, first or 0.0, tokens

    started = time.perf_counter()
    _on_worker_thread(ours)  # the cold call (one of (c)'s warm-ups): allocates the cache, captures the graph
    cold_call_s = time.perf_counter() - started
    measures = dict(zip(METHODS, (raw, threaded, ours), strict=True))
    for round_ in range(setup.warmup):
        for method, measure in measures.items():
            if round_ > 0 or method != METHODS[2]:
                _on_worker_thread(measure)
    timed: dict[str, list[tuple[float, float]]] = {method: [] for method in METHODS}
    tokens: dict[str, list[int]] = {}
    for round_ in range(setup.repeats):
        # Interleaved, in alternating order: a busy machine slows every method alike.
        for method in METHODS if round_ % 2 == 0 else METHODS[::-1]:
            total, first, tokens[method] = _on_worker_thread(measures[method])
            timed[method].append((new_tokens / total, first * 1000))
    medians = [Measure(name, method, *_median(timed[method])) for method in METHODS]
    progress(f"{name}: " + ", ".join(f"{m.method} {m.tokens_per_s:.1f} tok/s" for m in medians))

    reference, candidate = tokens[METHODS[0]], tokens[METHODS[2]]
    differences = [i for i, (a, b) in enumerate(zip(candidate, reference, strict=True)) if a != b]
    static_reference = None
    if differences:
        from transformers import StaticCache

        cache = StaticCache(model.config, max_cache_len=streamer.cache_length(prompt_tokens + new_tokens))
        static_reference = candidate == generate(past_key_values=cache, disable_compile=True)
    weights = {tensor.data_ptr(): tensor for tensor in model.parameters()}.values()  # tied weights count once
    return ModelResult(
        model=name,
        parameters=sum(t.numel() for t in weights),
        weight_bytes=sum(t.numel() * t.element_size() for t in weights),
        mode=streamer.mode,
        cold_call_s=cold_call_s,
        identical=not differences,
        first_difference=differences[0] if differences else None,
        identical_static_reference=static_reference,
        measures=medians,
    )


def tokens_match(setup: Setup, result: ModelResult) -> bool:
    """Whether (c)'s tokens are generate's: (a)'s, or in reduced precision those of a same-length static cache."""
    if result.identical:
        return True
    return setup.dtype != "float32" and bool(result.identical_static_reference)


def report(setup: Setup, results: Sequence[ModelResult]) -> str:
    """The side-by-side table, the ratios, token identity and (on CUDA) the bandwidth ceiling."""
    lines = [
        f"machine: {setup.machine}",
        f"{setup.device}, {setup.dtype}, batch 1, prompt {setup.prompt_tokens} tokens, {setup.new_tokens} new tokens, "
        f"median of {setup.repeats} runs after {setup.warmup} warm-up",
        *(f"note: {note}" for note in setup.notes),
        "",
        HEADER,
        *(
            f"{m.model:<8}{m.method:<34}{m.tokens_per_s:>9.1f}{m.first_token_ms:>16.1f}"
            for result in results
            for m in result.measures
        ),
        "",
        "ratios of (c) TokenStreamer:",
    ]
    for result in results:
        raw, threaded, ours = result.measures
        lines.append(
            f"  {result.model:<8}tok/s ÷ (b) {ours.tokens_per_s / threaded.tokens_per_s:.2f}x, ÷ (a) "
            f"{ours.tokens_per_s / raw.tokens_per_s:.2f}x; first token ÷ (b) "
            f"{ours.first_token_ms / threaded.first_token_ms:.2f}  [{result.mode}; cold first call {result.cold_call_s:.2f} s]"
        )
    lines.append("greedy tokens of (c) identical to (a) generate's:")
    for result in results:
        if result.identical:
            verdict = "yes"
        else:
            verdict = (
                f"no, from token {result.first_difference}; identical to generate with a static cache of its length: "
            )
            verdict += "yes" if result.identical_static_reference else "NO"
        lines.append(f"  {result.model:<8}{verdict}")
    if setup.device == "cuda":
        for result in results:
            ceiling = bandwidth_ceiling(setup.machine, result.weight_bytes)
            if ceiling:
                lines.append(
                    f"bandwidth ceiling {result.model}: {result.weight_bytes / 1e6:.0f} MB of weights per token at "
                    f"{ceiling[0]}'s bandwidth: {ceiling[1]:.0f} tok/s; (c) reaches "
                    f"{result.measures[2].tokens_per_s / ceiling[1]:.0%}"
                )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the table; exit status 1 when (c)'s tokens are not generate's."""
    parser = argparse.ArgumentParser(prog="benchmark_chat.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", choices=sorted(SMOLLM2_CONFIGS), help="default: all")
    parser.add_argument("--prompt-tokens", type=int, default=128)
    parser.add_argument("--new-tokens", type=int, help=f"default: 256 on a GPU, {CPU_NEW_TOKENS} on a CPU")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per method (the median counts)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs per method first")
    parser.add_argument("--quick", action="store_true", help="a tiny model and a few tokens (for tests)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    if min(args.repeats, args.prompt_tokens, args.new_tokens or 1) < 1 or args.warmup < 0:
        parser.error("--repeats, --prompt-tokens and --new-tokens must be at least 1, --warmup at least 0")
    if args.quick:
        setup, results = run(**QUICK, progress=lambda line: print(line, file=sys.stderr))
    else:
        chosen = {name: SMOLLM2_CONFIGS[name] for name in args.models or SMOLLM2_CONFIGS}
        setup, results = run(
            models=chosen, prompt_tokens=args.prompt_tokens, new_tokens=args.new_tokens, repeats=args.repeats,
            warmup=args.warmup, progress=lambda line: print(line, file=sys.stderr),
        )  # fmt: skip
    print(report(setup, results))
    if args.json:
        args.json.write_text(
            json.dumps({"setup": asdict(setup), "results": [asdict(r) for r in results]}, indent=2) + "\n"
        )
    return 0 if all(tokens_match(setup, result) for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
