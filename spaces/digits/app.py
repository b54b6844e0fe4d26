"""Digits: draw a digit, or pick a held-out one, and see what our own PyTorch model reads.

The model (shared.models.DigitClassifier, trained and published by scripts/publish.py) is loaded
at its pinned revision; a drawing goes through the model's own `grid_from_image`, the way its
training digits were made, so what it sees here is what it learned from.
"""

from collections.abc import Iterable

import shared  # first: ZeroGPU needs `spaces` imported before gradio and torch

import gradio as gr
import numpy as np

MODEL = "digits-model"
models = {version: shared.load_model(version) for version in shared.versions(MODEL)}  # and its candidate
model = models[MODEL]
held_out = shared.load_dataset("digits-data", split="test")
grids = np.asarray(held_out["pixels"], dtype=np.float32)
labels = held_out["label"]
MOSTLY_INK = 0.75  # a canvas painted over, not a digit
CANVAS = {
    "type": "pil",
    "image_mode": "RGBA",
    "canvas_size": (400, 400),
    "brush": gr.Brush(default_size=24, colors=["#000000"], color_mode="fixed"),
}


def as_scores(probabilities: Iterable[float]) -> dict[str, float]:
    return {str(digit): float(p) for digit, p in enumerate(probabilities)}


def scores(grid: np.ndarray, version: str = MODEL) -> dict[str, float]:
    return as_scores(models[version].probabilities(grid[None])[0])


def picture(grid: np.ndarray) -> np.ndarray:
    """The 8×8 grid the model reads, as a picture (dark ink on white, 20 pixels a cell)."""
    shades = 255 - grid * (255 / model.max_value)
    return np.kron(shades, np.ones((20, 20))).astype(np.uint8)


def grid_of(sketch: dict | None) -> np.ndarray:
    """The 8×8 grid of a drawing (the model's own preprocessing), or an InputError saying why not."""
    image = sketch.get("composite") if isinstance(sketch, dict) else sketch
    if image is None:
        raise shared.InputError("Draw a digit first.")
    grid = model.grid_from_image(image)
    if grid is None:
        raise shared.InputError("The canvas is blank: draw a digit first.")
    if np.mean(grid > 0) > MOSTLY_INK:
        raise shared.InputError("The canvas is mostly ink: clear it and draw one digit.")
    return grid


def example_index(number: float) -> int:
    return shared.check_whole_number(number, what="example number", low=0, high=len(grids) - 1)


def example_grid(number: float) -> np.ndarray:
    return grids[example_index(number)]


# Drawings and held-out examples are checked alone, on the CPU, then share forward passes.
@shared.batched(max_size=64, check=grid_of)
@shared.gpu(duration=10)
def read_drawing(batch: list[np.ndarray]) -> list[tuple[dict[str, float], np.ndarray]]:
    """Probabilities of each digit for each 8×8 grid, and the grid as a picture."""
    rows = model.probabilities(np.stack(batch))
    return [(as_scores(row), picture(grid)) for row, grid in zip(rows, batch, strict=True)]


read_example = shared.batched(read_drawing, check=example_grid)


def example_label(number: float) -> str:
    return f"Labelled {labels[example_index(number)]} in the dataset."


def compare_drawing(version: str, sketch: dict | None) -> dict[str, float]:
    """What one version of the model reads in a drawing (the Compare tab runs both)."""
    return score_with(version, grid_of(sketch))


@shared.gpu(duration=10)
def score_with(version: str, grid: np.ndarray) -> dict[str, float]:
    return scores(grid, version)


with shared.page(
    __file__,
    "Draw a digit (or pick one the model never saw in training): it names it, with each digit's probability.",
    uses=[MODEL, "digits-data"],
) as demo:
    with gr.Tab("Read a digit"), gr.Row():
        with gr.Column():
            with gr.Tab("Draw"):
                sketch = shared.sketch_input("Draw one digit", **CANVAS)
                read = gr.Button("Read the drawing", variant="primary")
            with gr.Tab("Held-out examples"):
                number = gr.Slider(0, len(grids) - 1, step=1, value=0, label="Example (test split)")
                pick = gr.Button("Read the example", variant="primary")
                truth = gr.Markdown()
        with gr.Column():
            digit = gr.Label(label="Digit", num_top_classes=10)
            seen = gr.Image(label="What the model reads (8×8 ink counts)", interactive=False, height=180)
            shared.feedback("read", inputs=[sketch, number], outputs=[digit, truth])
    read.click(read_drawing, inputs=sketch, outputs=[digit, seen], api_name="read_drawing")
    pick.click(read_example, inputs=number, outputs=[digit, seen], api_name="read_example").success(
        example_label, inputs=number, outputs=truth, api_name="example_label"
    )
    shared.compare(
        MODEL,
        run=compare_drawing,
        inputs=lambda: [shared.sketch_input("Draw one digit", **CANVAS)],
        output=lambda side: gr.Label(label=f"Version {side}", num_top_classes=3),
        endpoint="read_drawing",
        intro="Draw a digit: two versions of the model read it. Which reads it better?",
    )

if __name__ == "__main__":
    demo.launch()
