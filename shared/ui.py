"""The look every app shares, the bounds every app serves within, and inputs that refuse bad
values with a clear message.

`page` is the frame of every demo: a header (title and one line), a notice when any artifact is
a sandbox stand-in, and a footer listing each model and dataset at its pinned revision. It also
bounds what the app takes (`shared.limits`): a queue of limited size with one request per event
at a time, request bodies and uploads of limited size (checked before they are read), and
uploads deleted from the cache after an hour.

There is one way to refuse input: raise `shared.InputError` (the checks `check_text` and
`check_whole_number` do, and so do `Chat.prompt` and `read_speech`). The page shows it to the
user as one line, from any event handler of the page, from the inputs `image_input` and
`sketch_input` (which check files from their headers before decoding them) and from the `check`
of a `shared.batched` handler (per request, before it joins a batch). Apps check on the CPU and
then call their `@shared.gpu` function, so a refused request books no GPU time.

Stakeholders' verdicts go into the page's feedback log (`shared.feedback_log`): `feedback` (👍 /
👎 under an output), `chat_feedback` (the Chatbot's own) and `compare` (two versions of a model,
blind, when the registry names a candidate).
"""

from __future__ import annotations

import functools
import html
import inspect
import io
import os
import re
import secrets
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from shared.batching import Batched
from shared.catalog import MAX_PREVIEW_NAME, PREVIEW_ENV, PREVIEW_NAME, read_space
from shared.errors import InputError, ServerError
from shared.feedback_log import FOLDER_ENV as FEEDBACK_FOLDER_ENV
from shared.feedback_log import FeedbackLog, Pin, summarised
from shared.hub import entry, hub_link, is_stand_in, versions
from shared.limits import (
    CONCURRENCY,
    IMAGE_WORKING_SIDE,
    MAX_AUDIO_BYTES,
    MAX_FEEDBACK_COMMENT_CHARS,
    MAX_IMAGE_BYTES,
    MAX_IMAGE_PIXELS,
    MAX_REQUEST_BYTES,
    QUEUE_SIZE,
)
from shared.serving import footer_note, is_served, server_concurrency

import gradio as gr
from gradio.data_classes import FileData, ImageData

# Uploads older than this are deleted from Gradio's cache (checked as often): disk stays bounded.
UPLOAD_LIFETIME_SECONDS = 3600
# Drawings whose canvas was sent (in the browser, as blobs) but never submitted, kept at most.
MAX_PENDING_DRAWINGS = 2 * QUEUE_SIZE
MAX_DRAWING_LAYERS = 16

# Gradio rebuilds its monitoring summary (a pandas table of up to 10,000 past events) after every
# event of every batch by default: about 10 ms of CPU per request once a Space has served 10,000,
# competing with the model for the GIL. Every 100 events keeps the dashboard fresh for a tenth of
# a millisecond a request (gradio reads the variable when the queue is made; a value set outside wins).
ANALYTICS_REFRESH_EVENTS = 100

# The feedback log of the page being built (`feedback` and `chat_feedback` add to it).
_PAGE_LOG: ContextVar[FeedbackLog] = ContextVar("page_feedback_log")

STAND_IN_NOTICE = (
    "⚠️ **Stand-in weights.** This app runs on the offline sandbox: stand-ins replace the real artifacts "
    "for {names} (random weights, sample data, or genuine weights converted from another format: each "
    "card says which), so its results are not the real models'. Run it against the Hub for real predictions."
)
PREVIEW_NOTICE = (
    "🔍 **Preview `{name}`.** This Space runs a pull request's version of the demo on CPU hardware, so it "
    "is slower than the live demo; it is deleted when the pull request closes."
)


