"""Running Spaces for real: each build starts the Space's committed files as `python <app_file>`.

The files of the built commit are written into a folder of their own, the app runs there on a
port of its own with a fresh `HF_HOME`, `HF_ENDPOINT` pointing at this Hub, and the Space's
variables and secrets in its environment (and little else: a Space does not inherit the shell of
whoever runs the Hub). Its stage is APP_STARTING until the port answers, then RUNNING, or
RUNTIME_ERROR with the tail of its output once it exits. No requirements are installed: the app
runs on the Hub's own interpreter.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ._server import free_port

# How long an app may take to answer on its port before its Space counts as failed to start.
START_SECONDS = 300.0
_LOG_TAIL_LINES = 200


@dataclass
class _Run:
    commit: str
    port: int
    process: subprocess.Popen
    log: Path
    answered: bool = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stage(self) -> str:
        if self.process.poll() is not None:
            return "RUNTIME_ERROR"
        return "RUNNING" if self.answered else "APP_STARTING"

    def lines(self) -> list[str]:
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return []
        return [line + "\n" for line in text.splitlines()[-_LOG_TAIL_LINES:]]


class SpaceRunner:
    """Starts and stops the processes of running Spaces (one per Space: a new build replaces it).

    Args:
        folder: Where each run's files, cache and log go.
        hub_url: The Hub's URL (called when a run starts: the port is known once it serves).
        environment: Extra variables every Space gets (e.g. to keep a test's network guard).
    """

    def __init__(self, folder: Path, *, hub_url: Callable[[], str], environment: Mapping[str, str] = ()) -> None:
        self.folder = Path(folder)
        self._hub_url = hub_url
        self.environment = dict(environment)
        self._runs: dict[str, _Run] = {}
        self._secrets: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()

    def remember_secret(self, space: str, key: str, value: str | None) -> None:
        """Keep a secret's value in memory for the Space's next runs (None: forget it)."""
        with self._lock:
            if value is None:
                self._secrets.get(space, {}).pop(key, None)
            else:
                self._secrets.setdefault(space, {})[key] = value

    def start(self, space: str, commit: str, files: Mapping[str, bytes], *, app_file: str,
              variables: Mapping[str, str]) -> None:  # fmt: skip
        """Stop the Space's current run and start `app_file` of `files` (the commit's tree)."""
        self.stop(space)
        run_dir = self.folder / space.replace("/", "--") / commit
        shutil.rmtree(run_dir, ignore_errors=True)
        app_dir = run_dir / "app"
        for path, content in files.items():
            target = app_dir / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        port = free_port()
        with self._lock:
            secrets = dict(self._secrets.get(space, {}))
        env = {
            "PATH": os.environ.get("PATH", ""),
            "LANG": "C.UTF-8",
            "HOME": str(run_dir / "home"),
            "HF_HOME": str(run_dir / "hf-home"),
            "HF_ENDPOINT": self._hub_url(),
            "GRADIO_SERVER_NAME": "127.0.0.1",
            "GRADIO_SERVER_PORT": str(port),
            "GRADIO_ANALYTICS_ENABLED": "False",
            "SPACE_ID": space,
            "SYSTEM": "spaces",
            "PYTHONUNBUFFERED": "1",
            **self.environment,
            **variables,
            **secrets,
        }
        log = run_dir / "run.log"
        with open(log, "wb") as output:
            process = subprocess.Popen(
                [sys.executable, app_file], cwd=app_dir, env=env, stdout=output, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )  # fmt: skip
        run = _Run(commit=commit, port=port, process=process, log=log)
        with self._lock:
            self._runs[space] = run
        threading.Thread(target=_watch, args=(run,), name=f"space-{space}", daemon=True).start()

    def run_of(self, space: str, commit: str) -> _Run | None:
        """The Space's run of `commit`, if that is what it runs."""
        with self._lock:
            run = self._runs.get(space)
        return run if run is not None and run.commit == commit else None

    def stop(self, space: str) -> None:
        """Stop the Space's process, if it has one."""
        with self._lock:
            run = self._runs.pop(space, None)
        if run is not None and run.process.poll() is None:
            run.process.terminate()
            try:
                run.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                run.process.kill()
                run.process.wait()

    def stop_all(self) -> None:
        for space in list(self._runs):
            self.stop(space)


def _watch(run: _Run) -> None:
    """Mark the run as answering once its port accepts a connection (or give up when it exits)."""
    deadline = time.monotonic() + START_SECONDS
    while run.process.poll() is None and time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", run.port), timeout=0.5):
                run.answered = True
                return
        except OSError:
            time.sleep(0.2)
