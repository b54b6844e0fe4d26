"""Benchmark the deploy against the official sync Action's method, side by side, on the local Hub.

    python scripts/benchmark_deploy.py [--latency 0.05] [--json FILE]

The baseline is what the official GitHub Action does for each Space, run one Space after the
other: `create_repo(exist_ok=True)` then `upload_folder(delete_patterns="*")`. It uploads the
very bundles the deploy builds (staged beforehand, outside its timing), so both send the same
files. `scripts/deploy.py` is timed whole: staging, pin checks, validation, commit and tag.
Both run against a local Hub seeded with the registry's stand-ins, with --latency seconds added
to every request (the Hub is far away). Measured: requests, bytes sent and received (from the
Hub's request log), wall time, for a first deploy of every Space and a no-op redeploy.
Goals: a no-op redeploy sends no more requests than the baseline; a first deploy takes at most
half the baseline's wall time.

It also reports what each Space ships, before and after the deploy vendored only the `shared`
modules an app uses: files, `shared` modules, requirements, and the download `pip install
--dry-run --report` resolves for those requirements into an empty environment (sizes read from
the package index). "Before" is the same bundle with every module of `shared` imported.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts import REPO_ROOT
from scripts.hub_double import free_port  # imports no Hub client: HF_ENDPOINT can still be set


@dataclass
class Measure:
    """One deploy round of one method."""

    method: str
    round: str
    requests: int
    bytes: int
    wall_s: float


def _measure(log: Path, method: str, name: str, run: Callable[[], None]) -> Measure:
    """Run one round; requests and bytes come from the Hub's request log."""
    before = log.stat().st_size
    started = time.perf_counter()
    run()
    wall = time.perf_counter() - started
    time.sleep(0.2)  # the server logs a request after answering it
    with open(log) as handle:
        handle.seek(before)
        entries = [json.loads(line) for line in handle if line.strip()]
    traffic = sum(e.get("bytes_in", 0) + e.get("bytes_out", 0) for e in entries)
    return Measure(method, name, len(entries), traffic, round(wall, 3))


@contextlib.contextmanager
def _serve(root: Path, *, port: int, token: str, latency: float, log: Path) -> Iterator[None]:
    """The local Hub in its own process, as a remote Hub would be (not competing for this one's GIL)."""
    argv = [sys.executable, str(REPO_ROOT / "scripts" / "local_hub.py"), "serve", "--root", str(root)]
    argv += ["--port", str(port), "--token", token, "--org", "bench-baseline", "--org", "bench-suite"]
    argv += ["--latency", str(latency), "--log", str(log)]
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    server = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for line in server.stdout or []:
            if line.startswith("Local Hub serving"):
                break
        else:
            raise SystemExit(f"the local Hub did not start (exit {server.wait()})")
        yield
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)


def run(latency: float) -> tuple[list[Measure], str]:
    """Both methods, first deploy then no-op redeploy, against one seeded local Hub; and the
    report of what each Space ships."""
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="deploy-benchmark-"))
    token = f"bench-{secrets.token_hex(8)}"
    # huggingface_hub reads these once, at import: set them first.
    os.environ.update(
        HF_ENDPOINT=f"http://127.0.0.1:{port}",
        HF_HOME=str(workdir / "hf-home"),
        HF_HUB_DISABLE_TELEMETRY="1",
        HF_HUB_DISABLE_XET="1",
        HF_HUB_DISABLE_PROGRESS_BARS="1",
    )
    os.environ.pop("HF_TOKEN", None)

    from huggingface_hub import HfApi

    from scripts.deploy import deploy, forget_caches
    from scripts.hub_double import LocalHub
    from scripts.sandbox import sandbox_registry, seed

    print("Seeding the local Hub with the registry's stand-ins…", file=sys.stderr, flush=True)
    seeded = LocalHub(root=workdir / "hub", port=port)
    seed(seeded)
    os.environ["SUITE_REGISTRY"] = str(sandbox_registry(seeded))  # pins of what the seeding published
    log = workdir / "requests.jsonl"
    log.touch()
    with _serve(workdir / "hub", port=port, token=token, latency=latency, log=log):
        api = HfApi(token=token)
        bundles = workdir / "bundles"
        planned = deploy(namespace="bench-baseline", token=token, dry_run=True)  # the very bundles it deploys
        for result in planned:
            for path, content in result.plan.files.items():
                (bundles / result.name / path).parent.mkdir(parents=True, exist_ok=True)
                (bundles / result.name / path).write_bytes(content)
        sources = [result.name for result in planned]
        shipping = _shipping_report(planned, workdir=workdir, token=token)

        def baseline() -> None:
            for name in sources:
                repo_id = f"bench-baseline/{name}"
                api.create_repo(repo_id, repo_type="space", space_sdk="gradio", exist_ok=True)
                api.upload_folder(repo_id=repo_id, repo_type="space", folder_path=bundles / name, delete_patterns="*")

        def suite() -> None:
            # As cold as a fresh `python scripts/deploy.py`: staging above must not have warmed it.
            forget_caches()
            results = deploy(namespace="bench-suite", token=token)
            failed = [f"{r.name}: {r.error}" for r in results if not r.ok]
            if failed:
                raise SystemExit("deploy failed: " + "; ".join(failed))

        measures = []
        for round_name in ("first deploy", "no-op redeploy"):
            measures.append(_measure(log, "sync Action (sequential)", round_name, baseline))
            measures.append(_measure(log, "scripts/deploy.py", round_name, suite))
        return measures, shipping