@contextmanager
def page(app: str | os.PathLike[str], description: str, *, uses: Sequence[str]) -> Iterator[gr.Blocks]:
    """The frame of a demo: use it as `with page(__file__, ...) as demo:` and build the UI inside.

    Args:
        app: The app's file (`__file__`): the title is the `title` of the README next to it, the
            one the Space shows.
        description: One line under the title.
        uses: Logical names of the registry entries the demo loads (listed in the footer, with
            their candidates).

    Yields:
        The `gr.Blocks` of the demo.

    Raises:
        SpaceConfigError: the app's folder has no README with front matter.
    """
    folder = os.path.dirname(os.path.abspath(app))
    space = read_space(folder)
    uses = [version for name in uses for version in versions(name)]  # candidates are used too
    log = FeedbackLog(
        os.path.basename(folder),
        pins=[_pin(name) for name in uses],
        keep_bytes=space.feedback_keeps_files or None,  # None: the deployed Space's variable decides
        folder=os.environ.get(FEEDBACK_FOLDER_ENV) or os.path.join(folder, "feedback"),
    )
    title = space.title
    with gr.Blocks(
        title=title, analytics_enabled=False, delete_cache=(UPLOAD_LIFETIME_SECONDS, UPLOAD_LIFETIME_SECONDS)
    ) as blocks:
        gr.Markdown(f"# {title}\n{description}", elem_id="suite-header")
        preview = os.environ.get(PREVIEW_ENV, "")
        if preview and PREVIEW_NAME.match(preview) and len(preview) <= MAX_PREVIEW_NAME:
            gr.Markdown(PREVIEW_NOTICE.format(name=preview), elem_id="suite-preview-notice")
        stand_ins = [name for name in uses if is_stand_in(name)]
        if stand_ins:
            gr.Markdown(
                STAND_IN_NOTICE.format(names=", ".join(stand_ins)),
                elem_id="suite-stand-in-notice",
            )
        token = _PAGE_LOG.set(log)
        try:
            yield blocks
        finally:
            _PAGE_LOG.reset(token)
        gr.HTML(footer_html(uses, feedback=log.where), elem_id="suite-footer")
    blocks.feedback_log = log  # type: ignore[attr-defined]
    # Every version counts: a Compare tab runs the candidate too.
    models = [version for name in uses for version in versions(name)]
    served = bool(models) and all(is_served(m) for m in models)
    _bound(blocks, concurrency=min(server_concurrency(m) for m in models) if served else CONCURRENCY)


def feedback(endpoint: str, *, inputs: Sequence[Any], outputs: Sequence[Any]) -> None:
    """👍 / 👎 and an optional comment under an output: each click is one record of the page's
    feedback log (`shared.feedback_log`), with the inputs and outputs as they are on the page.

    Call it inside `with page(...)`, where the buttons should appear.

    Args:
        endpoint: The API name of the event whose output is judged.
        inputs: The components of its input.
        outputs: The components of its output.
    """
    log = _page_log("feedback")
    with gr.Row(elem_classes="suite-feedback"):
        up = gr.Button("👍", size="sm", min_width=60, scale=0, elem_classes="suite-feedback-up")
        down = gr.Button("👎", size="sm", min_width=60, scale=0, elem_classes="suite-feedback-down")
        comment = gr.Textbox(
            label="Comment", placeholder="A comment for the team (optional)", show_label=False, container=False,
            scale=4,
            max_length=MAX_FEEDBACK_COMMENT_CHARS,
        )  # fmt: skip
    thanks = gr.Markdown(elem_classes="suite-feedback-thanks")
    count = len(inputs)

    def judge(verdict: str) -> Callable[..., Any]:
        def record(request: gr.Request, comment_text: str, *values: Any) -> tuple[str, str]:
            log.record(
                endpoint=endpoint, verdict=verdict, comment=comment_text, input=list(values[:count]),
                output=list(values[count:]), session=_session_of(request),
            )  # fmt: skip
            return "", f"Thank you: {'👍' if verdict == 'up' else '👎'} recorded."

        return record

    for button, verdict in ((up, "up"), (down, "down")):
        button.click(
            judge(verdict), inputs=[comment, *inputs, *outputs], outputs=[comment, thanks],
            api_name=f"feedback_{endpoint}_{verdict}",
        )  # fmt: skip


def chat_feedback(chatbot: Any, *, endpoint: str) -> None:
    """Record the chatbot's own 👍 / 👎 on an answer (its like event), with the question before it."""
    log = _page_log("chat_feedback")

    def record(history: list[Any], liked: gr.LikeData, request: gr.Request) -> None:
        index = liked.index if isinstance(liked.index, int) else (liked.index or [0])[0]
        question = next(
            (m.get("content") for m in reversed(history[:index]) if isinstance(m, dict) and m.get("role") == "user"),
            None,
        )
        verdict = "up" if liked.liked is True or liked.liked == "Like" else "down"
        log.record(
            endpoint=endpoint, verdict=verdict, input=question, output=liked.value, session=_session_of(request),
        )  # fmt: skip

    chatbot.like(record, inputs=chatbot, outputs=None)


