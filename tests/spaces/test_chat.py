"""spaces/chat: SmolLM2 Instruct streaming its answers, with bounded settings and trimmed history."""

from __future__ import annotations

import itertools
import re

import pytest
from gradio_client.exceptions import AppError

from tests.harness.apps import call_raw
from tests.spaces.conftest import assert_smoke_calls_pass, save_screenshot

DEMO = "chat"
SYSTEM = "You are a helpful assistant. Answer briefly and clearly."


def ask(app, message, history=(), *, system=SYSTEM, temperature=0.0, max_new_tokens=32):
    """Every partial answer the API streams, in order."""
    job = app.client.submit(message, system, temperature, max_new_tokens, api_name="/chat")
    job.result()
    return [output for output in job.outputs() if output]


def test_on_a_cpu_the_small_model_answers(app):
    assert app.module.MODEL == "chat-model-small"
    assert app.module.chat.model.config.model_type == "llama"


def test_the_answer_streams_token_by_token_and_is_the_greedy_generate_answer(app):
    import torch

    partials = ask(app, "What is the capital of France?")
    chat = app.module.chat
    prompt = chat.prompt("What is the capital of France?", [], system=SYSTEM, max_new_tokens=32)
    with torch.inference_mode():
        expected = chat.model.generate(torch.tensor([prompt]), do_sample=False, max_new_tokens=32)
    text = chat.tokenizer.decode(expected[0, len(prompt) :], skip_special_tokens=True)

    assert len(partials) > 3  # streamed, not one final message
    assert all(later.startswith(earlier) for earlier, later in itertools.pairwise(partials))
    assert partials[-1] == text.strip() or partials[-1] == text
    assert "Paris" in partials[-1]  # genuine (dequantised) SmolLM2-135M weights in the sandbox


def test_a_longer_answer_allowed_asks_for_more_gpu_time(app):
    short, long = app.module.answer_seconds([1], 0.0, 16), app.module.answer_seconds([1], 0.0, 1024)
    assert 0 < short < long <= 60


def test_sampling_at_a_high_temperature_still_answers(app):
    assert ask(app, "Say hello.", temperature=1.2, max_new_tokens=16)[-1].strip()


def long_conversation(turns: int = 120) -> list[dict]:
    """Far more turns than the window holds, each answer in Gradio's typed-parts shape."""
    filler = "tell me more about the weather in spring and in autumn please " * 8
    history: list[dict] = []
    for turn in range(turns):
        history += [{"role": "user", "content": f"question {turn}: {filler}"},
                    {"role": "assistant", "content": [{"type": "text", "text": f"answer {turn}: fine."}]}]  # fmt: skip
    return history


def test_a_long_conversation_keeps_its_newest_turns(app):
    chat = app.module.chat
    history = long_conversation()
    prompt = chat.prompt("And tomorrow?", history, system=SYSTEM, max_new_tokens=256)
    text = chat.tokenizer.decode(prompt)

    assert len(prompt) + 256 <= chat.context_tokens
    assert "question 119" in text and "answer 119" in text and "And tomorrow?" in text and SYSTEM in text
    assert "question 0:" not in text
    assert text.count("<|im_start|>user") == text.count("<|im_start|>assistant")  # whole turns only
    # and the app answers such a conversation
    assert ask(app, "And tomorrow?", history[-40:], max_new_tokens=16)[-1]


BAD_REQUESTS = pytest.mark.parametrize(
    ("message", "settings", "error"),
    [
        ("", {}, "Type a message first."),
        ("   ", {}, "Type a message first."),
        ("word " * 2_000, {}, "The message is 9,999 characters long; the limit is 8,000. Shorten it."),
        ("7" * 7900, {"max_new_tokens": 1024},  # one token a digit
         "only 3,072 fit next to an answer of 1,024 tokens: shorten them or ask for a shorter answer."),
        ("hi", {"temperature": -0.5}, "Value -0.5 is less than minimum value 0"),
        ("hi", {"temperature": 3}, "Value 3 is greater than maximum value 1.5"),
        ("hi", {"max_new_tokens": 100_000}, "Value 100000 is greater than maximum value 1024"),
        ("hi", {"max_new_tokens": 0}, "Value 0 is less than minimum value 16"),
        ("hi", {"system": "s" * 8_001}, "The system prompt is 8,001 characters long; the limit is 8,000."),
    ],
    ids=["empty", "blank", "too-many-characters", "no-room-for-the-answer", "cold", "hot", "too-long-answer",
         "no-answer", "long-system-prompt"],
)  # fmt: skip


