"""spaces/sentiment: batched classification with scores for both labels."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from gradio_client.exceptions import AppError

from tests.harness.apps import call_raw
from tests.spaces.conftest import assert_smoke_calls_pass, save_screenshot

DEMO = "sentiment"


def scores(result: dict) -> dict[str, float]:
    return {item["label"]: item["confidence"] for item in result["confidences"]}


def test_classify_gives_both_labels_with_probabilities(app):
    result = app.client.predict("a wonderful, moving film", api_name="/classify")

    both = scores(result)
    assert set(both) == {"POSITIVE", "NEGATIVE"}
    assert sum(both.values()) == pytest.approx(1.0, abs=1e-5)
    assert result["label"] == max(both, key=both.get)


def test_examples_come_from_the_pinned_dataset(app):
    import shared

    sentences = set(shared.load_dataset("sentiment-examples")["sentence"])
    assert len(app.module.examples) == 8
    assert set(app.module.examples) <= sentences


def test_concurrent_requests_share_batches(app):
    calls_before = app.module.classify.calls
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda i: app.client.predict(f"sentence {i}", api_name="/classify"), range(16)))
    assert all(set(scores(r)) == {"POSITIVE", "NEGATIVE"} for r in results)
    calls = app.module.classify.calls - calls_before
    assert calls < 16, f"each of the 16 requests ran a forward pass of its own ({calls} calls)"


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("", "Enter some text first."),
        ("   \n\t", "Enter some text first."),
        ("x" * 100_000, "The text is 100,000 characters long; the limit is 5,000. Shorten it."),
        (123, "The text must be a string, not int."),
        ({"text": "hi"}, "The text must be a string, not dict."),
        (None, "Enter some text first."),
    ],
)
def test_bad_text_gets_a_clear_message_and_the_app_keeps_serving(app, bad, message):
    with pytest.raises(AppError) as refused:
        app.client.predict(bad, api_name="/classify")

    assert message in str(refused.value)
    assert set(scores(app.client.predict("fine", api_name="/classify"))) == {"POSITIVE", "NEGATIVE"}


def test_text_that_is_not_valid_unicode_gets_a_clear_message(app):
    event, data = call_raw(app.url, "classify", ["fine \ud800 text"])

    assert event == "error" and "The text holds characters that are not valid Unicode: send UTF-8 text." in data


def test_a_bad_request_does_not_fail_the_batch_it_arrives_with(app):
    requests = ["good one", "   ", "another good one", "", "third"] * 3

    def call(text):
        try:
            return scores(app.client.predict(text, api_name="/classify"))
        except AppError:
            return "refused"

    with ThreadPoolExecutor(len(requests)) as pool:
        results = list(pool.map(call, requests))

    for text, result in zip(requests, results, strict=True):
        assert (result == "refused") == (not text.strip())


def test_footer_and_notice_show_pins_and_stand_ins(app):
    import urllib.request

    html = urllib.request.urlopen(app.url + "config", timeout=10).read().decode()
    assert "714eb0fa89d2" in html and "8d51e7e4887a" in html
    assert "Stand-in weights" in html


@pytest.mark.browser
def test_page_example_and_prediction_in_the_browser(app, page):
    page.goto(app.url)
    page.get_by_text("Stand-in weights").wait_for()
    from playwright.sync_api import expect

    example = page.locator("button.gallery-item").first
    first_words = example.inner_text().split(" ")[0]
    example.click()
    expect(page.get_by_label("Text")).to_have_value(re.compile("^" + re.escape(first_words)))
    page.get_by_role("button", name="Classify").click()
    expect(page.locator(".output-class")).to_have_text(re.compile("^(POSITIVE|NEGATIVE)$"), timeout=30_000)
    label = page.locator(".output-class").inner_text()
    page.get_by_placeholder("A comment for the team (optional)").fill("Right on this one")
    page.get_by_role("button", name="👍").click()
    expect(page.get_by_text("Thank you: 👍 recorded.")).to_be_visible()
    save_screenshot(page, DEMO)

    [line] = [json.loads(text) for text in app.module.demo.feedback_log.file.read_text().splitlines()]
    assert (line["demo"], line["endpoint"], line["verdict"], line["comment"]) == (
        "sentiment", "classify", "up", "Right on this one",
    )  # fmt: skip
    assert label in line["output"] and first_words in line["input"]
    assert {p["name"] for p in line["pins"]} == {"sentiment-model", "sentiment-examples"}


def test_its_smoke_calls_pass(app):
    assert_smoke_calls_pass(app, DEMO)
