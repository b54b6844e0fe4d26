"""scripts/feedback.py report: exact numbers on a fixed set of records, and the whole path from
verdicts pushed by two demos to the published page."""

from __future__ import annotations

import math
from pathlib import Path

from shared.feedback_log import FeedbackLog, Pin

import pytest

from scripts import REPO_ROOT
from scripts._feedback.page import build_report
from scripts._feedback.stats import approvals, binomial_p_value, comparisons, wilson
from scripts.feedback import main

A = {"name": "sentiment-model", "repo": "org/sst2", "revision": "a" * 40}
B = {"name": "digits-model", "repo": "org/digits", "revision": "b" * 40}
C = {"name": "digits-model@candidate", "repo": "org/digits", "revision": "c" * 40}


def verdict(demo: str, value: str, pins: list[dict]) -> dict:
    return {"kind": "verdict", "demo": demo, "verdict": value, "pins": pins, "compared": []}


def choice(value: str) -> dict:
    return {"kind": "comparison", "demo": "digits", "verdict": value, "pins": [B], "compared": [B, C]}


RECORDS = (
    [verdict("sentiment", "up", [A])] * 7
    + [verdict("sentiment", "down", [A])] * 3
    + [verdict("digits", "down", [B])] * 5
    + [choice("candidate")] * 9
    + [choice("baseline")]
    + [choice("same")] * 2
    + [choice("both bad")]
)


def test_wilson_intervals_and_the_binomial_test_are_exact():
    z2 = 1.959963984540054**2
    empty = wilson(0, 5)
    assert (empty.low, empty.high) == (0.0, pytest.approx(z2 / (5 + z2), abs=1e-12))
    seven = wilson(7, 10)
    assert (round(seven.low, 4), round(seven.high, 4)) == (0.3968, 0.8922)  # the textbook values
    assert binomial_p_value(9, 10) == 2 * (math.comb(10, 9) + 1) / 2**10 == 0.021484375
    assert binomial_p_value(5, 10) == 1.0 and binomial_p_value(0, 0) == 1.0
    assert binomial_p_value(1, 10) == binomial_p_value(9, 10)


def test_the_reports_numbers_on_a_fixed_set_of_records():
    by_demo = {a.demo: a for a in approvals(RECORDS)}
    [compared] = comparisons(RECORDS)

    assert (by_demo["sentiment"].up, by_demo["sentiment"].down, by_demo["sentiment"].interval.rate) == (7, 3, 0.7)
    assert by_demo["sentiment"].pins == "sentiment-model@aaaaaaaaaaaa"
    assert (by_demo["digits"].up, by_demo["digits"].down, by_demo["digits"].interval.rate) == (0, 5, 0.0)
    assert (compared.baseline, compared.candidate) == ("org/digits@bbbbbbbbbbbb", "org/digits@cccccccccccc")
    assert (compared.candidate_wins, compared.baseline_wins, compared.same, compared.both_bad) == (9, 1, 2, 1)
    assert compared.interval.rate == 0.9 and compared.p_value == 0.021484375 and compared.real

    report = build_report(RECORDS, repo_id="org/suite-feedback", revision="f" * 40)
    page = report.markdown
    for path, png in report.charts.items():  # README shows them
        (REPO_ROOT / "docs" / "screenshots" / f"feedback-{path.removeprefix('report/')}").write_bytes(png)
    assert "Read from `org/suite-feedback` at commit `" + "f" * 40 + "`: 28 record(s)." in page
    assert "| sentiment | sentiment-model@aaaaaaaaaaaa | 7 | 3 | 70% | 40%–89% |" in page
    assert "| 9 | 1 | 2 | 1 | 90% | 60%–98% | 0.021 | real (p < 0.05) |" in page


