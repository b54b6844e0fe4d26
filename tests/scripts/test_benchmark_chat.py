"""The chat benchmark: its table's shape, and that it checks our tokens against generate's."""

from __future__ import annotations

import re

import pytest

from scripts import benchmark_chat

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_quick_run_reports_every_method_side_by_side_with_identical_tokens():
    lines: list[str] = []
    setup, results = benchmark_chat.run(**benchmark_chat.QUICK, progress=lines.append)

    assert [r.model for r in results] == ["tiny"]
    assert [m.method for m in results[0].measures] == list(benchmark_chat.METHODS)
    assert all(m.tokens_per_s > 0 and m.first_token_ms > 0 for m in results[0].measures)
    assert results[0].identical and benchmark_chat.tokens_match(setup, results[0])
    assert results[0].mode == ("cuda-graphs" if setup.device == "cuda" else "static")

    table = benchmark_chat.report(setup, results).splitlines()
    header = table.index(benchmark_chat.HEADER)
    assert benchmark_chat.HEADER.split() == ["model", "method", "tok/s", "first", "token", "ms"]
    rows = table[header + 1 : header + 4]
    for row, method in zip(rows, benchmark_chat.METHODS, strict=True):
        assert re.fullmatch(rf"tiny +{re.escape(method)} +\d+\.\d +\d+\.\d", row), row
    assert table[header + 4] == ""
    assert re.search(r"tiny +tok/s ÷ \(b\) \d+\.\d\dx, ÷ \(a\) \d+\.\d\dx", "\n".join(table))
    assert "greedy tokens of (c) identical to (a) generate's:" in table
    assert table[table.index("greedy tokens of (c) identical to (a) generate's:") + 1].split() == ["tiny", "yes"]
    assert table[0].startswith("machine: ") and "torch " in table[0] and "transformers " in table[0]


def test_different_tokens_make_the_benchmark_fail(monkeypatch):
    """A streamer that drifts from generate must turn the exit status to 1, not pass silently."""
    from shared import generation

    real_stream = generation.TokenStreamer.stream

    def off_by_one(self, prompt_ids, **options):
        return (token if index != 3 else (token + 1) % self.model.config.vocab_size
                for index, token in enumerate(real_stream(self, prompt_ids, **options)))  # fmt: skip

    monkeypatch.setattr(generation.TokenStreamer, "stream", off_by_one)
    assert benchmark_chat.main(["--quick"]) == 1


def test_the_bandwidth_ceiling_names_the_right_gpu():
    gigabyte = 10**9
    assert benchmark_chat.bandwidth_ceiling("GPU NVIDIA H100 80GB HBM3; torch 2.11.0", gigabyte) == ("H100", 3350.0)
    assert benchmark_chat.bandwidth_ceiling("GPU NVIDIA H100 PCIe", gigabyte)[0] == "H100 PCIe"
    assert benchmark_chat.bandwidth_ceiling("GPU NVIDIA H200", gigabyte)[0] == "H200"
    assert benchmark_chat.bandwidth_ceiling("GPU NVIDIA A100-SXM4-40GB", gigabyte)[0] == "A100"
    assert benchmark_chat.bandwidth_ceiling("GPU NVIDIA L4", gigabyte)[0] == "L4"
    assert benchmark_chat.bandwidth_ceiling("GPU NVIDIA L40S", gigabyte)[0] == "L40S"
    assert benchmark_chat.bandwidth_ceiling("GPU Some Future Accelerator", gigabyte) is None
