"""The local Hub's command line: serve the double, or publish a folder into its storage.

    python scripts/local_hub.py serve --port 8765 --root ./hub-data --token my-token
    python scripts/local_hub.py serve --seed --root .local-hub      seeded by the sandbox first
    python scripts/local_hub.py publish FOLDER --root DIR --repo-id ID

The double itself is `scripts.hub_double` (it knows nothing of the suite). `--seed` composes it
with the sandbox (`scripts/sandbox.py`), which publishes every registry entry into it.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):
    # Run as `python scripts/local_hub.py`: make the repository root importable.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.hub_double import (
    DEFAULT_PORT,
    DEFAULT_USER,
    FAULT_KINDS,
    REPO_TYPES,
    FaultPlan,
    HubError,
    LocalHub,
    parse_kinds,
)

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="local_hub.py", description="A local double of the Hugging Face Hub.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the Hub API on 127.0.0.1 until interrupted")
    serve.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"TCP port (default {DEFAULT_PORT}; 0 picks a free one)"
    )
    serve.add_argument("--root", type=Path, help="keep repos in this folder across restarts (default: a temporary one)")
    serve.add_argument(
        "--token", action="append", default=[], help="accepted write token (repeatable; one is generated if none)"
    )
    serve.add_argument("--read-token", action="append", default=[], help="accepted read-only token (repeatable)")
    serve.add_argument("--user", default=DEFAULT_USER, help=f"user the tokens belong to (default {DEFAULT_USER})")
    serve.add_argument("--org", action="append", default=[], help="organisation the user may write to (repeatable)")
    serve.add_argument("--log", type=Path, help="append one JSON line per request to this file")
    serve.add_argument(
        "--lfs-mode",
        choices=["auto", "regular"],
        default="auto",
        help="'regular' answers regular uploads for every file",
    )
    serve.add_argument("--space-build-seconds", type=float, default=0.0, help="how long simulated Space builds take")
    serve.add_argument("--run-spaces", action="store_true",
                       help="run each Space's committed app for real (python app.py, own port and HF_HOME)")  # fmt: skip
    faults = serve.add_argument_group("fault injection")
    faults.add_argument("--fail-rate", type=float, default=0.0, help="fraction of requests that fail (0-1)")
    faults.add_argument("--fail-times", type=int, help="fail only this many matching requests")
    faults.add_argument(
        "--fail-kinds", default="500", help=f"comma list of {', '.join(map(str, FAULT_KINDS))} (default 500)"
    )
    faults.add_argument("--fail-path", help="only requests whose 'METHOD /path' matches this regex can fail")
    faults.add_argument("--retry-after", type=int, default=1, help="Retry-After seconds sent with 429")
    faults.add_argument("--latency", type=float, default=0.0, help="seconds added to every request")
    faults.add_argument("--fault-seed", type=int, help="seed for repeatable fault choices")
    serve.add_argument(
        "--seed",
        action="store_true",
        help="publish every registry entry at its pinned revision first (the offline sandbox, scripts/sandbox.py)",
    )
    serve.add_argument(
        "--seed-size", choices=["tiny", "full"], default="tiny", help="stand-in size: tiny (default) or full"
    )

    publish = commands.add_parser("publish", help="publish a folder as a repo's content under a chosen commit id")
    publish.add_argument("folder", type=Path)
    publish.add_argument("--root", type=Path, required=True, help="the --root of the local Hub")
    publish.add_argument("--repo-id", required=True)
    publish.add_argument("--repo-type", choices=REPO_TYPES, default="model")
    publish.add_argument("--commit", help="40-hex commit id to use (default: computed)")
    publish.add_argument("--branch", default="main")
    publish.add_argument("--tag", action="append", default=[])
    return parser


def _fault_plan(args: argparse.Namespace) -> FaultPlan | None:
    # Built even when inert, so that bad fault flags are reported rather than ignored.
    plan = FaultPlan(
        rate=args.fail_rate,
        times=args.fail_times,
        kinds=parse_kinds(args.fail_kinds),
        path=args.fail_path,
        retry_after=args.retry_after,
        latency=args.latency,
        seed=args.fault_seed,
    )
    return plan if (args.fail_rate or args.fail_times or args.latency) else None


def _stop_like_ctrl_c(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    os.environ.setdefault("HF_HUB_DISABLE_XET", "1")  # clients in this process (seeding) use plain LFS
    args = _parser().parse_args(argv)
    try:
        if args.command == "publish":
            hub = LocalHub(root=args.root)
            commit = hub.publish_snapshot(
                args.repo_id,
                args.folder,
                commit_id=args.commit,
                repo_type=args.repo_type,
                branch=args.branch,
                tags=args.tag,
            )
            print(f"{args.repo_type} {args.repo_id} @ {commit}")
            return 0
        hub = LocalHub(
            root=args.root,
            port=args.port,
            tokens=args.token,
            read_tokens=args.read_token,
            user=args.user,
            orgs=args.org,
            lfs_mode=args.lfs_mode,
            log_file=args.log,
            faults=_fault_plan(args),
            space_build_seconds=args.space_build_seconds,
            run_spaces=args.run_spaces,
        )
    except (ValueError, OSError, HubError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    signal.signal(signal.SIGTERM, _stop_like_ctrl_c)
    hub.config.keep_requests = False  # a long-running server must not grow; --log keeps the record
    try:
        hub.start()
    except OSError as exc:
        print(
            f"error: cannot listen on 127.0.0.1:{args.port} ({exc.strerror}): pass --port with a free port",
            file=sys.stderr,
        )
        return 2
    if args.seed:
        # The server knows nothing of the suite: seeding is a separate step, composed here (our own
        # artifacts are published through the running server, as they would be to the Hub).
        from shared.errors import SuiteError

        from scripts.sandbox import SandboxError, sandbox_registry, seed

        print(f"Seeding {hub.root} from the registry", flush=True)
        try:
            seed(hub, size=args.seed_size, progress=lambda line: print(line, flush=True))
        except (SuiteError, SandboxError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            hub.stop()
            return 1
    # From the first line a caller may act on (the banner), a stop is a clean stop.
    try:
        print(f"Local Hub serving {hub.url}", flush=True)
        print(f"  repos in {hub.root}" + ("" if args.root else " (temporary: pass --root to keep them)"), flush=True)
        if hub.token_generated:
            print(f"  write token (generated; pass --token to choose one): {hub.token}", flush=True)
        print(f"  use it: export HF_ENDPOINT={hub.url} HF_HUB_DISABLE_XET=1", flush=True)
        if args.seed:
            print(f"  and its pins of our own artifacts: export SUITE_REGISTRY={sandbox_registry(hub)}", flush=True)
        threading.Event().wait()
    except KeyboardInterrupt:
        print("Local Hub stopped", flush=True)
    finally:
        hub.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
