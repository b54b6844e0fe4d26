"""`shared.page` bounds every app: a flood gets "the queue is full" at once, request bodies and
uploads over their limits are refused before they are read, and each event runs one at a time."""

from __future__ import annotations

import threading
import time

import shared
from shared import limits
from shared import ui as shared_ui
from shared.serving import server_concurrency, server_concurrency_env, server_env

import gradio as gr
import httpx
import pytest
from gradio_client import Client

from tests.harness.apps import running

RELEASE = threading.Event()


def wait_for_release(text: str) -> str:
    RELEASE.wait(30)
    return text.upper()


@pytest.fixture
def blocking_app(monkeypatch, app_file):
    monkeypatch.setattr(shared_ui, "QUEUE_SIZE", 2)
    RELEASE.clear()
    with shared.page(app_file("Bounds"), "A page that holds every request until released.", uses=[]) as demo:
        box = gr.Textbox()
        out = gr.Textbox()
        box.submit(wait_for_release, box, out, api_name="hold")
    with running(demo) as url:
        yield demo, url
    RELEASE.set()


def test_every_event_runs_one_at_a_time_in_a_bounded_queue(blocking_app):
    demo, _ = blocking_app
    assert demo._queue.max_size == 2
    assert demo._queue.default_concurrency_limit == limits.CONCURRENCY
    assert all(fn.concurrency_limit == "default" for fn in demo.fns.values() if fn.queue)


def test_a_flood_gets_the_queue_is_full_at_once_and_the_rest_are_answered(blocking_app):
    _, url = blocking_app
    client = Client(url, verbose=False, download_files=False, analytics_enabled=False)
    jobs = []
    for number in range(6):
        jobs.append(client.submit(f"r{number}", api_name="/hold"))
        time.sleep(0.2)  # in order: one running, two waiting, the rest refused
    refused = []
    for job in jobs[3:]:
        with pytest.raises(Exception) as error:  # noqa: PT011 - gradio_client's error type varies by how it failed
            job.result(timeout=10)
        refused.append(str(error.value))
    RELEASE.set()

    assert [job.result(timeout=30) for job in jobs[:3]] == ["R0", "R1", "R2"]
    assert all("Queue is full" in message for message in refused), refused


def test_a_request_body_over_the_limit_is_refused_before_it_is_read(blocking_app):
    _, url = blocking_app
    body = b'{"data": ["' + b"x" * (limits.MAX_REQUEST_BYTES + 1) + b'"], "fn_index": 0, "session_hash": "s"}'

    answer = httpx.post(f"{url}gradio_api/queue/join", content=body, headers={"Content-Type": "application/json"})

    assert answer.status_code == 413
    assert answer.text == "Request body too large: the limit is 2 MB."


def test_a_streamed_body_over_the_limit_is_cut_off(blocking_app):
    _, url = blocking_app

    def chunks():
        for _ in range(4):
            yield b"x" * (limits.MAX_REQUEST_BYTES // 2)

    answer = httpx.post(f"{url}gradio_api/queue/join", content=chunks(), headers={"Content-Type": "application/json"})

    assert answer.status_code == 413


def test_an_app_without_file_inputs_takes_no_large_upload(blocking_app, tmp_path):
    demo, url = blocking_app
    assert shared_ui.upload_limit_of(demo) == limits.MAX_REQUEST_BYTES
    big = tmp_path / "big.bin"
    big.write_bytes(b"\0" * (limits.MAX_REQUEST_BYTES + 100_000))

    with open(big, "rb") as file:
        answer = httpx.post(f"{url}gradio_api/upload", files={"files": ("big.bin", file)})

    assert answer.status_code == 413


def test_the_upload_limit_is_the_largest_file_an_input_takes(app_file):
    with shared.page(app_file("Files"), "Inputs of each kind.", uses=[]) as audio_page:
        gr.Audio(type="filepath")
        gr.Image()
    with shared.page(app_file("Images"), "An image input.", uses=[]) as image_page:
        shared.image_input()

    assert shared_ui.upload_limit_of(audio_page) == limits.MAX_AUDIO_BYTES
    assert shared_ui.upload_limit_of(image_page) == limits.MAX_IMAGE_BYTES


def notice_of(demo: gr.Blocks) -> str | None:
    found = [b.value for b in demo.blocks.values() if getattr(b, "elem_id", None) == "suite-preview-notice"]
    return found[0] if found else None


@pytest.mark.parametrize(
    ("variable", "notice"),
    [
        (None, None),
        ("pr-42", "🔍 **Preview `pr-42`.**"),
        ("<img src=x onerror=alert(1)>", None),  # not a preview name: the deploy never sets such a value
    ],
)
def test_a_preview_space_says_so_at_the_top_of_its_page(monkeypatch, app_file, variable, notice):
    if variable is None:
        monkeypatch.delenv("SUITE_PREVIEW", raising=False)
    else:
        monkeypatch.setenv("SUITE_PREVIEW", variable)

    with shared.page(app_file("Preview"), "A page.", uses=[]) as demo:
        gr.Textbox()

    shown = notice_of(demo)
    assert shown == notice if notice is None else shown.startswith(notice)


@pytest.mark.usefixtures("sandbox")
def test_a_page_whose_every_model_is_served_relays_what_its_servers_take(monkeypatch, app_file):
    monkeypatch.setenv(server_env("chat-model"), "http://127.0.0.1:9")  # not asked to build a page
    with shared.page(app_file("Served"), "Every model on a server.", uses=["chat-model"]) as batching:
        gr.Textbox()
    monkeypatch.setenv(server_concurrency_env("chat-model"), "1")  # a server with one slot
    with shared.page(app_file("One slot"), "Every model on a server.", uses=["chat-model"]) as one_slot:
        gr.Textbox()
    monkeypatch.setenv(server_env("chat-model-small"), "http://127.0.0.1:9")
    # The 135M model is served, but its candidate (the Compare tab's other version) runs here.
    with shared.page(app_file("Half"), "A candidate runs in-process.", uses=["chat-model-small"]) as half:
        gr.Textbox()

    assert batching._queue.default_concurrency_limit == limits.SERVED_CONCURRENCY == 16
    assert one_slot._queue.default_concurrency_limit == 1
    assert half._queue.default_concurrency_limit == limits.CONCURRENCY == 1


@pytest.mark.parametrize("value", ["0", "many", "65", "-1", "1.5", "٣"])
def test_a_wrong_server_concurrency_is_one_line(monkeypatch, value):
    monkeypatch.setenv(server_concurrency_env("chat-model"), value)

    with pytest.raises(shared.SpaceConfigError, match=r"^SUITE_SERVER_CONCURRENCY_CHAT_MODEL must be a whole number "
                       r"from 1 to 64 \(requests sent to the server at once\), not "):  # fmt: skip
        server_concurrency("chat-model")


def test_gradio_rebuilds_its_monitoring_summary_every_hundred_events_not_every_event(app_file):
    with shared.page(app_file("Analytics"), "A page.", uses=[]) as demo:
        gr.Textbox().submit(str.upper, gr.Textbox(), gr.Textbox())
    assert demo._queue.ANAYLTICS_CACHE_FREQUENCY == shared_ui.ANALYTICS_REFRESH_EVENTS == 100
