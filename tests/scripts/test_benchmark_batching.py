"""The batching benchmark: a short real run of one batched demo against its naive version, with
the GPU calls the ZeroGPU stand-in counted; the report's arithmetic; its arguments."""

from __future__ import annotations

import pytest

from scripts import benchmark_batching


@pytest.mark.usefixtures("one_torch_thread")
def test_a_short_run_measures_both_apps_and_counts_gpu_calls():
    [result] = benchmark_batching.run(["digits"], clients=6, per_client=2, progress=lambda line: None)

    assert result.demo == "digits" and result.requests_at_once == 6
    assert result.suite.throughput_rps > 0 and result.naive.throughput_rps > 0
    assert result.suite.p95_ms >= result.suite.p50_ms > 0
    assert 1 <= result.gpu_calls < 6  # six visitors at once share GPU calls under the stand-in
    assert result.violations == []


@pytest.mark.usefixtures("one_torch_thread")
def test_speech_runs_on_the_pinned_clips_and_recordings_sent_together_share_gpu_calls():
    [result] = benchmark_batching.run(["speech-to-text"], clients=4, per_client=1, progress=lambda line: None)

    assert result.suite.throughput_rps > 0 and result.naive.throughput_rps > 0  # both transcribed the clips
    assert 1 <= result.gpu_calls < 4
    assert result.violations == []


def test_the_report_puts_each_demo_beside_its_naive_version():
    load = benchmark_batching.Load
    results = [
        benchmark_batching.Result("sentiment", load(60.0, 400.0, 600.0), load(15.0, 2000.0, 2400.0), 32, 2),
        benchmark_batching.Result("digits", load(90.0, 300.0, 350.0), load(100.0, 280.0, 330.0), 32, 1, ["bad"]),
    ]
    lines = benchmark_batching.report(results).splitlines()

    assert lines[0].startswith("machine: ")
    assert lines[2].split() == ["sentiment", "60.0", "15.0", "4.00", "600ms", "2400ms", "2", "per", "32"]
    assert lines[3].split()[:4] == ["digits", "90.0", "100.0", "0.90"]
    assert lines[-1] == "digits: ZeroGPU rules broken: bad"


@pytest.mark.parametrize("argv", [["--clients", "1"], ["--requests-per-client", "0"], ["--demos", "chat"]])
def test_bad_arguments_are_refused_before_anything_runs(argv, capsys):
    with pytest.raises(SystemExit) as exited:
        benchmark_batching.main(argv)
    assert exited.value.code == 2
    assert "benchmark_batching.py: error:" in capsys.readouterr().err
