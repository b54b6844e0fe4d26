"""A demo running as `python app.py` in its own process, as the benchmarks measure it, and the
environment the benchmarks give it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from scripts import REPO_ROOT
from scripts._benchmark.machine import AVX2_ONLY
from scripts.hub_double import LocalHub, free_port
from scripts.sandbox import sandbox_registry

# Settings of the machine under measurement, kept from the caller's environment (`SUITE_DTYPE=float32`
# measures fp32 on a CPU with bf16); every other HF_, GRADIO_ and SUITE_ variable is dropped.
KEPT_SETTINGS = ("SUITE_DTYPE",)


def app_environment(hub: LocalHub, scratch: Path, *, avx2_only: bool = False) -> dict[str, str]:
    """The environment of an app (or a helper process) on a seeded local Hub: this Hub, a cache
    and a feedback folder in `scratch`, the sandbox's registry, no telemetry, the repo importable;
    with `avx2_only`, torch kept to AVX2 (`machine.AVX2_ONLY`)."""
    env = {k: v for k, v in os.environ.items() if k in KEPT_SETTINGS or not k.startswith(("HF_", "GRADIO_", "SUITE_"))}
    env.update(HF_ENDPOINT=hub.url, HF_HOME=str(scratch / "hf-home"), HF_HUB_DISABLE_TELEMETRY="1",
               HF_HUB_DISABLE_XET="1", GRADIO_ANALYTICS_ENABLED="False", HF_UPDATE_DOWNLOAD_COUNTS="0",
               DISABLE_SAFETENSORS_CONVERSION="1", TOKENIZERS_PARALLELISM="false",
               SUITE_REGISTRY=str(sandbox_registry(hub)), SUITE_FEEDBACK_DIR=str(scratch / "feedback"),
               PYTHONPATH=os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH")) if p))  # fmt: skip
    if avx2_only:
        env.update(AVX2_ONLY)
    return env


class AppProcess:
    """`python app.py` on a free port, and a `gradio_client.Client` of it once it answers.

    Args:
        app: The app file (run in its own folder, as on a Space).
        env: The process's environment.
        timeout: Seconds it may take to answer.

    Raises:
        RuntimeError: the app exited before it answered.
    """

    def __init__(self, app: Path, env: dict[str, str], *, timeout: float = 300) -> None:
        from gradio_client import Client

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        # A file, not a pipe: an app that logs a line per request (transformers' warnings) would
        # fill a pipe nobody reads during the load and block there.
        self._log = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")  # noqa: SIM115 (closed in stop)
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, app.name], cwd=app.parent, env={**env, "GRADIO_SERVER_PORT": str(self.port)},
            stdout=subprocess.DEVNULL, stderr=self._log, text=True,
        )  # fmt: skip
        deadline = self.started + timeout
        while True:
            if self.process.poll() is not None:
                self._log.seek(0)
                tail = self._log.read()[-2000:]
                self._log.close()
                raise RuntimeError(f"{app} exited: {tail}")
            try:
                self.client: Any = Client(self.url, verbose=False, download_files=False, analytics_enabled=False)
                break
            except Exception:  # not listening yet
                if time.perf_counter() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        """Ctrl-C, as a user stops it; killed if it has not ended within 30 s."""
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log.close()
