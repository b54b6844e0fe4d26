"""Streamed generation: token ids identical to `generate`, lazily, and their text growing safely.

CPU tests run a tiny random Llama in float32 through every decoding path the CPU has (static
buffers with sdpa and with eager attention, and the DynamicCache loop). The CUDA-graph path is
covered by the `gpu` tests, which run wherever CUDA is present.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import threading

from shared.generation import TokenStreamer, stream_text

import pytest
import torch

VOCAB = 300


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def tiny_llama(*, attention: str = "sdpa", seed: int = 0) -> torch.nn.Module:
    """A 2-layer Llama with grouped-query attention; weights large enough to give varied greedy text."""
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=VOCAB, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=512, initializer_range=0.3, attn_implementation=attention,
        bos_token_id=None, eos_token_id=None, pad_token_id=None,
    )  # fmt: skip
    return LlamaForCausalLM(config).eval()


def tiny_mistral() -> torch.nn.Module:
    """A sliding-window model: the static cache does not fit it, so it takes the DynamicCache loop."""
    from transformers import MistralConfig, MistralForCausalLM

    torch.manual_seed(1)
    config = MistralConfig(
        vocab_size=VOCAB, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=512, initializer_range=0.3, sliding_window=16,
        bos_token_id=None, eos_token_id=None, pad_token_id=None,
    )  # fmt: skip
    return MistralForCausalLM(config).eval()


@pytest.fixture(scope="module")
def llama() -> torch.nn.Module:
    return tiny_llama()


def prompt_of(length: int, *, seed: int) -> list[int]:
    return torch.randint(0, VOCAB, (length,), generator=torch.Generator().manual_seed(seed)).tolist()


def generated(model: torch.nn.Module, prompt: list[int], new_tokens: int, **options) -> list[int]:
    """Greedy continuation by `model.generate`, without the prompt."""
    ids = torch.tensor([prompt], device=model.device)
    output = model.generate(ids, do_sample=False, max_new_tokens=new_tokens, **options)
    return output[0, len(prompt) :].tolist()


@pytest.mark.parametrize(
    ("model_kind", "mode"),
    [("llama", "static"), ("llama-eager-attention", "static"), ("mistral", "dynamic")],
)
def test_greedy_tokens_are_those_of_generate(model_kind, mode, llama):
    model = {"llama": lambda: llama, "llama-eager-attention": lambda: tiny_llama(attention="eager"),
             "mistral": tiny_mistral}[model_kind]()  # fmt: skip
    streamer = TokenStreamer(model, max_cache_tokens=64)
    assert streamer.mode == mode
    # One streamer for every request: a shorter prompt after a longer one must not see its leftovers.
    for prompt_length, new_tokens in [(40, 24), (1, 12), (7, 30), (64 - 19, 19), (3, 61)]:
        prompt = prompt_of(prompt_length, seed=prompt_length)
        expected = generated(model, prompt, new_tokens)
        assert len(set(expected)) > 3, "a degenerate reference would prove little"
        assert list(streamer.stream(prompt, max_new_tokens=new_tokens)) == expected


def test_a_request_may_fill_the_cache_exactly(llama):
    streamer = TokenStreamer(llama, max_cache_tokens=50)
    prompt = prompt_of(20, seed=3)
    assert streamer.cache_length(50) == 50  # capped at max_cache_tokens, no slack
    assert list(streamer.stream(prompt, max_new_tokens=30)) == generated(llama, prompt, 30)


def test_a_stop_token_ends_the_answer_and_is_not_yielded(llama):
    streamer = TokenStreamer(llama, max_cache_tokens=128)
    prompt = prompt_of(9, seed=9)
    reference = generated(llama, prompt, 40)
    stop = reference[12]
    first_stop = reference.index(stop)
    ours = list(streamer.stream(prompt, max_new_tokens=40, stop_token_ids={stop, VOCAB + 5}))
    assert ours == reference[:first_stop]
    # generate stops at the same place and keeps the stop token
    assert generated(llama, prompt, 40, eos_token_id=stop) == [*reference[:first_stop], stop]
    # and the state left behind does not leak into the next request
    assert list(streamer.stream(prompt, max_new_tokens=40)) == reference


def test_ids_come_one_forward_pass_at_a_time(llama):
    streamer = TokenStreamer(llama, max_cache_tokens=64)
    calls = []
    hook = llama.register_forward_hook(lambda module, args, output: calls.append(1))
    try:
        tokens = streamer.stream(prompt_of(10, seed=1), max_new_tokens=20)
        assert calls == []  # nothing runs before the first id is asked for
        next(tokens)
        assert len(calls) == 1  # the prompt's forward pass only
        next(tokens)
        assert len(calls) == 2
        rest = list(tokens)
        assert len(rest) == 18 and len(calls) == 20  # no forward pass after the last token
    finally:
        hook.remove()


def test_too_long_a_request_is_refused_when_asked_not_when_iterated(llama):
    streamer = TokenStreamer(llama, max_cache_tokens=32)
    with pytest.raises(
        ValueError, match=r"prompt \(20 tokens\) plus max_new_tokens \(13\) exceeds max_cache_tokens"
    ) as error:
        streamer.stream(prompt_of(20, seed=2), max_new_tokens=13)
    assert "\n" not in str(error.value)
    for bad in ({"max_new_tokens": 0}, {"max_new_tokens": 4, "temperature": -1.0}):
        with pytest.raises(ValueError, match=r"max_new_tokens|temperature"):
            streamer.stream([1, 2], **bad)
    with pytest.raises(ValueError, match="prompt is empty"):
        streamer.stream([], max_new_tokens=3)


def test_cuda_graphs_cannot_be_required_off_cuda(llama):
    with pytest.raises(ValueError, match="cuda_graphs=True needs a model on CUDA"):
        TokenStreamer(llama, cuda_graphs=True)


def test_sampling_is_reproducible_with_a_seed_and_varies_across_seeds(llama):
    streamer = TokenStreamer(llama, max_cache_tokens=64)
    prompt = prompt_of(8, seed=4)

    def sample(seed: int, temperature: float = 1.0) -> list[int]:
        return list(streamer.stream(prompt, max_new_tokens=25, temperature=temperature, seed=seed))

    assert sample(7) == sample(7)
    assert len({tuple(sample(seed)) for seed in range(4)}) == 4
    assert sample(5) != generated(llama, prompt, 25)
    # a temperature near 0 makes the most likely token certain: greedy again
    assert sample(5, temperature=1e-4) == generated(llama, prompt, 25)


def test_sampling_follows_softmax_of_logits_over_temperature(llama):
    streamer = TokenStreamer(llama, max_cache_tokens=64)
    prompt = prompt_of(6, seed=6)
    temperature = 2.0
    with torch.no_grad():
        logits = llama(torch.tensor([prompt])).logits[0, -1]
    probabilities = torch.softmax(logits / temperature, dim=-1)
    draws = 600
    counts = torch.zeros(VOCAB)
    for seed in range(draws):
        counts[next(streamer.stream(prompt, max_new_tokens=1, temperature=temperature, seed=seed))] += 1
    top = probabilities.topk(3).indices
    # three standard errors of a frequency estimated from 600 draws is at most 0.062
    assert torch.allclose(counts[top] / draws, probabilities[top], atol=0.062)


def test_one_stream_at_a_time(llama):
    streamer = TokenStreamer(llama, max_cache_tokens=64)
    prompts = [prompt_of(5 + i, seed=20 + i) for i in range(3)]
    expected = [generated(llama, prompt, 15) for prompt in prompts]
    results: dict[int, list[int]] = {}

    def answer(index: int) -> None:
        results[index] = list(streamer.stream(prompts[index], max_new_tokens=15))

    first = streamer.stream(prompts[0], max_new_tokens=15)
    started = [next(first)]
    waiting = threading.Thread(target=answer, args=(1,))
    waiting.start()
    waiting.join(timeout=1.0)
    assert waiting.is_alive()  # the buffers are busy with the first answer
    started += list(first)  # an answer finished (or closed) lets the next one in
    waiting.join(timeout=60)
    assert started == expected[0] and results[1] == expected[1]

    threads = [threading.Thread(target=answer, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [results[i] for i in range(3)] == expected

    abandoned = streamer.stream(prompts[2], max_new_tokens=15)
    next(abandoned)
    del abandoned  # collected: closed, so the lock is free again
    assert list(streamer.stream(prompts[2], max_new_tokens=15)) == expected[2]


def test_importing_the_module_never_initialises_cuda():
    code = "import shared.generation, torch, sys; assert not torch.cuda.is_initialized(); assert 'transformers' not in sys.modules"
    from tests.harness.hub import subprocess_env

    result = subprocess.run(
        [sys.executable, "-c", code], env=subprocess_env(), capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr


# --- stream_text --------------------------------------------------------------------------------

TEXT = "Héllo wörld — 日本語 and emoji 🎉🙂 ok. Ça va? Ünïcödé ✓"


@pytest.fixture(scope="module")
def byte_tokenizer():
    """A byte-level BPE tokenizer (as SmolLM2's) with few merges: multi-byte characters end up split across tokens."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=300, special_tokens=["<|im_end|>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    bpe.train_from_iterator(["hello world and more words ok"] * 20, trainer)
    return PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token="<|im_end|>")