def _shipping_report(planned: Sequence, *, workdir: Path, token: str) -> str:
    """Each Space's bundle as planned, against the same bundle carrying all of `shared`."""
    import shutil

    from scripts._benchmark.shipping import WHOLE_SHARED, report, shipped, whole_shared_module
    from scripts.deploy import Suite, deploy

    suite = Suite()
    whole = workdir / "before" / "spaces"
    for result in planned:
        shutil.copytree(suite.spaces_dir / result.name, whole / result.name)
        (whole / result.name / WHOLE_SHARED).write_text(whole_shared_module(suite.shared_dir))
    before = deploy(namespace="bench-baseline", token=token, dry_run=True, suite=Suite(spaces_dir=whole))
    failed = [f"{r.name}: {r.error}" for r in before if not r.ok]
    if failed:
        raise SystemExit("planning the whole-shared bundles failed: " + "; ".join(failed))
    print("Resolving each Space's requirements with pip…", file=sys.stderr, flush=True)
    return report([shipped(r.name, r.plan.files) for r in before], [shipped(r.name, r.plan.files) for r in planned])


def report(measures: Sequence[Measure], *, latency: float, spaces: int) -> str:
    """The side-by-side table with ratios (deploy ÷ baseline)."""
    lines = [
        f"{spaces} Spaces, {latency * 1000:.0f} ms added to every request",
        f"{'round':<16}{'method':<26}{'requests':>9}{'bytes':>12}{'wall s':>9}",
    ]
    for m in measures:
        lines.append(f"{m.round:<16}{m.method:<26}{m.requests:>9}{m.bytes:>12,}{m.wall_s:>9.2f}")
    lines.append("ratios (deploy.py ÷ baseline):")
    for round_name in dict.fromkeys(m.round for m in measures):
        base, ours = (m for m in measures if m.round == round_name)
        lines.append(
            f"  {round_name:<16} requests {ours.requests / base.requests:.2f}   bytes {ours.bytes / base.bytes:.2f}"
            f"   wall {ours.wall_s / base.wall_s:.2f}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="benchmark_deploy.py", description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to every request (default 0.05)")
    parser.add_argument("--json", type=Path, help="also write the measures to this file")
    args = parser.parse_args(argv)
    measures, shipping = run(args.latency)
    from shared.catalog import discover_spaces

    from scripts.deploy import Suite

    print(report(measures, latency=args.latency, spaces=len(discover_spaces(Suite().spaces_dir))))
    print()
    print(shipping)
    if args.json:
        args.json.write_text(json.dumps([asdict(m) for m in measures], indent=2) + "\n")
    first, noop = measures[:2], measures[2:]
    ok = noop[1].requests <= noop[0].requests and first[1].wall_s <= 0.5 * first[0].wall_s
    print("goals met" if ok else "goals NOT met", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