@BAD_REQUESTS
def test_bad_requests_get_a_clear_message_and_the_app_keeps_serving(app, message, settings, error):
    with pytest.raises(AppError, match=re.escape(error)):
        ask(app, message, **settings)
    assert ask(app, "Hi", max_new_tokens=16)[-1]


def test_a_message_that_is_not_valid_unicode_gets_a_clear_message(app):
    event, data = call_raw(app.url, "chat", ["hi \ud800", SYSTEM, 0.0, 16])

    assert event == "error" and "The message holds characters that are not valid Unicode" in data
    assert ask(app, "Hi", max_new_tokens=16)[-1]


@pytest.mark.browser
def test_chat_in_the_browser(app, page):
    from playwright.sync_api import expect

    page.goto(app.url)
    box = page.get_by_placeholder("Ask anything")
    expect(box).to_be_visible(timeout=30_000)
    box.fill("What is the capital of France?")
    box.press("Enter")
    expect(page.get_by_role("log")).to_contain_text("Paris", timeout=60_000)
    save_screenshot(page, DEMO)


@pytest.mark.gpu
@pytest.mark.skipif("not __import__('torch').cuda.is_available()", reason="needs CUDA")
def test_on_a_gpu_the_answer_replays_cuda_graphs_and_matches_generate(app):
    """The sandbox's genuine SmolLM2-135M on CUDA: the chat path through CUDA graphs, same greedy tokens."""
    import torch
    from transformers import StaticCache

    chat = app.module.chat
    chat.model.to("cuda", torch.bfloat16)
    try:
        prompt = chat.prompt("What is the capital of France?", [], system=SYSTEM, max_new_tokens=48)
        assert chat.streamer.mode == "cuda-graphs"
        tokens = list(chat.streamer.stream(prompt, max_new_tokens=48))
        cache = StaticCache(chat.model.config, max_cache_len=chat.streamer.cache_length(len(prompt) + 48))
        with torch.inference_mode():
            expected = chat.model.generate(
                torch.tensor([prompt], device="cuda"), do_sample=False, max_new_tokens=48,
                past_key_values=cache, disable_compile=True,
            )[0, len(prompt) :].tolist()  # fmt: skip
        assert tokens == [t for t in expected if t not in chat.stop_token_ids]
        assert chat.streamer.captures >= 1
        assert "Paris" in list(chat.stream(prompt, max_new_tokens=48))[-1]
    finally:
        chat.model.to("cpu", torch.float32)


def test_the_compare_tab_streams_both_versions_blind_and_keeps_the_choice(app):
    import json

    import shared

    job = app.client.submit("What is the capital of France?", api_name="/compare_chat")
    job.result()
    partials = [output for output in job.outputs() if output]
    a, b, _ = partials[-1]
    assert len(partials) > 3 and a and b  # streamed, one answer after the other
    thanks = app.client.predict("", api_name="/compare_chat_b")[-1]
    order = ["candidate" if "the candidate" in part else "baseline" for part in thanks.split(";")]
    assert sorted(order) == ["baseline", "candidate"]
    assert "Paris" in (a if order[0] == "baseline" else b)  # the genuine 135M model, at its pin

    log = app.module.demo.feedback_log
    record = json.loads(log.file.read_text().splitlines()[-1])
    candidate = shared.entry("chat-model-small@candidate")
    assert (record["kind"], record["verdict"]) == ("comparison", order[1])
    assert record["compared"][1] == {
        "name": "chat-model-small@candidate", "repo": candidate.repo_id, "revision": candidate.revision
    }  # fmt: skip
    assert candidate.repo_id == "HuggingFaceTB/SmolLM2-360M-Instruct"
    assert "capital of France" in record["input"]


def test_an_empty_message_is_refused_on_the_compare_tab_too(app):
    with pytest.raises(AppError, match="Type a message"):
        app.client.predict("   ", api_name="/compare_chat")


def test_its_smoke_calls_pass(app):
    assert_smoke_calls_pass(app, DEMO)
