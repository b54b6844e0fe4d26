"""The one way to refuse input: an app raises `shared.InputError` (or calls a check that does)
and the page shows its line, whatever kind of handler raised it; the title is the README's."""

from __future__ import annotations

import shared

import gradio as gr
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from tests.harness.apps import running


def plain(text: str) -> str:
    return shared.check_text(text, what="note", max_chars=5)


def streaming(text: str):
    yield "thinking"
    raise shared.InputError("Streaming refused.")


async def waiting(text: str) -> str:
    raise shared.InputError("Async refused.")


async def async_streaming(text: str):
    yield "thinking"
    raise shared.InputError("Async streaming refused.")


def counting(number: float) -> int:
    return shared.check_whole_number(number, what="count", low=1, high=3)


def broken(text: str) -> str:
    raise RuntimeError("a bug, not a refusal")


@pytest.fixture
def refusing_app(app_file):
    with shared.page(app_file("Refusals"), "Every kind of handler refuses.", uses=[]) as demo:
        box, out, number = gr.Textbox(), gr.Textbox(), gr.Number()
        box.submit(plain, box, out, api_name="plain")
        box.submit(streaming, box, out, api_name="streaming")
        box.submit(waiting, box, out, api_name="waiting")
        box.submit(async_streaming, box, out, api_name="async_streaming")
        number.submit(counting, number, out, api_name="counting")
        box.submit(broken, box, out, api_name="broken")
    with running(demo) as url:
        yield demo, Client(url, verbose=False)


@pytest.mark.parametrize(
    ("api_name", "value", "message"),
    [
        ("/plain", "far too long", "The note is 12 characters long; the limit is 5. Shorten it."),
        ("/plain", "   ", "Enter some note first."),
        ("/streaming", "x", "Streaming refused."),
        ("/waiting", "x", "Async refused."),
        ("/async_streaming", "x", "Async streaming refused."),
        ("/counting", 7, "The count must be from 1 to 3, not 7."),
        ("/counting", 1.5, "The count must be a whole number from 1 to 3, not 1.5."),
    ],
)
def test_every_kind_of_handler_shows_the_refusal_as_one_line(refusing_app, api_name, value, message):
    _, client = refusing_app
    with pytest.raises(AppError) as refused:
        client.predict(value, api_name=api_name)
    assert str(refused.value) == message


def test_a_bug_is_not_shown_as_a_refusal_and_the_app_keeps_answering(refusing_app):
    _, client = refusing_app
    with pytest.raises(AppError) as failed:
        client.predict("x", api_name="/broken")
    assert "a bug, not a refusal" not in str(failed.value)
    assert client.predict("fine", api_name="/plain") == "fine"


def test_the_title_is_the_one_in_the_apps_readme(refusing_app):
    demo, _ = refusing_app
    assert demo.title == "Refusals"
    assert "# Refusals\n" in demo.blocks[min(demo.blocks)].value
