"""The browser harness works: a trivial Gradio page renders and answers in headless chromium."""

from __future__ import annotations

import pytest

from tests.harness.apps import running


@pytest.mark.browser
def test_a_trivial_gradio_page_renders_and_responds(page, tmp_path):
    import gradio as gr

    with gr.Blocks(title="Smoke") as demo:
        gr.Markdown("# Hello from the suite")
        name = gr.Textbox(label="Name")
        greeting = gr.Textbox(label="Greeting")
        gr.Button("Greet").click(lambda n: f"Hello, {n}!", name, greeting)

    with running(demo) as url:
        page.goto(url)
        page.get_by_text("Hello from the suite").wait_for(timeout=30_000)
        page.get_by_label("Name").fill("Ada")
        page.get_by_role("button", name="Greet").click()
        page.wait_for_function(
            "() => [...document.querySelectorAll('textarea')].some(t => t.value === 'Hello, Ada!')", timeout=30_000
        )
        page.screenshot(path=tmp_path / "smoke.png")

    assert (tmp_path / "smoke.png").stat().st_size > 1000
