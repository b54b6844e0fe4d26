"""Every ZeroGPU demo keeps ZeroGPU's rules, checked off ZeroGPU with a stand-in `spaces` package.

Each demo whose Space runs on ZeroGPU (read from the catalog, so new demos join by themselves)
starts as `python spaces/<name>/app.py` with the stand-in (scripts/zerogpu_stand_in) first on its
path and `SPACES_ZERO_GPU=true`, and answers its probe (tests/spaces/probes.py). The stand-in
records every broken rule and every call through `spaces.GPU` in a JSON report; a demo passes when
the report shows no violation and at least one GPU call. Small bad apps prove that each rule bites.
All the apps start at once: most of their time is spent importing torch and gradio.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared.catalog import discover_spaces

import pytest

from scripts import zerogpu_stand_in
from tests.harness.apps import free_port, wait_for_client
from tests.harness.hub import REPO_ROOT, subprocess_env
from tests.spaces.probes import PROBES, probe_args

STARTUP_TIMEOUT = 240  # seconds, for a dozen apps importing torch at once on two cores


def zerogpu_demos() -> list[str]:
    """The demos whose Space runs on ZeroGPU (every demo unless its space.yaml says otherwise)."""
    return [space.name for space in discover_spaces(REPO_ROOT / "spaces") if space.hardware.startswith("zero-")]


ZEROGPU_DEMOS = zerogpu_demos()


@dataclass
class AppRun:
    """What one app did under the stand-in."""

    name: str
    output: str
    report: dict[str, Any] | None
    probe_error: str | None = None
    probed: bool = False

    def problems(self) -> list[str]:
        """Every way the app broke ZeroGPU's rules or failed to show it keeps them ([] when it did)."""
        if self.report is None:
            return [f"no stand-in report: spaces was never imported (is 'import shared' first?)\n{self._tail()}"]
        problems = list(self.report["violations"])
        if self.report["spaces_file"] != str(zerogpu_stand_in.PACKAGE_FILE):
            problems.append(f"spaces came from {self.report['spaces_file']}, not the stand-in")
        if self.probe_error is not None:
            problems.append(f"the probe failed: {self.probe_error}\n{self._tail()}")
        if self.probed and not sum(self.report["gpu_calls"].values()):
            problems.append(
                "no call went through spaces.GPU: decorate the handler that runs the model with @shared.gpu"
            )
        return problems

    def _tail(self) -> str:
        return "\n".join(self.output.splitlines()[-30:])


@dataclass
class _Started:
    process: subprocess.Popen
    log: Path
    log_file: Any = field(repr=False)
    report: Path
    port: int
    probe: tuple[tuple[Any, ...], str] | None


class _Apps:
    """Apps started under the stand-in at once; each is probed (if served), asked to stop and read when first asked for."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self._started: dict[str, _Started] = {}
        self._runs: dict[str, AppRun] = {}

    def start(self, name: str, app: Path, *, probe: tuple[tuple[Any, ...], str] | None) -> None:
        """Start `python <app>` (from the repo root); `probe`: the call to make once it serves, None if it does not."""
        port = free_port()
        report, log = self.workdir / f"{name}.report.json", self.workdir / f"{name}.log"
        env = zerogpu_stand_in.environment(subprocess_env(GRADIO_SERVER_PORT=str(port)), report=report)
        log_file = open(log, "w")  # noqa: SIM115 - closed once the app has stopped
        process = subprocess.Popen(
            [sys.executable, str(app)], cwd=REPO_ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT
        )
        self._started[name] = _Started(process, log, log_file, report, port, probe)

    def run(self, name: str) -> AppRun:
        """What app `name` did: its probe made (if any) and the app stopped."""
        if name not in self._runs:
            self._runs[name] = self._finish(name, self._started[name])
        return self._runs[name]

    def stop_all(self) -> None:
        for started in self._started.values():
            _stop(started.process)
            started.log_file.close()

    @staticmethod
    def _finish(name: str, started: _Started) -> AppRun:
        probe_error = None
        try:
            if started.probe is None:
                started.process.wait(timeout=STARTUP_TIMEOUT)
            else:
                url = f"http://127.0.0.1:{started.port}/"
                client = wait_for_client(url, started.process, timeout=STARTUP_TIMEOUT)
                args, api_name = started.probe
                client.predict(*args, api_name=api_name)
        except Exception as error:
            probe_error = f"{type(error).__name__}: {error}".strip()
        finally:
            # Asked to stop, not waited for: the others go on starting meanwhile (stop_all waits).
            if started.process.poll() is None:
                started.process.send_signal(signal.SIGINT)
        report = zerogpu_stand_in.read_report(started.report)
        return AppRun(name, started.log.read_text(), report, probe_error, probed=started.probe is not None)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# Small apps that each break one rule (running the offending call at import, then exiting), and
# the message the stand-in must report.
BAD_APPS: dict[str, tuple[str, str]] = {
    "torch-before-shared": (
        """
        import torch
        import shared
        """,
        "torch was imported before spaces",
    ),
    "gradio-before-shared": (
        """
        import gradio
        import shared
        """,
        "gradio was imported before spaces",
    ),
    "cuda-device-at-import": (
        """
        import shared
        import torch
        torch.cuda.current_device()
        """,
        "CUDA was initialised outside a @spaces.GPU call",
    ),
    "lock-argument": (
        """
        import threading
        import shared

        @shared.gpu(duration=5)
        def classify(text, lock):
            return text

        classify("a fine film", threading.Lock())
        """,
        "classify: argument 2 does not pickle (_thread.lock",
    ),
    "lambda-returned": (
        """
        import shared

        @shared.gpu(duration=5)
        def classify(text):
            return lambda: text

        classify("a fine film")
        """,
        "classify: the return value does not pickle (function",
    ),
    "stream-yields-an-open-file": (
        """
        import os
        import shared

        @shared.gpu(duration=5)
        def write(prompt):
            yield prompt
            yield {"text": prompt, "log": open(os.devnull)}

        for _ in write("hello"):
            pass
        """,
        "write: yielded item 2 does not pickle (_io.TextIOWrapper",
    ),
    "duration-callable-returns-zero": (
        """
        import shared

        def seconds(prompt, max_new_tokens):
            return max_new_tokens // 1000

        @shared.gpu(duration=seconds)
        def write(prompt, max_new_tokens):
            yield prompt

        list(write("hello", max_new_tokens=16))
        """,
        "write: its duration callable gave 0",
    ),
    "tensor-not-on-cpu-returned": (
        """
        import shared
        import torch

        @shared.gpu(duration=5)
        def embed(text):
            return {"vector": torch.empty(4, device="meta")}

        embed("a fine film")
        """,
        "embed: the return value holds a tensor on meta",
    ),
    "gr-request-passed": (
        """
        import shared
        import gradio as gr

        @shared.gpu(duration=5)
        def classify(text, request):
            return text

        classify("a fine film", gr.Request())
        """,
        "classify: argument 2 holds a gr.Request",
    ),
}

# A served app whose model handler is not decorated: no violation, but no GPU call either. It also
# shows which `spaces` gradio took, and that gradio finds there what it calls on a Space.
UNDECORATED_APP = """
import json
import shared
import gradio as gr
import spaces
from gradio import block_function