class CountingTokenizer:
    """Delegates `decode`, counting how many token ids it was asked to decode in all."""

    def __init__(self, tokenizer) -> None:
        self.tokenizer, self.decoded_ids = tokenizer, 0

    def decode(self, ids, **options) -> str:
        self.decoded_ids += len(ids)
        return self.tokenizer.decode(ids, **options)


def test_text_grows_without_half_characters_and_skips_special_tokens(byte_tokenizer):
    ids = byte_tokenizer.encode(TEXT, add_special_tokens=False)
    eos = byte_tokenizer.eos_token_id
    assert any("\ufffd" in byte_tokenizer.decode([token]) for token in ids), "no character is split across tokens"
    stream = [*ids[:10], eos, *ids[10:]]

    texts = list(stream_text(byte_tokenizer, iter(stream)))

    assert texts[-1] == TEXT == byte_tokenizer.decode(stream, skip_special_tokens=True)
    assert all("\ufffd" not in text and "<|im_end|>" not in text for text in texts)
    assert all(later.startswith(earlier) and len(later) > len(earlier) for earlier, later in itertools.pairwise(texts))
    assert len(texts) < len(stream)  # some tokens waited for the rest of their character


def test_a_character_cut_off_at_the_end_is_never_shown(byte_tokenizer):
    ids = byte_tokenizer.encode("ok 🎉", add_special_tokens=False)
    emoji_bytes = len(byte_tokenizer.encode("🎉", add_special_tokens=False))
    assert emoji_bytes > 1
    texts = list(stream_text(byte_tokenizer, ids[:-1]))  # the emoji's last byte never comes
    assert texts[-1] == "ok "


