"""spaces/chat with its model answered by an inference server: llama.cpp's OpenAI-compatible server,
for real and offline, on the genuine SmolLM2-135M GGUF. The same app (configuration only), the same
refusals, the server's revision checked against the pin, and a server that is down, goes down
mid-answer or wants a token costs one clear line while the app keeps serving."""

from __future__ import annotations

import itertools
import logging
import re
import threading

from shared.chat import ServedChat
from shared.errors import ServedRevisionError, ServerError
from shared.registry import get_registry
from shared.serving import server_env, server_token_env

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from scripts.hub_double import free_port
from scripts.sandbox import serve_chat_model
from tests.harness.apps import load_app, running
from tests.spaces.conftest import RunningApp
from tests.spaces.test_chat import (  # the in-process app's refusal test, run here against this module's app
    SYSTEM,
    ask,
    long_conversation,
    test_bad_requests_get_a_clear_message_and_the_app_keeps_serving,  # noqa: F401
)

DEMO = "chat"
MODEL = "chat-model-small"
PIN = "HuggingFaceTB/SmolLM2-135M-Instruct@12fd25f77366"


@pytest.fixture(scope="module")
def pinned(sandbox):
    return get_registry()[MODEL]


@pytest.fixture(scope="module")
def llama(pinned):
    """llama.cpp's server for the chat model, for this module."""
    with serve_chat_model(pinned, port=free_port()) as url:
        yield url


def start_app(url: str, token: str | None = None):
    """The chat app, loaded fresh with its model served from `url`."""
    patch = pytest.MonkeyPatch()
    patch.setenv(server_env(MODEL), url)
    if token:
        patch.setenv(server_token_env(MODEL), token)
    return load_app(DEMO), patch


@pytest.fixture(scope="module")
def app(llama):
    module, patch = start_app(llama)
    try:
        with running(module.demo) as url:
            yield RunningApp(module, url, Client(url, verbose=False, download_files=False, analytics_enabled=False))
    finally:
        patch.undo()


def test_the_same_app_streams_its_answers_from_the_server(app, llama):
    partials = ask(app, "What is the capital of France?")

    assert isinstance(app.module.chat, ServedChat) and app.module.MODEL == MODEL
    assert len(partials) > 3 and all(b.startswith(a) for a, b in itertools.pairwise(partials))
    assert "Paris" in partials[-1]  # the genuine SmolLM2-135M, quantised, answering through HTTP
    footer = next(b.value for b in app.module.demo.blocks.values() if getattr(b, "elem_id", None) == "suite-footer")
    assert f"served by {llama}, which reports {PIN}" in footer


def test_the_server_is_sent_the_conversation_trimmed_to_the_window_by_the_models_tokenizer(app):
    chat = app.module.chat

    messages = chat.prompt("And tomorrow?", long_conversation(), system=SYSTEM, max_new_tokens=256)

    ids = chat.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True, return_dict=False)
    assert len(ids) + 256 <= chat.context_tokens < len(ids) + 256 + 2 * 150  # full, less than one turn to spare
    assert messages[0] == {"role": "system", "content": SYSTEM}
    assert messages[-1] == {"role": "user", "content": "And tomorrow?"}
    assert messages[1]["role"] == "user" and messages[-2] == {"role": "assistant", "content": "answer 119: fine."}


