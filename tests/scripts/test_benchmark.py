"""The serving benchmark's new measures: the model's batched forward-pass limit, run as the demo's
handler computes it, and the report that puts the app's throughput beside it and names the CPU."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from scripts import benchmark
from scripts._benchmark import forward_limit
from scripts._benchmark.machine import (
    AVX2_ONLY,
    FEATURES,
    cpu_features,
    cpu_summary,
    own_cpu_seconds,
    process_cpu_seconds,
)
from scripts._benchmark.running import app_environment


@pytest.mark.usefixtures("sandbox", "one_torch_thread")
def test_the_forward_pass_limit_runs_full_batches_of_the_demos_computation():
    measured = forward_limit.measure(batch=4, seconds=0.3)

    assert measured["requests_per_second"] > 0
    assert measured["dtype"] in {"float32", "bfloat16"} and measured["threads"] >= 1


def test_the_report_puts_the_suite_beside_the_limit_and_names_the_cpu():
    cores = os.cpu_count()
    suite = benchmark.Result("suite", 8.0, 0, 30.0, 200.0, 250.0, load_wall_s=10.0, app_cpu_s=5.0 * cores,
                             load_generator_cpu_s=2.5 * cores)  # fmt: skip
    naive = benchmark.Result("naive", 8.5, 2, 10.0, 600.0, 700.0)  # where /proc cannot be read
    limit = benchmark.Limit(requests_per_second=60.0, batch=32, dtype="float32", threads=2, capability="AVX512")

    lines = benchmark.report([suite, naive], limit, clients=32).splitlines()

    assert lines[0] == f"machine: {cpu_summary()}; torch computed with AVX512, dtype float32, 2 torch threads"
    assert (
        "forward-pass limit (the model alone, batches of 32): 60.0 req/s; suite / limit: 0.50  (goal >= 0.7)" in lines
    )
    assert "throughput ratio with 32 clients (suite / naive): 3.00  (goal >= 3.0)" in lines
    cpu_lines = [line for line in lines if line.startswith("CPU during the load")]
    assert cpu_lines == [
        f"CPU during the load (suite): app {5.0 * cores:.1f} s, load generator {2.5 * cores:.1f} s in 10.0 s on "
        f"{cores} cores: 25% idle"
    ]
    # 300 requests: the model 2 threads / 60 req/s = 33.3 ms each, the app 5 s x cores / 300 in all
    # (the rest is serving), the clients 2.5 s x cores / 300.
    model, app, clients = 1000 * 2 / 60, 1000 * 5.0 * cores / 300, 1000 * 2.5 * cores / 300
    ceiling = 1000 * cores / (app + clients)
    assert lines[-1] == (
        f"CPU per request (suite): the model {model:.1f} ms (at the limit), the rest of the app {app - model:.1f} ms "
        f"(serving, and what contention costs the model), the load generator {clients:.1f} ms: on {cores} cores at "
        f"most {ceiling:.1f} req/s = {ceiling / 60:.2f} of the limit with no core idle"
    )


@pytest.mark.usefixtures("sandbox")
def test_the_start_up_is_measured_in_phases_of_the_real_app():
    from tests.harness.apps import free_port
    from tests.harness.hub import subprocess_env

    phases = benchmark.startup_phases(subprocess_env(GRADIO_SERVER_PORT=str(free_port())))

    assert list(phases) == [
        "import shared", "import gradio", "import torch", "import the models' transformers code", "weights",
        "tokenizer", "data", "build the page", "launch the server", "total",
    ]  # fmt: skip
    assert all(seconds >= 0 for seconds in phases.values())
    assert phases["total"] >= sum(seconds for name, seconds in phases.items() if name != "total") * 0.99


def test_the_report_says_how_much_of_the_start_up_both_apps_share():
    suite = benchmark.Result("suite", 9.0, 0, 30.0, 200.0, 250.0)
    naive = benchmark.Result("naive", 10.0, 2, 10.0, 600.0, 700.0)
    limit = benchmark.Limit(requests_per_second=60.0, batch=32, dtype="float32", threads=2)
    startup = {"import shared": 0.1, "import gradio": 4.0, "import torch": 2.0,
               "import the models' transformers code": 2.0, "weights": 0.4, "tokenizer": 0.1, "data": 0.2,
               "build the page": 0.7, "launch the server": 0.3, "total": 10.0}  # fmt: skip

    lines = benchmark.report([suite, naive], limit, clients=32, startup=startup).splitlines()

    assert "cold start ratio (suite / naive): 0.90  (goal <= 0.8)" in lines
    assert lines[-2].startswith("start-up of the suite in phases (s): import shared 0.10, import gradio 4.00, ")
    assert lines[-1] == (
        "imports both apps make: 8.00 s = 80% of it; the rest is 2.00 s, and a cold start of 0.8x the naive app's "
        "means 1.00 s less"
    )


def test_the_cpu_is_described_by_the_instructions_that_decide_its_speed():
    features = cpu_features()

    assert list(features) == list(FEATURES.values()) == ["AVX2", "AVX-512", "AVX512-BF16", "AMX"]
    assert all(f"{name} {'yes' if present else 'no'}" in cpu_summary() for name, present in features.items())


def test_avx2_only_keeps_torch_to_avx2_and_the_suite_to_fp32_in_the_apps_environment(sandbox, tmp_path):
    env = app_environment(sandbox, tmp_path, avx2_only=True)
    code = "import shared, torch; print(torch.backends.cpu.get_cpu_capability(), shared.dtype())"
    done = subprocess.run([sys.executable, "-c", code], env={**env, "SUITE_DEVICE": "cpu"}, capture_output=True,
                          text=True, timeout=120, check=True)  # fmt: skip

    assert done.stdout.split() == ["AVX2", "torch.float32"]
    assert cpu_summary(avx2_only=True).endswith(
        "; torch kept to AVX2 (ATEN_CPU_CAPABILITY=avx2, ONEDNN_MAX_CPU_ISA=AVX2, MKL_ENABLE_INSTRUCTIONS=AVX2)"
    )
    assert "kept to AVX2" not in cpu_summary() and not AVX2_ONLY.keys() & app_environment(sandbox, tmp_path).keys()


def test_cpu_time_is_read_for_another_process_and_this_one():
    burn = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass\ninput()"
    busy = subprocess.Popen([sys.executable, "-c", burn], stdin=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 10
        while (process_cpu_seconds(busy.pid) or 0.0) < 0.3 and time.monotonic() < deadline:
            time.sleep(0.05)
        used = process_cpu_seconds(busy.pid)
    finally:
        busy.communicate("\n", timeout=10)

    assert used is not None and used >= 0.3  # a busy child: its CPU time, read from outside
    assert own_cpu_seconds() > 0
