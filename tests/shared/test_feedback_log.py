"""Feedback records: one JSON line per verdict, in a file of this process, pushed to a private
dataset on the (local) Hub by a CommitScheduler; nothing lost when the Hub fails or two
processes write at once, nothing committed twice."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from shared import limits
from shared.errors import InputError
from shared.feedback_log import FeedbackLog, Pin, session_hash, summary

import pytest

from tests.harness.hub import REPO_ROOT, SITE_DIR, subprocess_env

PINS = [Pin("sentiment-model", "distilbert/x", "a" * 40)]


def lines(log: FeedbackLog) -> list[dict]:
    return [json.loads(line) for line in log.file.read_text(encoding="utf-8").splitlines()]


def pushed(hf_api, repo_id: str) -> list[dict]:
    """Every record of the dataset at its head commit, through `datasets.load_dataset`."""
    import datasets

    head = hf_api.dataset_info(repo_id).sha
    return list(datasets.load_dataset(repo_id, revision=head, split="train", token=hf_api.token))


@pytest.fixture
def repo_id(hub_token) -> str:
    return f"local-user/feedback-{uuid.uuid4().hex[:8]}"


def test_without_a_repo_records_stay_in_the_local_folder_and_the_page_can_say_where(tmp_path, monkeypatch):
    monkeypatch.delenv("SUITE_FEEDBACK_REPO", raising=False)
    log = FeedbackLog("sentiment", pins=PINS, folder=tmp_path, app_version="deploy-20261201T120000Z-abc1234")

    record = log.record(endpoint="classify", verdict="up", comment=" spot on ", input="great film",
                        output={"POSITIVE": 0.98}, session="session-1")  # fmt: skip

    assert log.where == f"the local folder {tmp_path} (no feedback repo is configured)"
    [line] = lines(log)
    assert line == {
        "id": record.id, "time": record.time, "demo": "sentiment", "endpoint": "classify", "kind": "verdict",
        "verdict": "up", "comment": "spot on", "input": '"great film"', "output": '{"POSITIVE": 0.98}',
        "pins": [{"name": "sentiment-model", "repo": "distilbert/x", "revision": "a" * 40}], "compared": [],
        "app_version": "deploy-20261201T120000Z-abc1234", "session": line["session"],
    }  # fmt: skip
    assert line["session"] not in ("", "session-1") and len(line["session"]) == 16
    assert log.file.parent == tmp_path / "data" / "sentiment"


def test_files_are_summarised_by_sha256_and_size_never_their_bytes(tmp_path):
    upload = tmp_path / "upload" / "photo.jpg"
    upload.parent.mkdir()
    upload.write_bytes(b"\xff\xd8" + b"x" * 5000)

    described = json.loads(summary(str(upload)))

    assert described["kind"] == "file" and described["bytes"] == 5002 and len(described["sha256"]) == 64
    assert "hex" not in described
    assert "hex" in json.loads(summary(str(upload), keep_bytes=True))


def test_summaries_and_comments_are_bounded(tmp_path):
    log = FeedbackLog("chat", folder=tmp_path)
    record = log.record(endpoint="chat", verdict="down", input="x" * 100_000, output=[["y" * 9000]] * 1000)

    assert len(record.input) <= limits.MAX_FEEDBACK_SUMMARY_CHARS
    assert len(record.output) <= limits.MAX_FEEDBACK_SUMMARY_CHARS
    with pytest.raises(InputError, match=r"The comment is 1,001 characters long; the limit is 1,000\."):
        log.record(endpoint="chat", verdict="down", comment="c" * 1001)
    with pytest.raises(InputError, match=r"A verdict is one of up, down, not 'meh'\."):
        log.record(endpoint="chat", verdict="meh")
    with pytest.raises(InputError, match="A comparison is one of baseline, candidate, same, both bad"):
        log.record(endpoint="chat", verdict="up", compared=PINS * 2)


def test_the_session_hash_is_salted():
    assert session_hash("s", salt="one") != session_hash("s", salt="two")
    assert session_hash("s", salt="one") == session_hash("s", salt="one")


def test_records_reach_a_private_dataset_and_load_back_with_their_pins(tmp_path, hub_token, hf_api, repo_id):
    log = FeedbackLog("digits", pins=PINS, folder=tmp_path, repo_id=repo_id, token=hub_token, every_minutes=60)
    first = log.record(endpoint="read_example", verdict="up", input=3, output={"3": 0.9})
    second = log.record(endpoint="read_example", verdict="baseline", compared=[*PINS, Pin("m", "r", "b" * 40)])

    log.push()  # (or the scheduler's own first tick did)
    log.close()

    assert log.where == f"the private dataset {repo_id} on the Hub"
    assert hf_api.dataset_info(repo_id).private
    rows = pushed(hf_api, repo_id)
    assert [r["id"] for r in rows] == [first.id, second.id]
    assert rows[0]["pins"] == [{"name": "sentiment-model", "repo": "distilbert/x", "revision": "a" * 40}]
    assert rows[1]["kind"] == "comparison" and rows[1]["compared"][1]["revision"] == "b" * 40


def test_nothing_new_makes_no_commit_and_no_record_is_committed_twice(tmp_path, hub_token, hf_api, repo_id):
    log = FeedbackLog("digits", folder=tmp_path, repo_id=repo_id, token=hub_token, every_minutes=60)
    log.record(endpoint="e", verdict="up")
    log.push()
    first = hf_api.dataset_info(repo_id).sha

    assert log.push() is None
    assert hf_api.dataset_info(repo_id).sha == first
    log.record(endpoint="e", verdict="down")
    log.push()
    log.close()

    assert [r["verdict"] for r in pushed(hf_api, repo_id)] == ["up", "down"]


def test_a_failed_push_loses_nothing_says_so_in_one_line_and_the_next_push_delivers(
    tmp_path, hub_token, hf_api, repo_id, local_hub, caplog
):
    log = FeedbackLog("sentiment", folder=tmp_path, repo_id=repo_id, token=hub_token, every_minutes=60)
    log.record(endpoint="classify", verdict="up")
    with (
        caplog.at_level(logging.WARNING, logger="shared.feedback_log"),
        local_hub.inject_faults(rate=1.0, kinds=(503,), path=r"POST /api/datasets/.*/commit/"),
    ):
        log.record(endpoint="classify", verdict="down")
        assert log.push() is None
    warnings = [
        r.getMessage() for r in caplog.records if r.name == "shared.feedback_log"
    ]  # the scheduler's own tick too
    assert warnings and all("\n" not in w for w in warnings)
    assert warnings[-1] == (
        f"feedback: pushing to {repo_id} failed (HTTP 503); the records are kept in {tmp_path} and pushed again "
        "in 60 min"
    )
    assert len(lines(log)) == 2

    log.push()
    log.close()

    assert [r["verdict"] for r in pushed(hf_api, repo_id)] == ["up", "down"]


def test_an_app_starts_while_the_hub_is_down_and_pushes_once_it_answers(
    tmp_path, hub_token, hf_api, repo_id, local_hub, caplog
):
    with (
        caplog.at_level(logging.WARNING, logger="shared.feedback_log"),
        local_hub.inject_faults(rate=1.0, kinds=("drop",), path=r"POST /api/repos/create"),
    ):
        log = FeedbackLog("gallery", folder=tmp_path, repo_id=repo_id, token=hub_token, every_minutes=60)
        log.record(endpoint="list", verdict="up")
    assert any("cannot reach" in r.getMessage() for r in caplog.records)

    log.push()
    log.close()

    assert [r["verdict"] for r in pushed(hf_api, repo_id)] == ["up"]


WRITER = """
import sys
import tempfile
from shared.feedback_log import FeedbackLog
log = FeedbackLog("sentiment", folder=sys.argv[1], repo_id=sys.argv[2], token=sys.argv[3], every_minutes=60)
for i in range(40):
    log.record(endpoint="classify", verdict="up" if i % 2 else "down", input=f"{sys.argv[4]}-{i}")
    if i % 10 == 9:
        log.push()
