"""The look every app shares, and inputs that refuse bad values with a clear message.

`page` is the frame of every demo: a header (title and one line), a notice when any artifact is
a sandbox stand-in, and a footer listing each model and dataset at its pinned revision.
`check_text`, `text_validator` and `image_input` turn empty, oversized, mistyped or corrupt input
into a one-line message for the user; the app keeps serving.
"""

from __future__ import annotations

import html
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from shared.errors import InputError
from shared.hub import entry, hub_link, is_stand_in

import gradio as gr
from gradio.data_classes import ImageData

MAX_TEXT_CHARS = 5_000
MAX_IMAGE_PIXELS = 40_000_000
MAX_IMAGE_BYTES = 20 * 1024 * 1024

STAND_IN_NOTICE = (
    "⚠️ **Stand-in weights.** This app runs on the offline sandbox: stand-ins replace the real artifacts "
    "for {names} (random weights, sample data, or genuine weights converted from another format: each "
    "card says which), so its results are not the real models'. Run it against the Hub for real predictions."
)


@contextmanager
def page(title: str, description: str, *, uses: Sequence[str]) -> Iterator[gr.Blocks]:
    """The frame of a demo: use it as `with page(...) as demo:` and build the UI inside.

    Args:
        title: Name of the demo (the browser tab and the header).
        description: One line under the title.
        uses: Logical names of the registry entries the demo loads (listed in the footer).

    Yields:
        The `gr.Blocks` of the demo.
    """
    with gr.Blocks(title=title, analytics_enabled=False) as blocks:
        gr.Markdown(f"# {title}\n{description}", elem_id="suite-header")
        stand_ins = [name for name in uses if is_stand_in(name)]
        if stand_ins:
            gr.Markdown(
                STAND_IN_NOTICE.format(names=", ".join(stand_ins)),
                elem_id="suite-stand-in-notice",
            )
        yield blocks
        if uses:
            gr.HTML(footer_html(uses), elem_id="suite-footer")


def footer_html(uses: Sequence[str]) -> str:
    """The footer: one line per registry entry, linked to the Hub at its pinned revision."""
    items = []
    for name in uses:
        pinned = entry(name)
        label = f"{pinned.repo_type} {pinned.repo_id} @ {pinned.revision[:12]}"
        note = " (stand-in)" if is_stand_in(name) else ""
        items.append(
            f'<li><a href="{html.escape(hub_link(name))}" target="_blank" rel="noopener">{html.escape(label)}</a>'
            f"{note}{' — ' + html.escape(pinned.description) if pinned.description else ''}</li>"
        )
    return f"<footer><small>Pinned artifacts:<ul>{''.join(items)}</ul></small></footer>"


def _refuse(message: str) -> gr.Error:
    """The error a bad input gets: shown to the user, not logged as a server fault."""
    return gr.Error(message, print_exception=False)


@contextmanager
def as_user_error() -> Iterator[None]:
    """Show an `InputError` raised inside the block to the user as a `gr.Error` (not a server fault).

    Example:
        >>> with as_user_error():
        ...     samples = read_speech(path)  # "The recording is silent: ..." in the UI
    """
    try:
        yield
    except InputError as exc:
        raise _refuse(str(exc)) from None


def check_text(value: object, *, what: str = "text", max_chars: int = MAX_TEXT_CHARS) -> str:
    """Return `value` stripped, or raise `gr.Error` saying why it cannot be used.

    Args:
        value: What the user (or an API client) sent.
        what: How to call the input in the message.
        max_chars: Longest accepted input.

    Raises:
        gr.Error: not a string, empty, only whitespace, or longer than `max_chars`.
    """
    if value is None:
        raise _refuse(f"Enter some {what} first.")
    if not isinstance(value, str):
        raise _refuse(f"The {what} must be a string, not {type(value).__name__}.")
    if len(value) > max_chars:
        raise _refuse(f"The {what} is {len(value):,} characters long; the limit is {max_chars:,}. Shorten it.")
    text = value.strip()
    if not text:
        raise _refuse(f"Enter some {what} first.")
    return text