def test_decoding_is_incremental_not_quadratic(byte_tokenizer):
    ids = byte_tokenizer.encode(TEXT * 8, add_special_tokens=False)
    counting = CountingTokenizer(byte_tokenizer)
    texts = list(stream_text(counting, ids))
    assert texts[-1] == TEXT * 8
    assert len(ids) > 300
    # re-decoding everything each time would cost len(ids)**2 / 2 (about 80 times this bound)
    assert counting.decoded_ids < 8 * len(ids)


def test_stream_text_reads_tokens_lazily(byte_tokenizer):
    ids = byte_tokenizer.encode("hello world", add_special_tokens=False)
    pulled: list[int] = []

    def tokens():
        for token in ids:
            pulled.append(token)
            yield token

    texts = stream_text(byte_tokenizer, tokens())
    first = next(texts)
    assert first and len(pulled) < len(ids)


# --- CUDA graphs (run wherever CUDA is present) ------------------------------------------------

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


def on_cuda(dtype: torch.dtype) -> torch.nn.Module:
    return tiny_llama(seed=3).to("cuda", dtype)


@pytest.mark.gpu
@needs_cuda
@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float32])
def test_cuda_graph_tokens_are_those_of_generate(dtype):
    from transformers import StaticCache

    if dtype == torch.bfloat16 and not torch.cuda.is_bf16_supported():
        pytest.skip("this GPU has no bfloat16")
    model = on_cuda(dtype)
    streamer = TokenStreamer(model, max_cache_tokens=256)
    assert streamer.mode == "cuda-graphs"
    eager = TokenStreamer(model, max_cache_tokens=256, cuda_graphs=False)
    for prompt_length, new_tokens in [(17, 60), (1, 40), (100, 156)]:
        prompt = prompt_of(prompt_length, seed=prompt_length)
        ours = list(streamer.stream(prompt, max_new_tokens=new_tokens))
        # replaying the graph computes exactly what the same step computes eagerly
        assert ours == list(eager.stream(prompt, max_new_tokens=new_tokens))
        # and what generate computes with a static cache of the same length (not compiled), bit for bit
        cache = StaticCache(model.config, max_cache_len=streamer.cache_length(prompt_length + new_tokens))
        assert ours == generated(model, prompt, new_tokens, past_key_values=cache, disable_compile=True)
        if dtype == torch.float32:  # no bf16 rounding between attention kernels: the default cache agrees too
            assert ours == generated(model, prompt, new_tokens)
    assert streamer.captures == 1  # one cache length (256): captured once, replayed by every call