log.close()
"""


def test_two_processes_writing_at_once_lose_nothing(tmp_path, hub_token, hf_api, repo_id):
    env = subprocess_env()
    env["PYTHONPATH"] = f"{REPO_ROOT}:{SITE_DIR}"
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), repo_id, hub_token, name], env=env)
        for name in ("a", "b")
    ]
    assert [w.wait(timeout=240) for w in writers] == [0, 0]

    rows = pushed(hf_api, repo_id)

    assert len(rows) == 80 and len({r["id"] for r in rows}) == 80
    assert {r["input"] for r in rows} == {f'"{name}-{i}"' for name in ("a", "b") for i in range(40)}


def test_a_page_takes_a_verdict_with_its_inputs_and_outputs_and_says_where_it_goes(app_file, tmp_path, monkeypatch):
    import shared

    import gradio as gr
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    from tests.harness.apps import running

    monkeypatch.setenv("SUITE_FEEDBACK_DIR", str(tmp_path / "kept"))
    with shared.page(app_file("Echo"), "Shouts.", uses=[]) as demo:
        box, out = gr.Textbox(), gr.Textbox()
        box.submit(str.upper, box, out, api_name="shout")
        shared.feedback("shout", inputs=[box], outputs=[out])
    footer = next(b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "suite-footer")
    assert f"Feedback (👍 / 👎) goes to the local folder {tmp_path / 'kept'}" in footer.value

    with running(demo) as url:
        client = Client(url, verbose=False)
        thanks = client.predict("spot on", "hello", "HELLO", api_name="/feedback_shout_up")
        with pytest.raises(AppError, match="The comment is 1,001 characters long"):
            client.predict("c" * 1001, "hello", "HELLO", api_name="/feedback_shout_down")

    assert thanks == ("", "Thank you: 👍 recorded.")
    [kept] = (tmp_path / "kept" / "data" / "echo").glob("*.jsonl")
    [line] = [json.loads(text) for text in kept.read_text().splitlines()]
    assert (line["endpoint"], line["verdict"], line["comment"]) == ("shout", "up", "spot on")
    assert (line["input"], line["output"], line["pins"]) == ('["hello"]', '["HELLO"]', [])
    assert len(line["session"]) == 16


def test_a_server_path_typed_as_text_is_kept_as_text_never_read():
    typed = os.__file__  # a file of the server's, outside the upload folders

    assert summary(typed) == json.dumps(typed)


def test_file_bytes_are_kept_only_where_the_demos_space_yaml_allows_it(app_file, tmp_path, monkeypatch):
    import shared

    monkeypatch.setenv("SUITE_FEEDBACK_DIR", str(tmp_path / "kept"))
    monkeypatch.delenv("SUITE_FEEDBACK_KEEPS_FILES", raising=False)
    allowed, plain = app_file("Allowed"), app_file("Plain")
    Path(allowed).with_name("space.yaml").write_text("feedback_keeps_files: true\n")
    upload = Path(tempfile.mkdtemp()) / "voice.wav"
    upload.write_bytes(b"RIFF" + b"\0" * 100)

    for app, kept in ((allowed, True), (plain, False)):
        with shared.page(app, "A page.", uses=[]) as demo:
            pass
        record = demo.feedback_log.record(endpoint="e", verdict="up", input=str(upload))
        assert ("hex" in json.loads(record.input)) is kept
        assert json.loads(record.input)["sha256"] == hashlib.sha256(upload.read_bytes()).hexdigest()
    monkeypatch.setenv("SUITE_FEEDBACK_KEEPS_FILES", "1")  # how a deployed Space, without space.yaml, knows
    with shared.page(plain, "A page.", uses=[]) as demo:
        pass
    assert demo.feedback_log.keep_bytes


def test_an_entry_without_a_candidate_gets_no_compare_tab(app_file, tmp_path, monkeypatch):
    import shared

    import gradio as gr

    monkeypatch.setenv("SUITE_FEEDBACK_DIR", str(tmp_path / "kept"))
    with shared.page(app_file("Plain"), "A page.", uses=[]) as demo:
        shared.compare(
            "sentiment-model", run=lambda version, text: text, inputs=lambda: [gr.Textbox()],
            output=lambda side: gr.Textbox(label=side), endpoint="classify",
        )  # fmt: skip
    assert shared.versions("sentiment-model") == ["sentiment-model"]
    assert not [fn for fn in demo.fns.values() if (fn.api_name or "").startswith("compare_")]
    assert not [b for b in demo.blocks.values() if isinstance(b, gr.Tab)]
