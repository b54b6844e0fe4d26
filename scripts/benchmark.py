"""Benchmark the sentiment demo against a naive single-file version of it, side by side.

    python scripts/benchmark.py [--clients 32] [--requests-per-client 8] [--starts 3] [--avx2-only] [--json FILE]

Both apps run as `python app.py` subprocesses, against a local Hub seeded with full-size
stand-ins (the real DistilBERT config and file layout, random weights: speed does not depend on
weight values), with the same warm Hub cache, on the same machine, in one run. Measured:

- cold start: process start to first prediction, warm cache (median of --starts runs each),
  and the Hub requests each start sends (goal: ratio <= 1.0 and zero requests for the suite);
- throughput and latency with --clients concurrent clients (goal: >= 3x the naive throughput
  at an equal or lower p95 latency);
- in the same run, the model's batched forward-pass limit at the same request mix (what the
  demo's handler computes for full batches, with no app around it: `_benchmark/forward_limit`),
  and the suite's throughput as a fraction of it (goal: >= 0.7), beside the CPU's capabilities
  (AVX2, AVX-512, AVX512-BF16, AMX) and the dtype the suite chose;
- where the CPU went during each load: the app's process, the load generator's (the clients
  share the cores), and what stayed idle.

With --avx2-only every process (both apps, the limit, the start-up breakdown) computes as on a
CPU with AVX2 only: torch's kernels, oneDNN and MKL kept to AVX2, hence fp32
(`_benchmark/machine.AVX2_ONLY`), the nearest a newer CPU gets to the machines this project runs on.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts import REPO_ROOT
from scripts._benchmark.load import percentile_ms, run_load
from scripts._benchmark.machine import cpu_summary, own_cpu_seconds, process_cpu_seconds
from scripts._benchmark.running import AppProcess, app_environment
from scripts.hub_double import LocalHub
from scripts.sandbox import REVIEWS, seed

APPS = {
    "suite": REPO_ROOT / "spaces" / "sentiment" / "app.py",
    "naive": REPO_ROOT / "scripts" / "_benchmark" / "naive_sentiment.py",
}


@dataclass
class Result:
    """What one app measured."""

    app: str
    cold_start_s: float
    start_requests: int
    throughput_rps: float
    p50_ms: float
    p95_ms: float
    load_wall_s: float = 0.0
    app_cpu_s: float | None = None  # CPU the app used during the load (None: not measurable here)
    load_generator_cpu_s: float = 0.0  # and the clients, on the same cores

    @property
    def idle_share(self) -> float | None:
        """The share of the machine's CPU time that neither the app nor the clients used."""
        if self.app_cpu_s is None or not self.load_wall_s:
            return None
        available = self.load_wall_s * (os.cpu_count() or 1)
        return max(0.0, 1 - (self.app_cpu_s + self.load_generator_cpu_s) / available)


@dataclass
class Limit:
    """The model alone: full batches through the demo's computation, in the apps' environment."""

    requests_per_second: float
    batch: int
    dtype: str
    threads: int
    capability: str = ""  # the instructions torch's kernels used (AVX2, AVX512): what it was kept to


class RunningApp(AppProcess):
    """The app on a free port; `first_prediction_s` is spawn → first answer."""

    def __init__(self, app: Path, env: dict[str, str]) -> None:
        super().__init__(app, env)
        self.client.predict("warm up", api_name="/classify")
        self.first_prediction_s = time.perf_counter() - self.started


def _load(url: str, clients: int, per_client: int) -> tuple[float, list[float]]:
    """Each client sends its requests one after the other; returns (wall seconds, latencies)."""
    texts = [s for s, _ in REVIEWS]
    pickers = [random.Random(index) for index in range(clients)]  # noqa: S311 (picks test sentences)
    return run_load(
        url, "classify", lambda client, _: [pickers[client].choice(texts)], clients=clients, per_client=per_client
    )


