"""The suite's own model classes: plain PyTorch modules made Hub-aware with `PyTorchModelHubMixin`.

A class here is the code half of one of our published models (its weights and config live on the
Hub): `scripts/publish.py` trains and publishes it, apps load it by registry name through
`shared.load_model`, which maps the entry's `task` to the class. Everything that turns an input
into what the network sees is a method of the class, so training and apps share one copy.
"""

from __future__ import annotations

from typing import Any

from shared.limits import DRAWING_WORKING_SIDE

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

    def grid_from_image(self, image: Any) -> np.ndarray | None:
        """An 8×8 grid of ink counts from a drawing, made the way the training digits were made.

        The ink (dark strokes on a light background, or opaque strokes on a transparent one) is
        cropped to its bounding box and brought to a fixed working size (at most
        `DRAWING_WORKING_SIDE` a side, max-pooled so thin strokes survive), thickened there to a
        stroke like the dataset's, scaled to fit a 32×32 bitmap (centred, aspect kept), and
        counted in 4×4 cells. Any image size works, at a cost that grows only with its pixel
        count (the per-pixel work before the working size is a threshold and a crop).

        Args:
            image: The drawing: a PIL image or an array (H×W grey, H×W×3 RGB or H×W×4 RGBA).

        Returns:
            The grid (floats 0–`max_value`), or None when there is no ink at all.
        """
        from PIL import Image

        ink = _ink(image)
        box = ink.getbbox()
        if box is None:
            return None
        ink = ink.crop(box)
        factor = -(-max(ink.size) // DRAWING_WORKING_SIDE)
        if factor > 1:  # a cell of the working size is inked when any of its pixels is
            ink = ink.reduce(factor)
        inked = np.asarray(ink) > 0
        # Strokes about an eighth of the digit's size, as in the dataset, whatever brush drew them.
        grow = round(max(inked.shape) / 8 - _stroke_width(inked))
        box = np.pad(inked, max(grow, 0) // 2)
        if grow >= 2:
            box = _dilate(box, grow | 1)
        side = self.grid_size * BITMAP_CELL
        scale = side / max(box.shape)
        height, width = max(1, round(box.shape[0] * scale)), max(1, round(box.shape[1] * scale))
        bitmap = Image.fromarray(box.astype(np.uint8) * 255)
        small = np.asarray(bitmap.resize((width, height), Image.Resampling.BOX), dtype=np.float32) / 255
        canvas = np.zeros((side, side), dtype=np.float32)
        top, left = (side - height) // 2, (side - width) // 2
        canvas[top : top + height, left : left + width] = small > 0.5
        cells = canvas.reshape(self.grid_size, BITMAP_CELL, self.grid_size, BITMAP_CELL).sum(axis=(1, 3))
        return cells * (self.max_value / BITMAP_CELL**2)


def _ink(image: Any) -> Any:
    """Which pixels hold ink (more than half), as a PIL "L" image of 0 and 255: dark on light, or
    opaque on transparent. Per-pixel work is PIL's (C, a byte a pixel): no float copy of a canvas."""
    from PIL import Image, ImageChops, ImageOps

    if not isinstance(image, Image.Image):
        pixels = np.asarray(image)
        if pixels.dtype != np.uint8:  # floats 0–1 (or 0–255)
            scale = 255.0 if pixels.max(initial=0) <= 1 else 1.0
            pixels = np.clip(pixels * scale, 0, 255).astype(np.uint8)
        image = Image.fromarray(pixels)
    if image.mode not in ("L", "LA", "RGB", "RGBA"):
        image = image.convert("RGBA")
    ink = ImageOps.invert(image.convert("L"))
    if image.mode in ("LA", "RGBA"):
        alpha = image.getchannel("A")
        if alpha.getextrema()[0] < 255:  # strokes on a transparent layer
            ink = ImageChops.multiply(alpha, ink)
    return ink.point(lambda value: 255 if value > 127 else 0)


def _dilate(mask: np.ndarray, size: int) -> np.ndarray:
    """Square dilation (a max filter of odd `size`), separable: rows, then columns."""
    from numpy.lib.stride_tricks import sliding_window_view

    half = size // 2
    rows = sliding_window_view(np.pad(mask, ((0, 0), (half, half))), size, axis=1).any(axis=-1)
    return sliding_window_view(np.pad(rows, ((half, half), (0, 0))), size, axis=0).any(axis=-1)


def _stroke_width(inked: np.ndarray) -> float:
    """Mean stroke width in pixels: ink area over half the ink's outline (a line of width w and
    length L has area wL and an outline of about 2L)."""
    padded = np.pad(inked, 1)
    inner = padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:]
    outline = np.count_nonzero(inked & ~inner)
    return 2 * np.count_nonzero(inked) / max(outline, 1)


# Registry `task` → the class that loads it (shared.load_model).
MODEL_CLASSES: dict[str, type[nn.Module]] = {"digit-classification": DigitClassifier}
