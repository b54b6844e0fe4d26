"""spaces/gallery: every other demo, listed from their own folders (or the deploy's catalog.json)."""

from __future__ import annotations

import re

import pytest
from gradio_client.exceptions import AppError

from tests.harness.hub import REPO_ROOT
from tests.spaces.conftest import assert_smoke_calls_pass, save_screenshot
from tests.spaces.probes import DEMOS

DEMO = "gallery"
OTHERS = [d for d in DEMOS if d != DEMO]


def titles(cards: str) -> list[str]:
    return re.findall(r"<strong[^>]*>[^ ]+ ([^<]+)</strong>", cards)


def test_every_other_demo_is_listed_with_its_hardware_and_link(app):
    cards = app.client.predict("", "Any hardware", api_name="/list")

    assert [e.name for e in app.module.catalog] == OTHERS
    assert titles(cards) == [e.title for e in app.module.catalog]
    for entry in app.module.catalog:
        assert f'href="{entry.url}"' in cards
        assert entry.url.endswith(f"/spaces/demo-suite/{entry.name}")
    on_zerogpu = [e for e in app.module.catalog if e.hardware == "zero-a10g"]
    assert cards.count(">ZeroGPU</small>") == len(on_zerogpu) and cards.count(">CPU</small>") == len(OTHERS) - len(
        on_zerogpu
    )


def test_titles_and_descriptions_come_from_each_demos_readme(app):
    readme = (REPO_ROOT / "spaces" / "sentiment" / "README.md").read_text()
    [sentiment] = [e for e in app.module.catalog if e.name == "sentiment"]

    assert f"title: {sentiment.title}\n" in readme and f"short_description: {sentiment.description}\n" in readme


@pytest.mark.parametrize(
    ("query", "hardware", "expected"),
    [
        ("sentiment", "Any hardware", ["Sentiment"]),
        ("  IMAGE  vit ", "ZeroGPU", ["Image Classification"]),
        ("", "CPU", ["Digits"]),
        ("news", "Any hardware", ["Semantic Search"]),
    ],
)
def test_search_narrows_the_list(app, query, hardware, expected):
    assert titles(app.client.predict(query, hardware, api_name="/list")) == expected


def test_no_match_says_so(app):
    assert app.client.predict("nothing like this", "Any hardware", api_name="/list") == (
        '<p class="demo-none">No demo matches.</p>'
    )


@pytest.mark.parametrize(
    ("query", "hardware", "message"),
    [
        ("x" * 201, "Any hardware", "The search text is 201 characters long; the limit is 200."),
        ("", "TPU", "Value: TPU is not in the list of choices: ['Any hardware', 'CPU', 'ZeroGPU']"),
    ],
)
def test_bad_input_gets_a_clear_message(app, query, hardware, message):
    with pytest.raises(AppError, match=re.escape(message)):
        app.client.predict(query, hardware, api_name="/list")


@pytest.mark.browser
def test_the_gallery_in_the_browser(app, page):
    from playwright.sync_api import expect

    page.goto(app.url)
    expect(page.locator("a.demo-card")).to_have_count(len(OTHERS))
    page.get_by_label("Search").fill("search")
    expect(page.locator("a.demo-card")).to_have_count(1)
    page.get_by_label("Search").fill("")
    expect(page.locator("a.demo-card")).to_have_count(len(OTHERS))
    save_screenshot(page, DEMO)


def test_its_smoke_calls_pass(app):
    assert_smoke_calls_pass(app, DEMO)