def test_from_verdicts_on_the_hub_to_the_published_page(tmp_path, hub_token, hf_api, capsys, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", hub_token)
    repo_id = "test-org/suite-feedback"
    sentiment = FeedbackLog("sentiment", pins=[Pin(**A)], folder=tmp_path / "a", repo_id=repo_id, token=hub_token)
    digits = FeedbackLog("digits", pins=[Pin(**B)], folder=tmp_path / "b", repo_id=repo_id, token=hub_token)
    for value in ("up", "up", "down"):
        sentiment.record(endpoint="classify", verdict=value)
    for value in ("candidate", "candidate", "baseline", "same"):
        digits.record(endpoint="read", verdict=value, compared=[Pin(**B), Pin(**C)])
    for log in (sentiment, digits):
        log.close()
    head = hf_api.dataset_info(repo_id).sha

    assert main(["report", "--namespace", "test-org", "--out", str(tmp_path / "out"), "--publish"]) == 0

    printed = capsys.readouterr().out
    assert f"at commit `{head}`: 7 record(s)." in printed
    assert "| sentiment | sentiment-model@aaaaaaaaaaaa | 2 | 1 | 67% |" in printed
    assert "| digits | org/digits@bbbbbbbbbbbb | org/digits@cccccccccccc | 2 | 1 | 1 | 0 | 67% |" in printed
    assert (tmp_path / "out" / "report" / "approval.png").read_bytes()[:4] == b"\x89PNG"
    card = hf_api.hf_hub_download(repo_id, "README.md", repo_type="dataset")
    assert "# Feedback report" in Path(card).read_text(encoding="utf-8")
    assert {"report/approval.png", "report/comparisons.png"} <= set(
        hf_api.list_repo_files(repo_id, repo_type="dataset")
    )


def test_a_missing_dataset_is_one_line(capsys, hub_token, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", hub_token)
    assert main(["report", "--namespace", "nobody-here"]) == 1
    assert capsys.readouterr().err == (
        "error: nobody-here/suite-feedback does not exist (or the token cannot see it): deploy a demo first\n"
    )


@pytest.mark.browser
def test_a_report_of_verdicts_and_comparisons_from_the_hub_renders_as_a_page(tmp_path, hub_token, hf_api, page,
                                                                            monkeypatch):  # fmt: skip
    """Verdicts and blind choices from three demos, through the Hub, into the report a person reads
    (its screenshot is README's)."""
    from markdown_it import MarkdownIt

    monkeypatch.setenv("HF_TOKEN", hub_token)
    repo_id = f"{hf_api.whoami()['name']}/suite-feedback"
    hf_api.delete_repo(repo_id, repo_type="dataset", missing_ok=True)  # only this test's records
    digits_new = {**C, "revision": "d" * 40}
    chat_small = {"name": "chat-model-small", "repo": "HuggingFaceTB/SmolLM2-135M-Instruct", "revision": "1" * 40}
    chat_large = {"name": "chat-model-small@candidate", "repo": "HuggingFaceTB/SmolLM2-360M-Instruct",
                  "revision": "3" * 40}  # fmt: skip
    logs = {
        "sentiment": FeedbackLog("sentiment", pins=[Pin(**A)], folder=tmp_path / "s", repo_id=repo_id, token=hub_token),
        "digits": FeedbackLog(
            "digits", pins=[Pin(**B), Pin(**digits_new)], folder=tmp_path / "d", repo_id=repo_id, token=hub_token
        ),
        "chat": FeedbackLog(
            "chat", pins=[Pin(**chat_small), Pin(**chat_large)], folder=tmp_path / "c", repo_id=repo_id, token=hub_token
        ),
    }
    for value in ["up"] * 31 + ["down"] * 9:
        logs["sentiment"].record(endpoint="classify", verdict=value)
    for value in ["up"] * 12 + ["down"] * 6:
        logs["digits"].record(endpoint="read", verdict=value)
    for value in ["up"] * 14 + ["down"] * 11:
        logs["chat"].record(endpoint="chat", verdict=value)
    for value in ["candidate"] * 17 + ["baseline"] * 6 + ["same"] * 5 + ["both bad"] * 2:
        logs["digits"].record(endpoint="read_drawing", verdict=value, compared=[Pin(**B), Pin(**digits_new)])
    for value in ["candidate"] * 9 + ["baseline"] * 7 + ["same"] * 3 + ["both bad"] * 4:
        logs["chat"].record(endpoint="chat", verdict=value, compared=[Pin(**chat_small), Pin(**chat_large)])
    for log in logs.values():
        log.close()

    out = tmp_path / "out"
    assert main(["report", "--namespace", repo_id.split("/")[0], "--out", str(out)]) == 0

    markdown = (out / "README.md").read_text(encoding="utf-8")
    assert "| digits | org/digits@bbbbbbbbbbbb | org/digits@dddddddddddd | 17 | 6 | 5 | 2 | 74% |" in markdown
    assert "| 9 | 7 | 3 | 4 | 56% |" in markdown and "not shown" in markdown  # 9 to 7: could be chance
    style = "body{font-family:sans-serif;max-width:1100px;margin:24px auto}table{border-collapse:collapse}" \
            "td,th{border:1px solid #ccc;padding:4px 8px;font-size:13px}img{max-width:100%}"  # fmt: skip
    html = f"<!doctype html><meta charset=utf-8><style>{style}</style>{MarkdownIt().enable('table').render(markdown)}"
    (out / "report.html").write_text(html, encoding="utf-8")
    page.goto((out / "report.html").as_uri())
    page.wait_for_load_state("load")
    assert page.locator("img").count() == 2 and page.locator("table").count() == 2
    page.screenshot(path=str(REPO_ROOT / "docs" / "screenshots" / "feedback-report.png"), full_page=True)
