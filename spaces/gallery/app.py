"""Gallery: every demo of the suite, what it runs on, and a link to its Space.

The list is not kept by hand: on a Space it is the `catalog.json` the deploy wrote from each demo's
README and space.yaml; run locally, it is read from the sibling demo folders.
"""

import html
from pathlib import Path

import shared  # first: ZeroGPU needs `spaces` imported before gradio and torch

import gradio as gr

catalog = shared.load_catalog(Path(__file__).resolve().parent)
HARDWARE_LABELS = {"zero-a10g": "ZeroGPU", "cpu-basic": "CPU", "cpu-upgrade": "CPU upgrade"}
ANY_HARDWARE = "Any hardware"


def hardware_label(flavor: str) -> str:
    return HARDWARE_LABELS.get(flavor, flavor)


HARDWARE_CHOICES = [ANY_HARDWARE, *sorted({hardware_label(d.hardware) for d in catalog})]


def list_demos(query: str, hardware: str) -> str:
    """The demos whose title or description contains every word of `query`, on `hardware`, as cards."""
    blank = query is None or (isinstance(query, str) and not query.strip())
    words = [] if blank else shared.check_text(query, what="search text", max_chars=200).lower().split()
    shown = [
        demo
        for demo in catalog
        if all(w in f"{demo.title} {demo.description} {demo.name}".lower() for w in words)
        and hardware in (ANY_HARDWARE, hardware_label(demo.hardware))
    ]
    if not shown:
        return '<p class="demo-none">No demo matches.</p>'
    cards = "".join(
        f'<a class="demo-card" href="{html.escape(demo.url)}" target="_blank" rel="noopener" style="{CARD}">'
        f'<strong style="font-size:1.1rem">{html.escape(demo.emoji)} {html.escape(demo.title)}</strong>'
        f"<span>{html.escape(demo.description)}</span>"
        f'<small class="demo-hardware" style="opacity:.7">{html.escape(hardware_label(demo.hardware))}</small></a>'
        for demo in shown
    )
    return f'<div class="demo-cards" style="{GRID}">{cards}</div>'


# Inline styles: the same look on a Space and wherever the Blocks are launched.
GRID = "display:grid;grid-template-columns:repeat(auto-fill,minmax(16rem,1fr));gap:1rem"
CARD = (
    "display:flex;flex-direction:column;gap:.4rem;padding:1rem;border-radius:.75rem;text-align:left;"
    "border:1px solid var(--border-color-primary);text-decoration:none;color:inherit"
)

with shared.page(__file__, "Every demo of the suite: open one to try it.", uses=[]) as demo:
    with gr.Row():
        query = gr.Textbox(label="Search", placeholder="sentiment, image, search…", scale=3)
        hardware = gr.Dropdown(
            HARDWARE_CHOICES,
            value=ANY_HARDWARE,
            label="Runs on",
            scale=1,
        )
    cards = gr.HTML(list_demos("", ANY_HARDWARE))
    shared.feedback("list", inputs=[query, hardware], outputs=[cards])
    gr.on([query.change, hardware.change], list_demos, inputs=[query, hardware], outputs=cards, api_name="list")

if __name__ == "__main__":
    demo.launch()