@pytest.mark.gpu
@needs_cuda
def test_new_weight_addresses_mean_a_new_capture():
    model = on_cuda(torch.bfloat16)
    streamer = TokenStreamer(model, max_cache_tokens=256)
    prompt = prompt_of(30, seed=30)
    before = list(streamer.stream(prompt, max_new_tokens=50))
    assert streamer.captures == 1
    assert list(streamer.stream(prompt, max_new_tokens=50)) == before and streamer.captures == 1

    # The old weights stay allocated (so the new ones land elsewhere, as on ZeroGPU) and are then
    # zeroed: a graph still reading them would answer with garbage.
    old = [tensor.data for tensor in itertools.chain(model.parameters(), model.buffers())]
    model.to("cpu").to("cuda")
    assert not {t.data_ptr() for t in old} & {
        t.data_ptr() for t in itertools.chain(model.parameters(), model.buffers())
    }
    for tensor in old:
        tensor.zero_()

    assert list(streamer.stream(prompt, max_new_tokens=50)) == before
    assert streamer.captures == 2


@pytest.mark.gpu
@needs_cuda
def test_cuda_graph_stops_samples_and_recovers():
    model = on_cuda(torch.bfloat16)
    streamer = TokenStreamer(model, max_cache_tokens=512)
    prompt = prompt_of(12, seed=12)
    reference = list(streamer.stream(prompt, max_new_tokens=80))
    stop = reference[30]
    # the step queued after the stop token is thrown away without harm
    assert list(streamer.stream(prompt, max_new_tokens=80, stop_token_ids={stop})) == reference[: reference.index(stop)]
    assert list(streamer.stream(prompt, max_new_tokens=80)) == reference
    sampled = list(streamer.stream(prompt, max_new_tokens=80, temperature=1.0, seed=1))
    assert sampled == list(streamer.stream(prompt, max_new_tokens=80, temperature=1.0, seed=1)) != reference
