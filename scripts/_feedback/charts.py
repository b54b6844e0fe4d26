"""Charts of the report, drawn with Pillow (already installed with gradio): one bar per row, its
95% interval as a whisker, on a 0–100% axis."""

from __future__ import annotations

import io
from collections.abc import Sequence

from scripts._feedback.stats import Interval

WIDTH = 900
ROW = 34
LABEL_WIDTH = 420
MARGIN = 16
BAR = "#f97316"
WHISKER = "#1f2937"
GRID = "#d1d5db"


def rate_chart(title: str, rows: Sequence[tuple[str, Interval]], *, reference: float | None = None) -> bytes:
    """A PNG: each row's rate as a bar with its interval; `reference` (e.g. 0.5) as a dashed line."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default(size=14)
    bold = ImageFont.load_default(size=17)
    top = MARGIN + 34
    height = top + ROW * max(1, len(rows)) + 40
    image = Image.new("RGB", (WIDTH, height), "white")
    draw = ImageDraw.Draw(image)
    draw.text((MARGIN, MARGIN), title, fill=WHISKER, font=bold)
    left, right = LABEL_WIDTH, WIDTH - MARGIN - 70

    def x(rate: float) -> float:
        return left + rate * (right - left)

    bottom = top + ROW * max(1, len(rows))
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        draw.line([(x(tick), top - 4), (x(tick), bottom)], fill=GRID)
        draw.text((x(tick) - 12, bottom + 6), f"{tick:.0%}", fill=WHISKER, font=font)
    if reference is not None:
        for y in range(top, bottom, 8):
            draw.line([(x(reference), y), (x(reference), y + 4)], fill=WHISKER)
    for i, (label, interval) in enumerate(rows):
        y = top + i * ROW
        shown = label if len(label) <= 52 else label[:51] + "…"
        draw.text((MARGIN, y + 8), shown, fill=WHISKER, font=font)
        if interval.trials:
            draw.rectangle([(x(0), y + 8), (x(interval.rate), y + ROW - 8)], fill=BAR)
            middle = y + ROW // 2
            draw.line([(x(interval.low), middle), (x(interval.high), middle)], fill=WHISKER, width=2)
            for end in (interval.low, interval.high):
                draw.line([(x(end), middle - 6), (x(end), middle + 6)], fill=WHISKER, width=2)
        draw.text((right + 8, y + 8), f"{interval.rate:.0%} of {interval.trials}" if interval.trials else "none",
                  fill=WHISKER, font=font)  # fmt: skip
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
