"""Every batched demo against its naive single-file version, and its GPU calls per concurrent requests.

    python scripts/benchmark_batching.py [--demos NAME ...] [--clients 32] [--requests-per-client 4] [--avx2-only]
                                         [--json FILE]

For each demo whose requests share forward passes (`shared.batched`), in one run on one machine,
against a local Hub seeded with full-size stand-ins (genuine weights where the sandbox has them)
and a warm cache:

- throughput and latency with --clients concurrent clients, each sending its requests one after
  the other through Gradio's HTTP API, for the suite's app (`spaces/<demo>/app.py`) and for a
  naive single-file version of it (`scripts/_benchmark/naive_<demo>.py`: the same model at the
  same revision, one request per forward pass);
- GPU calls per --clients concurrent requests: the suite's app runs as on ZeroGPU under the
  stand-in `spaces` package (`scripts/zerogpu_stand_in`), which counts every call through
  `spaces.GPU`; the naive version makes one call per request by construction (its handler takes
  one request).

With --avx2-only every app computes as on a CPU with AVX2 only (`_benchmark/machine.AVX2_ONLY`).
The script exits 1 when a batched demo is slower than its naive version or makes as many GPU
calls as requests.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shared.registry import Entry, Registry, load_registry

from scripts import REPO_ROOT, zerogpu_stand_in
from scripts._benchmark.load import percentile_ms, run_load, upload
from scripts._benchmark.machine import cpu_summary
from scripts._benchmark.running import AppProcess, app_environment
from scripts.hub_double import LocalHub
from scripts.sandbox import REVIEWS, sandbox_registry, seed

SAMPLE_IMAGES = REPO_ROOT / "scripts" / "_publish" / "sample_images"
QUERIES = ("football match result", "interest rates and inflation", "a rocket to Mars", "password theft",
           "oil prices rise", "new smartphone release", "election results", "championship final")  # fmt: skip
HELD_OUT_DIGITS = 360

# A request's data from (random source, the demo's uploaded files).
Inputs = Callable[[random.Random, list[dict[str, Any]]], list[Any]]


def _sample_images(hub: LocalHub, registry: Registry, folder: Path) -> list[Path]:
    return sorted(SAMPLE_IMAGES.glob("*.jpg"))


def _speech_clips(hub: LocalHub, registry: Registry, folder: Path) -> list[Path]:
    """The pinned sample-media speech clips, as WAV files in `folder` (from the seeded Hub)."""
    import pyarrow.parquet as pq
    from huggingface_hub import hf_hub_download

    media = registry["sample-media"]
    table = pq.read_table(hf_hub_download(
        media.repo_id, "data/speech-00000-of-00001.parquet", repo_type="dataset", revision=media.revision,
        endpoint=hub.url, cache_dir=folder / "cache",
    ))  # fmt: skip
    clips = []
    for index, audio in enumerate(table.column("audio").to_pylist()):
        clips.append(folder / f"clip-{index}.wav")
        clips[-1].write_bytes(audio["bytes"])
    return clips


@dataclass(frozen=True)
class Demo:
    """How to load one demo and its naive version."""

    api: str
    uses: tuple[str, ...]  # registry entries to seed
    inputs: Inputs
    naive_pins: tuple[str, ...] = ()  # our own artifacts the naive file reads as NAIVE_<NAME>=repo@sha
    # Made once (from the seeded Hub and its registry, in a folder of its own), uploaded to each app before the load.
    files: Callable[[LocalHub, Registry, Path], list[Path]] | None = None


DEMOS = {
    "sentiment": Demo(
        "classify", ("sentiment-model", "sentiment-examples"), lambda rng, _: [rng.choice(REVIEWS)[0]]
    ),
    "image-classification": Demo(
        "classify", ("image-classifier", "image-examples"), lambda rng, files: [rng.choice(files)],
        files=_sample_images,
    ),
    "semantic-search": Demo(
        "search", ("news-embedder", "news-corpus", "news-index"), lambda rng, _: [rng.choice(QUERIES), 5],
        naive_pins=("news-index",),
    ),
    "digits": Demo(
        "read_example", ("digits-data", "digits-model"), lambda rng, _: [rng.randrange(HELD_OUT_DIGITS)],
        naive_pins=("digits-model", "digits-data"),
    ),
    "speech-to-text": Demo(
        "transcribe", ("speech-model", "sample-media"), lambda rng, files: [rng.choice(files), rng.random() < 0.5],
        files=_speech_clips,
    ),
}  # fmt: skip


@dataclass
class Load:
    """One app under load."""

    throughput_rps: float
    p50_ms: float
    p95_ms: float


@dataclass
class Result:
    """One demo: the suite's app, the naive one, and the suite's GPU calls."""

    demo: str
    suite: Load
    naive: Load
    requests_at_once: int
    gpu_calls: int
    violations: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return self.suite.throughput_rps / self.naive.throughput_rps


def _full_pin(entry: Entry) -> str:
    return f"{entry.repo_id}@{entry.revision}"


def _loaded(app: AppProcess, demo: Demo, paths: list[Path], *, clients: int, per_client: int) -> Load:
    files = [upload(app.url, path) for path in paths]
    sources = [random.Random(index) for index in range(clients)]  # noqa: S311 (picks test inputs)
    requests = lambda client, _: demo.inputs(sources[client], files)  # noqa: E731
    run_load(app.url, demo.api, requests, clients=clients, per_client=1)  # everyone connects once; not measured
    wall, latencies = run_load(app.url, demo.api, requests, clients=clients, per_client=per_client)
    return Load(len(latencies) / wall, percentile_ms(latencies, 50), percentile_ms(latencies, 95))


def _gpu_calls(
    name: str, demo: Demo, paths: list[Path], env: dict[str, str], scratch: Path, *, at_once: int
) -> tuple[int, list[str]]:
    """GPU calls the suite's app makes for `at_once` concurrent requests, as on ZeroGPU."""
    report = scratch / f"{name}.zerogpu.json"
    app = AppProcess(REPO_ROOT / "spaces" / name / "app.py", zerogpu_stand_in.environment(env, report=report))
    try:
        files = [upload(app.url, path) for path in paths]
        warm_up = random.Random(0)  # noqa: S311 (picks test inputs)
        run_load(app.url, demo.api, lambda client, _: demo.inputs(warm_up, files), clients=1, per_client=1)
        before, _ = _recorded(report)
        sources = [random.Random(100 + index) for index in range(at_once)]  # noqa: S311
        run_load(app.url, demo.api, lambda client, _: demo.inputs(sources[client], files), clients=at_once,
                 per_client=1)  # fmt: skip
        after, violations = _recorded(report)
    finally:
        app.stop()
    return after - before, violations