def classify(text):
    return text.upper()

print(json.dumps({
    "spaces": spaces.__file__,
    "gradio_spaces": block_function.spaces.__file__,
    "auto_wrap_off_by_default": block_function.spaces.gradio_auto_wrap(classify) is classify,
}), flush=True)

with gr.Blocks() as demo:
    text = gr.Textbox()
    gr.Button().click(classify, text, text, api_name="classify")

demo.launch()
"""

# CUDA inside a GPU call is the platform's business: the guard lets it through to torch.
CUDA_INSIDE_GPU_CALL_APP = """
import shared
import torch

@shared.gpu(duration=5)
def where():
    try:
        torch.cuda.current_device()
    except AssertionError as error:  # CPU torch
        return str(error)

print(where())
"""


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Apps]:
    """Every test app of this module, started under the stand-in."""
    apps = _Apps(tmp_path_factory.mktemp("zerogpu"))
    scripts = {name: textwrap.dedent(source) for name, (source, _) in BAD_APPS.items()}
    scripts |= {
        "undecorated": UNDECORATED_APP,
        "cuda-inside-gpu-call": CUDA_INSIDE_GPU_CALL_APP,
    }
    for name, source in scripts.items():
        app = apps.workdir / name / "app.py"
        app.parent.mkdir()
        app.write_text(source)
        apps.start(name, app, probe=(("shout",), "/classify") if name == "undecorated" else None)
    try:
        yield apps
    finally:
        apps.stop_all()


@pytest.fixture(scope="module")
def demos(apps: _Apps, sandbox) -> _Apps:
    """The same, with every ZeroGPU demo that has a probe started too (against the seeded local Hub)."""
    for demo in ZEROGPU_DEMOS:
        if demo in PROBES:
            apps.start(demo, REPO_ROOT / "spaces" / demo / "app.py", probe=probe_args(demo))
    return apps


def test_the_zerogpu_demos_come_from_the_catalog():
    assert {"image-classification", "sentiment", "semantic-search"} <= set(ZEROGPU_DEMOS)
    assert not {"gallery", "digits"} & set(ZEROGPU_DEMOS)  # cpu-basic in their space.yaml


@pytest.mark.parametrize("demo", ZEROGPU_DEMOS)
def test_demo_keeps_the_zerogpu_rules(demos, demo):
    assert demo in PROBES, f"declare a smoke call in spaces/{demo}/space.yaml (its first calls the GPU handler)"
    run = demos.run(demo)
    assert run.problems() == []
    assert run.report and run.report["decorated"], "the stand-in saw no @spaces.GPU handler"


@pytest.mark.parametrize("app", sorted(BAD_APPS))
def test_a_broken_rule_is_reported(apps, app):
    expected = BAD_APPS[app][1]
    problems = apps.run(app).problems()
    assert any(expected in problem for problem in problems), f"expected {expected!r} among {problems}"


def test_a_served_model_handler_without_gpu_is_reported(apps):
    run = apps.run("undecorated")
    assert run.probe_error is None and run.report is not None and run.report["violations"] == []
    assert run.problems() == [
        "no call went through spaces.GPU: decorate the handler that runs the model with @shared.gpu"
    ]


def test_cuda_is_allowed_inside_a_gpu_call(apps):
    run = apps.run("cuda-inside-gpu-call")
    assert run.report is not None and run.report["violations"] == []
    assert run.report["gpu_calls"] == {"where": 1}
    assert "Torch not compiled with CUDA enabled" in run.output  # torch's own error, not the guard's


def test_the_stand_in_shadows_the_real_spaces_package_in_gradio_too(apps):
    run = apps.run("undecorated")
    seen = json.loads(next(line for line in run.output.splitlines() if line.startswith("{")))
    stand_in = str(zerogpu_stand_in.PACKAGE_FILE)
    assert seen == {"spaces": stand_in, "gradio_spaces": stand_in, "auto_wrap_off_by_default": True}
    assert run.report is not None and run.report["spaces_file"] == stand_in