def check_whole_number(value: object, *, what: str, low: int, high: int) -> int:
    """Return `value` as an int in `[low, high]`, or raise `gr.Error`."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise _refuse(f"The {what} must be a whole number from {low} to {high}, not {value!r}.")
    if not low <= value <= high:
        raise _refuse(f"The {what} must be from {low} to {high}, not {int(value)}.")
    return int(value)


def text_validator(*, what: str = "text", max_chars: int = MAX_TEXT_CHARS) -> Callable[[Sequence[object]], Any]:
    """A Gradio `validator=` for a batched event with one text input and `preprocess=False`.

    The validator runs per request before the request joins a batch, so one user's bad input
    is refused on its own (the UI marks the textbox; API clients get a ValidationError) and
    never fails the batch it would have shared.
    """

    def validate(values: Sequence[object]) -> list[list[dict[str, Any]]]:
        try:
            check_text(values[0], what=what, max_chars=max_chars)
        except gr.Error as exc:
            return [[gr.validate(False, str(exc.message))]]
        return [[gr.validate(True, "")]]

    return validate


class _ImagePayload(ImageData):
    """Image payload whose parsing failure is a message for the user, not a server error."""

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().model_validate(obj, *args, **kwargs)
        except Exception:
            raise _refuse(f"Expected an image file, got {type(obj).__name__}: upload a PNG, JPEG or WebP.") from None


def image_input(label: str = "Image", **kwargs: Any) -> gr.Image:
    """A `gr.Image` (PIL, RGB) that refuses non-images, corrupt and huge images with a message.

    A configured instance, not a subclass: Gradio writes a `.pyi` file next to the module of
    every Component subclass, which a read-only Space cannot take.

    Args:
        label: Label of the component.
        **kwargs: Passed to `gr.Image`.
    """
    kwargs.setdefault("type", "pil")
    kwargs.setdefault("image_mode", "RGB")
    component = gr.Image(label=label, **kwargs)
    component.data_model = _ImagePayload
    plain_preprocess = component.preprocess

    def preprocess(payload: ImageData | None) -> Any:
        if payload is None:
            return None
        _check_image_file(payload.path)
        from PIL import Image

        try:
            image = plain_preprocess(payload)
            if isinstance(image, Image.Image):
                image.load()
        except gr.Error:
            raise
        except Exception:
            raise _refuse("The image is corrupt or truncated: upload it again or try another file.") from None
        return image

    component.preprocess = preprocess  # type: ignore[method-assign]
    return component


def _check_image_file(path: str | None) -> None:
    """Refuse files too big to decode safely, or that are no image at all, before decoding them."""
    if not path or not os.path.isfile(path):
        return
    from PIL import Image

    size = os.path.getsize(path)
    if size > MAX_IMAGE_BYTES:
        raise _refuse(f"The image file is {size / 2**20:.0f} MB; the limit is {MAX_IMAGE_BYTES // 2**20} MB.")
    try:
        with Image.open(path) as probe:
            width, height = probe.size
    except Image.DecompressionBombError:
        width = height = MAX_IMAGE_PIXELS  # far beyond the limit: PIL refused to open it
    except Exception:
        raise _refuse("That file is not an image this app can read: upload a PNG, JPEG or WebP.") from None
    if width * height > MAX_IMAGE_PIXELS:
        raise _refuse(
            f"The image is {width:,}×{height:,} pixels; the limit is {MAX_IMAGE_PIXELS // 1_000_000} megapixels. "
            "Resize it."
        )


def _accept_batched_validation() -> None:
    """Make Gradio honour `validator=` on batched events.

    gradio 6.31 hands the validation result of a batched event over as a tuple and then only
    inspects lists, so every input passes. Converting the tuple restores the documented
    behaviour; tests/shared/test_ui.py fails if Gradio changes here.
    """
    import gradio.queueing as queueing

    original = queueing.process_validation_response
    if getattr(original, "_accepts_batches", False):
        return

    def process_validation_response(response: Any, fn: Any = None) -> Any:
        return original(list(response) if isinstance(response, tuple) else response, fn)

    process_validation_response._accepts_batches = True  # type: ignore[attr-defined]
    queueing.process_validation_response = process_validation_response


_accept_batched_validation()
