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
from scripts._benchmark.machine import FEATURES, cpu_features, cpu_summary, own_cpu_seconds, process_cpu_seconds


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
    limit = benchmark.Limit(requests_per_second=60.0, batch=32, dtype="float32", threads=2)

    lines = benchmark.report([suite, naive], limit, clients=32).splitlines()

    assert lines[0] == f"machine: {cpu_summary()}; dtype float32, 2 torch threads"
    assert (
        "forward-pass limit (the model alone, batches of 32): 60.0 req/s; suite / limit: 0.50  (goal >= 0.7)" in lines
    )
    assert "throughput ratio with 32 clients (suite / naive): 3.00  (goal >= 3.0)" in lines
    cpu_lines = [line for line in lines if line.startswith("CPU during the load")]
    assert cpu_lines == [
        f"CPU during the load (suite): app {5.0 * cores:.1f} s, load generator {2.5 * cores:.1f} s in 10.0 s on "
        f"{cores} cores: 25% idle"
    ]


def test_the_cpu_is_described_by_the_instructions_that_decide_its_speed():
    features = cpu_features()

    assert list(features) == list(FEATURES.values()) == ["AVX2", "AVX-512", "AVX512-BF16", "AMX"]
    assert all(f"{name} {'yes' if present else 'no'}" in cpu_summary() for name, present in features.items())


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