def compare(
    name: str,
    *,
    run: Callable[..., Any],
    inputs: Callable[[], Sequence[Any]],
    output: Callable[[str], Any],
    endpoint: str,
    intro: str = "",
) -> None:
    """A *Compare versions* tab, when registry entry `name` has a candidate (nothing otherwise).

    The same input goes through `name` and `name@candidate` in a random order per request, shown
    side by side as "A" and "B" without saying which is which; the stakeholder picks the better
    one (or "same", or "both bad"), kept as one record of the page's feedback log with both
    pins. Which was which is said only after the choice, and each comparison takes one choice.
    Call it inside `with page(...)`, among the page's tabs.

    Args:
        name: A registry entry.
        run: `run(version, *values)`: the output for the input values, with `version` the
            registry name to use (`name` or `name@candidate`); a generator streams its output.
            It refuses bad input the one way (`InputError`), before any GPU time is asked for.
        inputs: Makes the tab's input components.
        output: Makes one output component, given its side ("A" or "B").
        endpoint: The comparison's API name (`compare_<endpoint>`), kept in each record.
        intro: A line above the inputs.
    """
    pair = versions(name)
    if len(pair) < 2:
        return
    log = _page_log("compare")
    compared = [_pin(version) for version in pair]
    with gr.Tab("Compare versions", elem_id="suite-compare"):
        if intro:
            gr.Markdown(intro)
        fields = list(inputs())
        go = gr.Button("Compare", variant="primary")
        with gr.Row():
            sides = [output(side) for side in COMPARE_SIDES]
        with gr.Row(elem_classes="suite-compare-choices"):
            buttons = [gr.Button(text, size="sm") for text, _ in _CHOICES]
        comment = gr.Textbox(
            label="Comment", placeholder="A comment for the team (optional)", show_label=False, container=False,
            max_length=MAX_FEEDBACK_COMMENT_CHARS,
        )  # fmt: skip
        thanks = gr.Markdown(elem_classes="suite-compare-thanks")
    # Held on the server, for this browser session only: which version is A (the page never knows).
    shown = gr.State(None, time_to_live=UPLOAD_LIFETIME_SECONDS)

    def run_both(*values: Any) -> Iterator[tuple[Any, Any, Any, str]]:
        order = list(pair) if secrets.randbelow(2) else list(reversed(pair))
        answers: list[Any] = [None, None]
        for side, version in enumerate(order):
            answer = run(version, *values)
            if inspect.isgenerator(answer):
                for partial in answer:
                    answers[side] = partial
                    yield answers[0], answers[1], None, ""
            else:
                answers[side] = answer
        seen = {
            "order": order,
            "input": summarised(values, keep_bytes=log.keep_bytes),
            "output": summarised(answers, keep_bytes=log.keep_bytes),
        }
        yield answers[0], answers[1], seen, ""

    go.click(run_both, inputs=fields, outputs=[*sides, shown, thanks], api_name=f"compare_{endpoint}")

    def choose(choice: str) -> Callable[..., Any]:
        def record(request: gr.Request, comment_text: str, seen: dict[str, Any] | None) -> tuple[str, None, str]:
            if not seen:
                raise InputError("Compare first (and wait for both answers), then choose.")
            log.record(
                endpoint=endpoint, verdict=_verdict(choice, seen["order"], baseline=name), comment=comment_text,
                input=seen["input"], output=seen["output"], compared=compared, session=_session_of(request),
            )  # fmt: skip
            a, b = (entry(version) for version in seen["order"])
            return "", None, f"Thank you: recorded. A was {_version_label(a)}; B was {_version_label(b)}."

        return record

    for button, (_, choice) in zip(buttons, _CHOICES, strict=True):
        button.click(
            choose(choice), inputs=[comment, shown], outputs=[comment, shown, thanks],
            api_name=f"compare_{endpoint}_{choice.replace(' ', '_')}",
        )  # fmt: skip


COMPARE_SIDES = ("A", "B")
# What the stakeholder can say, and what it is called in the buttons' API names.
_CHOICES = (("A is better", "a"), ("B is better", "b"), ("Same", "same"), ("Both bad", "both bad"))


def _verdict(choice: str, order: Sequence[str], *, baseline: str) -> str:
    """A choice of side ("a", "b") as the version it names (`CHOICES` of the feedback log)."""
    if choice in ("a", "b"):
        picked = order[0 if choice == "a" else 1]
        return "baseline" if picked == baseline else "candidate"
    return choice


def _version_label(pinned: Any) -> str:
    role = "the candidate" if pinned.is_candidate else "the pinned version"
    return f"{role} ({pinned.repo_id}@{pinned.revision[:12]})"