def _measured_apart(module: str, *args: str, env: dict[str, str], what: str) -> Any:
    """Run `python -m scripts._benchmark.<module> args` in the apps' environment; its last line (JSON)."""
    done = subprocess.run(
        [sys.executable, "-m", f"scripts._benchmark.{module}", *args],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def startup_phases(env: dict[str, str]) -> dict[str, float]:
    """Where the suite's start-up goes (`_benchmark/startup`, in a process of its own, warm cache)."""
    return _measured_apart(
        "startup", str(APPS["suite"]), "--models", "sentiment-model", env=env, what="the start-up breakdown"
    )


def forward_limit(env: dict[str, str], *, batch: int) -> Limit:
    """Run `_benchmark/forward_limit` in a process of its own with the apps' environment."""
    measured = _measured_apart("forward_limit", "--batch", str(batch), env=env, what="the forward-pass limit")
    return Limit(batch=batch, **measured)


def run(
    *, clients: int = 32, per_client: int = 8, starts: int = 3, avx2_only: bool = False, progress=print
) -> tuple[list[Result], Limit, dict[str, float]]:
    """Measure both apps and the model alone (with `avx2_only`, torch kept to AVX2 in every process:
    `_benchmark/machine.AVX2_ONLY`); returns one Result each (suite first), the limit and the
    phases of the suite's start-up."""
    with tempfile.TemporaryDirectory(prefix="benchmark-") as scratch:
        hub = LocalHub(root=Path(scratch) / "hub").start()
        try:
            progress("seeding full-size stand-ins of sentiment-model and sentiment-examples …")
            seed(hub, size="full", names=["sentiment-model", "sentiment-examples"])
            env = app_environment(hub, Path(scratch), avx2_only=avx2_only)
            for name, app in APPS.items():  # warm the cache: both read the same files
                RunningApp(app, env).stop()
                progress(f"cache warmed by {name}")
            timings: dict[str, list[float]] = {name: [] for name in APPS}
            requests: dict[str, int] = {}
            for round_ in range(starts):
                for name in list(APPS) if round_ % 2 == 0 else list(APPS)[::-1]:
                    with hub.record() as log:
                        app = RunningApp(APPS[name], env)
                    app.stop()
                    timings[name].append(app.first_prediction_s)
                    requests[name] = max(requests.get(name, 0), len(log))
                    progress(f"cold start {name}: {app.first_prediction_s:.2f} s, {len(log)} Hub requests")
            results = []
            for name, path in APPS.items():
                app = RunningApp(path, env)
                try:
                    _load(app.url, clients, 1)  # connect everyone once; not measured
                    app_cpu, own_cpu = process_cpu_seconds(app.process.pid), own_cpu_seconds()
                    wall, latencies = _load(app.url, clients, per_client)
                    app_after = process_cpu_seconds(app.process.pid)
                    own_cpu = own_cpu_seconds() - own_cpu
                finally:
                    app.stop()
                app_used = app_after - app_cpu if app_cpu is not None and app_after is not None else None
                results.append(Result(name, statistics.median(timings[name]), requests[name],
                                      len(latencies) / wall, percentile_ms(latencies, 50), percentile_ms(latencies, 95), wall, app_used,
                                      own_cpu))  # fmt: skip
                progress(f"load {name}: {results[-1].throughput_rps:.1f} req/s, p95 {results[-1].p95_ms:.0f} ms")
            # Gradio's batch is at most 32 (the demo's max_batch_size), and at most one per client.
            limit = forward_limit(env, batch=min(clients, 32))
            progress(f"forward-pass limit: {limit.requests_per_second:.1f} req/s ({limit.dtype}, batch {limit.batch})")
            startup = startup_phases(env)
            progress(f"start-up of the suite: {startup['total']:.2f} s in phases")
            return results, limit, startup
        finally:
            hub.stop()


def report(
    results: list[Result],
    limit: Limit,
    *,
    clients: int,
    startup: dict[str, float] | None = None,
    avx2_only: bool = False,
) -> str:
    """The side-by-side table and the ratios against the goals (`avx2_only`: torch was kept to AVX2)."""
    suite, naive = results
    lines = [
        f"machine: {cpu_summary(avx2_only=avx2_only)}; torch computed with {limit.capability}, "
        f"dtype {limit.dtype}, {limit.threads} torch threads",
        f"{'app':<8}{'cold start':>12}{'Hub requests':>14}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}",
        *(f"{r.app:<8}{r.cold_start_s:>11.2f}s{r.start_requests:>14}{r.throughput_rps:>9.1f}{r.p50_ms:>9.0f}"
          f"{r.p95_ms:>9.0f}" for r in results),
        "",
        f"cold start ratio (suite / naive): {suite.cold_start_s / naive.cold_start_s:.2f}  (goal <= 0.8)",
        f"Hub requests at start (suite): {suite.start_requests}  (goal 0)",
        f"throughput ratio with {clients} clients (suite / naive): {suite.throughput_rps / naive.throughput_rps:.2f}"
        "  (goal >= 3.0)",
        f"p95 latency ratio (suite / naive): {suite.p95_ms / naive.p95_ms:.2f}  (goal <= 1.0)",
        f"forward-pass limit (the model alone, batches of {limit.batch}): {limit.requests_per_second:.1f} req/s; "
        f"suite / limit: {suite.throughput_rps / limit.requests_per_second:.2f}  (goal >= 0.7)",
        *(f"CPU during the load ({r.app}): app {r.app_cpu_s:.1f} s, load generator {r.load_generator_cpu_s:.1f} s "
          f"in {r.load_wall_s:.1f} s on {os.cpu_count()} cores: {r.idle_share:.0%} idle"
          for r in results if r.idle_share is not None),
        *_in_the_way(suite, limit),
        *_startup_lines(startup, suite, naive),
    ]  # fmt: skip
    return "\n".join(lines)


COLD_START_GOAL = 0.8  # suite / naive, to first prediction

# The start-up phases both apps go through (the naive one imports the same for `pipeline()`).
SHARED_PHASES = ("import gradio", "import torch", "import the models' transformers code")


def _startup_lines(startup: dict[str, float] | None, suite: Result, naive: Result) -> list[str]:
    """The suite's start-up in phases, and how much of it is imports the naive app makes too."""
    if not startup:
        return []
    phases = ", ".join(f"{name} {seconds:.2f}" for name, seconds in startup.items() if name != "total")
    both = sum(startup.get(name, 0.0) for name in SHARED_PHASES)
    to_cut = suite.cold_start_s - COLD_START_GOAL * naive.cold_start_s
    return [
        f"start-up of the suite in phases (s): {phases}; total {startup['total']:.2f} (one run, first prediction "
        "not included)",
        f"imports both apps make: {both:.2f} s = {both / startup['total']:.0%} of it; the rest is "
        f"{startup['total'] - both:.2f} s, and a cold start of {COLD_START_GOAL}x the naive app's means "
        f"{max(0.0, to_cut):.2f} s less",
    ]


def _in_the_way(suite: Result, limit: Limit) -> list[str]:
    """What keeps the suite from the limit: the CPU each request costs beside the model's own."""
    if suite.app_cpu_s is None or not suite.load_wall_s:
        return []
    cores = os.cpu_count() or 1
    served = suite.throughput_rps * suite.load_wall_s
    model_ms = 1000 * limit.threads / limit.requests_per_second  # CPU a request costs at the limit
    serving_ms = max(0.0, 1000 * suite.app_cpu_s / served - model_ms)
    clients_ms = 1000 * suite.load_generator_cpu_s / served
    ceiling = 1000 * cores / (model_ms + serving_ms + clients_ms)
    return [
        f"CPU per request (suite): the model {model_ms:.1f} ms (at the limit), the rest of the app {serving_ms:.1f} ms "
        f"(serving, and what contention costs the model), the load generator {clients_ms:.1f} ms: on {cores} cores at "
        f"most {ceiling:.1f} req/s = {ceiling / limit.requests_per_second:.2f} of the limit with no core idle",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the table; exit status 1 when a goal is missed."""
    parser = argparse.ArgumentParser(prog="benchmark.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests-per-client", type=int, default=8)
    parser.add_argument("--starts", type=int, default=3, help="cold starts per app (the median counts)")
    parser.add_argument("--avx2-only", action="store_true", help="keep torch to AVX2, as on a CPU without AVX-512")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    results, limit, startup = run(
        clients=args.clients, per_client=args.requests_per_client, starts=args.starts, avx2_only=args.avx2_only
    )
    print()
    print(report(results, limit, clients=args.clients, startup=startup, avx2_only=args.avx2_only))
    if args.json:
        document = {"apps": [asdict(r) for r in results], "forward_limit": asdict(limit), "startup": startup}
        args.json.write_text(json.dumps(document, indent=2) + "\n")
    suite, naive = results
    met = (
        suite.cold_start_s <= COLD_START_GOAL * naive.cold_start_s
        and suite.start_requests == 0
        and suite.throughput_rps >= 3 * naive.throughput_rps
        and suite.p95_ms <= naive.p95_ms
        and suite.throughput_rps >= 0.7 * limit.requests_per_second
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
