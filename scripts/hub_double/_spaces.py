"""A simulated Space runtime: builds, stages, hardware and logs.

Every commit to `main`, restart, hardware change or secret/variable change starts a "build".
The stage is BUILDING for `build_seconds`, then RUNNING, unless a test scripted another outcome
(BUILD_ERROR, RUNTIME_ERROR…) with its logs. Paused Spaces are PAUSED; a Space without its app
file is NO_APP_FILE, as on the Hub.
"""

from __future__ import annotations

import time
from typing import Any

from . import _cards as cards
from ._storage import Commit, RepoRecord, Storage

# Hardware flavors a Space can request (`SpaceHardware` in huggingface_hub).
SPACE_HARDWARE = (
    "cpu-basic", "cpu-upgrade", "cpu-xl", "zero-a10g", "t4-small", "t4-medium", "l4x1", "l4x4",
    "l40sx1", "l40sx4", "l40sx8", "a10g-small", "a10g-large", "a10g-largex2", "a10g-largex4",
    "a100-large", "a100x4", "a100x8", "h100", "h100x8", "rtx-pro-6000", "rtx-pro-6000x2",
    "rtx-pro-6000x4", "rtx-pro-6000x8",
)  # fmt: skip
RUNNING_STAGES = ("RUNNING", "RUNNING_BUILDING", "RUNNING_APP_STARTING")
STAGES = (
    "NO_APP_FILE", "CONFIG_ERROR", "BUILDING", "BUILD_ERROR", "APP_STARTING", "RUNNING",
    "RUNNING_BUILDING", "RUNNING_APP_STARTING", "RUNTIME_ERROR", "PAUSED", "SLEEPING", "STOPPED",
)  # fmt: skip


def start_build(storage: Storage, record: RepoRecord, *, runner: Any = None) -> None:
    """Start a new build of the head of `main` (mutates `record`; the caller saves it); with a
    `runner`, a Gradio Space's app starts for real."""
    head = storage.resolve(record, "main")
    sdk = storage.card(record, head).get("sdk")
    if sdk in cards.SPACE_SDKS:
        record.space["sdk"] = sdk
    previous = record.space.get("build") or {}
    record.space["paused"] = False
    record.space["build"] = {"started": time.time(), "commit": head.id, "number": previous.get("number", 0) + 1}
    if runner is not None:
        app = app_file(storage, record, head)
        if record.space.get("sdk") == "gradio" and app in head.tree:
            files = {path: storage.read_file(record, entry) for path, entry in head.tree.items()}
            variables = {k: str(v.get("value", "")) for k, v in (record.space.get("variables") or {}).items()}
            runner.start(record.id, head.id, files, app_file=app, variables=variables)
        else:
            runner.stop(record.id)


def app_file(storage: Storage, record: RepoRecord, commit: Commit) -> str:
    """The file the Space runs: `app_file` of the README for Gradio, else the SDK's convention."""
    sdk = record.space.get("sdk")
    if sdk == "docker":
        return "Dockerfile"
    if sdk == "static":
        return "index.html"
    declared = storage.card(record, commit).get("app_file")
    return declared if isinstance(declared, str) else "app.py"


def runtime(storage: Storage, record: RepoRecord, *, build_seconds: float, runner: Any = None) -> dict[str, Any]:
    """The `/runtime` JSON of a Space now (with a `runner`: of its running app, and its URL as
    `host`)."""
    space = record.space
    build = space.get("build") or {}
    script = space.get("script") or {}
    head = storage.resolve(record, "main")
    seconds = script.get("build_seconds", build_seconds)
    error = None
    if space.get("paused"):
        stage = "PAUSED"
    elif app_file(storage, record, head) not in head.tree:
        stage = "NO_APP_FILE"
    elif time.time() - build.get("started", 0) < seconds:
        stage = "BUILDING"
    else:
        stage = script.get("stage", "RUNNING")
        error = script.get("error")
    run = runner.run_of(record.id, build.get("commit")) if runner is not None and stage == "RUNNING" else None
    if run is not None:
        stage = run.stage()
        if stage == "RUNTIME_ERROR":
            error = next((line.strip() for line in reversed(run.lines()) if line.strip()), "the app exited")
    running = stage in RUNNING_STAGES
    payload: dict[str, Any] = {
        "stage": stage,
        "hardware": {"current": space.get("hardware") if running else None, "requested": space.get("hardware")},
        "storage": None,
        "gcTimeout": space.get("sleep_time"),
        "replicas": {"current": 1 if running else 0, "requested": 1},
        "devMode": False,
        "domains": [{"domain": f"{record.id.replace('/', '-').lower()}.hf.space", "stage": "READY"}],
        "sha": build.get("commit"),
    }
    if error:
        payload["errorMessage"] = error
    if run is not None and stage in RUNNING_STAGES:
        payload["host"] = run.url
    return payload


def log_lines(
    storage: Storage, record: RepoRecord, kind: str, *, build_seconds: float, runner: Any = None
) -> list[str]:
    """The build or run log of the current build, one string per line (a running app's own output)."""
    build = record.space.get("build") or {}
    run = runner.run_of(record.id, build.get("commit")) if runner is not None and kind == "run" else None
    if run is not None:
        return run.lines()
    stage = runtime(storage, record, build_seconds=build_seconds, runner=runner)["stage"]
    script = record.space.get("script") or {}
    if kind == "build":
        lines = [
            f"===== Build #{build.get('number', 0)} of {record.id} at {build.get('commit')} =====\n",
            "--> Installing requirements.txt\n",
        ]
        if stage == "BUILD_ERROR":
            lines += script.get("logs") or ["ERROR: build failed\n"]
        elif stage != "BUILDING":
            lines.append("--> Build succeeded\n")
        return lines
    if stage == "RUNTIME_ERROR":
        return script.get("logs") or ["Traceback (most recent call last):\n", "RuntimeError: the app crashed\n"]
    if stage in RUNNING_STAGES:
        return ["===== Application Startup =====\n", "* Running on local URL:  http://0.0.0.0:7860\n"]
    return []