def _pin(name: str) -> Pin:
    pinned = entry(name)
    return Pin(name, pinned.repo_id, pinned.revision)


def _page_log(helper: str) -> FeedbackLog:
    """The feedback log of the page being built."""
    log = _PAGE_LOG.get(None)
    if log is None:
        raise RuntimeError(f"shared.{helper}(...) belongs inside `with shared.page(...)`")
    return log


def _session_of(request: gr.Request | None) -> str:
    return getattr(request, "session_hash", "") or ""


def footer_html(uses: Sequence[str], *, feedback: str = "") -> str:
    """The footer: one line per registry entry, linked to the Hub at its pinned revision, and
    where feedback goes."""
    items = []
    for name in uses:
        pinned = entry(name)
        label = f"{pinned.repo_type} {pinned.repo_id} @ {pinned.revision[:12]}"
        note = " (stand-in)" if is_stand_in(name) else ""
        served = footer_note(name)
        note += f" — {html.escape(served)}" if served else ""
        items.append(
            f'<li><a href="{html.escape(hub_link(name))}" target="_blank" rel="noopener">{html.escape(label)}</a>'
            f"{note}{' — ' + html.escape(pinned.description) if pinned.description else ''}</li>"
        )
    pinned_list = f"Pinned artifacts:<ul>{''.join(items)}</ul>" if items else ""
    kept = f"<p>Feedback (👍 / 👎) goes to {html.escape(feedback)}.</p>" if feedback else ""
    return f"<footer><small>{pinned_list}{kept}</small></footer>"


def _bound(blocks: gr.Blocks, *, concurrency: int = CONCURRENCY) -> None:
    """Refusals shown as one line; a bounded queue and `concurrency` requests per event at a time
    (one; where inference servers answer for every model, what they take: `shared.serving`; a
    batch's worth for a `shared.batched` handler); launch with bounded bodies and uploads.

    The queue's limit answers a flood at once ("the queue is full") instead of holding every
    request in memory. `launch` keeps its signature; it only gets defaults for `max_file_size`
    (the largest file any input of this app takes) and a middleware that refuses request bodies
    over their limit from `Content-Length`, or as soon as they pass it, before they are read.
    """
    for block_fn in blocks.fns.values():
        if isinstance(block_fn.fn, Batched) and block_fn.concurrency_limit == "default":
            block_fn.concurrency_limit = block_fn.fn.max_size  # they wait for one batch together
        if block_fn.fn is not None:
            block_fn.fn = _refusing(block_fn.fn)
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", str(ANALYTICS_REFRESH_EVENTS))
    blocks.queue(max_size=QUEUE_SIZE, default_concurrency_limit=concurrency)
    upload_limit = upload_limit_of(blocks)
    plain_launch = blocks.launch

    @functools.wraps(plain_launch)
    def launch(*args: Any, **kwargs: Any) -> Any:
        from starlette.middleware import Middleware

        kwargs.setdefault("max_file_size", upload_limit)
        app_kwargs = dict(kwargs.get("app_kwargs") or {})
        app_kwargs["middleware"] = [
            *app_kwargs.get("middleware", []),
            Middleware(_BodyLimit, upload_bytes=upload_limit + 64 * 1024, other_bytes=MAX_REQUEST_BYTES),
        ]
        kwargs["app_kwargs"] = app_kwargs
        return plain_launch(*args, **kwargs)

    blocks.launch = launch  # type: ignore[method-assign]


def upload_limit_of(blocks: gr.Blocks) -> int:
    """The largest file any input of `blocks` takes (`shared.limits`); small when none takes files."""
    limits = [MAX_REQUEST_BYTES]
    for block in blocks.blocks.values():
        if isinstance(block, gr.Audio):
            limits.append(MAX_AUDIO_BYTES)
        elif isinstance(block, gr.Image | gr.ImageEditor):
            limits.append(MAX_IMAGE_BYTES)
    return max(limits)


