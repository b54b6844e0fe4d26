"""Benchmark the sentiment demo against a naive single-file version of it, side by side.

    python scripts/benchmark.py [--clients 32] [--requests-per-client 8] [--starts 3] [--json FILE]

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
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts import REPO_ROOT
from scripts._benchmark.machine import cpu_summary, own_cpu_seconds, process_cpu_seconds
from scripts._benchmark.running import AppProcess
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


class RunningApp(AppProcess):
    """The app on a free port; `first_prediction_s` is spawn → first answer."""

    def __init__(self, app: Path, env: dict[str, str]) -> None:
        super().__init__(app, env)
        self.client.predict("warm up", api_name="/classify")
        self.first_prediction_s = time.perf_counter() - self.started


def _predict(http: Any, url: str, text: str) -> None:
    """One prediction through Gradio's plain HTTP API (lighter on the shared CPU than gradio_client)."""
    response = http.post(f"{url}gradio_api/call/classify", json={"data": [text]})
    response.raise_for_status()
    event_id = response.json()["event_id"]
    with http.stream("GET", f"{url}gradio_api/call/classify/{event_id}") as stream:
        for line in stream.iter_lines():
            if line.startswith("event: error"):
                raise RuntimeError(f"prediction failed: {line}")
            if line.startswith("event: complete"):
                return


def _load(url: str, clients: int, per_client: int) -> tuple[float, list[float]]:
    """Each client sends its requests one after the other; returns (wall seconds, latencies)."""
    import httpx

    latencies: list[float] = []
    lock = threading.Lock()
    texts = [s for s, _ in REVIEWS]

    def run(index: int) -> None:
        rng = random.Random(index)  # noqa: S311 (picks test sentences)
        with httpx.Client(timeout=300) as http:
            for _ in range(per_client):
                start = time.perf_counter()
                _predict(http, url, rng.choice(texts))
                with lock:
                    latencies.append(time.perf_counter() - start)

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(run, range(clients)))
    return time.perf_counter() - started, latencies


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] * 1000


def forward_limit(env: dict[str, str], *, batch: int) -> Limit:
    """Run `_benchmark/forward_limit` in a process of its own with the apps' environment."""
    done = subprocess.run(
        [sys.executable, "-m", "scripts._benchmark.forward_limit", "--batch", str(batch)],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"the forward-pass limit failed: {done.stderr.strip()[-2000:]}")
    return Limit(batch=batch, **json.loads(done.stdout.strip().splitlines()[-1]))


def run(*, clients: int = 32, per_client: int = 8, starts: int = 3, progress=print) -> tuple[list[Result], Limit]:
    """Measure both apps and the model alone; returns one Result each (suite first) and the limit."""
    with tempfile.TemporaryDirectory(prefix="benchmark-") as scratch:
        hub = LocalHub(root=Path(scratch) / "hub").start()
        try:
            progress("seeding full-size stand-ins of sentiment-model and sentiment-examples …")
            seed(hub, size="full", names=["sentiment-model", "sentiment-examples"])
            env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "GRADIO_"))}
            env.update(HF_ENDPOINT=hub.url, HF_HOME=str(Path(scratch) / "hf-home"), HF_HUB_DISABLE_TELEMETRY="1",
                       GRADIO_ANALYTICS_ENABLED="False", HF_UPDATE_DOWNLOAD_COUNTS="0",
                       DISABLE_SAFETENSORS_CONVERSION="1", TOKENIZERS_PARALLELISM="false")  # fmt: skip
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
                                      len(latencies) / wall, _p(latencies, 50), _p(latencies, 95), wall, app_used,
                                      own_cpu))  # fmt: skip
                progress(f"load {name}: {results[-1].throughput_rps:.1f} req/s, p95 {results[-1].p95_ms:.0f} ms")
            # Gradio's batch is at most 32 (the demo's max_batch_size), and at most one per client.
            limit = forward_limit(env, batch=min(clients, 32))
            progress(f"forward-pass limit: {limit.requests_per_second:.1f} req/s ({limit.dtype}, batch {limit.batch})")
            return results, limit
        finally:
            hub.stop()


def report(results: list[Result], limit: Limit, *, clients: int) -> str:
    """The side-by-side table and the ratios against the goals."""
    suite, naive = results
    lines = [
        f"machine: {cpu_summary()}; dtype {limit.dtype}, {limit.threads} torch threads",
        f"{'app':<8}{'cold start':>12}{'Hub requests':>14}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}",
        *(f"{r.app:<8}{r.cold_start_s:>11.2f}s{r.start_requests:>14}{r.throughput_rps:>9.1f}{r.p50_ms:>9.0f}"
          f"{r.p95_ms:>9.0f}" for r in results),
        "",
        f"cold start ratio (suite / naive): {suite.cold_start_s / naive.cold_start_s:.2f}  (goal <= 1.0)",
        f"Hub requests at start (suite): {suite.start_requests}  (goal 0)",
        f"throughput ratio with {clients} clients (suite / naive): {suite.throughput_rps / naive.throughput_rps:.2f}"
        "  (goal >= 3.0)",
        f"p95 latency ratio (suite / naive): {suite.p95_ms / naive.p95_ms:.2f}  (goal <= 1.0)",
        f"forward-pass limit (the model alone, batches of {limit.batch}): {limit.requests_per_second:.1f} req/s; "
        f"suite / limit: {suite.throughput_rps / limit.requests_per_second:.2f}  (goal >= 0.7)",
        *(f"CPU during the load ({r.app}): app {r.app_cpu_s:.1f} s, load generator {r.load_generator_cpu_s:.1f} s "
          f"in {r.load_wall_s:.1f} s on {os.cpu_count()} cores: {r.idle_share:.0%} idle"
          for r in results if r.idle_share is not None),
    ]  # fmt: skip
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the table; exit status 1 when a goal is missed."""
    parser = argparse.ArgumentParser(prog="benchmark.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests-per-client", type=int, default=8)
    parser.add_argument("--starts", type=int, default=3, help="cold starts per app (the median counts)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    results, limit = run(clients=args.clients, per_client=args.requests_per_client, starts=args.starts)
    print()
    print(report(results, limit, clients=args.clients))
    if args.json:
        document = {"apps": [asdict(r) for r in results], "forward_limit": asdict(limit)}
        args.json.write_text(json.dumps(document, indent=2) + "\n")
    suite, naive = results
    met = (
        suite.cold_start_s <= naive.cold_start_s
        and suite.start_requests == 0
        and suite.throughput_rps >= 3 * naive.throughput_rps
        and suite.p95_ms <= naive.p95_ms
        and suite.throughput_rps >= 0.7 * limit.requests_per_second
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