def _recorded(report: Path) -> tuple[int, list[str]]:
    """GPU calls so far (every handler) and broken rules, from the stand-in's report."""
    seen = zerogpu_stand_in.read_report(report) or {}
    return sum((seen.get("gpu_calls") or {}).values()), list(seen.get("violations") or [])


def run(
    demos: Sequence[str] = tuple(DEMOS),
    *,
    clients: int = 32,
    per_client: int = 4,
    avx2_only: bool = False,
    progress: Callable[[str], None] = print,
) -> list[Result]:
    """Measure each demo (with `avx2_only`, torch kept to AVX2: `_benchmark/machine.AVX2_ONLY`);
    returns one Result each, in the order given."""
    results = []
    with tempfile.TemporaryDirectory(prefix="benchmark-batching-") as scratch_name:
        scratch = Path(scratch_name)
        hub = LocalHub(root=scratch / "hub").start()
        try:
            names = sorted({entry for name in demos for entry in DEMOS[name].uses})
            progress(f"seeding full-size stand-ins of {', '.join(names)} …")
            seed(hub, size="full", names=names)
            registry = load_registry(sandbox_registry(hub))
            env = app_environment(hub, scratch, avx2_only=avx2_only)
            for name in demos:
                demo = DEMOS[name]
                (scratch / name).mkdir()
                paths = demo.files(hub, registry, scratch / name) if demo.files else []
                naive_env = {**env, **{f"NAIVE_{pin.upper().replace('-', '_')}": _full_pin(registry[pin])
                                       for pin in demo.naive_pins}}  # fmt: skip
                apps = {
                    "suite": (REPO_ROOT / "spaces" / name / "app.py", env),
                    "naive": (REPO_ROOT / "scripts" / "_benchmark" / f"naive_{name.replace('-', '_')}.py", naive_env),
                }
                loads = {}
                for which, (path, app_env) in apps.items():
                    app = AppProcess(path, app_env)
                    try:
                        loads[which] = _loaded(app, demo, paths, clients=clients, per_client=per_client)
                    finally:
                        app.stop()
                    progress(
                        f"{name} {which}: {loads[which].throughput_rps:.1f} req/s, p95 {loads[which].p95_ms:.0f} ms"
                    )
                calls, violations = _gpu_calls(name, demo, paths, env, scratch, at_once=clients)
                progress(f"{name}: {calls} GPU calls for {clients} concurrent requests")
                results.append(Result(name, loads["suite"], loads["naive"], clients, calls, violations))
        finally:
            hub.stop()
    return results


def report(results: list[Result], *, avx2_only: bool = False) -> str:
    """The side-by-side table."""
    lines = [
        f"machine: {cpu_summary(avx2_only=avx2_only)}",
        f"{'demo':<22}{'suite req/s':>12}{'naive req/s':>12}{'ratio':>7}{'suite p95':>11}{'naive p95':>11}"
        f"{'GPU calls':>16}",
        *(f"{r.demo:<22}{r.suite.throughput_rps:>12.1f}{r.naive.throughput_rps:>12.1f}{r.ratio:>7.2f}"
          f"{r.suite.p95_ms:>9.0f}ms{r.naive.p95_ms:>9.0f}ms{f'{r.gpu_calls} per {r.requests_at_once}':>16}"
          for r in results),
        "",
        "GPU calls: the suite's app under the ZeroGPU stand-in, for that many concurrent requests; the naive "
        "versions make one per request.",
        *(f"{r.demo}: ZeroGPU rules broken: {'; '.join(r.violations)}" for r in results if r.violations),
    ]  # fmt: skip
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the table; exit status 1 when a batched demo does not gain."""
    parser = argparse.ArgumentParser(prog="benchmark_batching.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--demos", nargs="+", choices=list(DEMOS), default=list(DEMOS))
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests-per-client", type=int, default=4)
    parser.add_argument("--avx2-only", action="store_true", help="keep torch to AVX2, as on a CPU without AVX-512")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    if args.clients < 2 or args.requests_per_client < 1:
        parser.error("--clients must be at least 2 and --requests-per-client at least 1")
    started = time.perf_counter()
    results = run(args.demos, clients=args.clients, per_client=args.requests_per_client, avx2_only=args.avx2_only)
    print()
    print(report(results, avx2_only=args.avx2_only))
    print(f"({time.perf_counter() - started:.0f} s)")
    if args.json:
        document = [{**asdict(r), "ratio": r.ratio} for r in results]
        args.json.write_text(json.dumps(document, indent=2) + "\n")
    gained = all(r.ratio > 1 and r.gpu_calls < r.requests_at_once and not r.violations for r in results)
    return 0 if gained else 1


if __name__ == "__main__":
    sys.exit(main())