class _BodyLimit:
    """ASGI middleware: a request body over its limit gets 413 before the app reads any of it.

    File uploads (Gradio's upload and component-server routes) may be as large as the largest
    file the app takes and must declare their length; any other body (JSON of the inputs) is
    small, so one without a declared length is read here, up to the limit, and then replayed.
    """

    def __init__(self, app: Any, *, upload_bytes: int, other_bytes: int) -> None:
        self.app = app
        self.upload_bytes = upload_bytes
        self.other_bytes = other_bytes

    async def __call__(self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = scope.get("path", "").rstrip("/").endswith(("/upload", "/component_server"))
        limit = self.upload_bytes if upload else self.other_bytes
        too_large = f"Request body too large: the limit is {limit / 2**20:.0f} MB."
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None:
            if not declared.isdigit() or int(declared) > limit:
                await _answer(send, 413, too_large)
                return
            await self.app(scope, receive, send)  # the server never reads past the declared length
            return
        if b"chunked" not in headers.get(b"transfer-encoding", b""):
            await self.app(scope, receive, send)  # no body
            return
        if upload:
            await _answer(send, 411, "Send uploads with a Content-Length.")
            return
        messages, size = [], 0
        while True:
            message = await receive()
            messages.append(message)
            size += len(message.get("body", b""))
            if size > limit:
                await _answer(send, 413, too_large)
                return
            if message["type"] != "http.request" or not message.get("more_body", False):
                break

        async def replay() -> dict[str, Any]:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


async def _answer(send: Callable[..., Any], status: int, text: str) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": text.encode()})


def _refuse(message: str) -> gr.Error:
    """The error a bad input gets: shown to the user, not logged as a server fault."""
    return gr.Error(message, print_exception=False)


@contextmanager
def _shown() -> Iterator[None]:
    """An `InputError` (or a model server's `ServerError`) raised inside the block reaches the user
    as its one line (not a server fault)."""
    try:
        yield
    except (InputError, ServerError) as exc:  # a model server's failure is one line too; the app goes on
        raise _refuse(str(exc)) from None


def _refusing(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`fn`, of the same kind (plain, generator, async, async generator), with refusals shown."""
    if inspect.isasyncgenfunction(fn):

        @functools.wraps(fn)
        async def async_generator(*args: Any, **kwargs: Any) -> Any:
            with _shown():
                async for item in fn(*args, **kwargs):
                    yield item

        return async_generator
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def coroutine(*args: Any, **kwargs: Any) -> Any:
            with _shown():
                return await fn(*args, **kwargs)

        return coroutine
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def generator(*args: Any, **kwargs: Any) -> Any:
            with _shown():
                yield from fn(*args, **kwargs)

        return generator

    @functools.wraps(fn)
    def plain(*args: Any, **kwargs: Any) -> Any:
        with _shown():
            return fn(*args, **kwargs)

    return plain


class _ImagePayload(ImageData):
    """Image payload whose parsing failure is a message for the user, not a server error."""

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> Any:
        with _shown():
            try:
                return super().model_validate(obj, *args, **kwargs)
            except Exception:
                raise InputError(
                    f"Expected an image file, got {type(obj).__name__}: upload a PNG, JPEG or WebP."
                ) from None


def image_input(label: str = "Image", **kwargs: Any) -> gr.Image:
    """A `gr.Image` (PIL, RGB) that refuses non-images, corrupt and huge images with a message.

    The file's size and its header's pixel count are checked before anything is decoded; then
    only its first frame is decoded, turned upright (EXIF), converted to `image_mode` and brought
    to at most `IMAGE_WORKING_SIDE` pixels a side (a JPEG decodes at that scale directly), so a
    large photo costs a fraction of its full size.

    A configured instance, not a subclass: Gradio writes a `.pyi` file next to the module of
    every Component subclass, which a read-only Space cannot take.

    Args:
        label: Label of the component.
        **kwargs: Passed to `gr.Image` (`type` "pil" or "numpy").
    """
    kwargs.setdefault("type", "pil")
    kwargs.setdefault("image_mode", "RGB")
    if kwargs["type"] not in ("pil", "numpy"):
        raise ValueError(f"image_input gives 'pil' or 'numpy' images, not {kwargs['type']!r}")
    component = gr.Image(label=label, **kwargs)
    component.data_model = _ImagePayload

    def preprocess(payload: ImageData | None) -> Any:
        if payload is None:
            return None
        image = _decode_image(payload.path, mode=component.image_mode or "RGB")
        if component.type == "pil":
            return image
        import numpy as np

        return np.asarray(image)

    component.preprocess = _refusing(preprocess)  # type: ignore[method-assign]
    return component


def _decode_image(path: str | None, *, mode: str) -> Any:
    from PIL import Image, ImageOps

    if not path or not os.path.isfile(path):
        raise InputError("Upload an image first.")
    _check_image_file(path)
    try:
        with Image.open(path) as picture:
            picture.draft(mode, (IMAGE_WORKING_SIDE, IMAGE_WORKING_SIDE))  # a JPEG decodes at that scale
            picture.thumbnail((IMAGE_WORKING_SIDE, IMAGE_WORKING_SIDE))  # in place: no full-size copy
            image = ImageOps.exif_transpose(picture)  # a new (small) image, upright
        image = image.convert(mode) if image.mode != mode else image
    except InputError:
        raise
    except Exception:
        raise InputError("The image is corrupt or truncated: upload it again or try another file.") from None
    return image


def _check_image_file(path: str) -> None:
    """Refuse files too big to decode safely, or that are no image at all, before decoding them."""
    with open(path, "rb") as file:
        _check_image(file, size=os.path.getsize(path))


def _check_image(file: Any, *, size: int) -> None:
    """Refuse an image over the byte limit, or whose header says it is too large (or that has no
    readable header)."""
    from PIL import Image

    if size > MAX_IMAGE_BYTES:
        raise InputError(f"The image file is {size / 2**20:.0f} MB; the limit is {MAX_IMAGE_BYTES // 2**20} MB.")
    limit = f"the limit is {MAX_IMAGE_PIXELS // 1_000_000} megapixels. Resize it."
    try:
        with Image.open(file) as probe:
            width, height = probe.size
    except Image.DecompressionBombError as bomb:  # PIL's own, far larger limit: it names only the count
        found = re.search(r"\((\d+) pixels\)", str(bomb))
        pixels = f"{int(found.group(1)):,} pixels" if found else "far too large"
        raise InputError(f"The image is {pixels}; {limit}") from None
    except Exception:
        raise InputError("That file is not an image this app can read: upload a PNG, JPEG or WebP.") from None
    if width * height > MAX_IMAGE_PIXELS:
        raise InputError(f"The image is {width:,}×{height:,} pixels; {limit}")


def sketch_input(label: str = "Drawing", **kwargs: Any) -> gr.Sketchpad:
    """A `gr.Sketchpad` whose value is only its composite image, checked before it is decoded.

    Gradio would decode the background and every layer the client sends (any number, any size)
    and keep canvases sent as blobs in memory until they are submitted. This one checks the
    composite's bytes and pixel count from its header, decodes nothing else, keeps at most
    `MAX_PENDING_DRAWINGS` unsubmitted canvases (composites only), and refuses a layer index past
    `MAX_DRAWING_LAYERS`. The app's function gets `{"composite": image, "background": None,
    "layers": []}` (image as `type` says), or None.

    A configured instance, not a subclass (see `image_input`).
    """
    component = gr.Sketchpad(label=label, **kwargs)
    plain_accept = component.accept_blobs
    pending = component.blob_storage

    def accept_blobs(data: Any) -> Any:
        kind = str(data.data.get("type"))
        index = data.data.get("index")
        if index not in (None, "", "null") and (not str(index).isdigit() or int(index) >= MAX_DRAWING_LAYERS):
            raise InputError(f"A drawing has at most {MAX_DRAWING_LAYERS} layers.")
        if kind != "composite":
            return None  # only the composite is ever read
        content = data.files[0][1] if data.files else b""
        _check_image(io.BytesIO(content), size=len(content))
        while len(pending) >= MAX_PENDING_DRAWINGS:  # the oldest canvas nobody submitted
            pending.pop(next(iter(pending)))
        return plain_accept(data)

    accept_blobs._is_server_fn = True  # type: ignore[attr-defined]
    component.accept_blobs = _refusing(accept_blobs)  # type: ignore[method-assign]

    def preprocess(payload: Any) -> Any:
        if payload is None:
            return None
        composite: Any = None
        if payload.id is not None:
            blobs = pending.pop(payload.id, None)
            composite = blobs.composite if blobs is not None else None
        elif isinstance(payload.composite, FileData):
            composite = payload.composite
        if composite is None:
            return {"background": None, "layers": [], "composite": None}
        try:
            if isinstance(composite, FileData):
                _check_image_file(composite.path)
            image = component.convert_and_format_image(composite, flatten_on_white=True)
        except InputError:
            raise
        except Exception:
            raise InputError("The drawing is corrupt or truncated: draw it again.") from None
        return {"background": None, "layers": [], "composite": image}

    component.preprocess = _refusing(preprocess)  # type: ignore[method-assign]
    return component


def _accept_batched_validation() -> None:
    """Make Gradio honour `validator=` on batched events.

    gradio 6.31 hands the validation result of a batched event over as a tuple and then only
    inspects lists, so every input passes. Converting the tuple restores the documented
    behaviour; tests/spaces/test_sentiment.py (a bad request does not fail its batch) fails if Gradio
    changes here.
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