def test_several_chats_at_once_are_all_answered(app):
    answers: dict[int, str] = {}

    def chat(number: int) -> None:
        client = Client(app.url, verbose=False, download_files=False, analytics_enabled=False)
        answers[number] = client.predict("What is the capital of France?", SYSTEM, 0.0, 24, api_name="/chat")

    threads = [threading.Thread(target=chat, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    assert len(answers) == 4 and len(set(answers.values())) == 1 and "Paris" in answers[0]  # greedy: the same


def test_a_server_down_at_start_costs_one_line_per_request_until_it_is_back(pinned):
    port = free_port()
    module, patch = start_app(f"http://127.0.0.1:{port}")  # nothing listens there yet: the app starts anyway
    try:
        with running(module.demo) as url:
            client = Client(url, verbose=False, download_files=False, analytics_enabled=False)
            with pytest.raises(AppError, match=re.escape(
                f"The model server for {MODEL} (http://127.0.0.1:{port}) is not answering: try again in a minute."
            )):  # fmt: skip
                client.predict("Hi", SYSTEM, 0.0, 16, api_name="/chat")
            with serve_chat_model(pinned, port=port):
                assert client.predict("What is the capital of France?", SYSTEM, 0.0, 24, api_name="/chat")
    finally:
        patch.undo()


def test_a_server_that_stops_mid_answer_ends_it_with_one_line(pinned, monkeypatch, app):
    port = free_port()
    monkeypatch.setenv(server_env(MODEL), f"http://127.0.0.1:{port}")
    with serve_chat_model(pinned, port=port):
        chat = ServedChat(MODEL)
        prompt = chat.prompt("Write a long story about a lighthouse keeper.", [], system=SYSTEM, max_new_tokens=512)
        stream = chat.stream(prompt, max_new_tokens=512, temperature=0.8)
        first = next(stream)
    assert first  # the server is gone now

    with pytest.raises(ServerError) as failure:
        for _ in stream:
            pass
    assert str(failure.value) == (
        f"The model server for {MODEL} (http://127.0.0.1:{port}) stopped in the middle of the answer: "
        "ask again in a minute."
    )
    assert ask(app, "Hi", max_new_tokens=16)[-1]  # and the app with its own server goes on


def test_a_server_of_another_revision_is_refused_at_start(pinned, monkeypatch):
    port = free_port()
    monkeypatch.setenv(server_env(MODEL), f"http://127.0.0.1:{port}")
    other = f"{pinned.repo_id}@{'0' * 40}"
    with serve_chat_model(pinned, port=port, served_name=other), pytest.raises(ServedRevisionError) as refused:
        ServedChat(MODEL)
    assert str(refused.value) == (
        f"{MODEL}: the server at http://127.0.0.1:{port} serves {other}, but the registry pins {PIN}: "
        "run the server at the pinned revision"
    )


def test_a_server_that_does_not_say_its_revision_is_used_with_a_warning(pinned, monkeypatch, caplog):
    port = free_port()
    monkeypatch.setenv(server_env(MODEL), f"http://127.0.0.1:{port}")
    with serve_chat_model(pinned, port=port, served_name="smollm2-135m.gguf"):
        with caplog.at_level(logging.WARNING, logger="shared.serving"):
            chat = ServedChat(MODEL)
        prompt = chat.prompt("Hi", [], system=SYSTEM, max_new_tokens=16)
        assert list(chat.stream(prompt, max_new_tokens=16))[-1]

    assert "does not say which revision" in caplog.text
    assert chat.server.footer == (
        f"served by http://127.0.0.1:{port}, which does not report its revision (smollm2-135m.gguf)"
    )


def test_a_server_that_wants_a_token_gets_the_one_configured(pinned, monkeypatch):
    port = free_port()
    monkeypatch.setenv(server_env(MODEL), f"http://127.0.0.1:{port}")
    monkeypatch.delenv(server_token_env(MODEL), raising=False)
    with serve_chat_model(pinned, port=port, api_key="local-server-key-1"):
        without = ServedChat(MODEL)
        prompt = without.prompt("Hi", [], system=SYSTEM, max_new_tokens=16)
        with pytest.raises(ServerError, match=re.escape(
            f"refused the token: set {server_token_env(MODEL)} to a token it accepts."
        )):  # fmt: skip
            list(without.stream(prompt, max_new_tokens=16))

        monkeypatch.setenv(server_token_env(MODEL), "local-server-key-1")
        assert list(ServedChat(MODEL).stream(prompt, max_new_tokens=16))[-1]
