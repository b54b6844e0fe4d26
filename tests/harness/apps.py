"""Import a demo and run it in-process on a free port, as the tests of every demo do."""

from __future__ import annotations

import importlib.util
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from scripts.hub_double import free_port


@contextmanager
def running(demo: Any) -> Iterator[str]:
    """Launch a `gr.Blocks` on 127.0.0.1 in a background thread; yield its URL; close it after."""
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, ssr_mode=False)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()


SPACES_DIR = Path(__file__).resolve().parents[2] / "spaces"


def load_app(name: str) -> ModuleType:
    """Import `spaces/<name>/app.py` as a fresh module (what `python app.py` runs, minus launch)."""
    path = SPACES_DIR / name / "app.py"
    spec = importlib.util.spec_from_file_location(f"suite_app_{name.replace('-', '_')}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def wait_for_client(url: str, process: subprocess.Popen, *, timeout: float = 180) -> Any:
    """A gradio_client for the app a subprocess is starting at `url`, once it answers."""
    from gradio_client import Client

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"exited early: {process.stdout.read() if process.stdout else ''}")
        try:
            return Client(url, verbose=False, download_files=False, analytics_enabled=False)
        except Exception:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {timeout} s")


def call_raw(url: str, api_name: str, data: list[Any], *, timeout: float = 120) -> tuple[str, str]:
    """Call an endpoint through Gradio's plain HTTP API with JSON as a hostile client writes it
    (`\\ud800` escapes and all, which gradio_client cannot send); returns (last event, its data)."""
    import json

    import httpx

    body = json.dumps({"data": data}).encode()  # ASCII JSON: lone surrogates travel as escapes
    with httpx.Client(timeout=timeout) as http:
        started = http.post(
            f"{url}gradio_api/call/{api_name}", content=body, headers={"Content-Type": "application/json"}
        )
        if started.is_client_error:  # refused when it joined the queue (a validator, a full queue)
            return "error", started.text
        started.raise_for_status()
        event, payload = "", ""
        with http.stream("GET", f"{url}gradio_api/call/{api_name}/{started.json()['event_id']}") as stream:
            for line in stream.iter_lines():
                if line.startswith("event: "):
                    event = line.removeprefix("event: ")
                elif line.startswith("data: "):
                    payload = line.removeprefix("data: ")
                    if event in ("complete", "error"):
                        break
    return event, payload
