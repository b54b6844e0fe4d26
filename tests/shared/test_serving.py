"""How `shared.serving` names a model's server and reads what a server says it serves (the real
server is exercised in tests/spaces/test_chat_served.py)."""

from __future__ import annotations

import shared
from shared.serving import ServedModel, served_model, server, server_env, server_token_env

import pytest

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


@pytest.mark.usefixtures("sandbox")
def test_a_server_never_gets_the_hub_token(monkeypatch):
    """Without a token of its own, InferenceClient would send HF_TOKEN to the server's URL."""
    import http.server
    import threading

    from shared.chat import ServedChat

    seen: list[tuple[str, str | None]] = []

    class Server(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append((self.path, self.headers.get("authorization")))
            body = b'{"data": [{"id": "HuggingFaceTB/SmolLM2-135M-Instruct@' + SHA.encode() + b'"}]}'
            self.send_response(200 if self.path == "/v1/models" else 404)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            seen.append((self.path, self.headers.get("authorization")))
            self.send_response(500)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    listening = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Server)
    threading.Thread(target=listening.serve_forever, daemon=True).start()
    shared.fetch("chat-model-small")  # cached first: with the files cached, loading asks the Hub nothing
    monkeypatch.setenv("HF_TOKEN", "hub-token-that-must-stay-home")
    monkeypatch.setenv(server_env("chat-model-small"), f"http://127.0.0.1:{listening.server_port}")
    monkeypatch.delenv(server_token_env("chat-model-small"), raising=False)
    try:
        chat = ServedChat("chat-model-small")
        with pytest.raises(shared.ServerError):
            list(chat.stream([{"role": "user", "content": "hi"}], max_new_tokens=4))
    finally:
        listening.shutdown()

    assert [path for path, _ in seen] == ["/info", "/v1/models", "/v1/chat/completions"]
    assert all(not auth for _, auth in seen), seen
