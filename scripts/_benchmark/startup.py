"""Where a demo's start-up time goes: imports, weights, data, building the page, launching.

    python -m scripts._benchmark.startup spaces/sentiment/app.py   (from the repo root)

Run with the apps' environment (the same Hub, warm cache): it prints one JSON line of phases in
seconds, in the order they happen. The big imports are made first, one at a time, so that each is
charged to itself and not to whatever touched it first: gradio, torch, then transformers' code for
each model the app loads (what `from_pretrained` imports before it reads a weight). Then the app
module runs as it would (not as `__main__`, so it does not launch), with `shared.load_model`,
`load_tokenizer` and `load_dataset` timed; what remains of the module is building the page.
Launching the server comes last; the first prediction is the benchmark's own measure.
"""

from __future__ import annotations

import argparse
import importlib
import json
import runpy
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any


def _clock(phases: dict[str, float], name: str, work: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    try:
        return work()
    finally:
        phases[name] = phases.get(name, 0.0) + time.perf_counter() - started


def _model_code(name: str) -> None:
    """Import transformers' modelling module for registry entry `name` (nothing for our own models)."""
    import shared

    from transformers import AutoConfig

    folder = shared.fetch(name)
    if not (folder / "config.json").is_file():
        return
    try:
        kind = AutoConfig.from_pretrained(folder, local_files_only=True).model_type
    except (ValueError, OSError):  # not a transformers config (our own models)
        return
    importlib.import_module(f"transformers.models.{kind.replace('-', '_')}.modeling_{kind.replace('-', '_')}")


def measure(app: Path, *, models: Sequence[str]) -> dict[str, float]:
    """The phases of starting `app` (whose models are the registry entries `models`)."""
    phases: dict[str, float] = {}
    started = time.perf_counter()
    _clock(phases, "import shared", lambda: importlib.import_module("shared"))
    _clock(phases, "import gradio", lambda: importlib.import_module("gradio"))
    _clock(phases, "import torch", lambda: importlib.import_module("torch"))
    for name in models:
        _clock(phases, "import the models' transformers code", lambda name=name: _model_code(name))
    import shared

    for function, phase in (("load_model", "weights"), ("load_tokenizer", "tokenizer"), ("load_dataset", "data")):
        original = getattr(shared, function)
        setattr(shared, function, lambda *a, _f=original, _p=phase, **k: _clock(phases, _p, lambda: _f(*a, **k)))
    sys.path.insert(0, str(app.parent))
    before_module = time.perf_counter()
    namespace = runpy.run_path(str(app), run_name="startup_measure")
    loading = sum(phases.get(p, 0.0) for p in ("weights", "tokenizer", "data"))
    phases["build the page"] = time.perf_counter() - before_module - loading
    demo = namespace["demo"]
    _clock(phases, "launch the server", lambda: demo.launch(prevent_thread_lock=True, quiet=True))
    demo.close()
    phases["total"] = time.perf_counter() - started
    return phases


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="startup", description=__doc__.split("\n\n")[0])
    parser.add_argument("app", type=Path)
    parser.add_argument("--models", nargs="*", default=[], help="registry names of the models the app loads")
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.app.resolve(), models=args.models)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
