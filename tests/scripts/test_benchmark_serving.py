"""The serving benchmark: the chat app, unchanged, in-process and with llama.cpp's server behind it,
measured side by side; its table and ratios."""

from __future__ import annotations

import json
import re

import pytest

from scripts import benchmark_serving
from scripts.benchmark_serving import Answer, Round


def test_a_short_run_measures_both_backends_with_the_same_users_and_prints_the_ratios(tmp_path, capsys):
    results = tmp_path / "serving.json"

    args = ["--users", "1", "2", "--requests-per-user", "1", "--new-tokens", "16", "--backends", "in-process",
            "server", "--json"]  # fmt: skip
    status = benchmark_serving.main([*args, str(results)])

    out = capsys.readouterr().out
    rounds = [Round(**r) for r in json.loads(results.read_text())]
    assert status == 0
    assert [(r.backend, r.users, r.answers) for r in rounds] == [
        ("in-process", 1, 1), ("in-process", 2, 2), ("server", 1, 1), ("server", 2, 2),
    ]  # fmt: skip
    assert all(r.tokens > 0 and r.tokens_per_second > 0 and r.first_token_p95_ms > 0 for r in rounds)
    assert out.startswith("machine: ") and benchmark_serving.HEADER in out
    assert re.search(r"^ 2 users, server / in-process: tokens/s total \d+\.\d\dx, per user \d+\.\d\dx, "
                     r"first token p95 \d+\.\d\dx$", out, re.MULTILINE)  # fmt: skip


def test_a_round_is_summarised_per_user_and_in_total():
    answers = [
        Answer(user=0, started=0.0, first_text=0.1, ended=1.0, tokens=10),
        Answer(user=0, started=1.0, first_text=1.3, ended=2.0, tokens=10),
        Answer(user=1, started=0.0, first_text=0.5, ended=4.0, tokens=20),
    ]

    summary = benchmark_serving.summarise("server", 2, answers)

    assert (summary.answers, summary.tokens) == (3, 40)
    assert summary.tokens_per_second == pytest.approx(40 / 4.0)  # every token over the round's wall time
    assert summary.tokens_per_second_per_user == pytest.approx(7.5)  # the median of 10/s and 5/s
    assert summary.first_token_p50_ms == pytest.approx(300)
    assert 300 < summary.first_token_p95_ms <= 500


def test_bad_arguments_are_refused_before_anything_starts(capsys):
    with pytest.raises(SystemExit) as stop:
        benchmark_serving.main(["--new-tokens", "8"])

    assert stop.value.code == 2
    assert "new tokens 16 to 1024 (the chat's range)" in capsys.readouterr().err
