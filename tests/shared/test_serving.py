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


def chunk(content: str, finish_reason: str | None = None) -> bytes:
    """One server-sent event of a streamed chat completion, as OpenAI-compatible servers write it."""
    import json

    choice = {"index": 0, "delta": {"role": "assistant", "content": content}, "finish_reason": finish_reason,
              "logprobs": None}  # fmt: skip
    event = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": "m", "system_fingerprint": "",
             "choices": [choice]}  # fmt: skip
    return b"data: " + json.dumps(event).encode() + b"\n\n"


@pytest.fixture
def fake_server(monkeypatch):
    """A stand-in server for chat-model-small, on 127.0.0.1: it serves the pinned name (at `/info`
    what `answer["info"]` says, as TGI does, when set), answers a chat with `answer` (status, body),
    and records each request's path and authorization header."""
    import http.server
    import threading

    seen: list[tuple[str, str | None]] = []
    answer = {"status": 500, "body": b"", "info": None}

    class Server(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            import json

            seen.append((self.path, self.headers.get("authorization")))
            body = b'{"data": [{"id": "HuggingFaceTB/SmolLM2-135M-Instruct@' + SHA.encode() + b'"}]}'
            if self.path == "/info" and answer["info"] is not None:  # TGI's
                body = json.dumps(answer["info"]).encode()
            self.send_response(200 if self.path == "/v1/models" or body.startswith(b'{"model_id"') else 404)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            seen.append((self.path, self.headers.get("authorization")))
            self.send_response(answer["status"])
            self.send_header("content-type", "text/event-stream")
            self.send_header("content-length", str(len(answer["body"])))
            self.end_headers()
            self.wfile.write(answer["body"])

        def log_message(self, *args):
            pass

    listening = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Server)
    threading.Thread(target=listening.serve_forever, daemon=True).start()
    shared.fetch("chat-model-small")  # cached first: with the files cached, loading asks the Hub nothing
    # Given with its OpenAI path, as endpoints show it: the same server, asked the same paths.
    monkeypatch.setenv(server_env("chat-model-small"), f"http://127.0.0.1:{listening.server_port}/v1/")
    monkeypatch.delenv(server_token_env("chat-model-small"), raising=False)
    yield seen, answer
    listening.shutdown()


@pytest.mark.usefixtures("sandbox")
def test_a_server_never_gets_the_hub_token(fake_server, monkeypatch):
    """Without a token of its own, InferenceClient would send HF_TOKEN to the server's URL."""
    from shared.chat import ServedChat

    seen, _ = fake_server
    monkeypatch.setenv("HF_TOKEN", "hub-token-that-must-stay-home")
    chat = ServedChat("chat-model-small")
    with pytest.raises(shared.ServerError):
        list(chat.stream([{"role": "user", "content": "hi"}], max_new_tokens=4))

    assert [path for path, _ in seen] == ["/info", "/v1/models", "/v1/chat/completions"]
    assert all(not auth for _, auth in seen), seen


@pytest.mark.usefixtures("sandbox")
def test_a_stream_that_ends_without_a_finish_reason_was_cut_and_says_so(fake_server):
    """llama.cpp's server, by default, ends one answer's stream cleanly when another request comes in."""
    from shared.chat import ServedChat

    _, answer = fake_server
    answer.update(status=200, body=chunk("The capital") + chunk(" is") + b"data: [DONE]\n\n")
    partials = []
    with pytest.raises(shared.ServerError, match=r"^The model server for chat-model-small \(http://127\.0\.0\.1:\d+\) "
                       r"stopped in the middle of the answer: ask again in a minute\.$"):  # fmt: skip
        partials.extend(ServedChat("chat-model-small").stream([{"role": "user", "content": "hi"}], max_new_tokens=8))
    assert partials == ["The capital", "The capital is"]

    answer.update(body=chunk("Paris") + chunk(".", finish_reason="stop") + b"data: [DONE]\n\n")
    assert list(ServedChat("chat-model-small").stream([{"role": "user", "content": "hi"}], max_new_tokens=8)) == [
        "Paris", "Paris."
    ]  # fmt: skip


@pytest.mark.usefixtures("sandbox")
def test_tgi_says_its_revision_at_info_and_an_endpoint_that_serves_a_folder_is_warned_about(fake_server, caplog):
    _, answer = fake_server
    repo = "HuggingFaceTB/SmolLM2-135M-Instruct"
    answer["info"] = {"model_id": repo, "model_sha": SHA}
    tgi = server("chat-model-small")
    assert tgi.ready() == ServedModel(repo, repo, SHA)

    tgi.forget()
    answer["info"] = {"model_id": repo, "model_sha": "0" * 40}
    with pytest.raises(shared.ServedRevisionError, match=f"serves {repo}@0000000000000000000000000000000000000000, "
                       f"but the registry pins {repo}@{SHA[:12]}: run the server at the pinned revision"):  # fmt: skip
        tgi.ready()

    # An Inference Endpoint's TGI loads the repo from a folder: it cannot say which revision.
    answer["info"] = {"model_id": "/repository", "model_sha": None}
    assert tgi.ready() == ServedModel("/repository", None, None)
    assert "does not say which revision" in caplog.text
    assert tgi.footer.endswith("which does not report its revision (/repository)")
