"""spaces/semantic-search: top-k passages by cosine similarity, over a precomputed index."""

from __future__ import annotations

import re

import pytest
from gradio_client.exceptions import AppError

from tests.spaces.conftest import assert_smoke_calls_pass, save_screenshot

DEMO = "semantic-search"


def test_an_obviously_matching_passage_ranks_first_with_genuine_minilm(app):
    import shared

    assert not shared.is_stand_in("news-embedder"), "the sandbox must seed the genuine all-MiniLM-L6-v2"
    result = app.client.predict("football match result", 3, api_name="/search")

    assert result["headers"] == ["rank", "score", "topic", "text"]
    rows = result["data"]
    assert [row[0] for row in rows] == [1, 2, 3]
    assert "football match" in rows[0][3] and rows[0][2] == "Sports"
    scores = [row[1] for row in rows]
    assert scores == sorted(scores, reverse=True) and all(-1 <= s <= 1 for s in scores)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("central bank interest rates", "interest rates"),
        ("probe to the red planet", "Mars"),
        ("password theft", "Hackers"),
    ],
)
def test_queries_find_their_article(app, query, expected):
    rows = app.client.predict(query, 1, api_name="/search")["data"]
    assert expected in rows[0][3]


def test_k_sets_the_number_of_results(app):
    assert len(app.client.predict("news", 7, api_name="/search")["data"]) == 7


def test_concurrent_queries_are_embedded_together_and_each_gets_its_own_results(app):
    queries = [("central bank interest rates", 2), ("probe to the red planet", 3), ("password theft", 1)] * 4
    alone = {query: app.client.predict(query, k, api_name="/search")["data"] for query, k in queries[:3]}
    calls_before = app.module.search.calls
    jobs = [(query, app.client.submit(query, k, api_name="/search")) for query, k in queries]
    for query, job in jobs:
        rows = job.result(timeout=120)["data"]
        assert [row[3] for row in rows] == [row[3] for row in alone[query]]  # its own passages, its own k
        assert [row[1] for row in rows] == pytest.approx([row[1] for row in alone[query]], abs=1e-3)
    assert app.module.search.calls - calls_before < len(jobs)


def test_the_space_does_not_embed_the_corpus(app):
    # Only the query is embedded: the corpus vectors come from the pinned index dataset.
    calls: list[int] = []
    embed = app.module.embedder.embed_passages
    app.module.embedder.embed_passages = lambda texts, **kw: calls.append(len(texts)) or embed(texts, **kw)
    try:
        app.client.predict("anything", 3, api_name="/search")
    finally:
        app.module.embedder.embed_passages = embed
    assert calls == []
    assert app.module.index.meta["embedder"]["revision"] == "1110a243fdf4706b3f48f1d95db1a4f5529b4d41"


@pytest.mark.parametrize(
    ("query", "k", "message"),
    [
        ("", 5, "Enter some query first."),
        ("  \n ", 5, "Enter some query first."),
        ("x" * 100_000, 5, "The query is 100,000 characters long; the limit is 5,000. Shorten it."),
        (42, 5, "The query must be a string, not int."),
        (["a"], 5, "The query must be a string, not list."),
        ("ok", "five", "The number of results must be a whole number from 1 to 20, not 'five'."),
        ("ok", 0, "The number of results must be from 1 to 20, not 0."),
        ("ok", 2.5, "The number of results must be a whole number from 1 to 20, not 2.5."),
    ],
)
def test_bad_input_gets_a_clear_message_and_the_app_keeps_serving(app, query, k, message):
    with pytest.raises(AppError, match=re.escape(message)):
        app.client.predict(query, k, api_name="/search")
    assert len(app.client.predict("markets", 2, api_name="/search")["data"]) == 2


@pytest.mark.browser
def test_page_example_and_results_in_the_browser(app, page):
    from playwright.sync_api import expect

    page.goto(app.url)
    page.locator("button.gallery-item").first.click()
    expect(page.get_by_label("Query")).to_have_value("football match result")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("table").first).to_contain_text("The striker scores twice", timeout=30_000)
    save_screenshot(page, DEMO)


def test_its_smoke_calls_pass(app):
    assert_smoke_calls_pass(app, DEMO)
