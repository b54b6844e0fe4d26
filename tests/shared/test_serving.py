"""How `shared.serving` names a model's server and reads what a server says it serves (the real
server is exercised in tests/spaces/test_chat_served.py)."""

from __future__ import annotations

import shared
from shared.serving import ServedModel, served_model, server, server_env, server_token_env

SHA = "12fd25f77366fa6b3b4b768ec3050bf629380bac"


def test_each_entry_has_its_own_variables():
    assert server_env("chat-model") == "SUITE_SERVER_CHAT_MODEL"
    assert server_token_env("chat-model-small@candidate") == "SUITE_SERVER_TOKEN_CHAT_MODEL_SMALL_CANDIDATE"


def test_a_model_is_served_when_its_url_is_set(monkeypatch):
    monkeypatch.delenv("SUITE_SERVER_CHAT_MODEL", raising=False)
    assert not shared.is_served("chat-model") and server("chat-model") is None

    monkeypatch.setenv("SUITE_SERVER_CHAT_MODEL", "https://user:secret@endpoint.example/v1/?key=abc")
    assert shared.is_served("chat-model")
    assert server("chat-model").host == "https://endpoint.example"  # never the path, query or credentials
    assert server("chat-model") is server("chat-model")  # one per process and configuration


def test_what_a_served_name_says_about_the_revision():
    repo = "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert served_model(f"{repo}@{SHA}") == ServedModel(f"{repo}@{SHA}", repo, SHA)
    assert served_model(repo) == ServedModel(repo, repo, None)
    for unknown in ("smollm2-135m.gguf", "/models/SmolLM2.gguf", f"{repo}@main", "gpt-4"):
        assert served_model(unknown) == ServedModel(unknown, None, None)
