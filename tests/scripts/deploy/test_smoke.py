"""Smoke calls judged: what a sound answer looks like, and one line for each way a call goes wrong."""

from __future__ import annotations

import time
from pathlib import Path

from shared.catalog import SmokeCall

import gradio as gr
import pytest

from scripts.deploy import run_smoke
from scripts.hub_double import free_port
from tests.harness.apps import running


def call(api: str, *inputs, expect) -> SmokeCall:
    return SmokeCall(api=api, inputs=tuple(inputs), expect=tuple(expect))


@pytest.fixture(scope="module")
def app_url():
    def echo_file(path):
        return path

    def slow(text):
        time.sleep(3)
        return text

    def broken(text):
        raise ValueError("the model is gone")

    with gr.Blocks() as demo:
        text, label, table, upload = gr.Textbox(), gr.Label(), gr.Dataframe(), gr.File()
        text.submit(lambda t: {"cat": 0.9, "dog": 0.1}, text, label, api_name="label")
        text.submit(lambda t: t, text, gr.Textbox(), api_name="echo")
        text.submit(lambda t: [[1, t]], text, table, api_name="table")
        upload.upload(echo_file, upload, gr.File(), api_name="file")
        text.submit(slow, text, gr.Textbox(), api_name="slow")
        text.submit(broken, text, gr.Textbox(), api_name="broken")
    with running(demo) as url:
        yield url


def test_sound_answers_pass(app_url, tmp_path):
    (tmp_path / "x.txt").write_text("hello")
    calls = [
        call("/label", "a", expect=[{"label": ["cat", "bird"]}]),
        call("/label", "a", expect=[{"label": "any"}]),
        call("/echo", "hi there", expect=[{"text": {"contains": "there"}}]),
        call("/table", "a", expect=[{"rows": 1}]),
        call("/file", {"file": "x.txt"}, expect=[{"file": True}]),
        call("/echo", "", expect=[{"any": True}]),
    ]
    results = run_smoke(app_url, calls, folder=tmp_path)
    assert [(r.api, r.ok, r.detail) for r in results] == [(c.api, True, "ok") for c in calls]
    assert all(r.seconds >= 0 for r in results)


def test_each_way_a_call_goes_wrong_is_one_line(app_url, tmp_path):
    calls = [
        call("/label", "a", expect=[{"label": ["bird"]}]),
        call("/echo", "  ", expect=[{"text": "nonempty"}]),
        call("/echo", "hello", expect=[{"text": {"contains": "bye"}}]),
        call("/table", "a", expect=[{"rows": 2}]),
        call("/echo", "a", expect=[{"any": True}, {"text": "nonempty"}]),
        call("/broken", "a", expect=[{"text": "nonempty"}]),
        call("/no_such_endpoint", "a", expect=[{"text": "nonempty"}]),
        call("/slow", "a", expect=[{"text": "nonempty"}]),
    ]
    details = [r.detail for r in run_smoke(app_url, calls, folder=tmp_path, call_seconds=1)]
    assert details[:5] == [
        "output 1: label 'cat' is not one of bird",
        "output 1: expected text, got '  '",
        "output 1: the text does not contain 'bye': 'hello'",
        "output 1: expected a table of at least 2 row(s), got {'headers': ['1', '2'], 'data': [[1, 'a']], 'metadata': None}",
        "1 output(s), 2 expected",
    ]
    assert details[5].startswith("the call failed: ")
    assert details[6].startswith("the call failed: ") and "no_such_endpoint" in details[6]
    assert details[7] == "no answer within 1 s"
    assert all("\n" not in d for d in details)


def test_an_app_that_does_not_answer_fails_every_call_with_the_reason(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/"
    calls = [call("/echo", "a", expect=[{"text": "nonempty"}])] * 2
    results = run_smoke(url, calls, folder=Path(tmp_path))
    assert [r.ok for r in results] == [False, False]
    assert results[0].detail.startswith(f"cannot reach the app at {url}: ")
