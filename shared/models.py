"""The suite's own model classes: plain PyTorch modules made Hub-aware with `PyTorchModelHubMixin`.

A class here is the code half of one of our published models (its weights and config live on the
Hub): `scripts/publish.py` trains and publishes it, apps load it by registry name through
`shared.load_model`, which maps the entry's `task` to the class. Everything that turns an input
into what the network sees is a method of the class, so training and apps share one copy.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from huggingface_hub import PyTorchModelHubMixin
from torch import nn

BITMAP_CELL = 4  # the UCI digits: 32×32 bitmaps, ink counted in 4×4 cells (0–16 per cell)


class DigitClassifier(
    nn.Module,
    PyTorchModelHubMixin,
    library_name="pytorch",
    license="apache-2.0",
    tags=["image-classification", "digits"],
):
    """A small MLP that reads an 8×8 grid of ink counts (scikit-learn's digits) and names the digit.

    The constructor's arguments are the model's config (saved as config.json by the mixin) and
    include the preprocessing: `grid_size` cells a side, each counting the inked pixels of a
    4×4 block of a 32×32 bitmap, so `max_value` = 16.

    Args:
        grid_size: Cells per side of the input grid.
        max_value: Ink count of a full cell (inputs are divided by it).
        hidden_size: Width of the two hidden layers.
        num_classes: Digits 0–9.
        dropout: Dropout after the first hidden layer (training only).

    Example:
        >>> model = DigitClassifier()
        >>> model.probabilities(np.zeros((1, 8, 8))).shape
        torch.Size([1, 10])
    """

    def __init__(
        self,
        grid_size: int = 8,
        max_value: float = 16.0,
        hidden_size: int = 128,
        num_classes: int = 10,
        dropout: float = 0.1,
    ) -> None:
        super().__init__()
        self.grid_size = grid_size
        self.max_value = max_value
        self.layers = nn.Sequential(
            nn.Flatten(),
            nn.Linear(grid_size * grid_size, hidden_size),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden_size, hidden_size),
            nn.ReLU(),
            nn.Linear(hidden_size, num_classes),
        )

    def forward(self, pixels: torch.Tensor, labels: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Logits for a batch of grids (N×grid×grid ink counts); with `labels`, also the loss (Trainer)."""
        logits = self.layers(pixels.float() / self.max_value)
        if labels is None:
            return {"logits": logits}
        return {"loss": nn.functional.cross_entropy(logits, labels), "logits": logits}

    @torch.inference_mode()
    def probabilities(self, grids: Any) -> torch.Tensor:
        """Class probabilities (N×10, on the CPU) for grids of ink counts (array-like, N×grid×grid)."""
        device = next(self.parameters()).device
        pixels = torch.as_tensor(np.asarray(grids, dtype=np.float32), device=device)
        return self(pixels)["logits"].float().softmax(-1).cpu()

    def grid_from_image(self, image: np.ndarray) -> np.ndarray | None:
        """An 8×8 grid of ink counts from a drawing, made the way the training digits were made.

        The ink (dark strokes on a light background, or opaque strokes on a transparent one) is
        cropped to its bounding box, thickened to a stroke like the dataset's, scaled to fit a
        32×32 bitmap (centred, aspect kept), and counted in 4×4 cells. Any image size works.

        Returns:
            The grid (floats 0–`max_value`), or None when there is no ink at all.
        """
        from PIL import Image, ImageFilter

        ink = _ink(np.asarray(image))
        rows, cols = np.nonzero(ink > 0.5)
        if rows.size == 0:
            return None
        inked = ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1] > 0.5
        # Strokes about an eighth of the digit's size, as in the dataset, whatever brush drew them.
        grow = round(max(inked.shape) / 8 - _stroke_width(inked))
        bitmap = Image.fromarray(np.pad(inked, max(grow, 0) // 2).astype(np.uint8) * 255)
        if grow >= 2:
            bitmap = bitmap.filter(ImageFilter.MaxFilter(grow | 1))
        box = np.asarray(bitmap)
        side = self.grid_size * BITMAP_CELL
        scale = side / max(box.shape)
        height, width = max(1, round(box.shape[0] * scale)), max(1, round(box.shape[1] * scale))
        small = np.asarray(bitmap.resize((width, height), Image.Resampling.BOX), dtype=np.float32) / 255
        canvas = np.zeros((side, side), dtype=np.float32)
        top, left = (side - height) // 2, (side - width) // 2
        canvas[top : top + height, left : left + width] = small > 0.5
        cells = canvas.reshape(self.grid_size, BITMAP_CELL, self.grid_size, BITMAP_CELL).sum(axis=(1, 3))
        return cells * (self.max_value / BITMAP_CELL**2)


def _stroke_width(inked: np.ndarray) -> float:
    """Mean stroke width in pixels: ink area over half the ink's outline (a line of width w and
    length L has area wL and an outline of about 2L)."""
    padded = np.pad(inked, 1)
    inner = padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:]
    outline = np.count_nonzero(inked & ~inner)
    return 2 * np.count_nonzero(inked) / max(outline, 1)


def _ink(image: np.ndarray) -> np.ndarray:
    """How much ink each pixel holds, 0–1."""
    pixels = image.astype(np.float32)
    if pixels.max(initial=0) > 1:
        pixels /= 255.0
    if pixels.ndim == 2:
        return 1.0 - pixels
    luminance = pixels[..., :3] @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    if pixels.shape[-1] == 4 and pixels[..., 3].min() < 1:  # strokes on a transparent layer
        return pixels[..., 3] * (1.0 - luminance)
    return 1.0 - luminance


# Registry `task` → the class that loads it (shared.load_model).
MODEL_CLASSES: dict[str, type[nn.Module]] = {"digit-classification": DigitClassifier}
