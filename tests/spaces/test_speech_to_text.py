"""spaces/speech-to-text: Whisper on a recording or file, chunked when long, with timestamps on request."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import soundfile
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from tests.spaces.conftest import assert_smoke_calls_pass, save_screenshot

DEMO = "speech-to-text"


def words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def recall(expected: str, heard: str) -> float:
    """Share of the expected words that were heard (in any order)."""
    wanted, got = words(expected), words(heard)
    return sum(word in got for word in wanted) / len(wanted)


@pytest.fixture(scope="module")
def clips(app) -> list[tuple[str, str]]:
    return app.module.examples


def test_the_examples_are_the_pinned_sample_media_clips(clips):
    assert len(clips) == 4
    assert all(Path(path).suffix == ".wav" and Path(path).is_file() and text for path, text in clips)


def test_a_clip_is_transcribed(app, clips):
    path, transcript = next((p, t) for p, t in clips if "weather" in p)
    text, segments = app.client.predict(handle_file(path), False, api_name="/transcribe")

    assert recall(transcript, text) >= 0.7, text  # tiny.en on a synthetic voice: a word or two may slip
    assert segments["data"] == []


def test_timestamps_on_request(app, clips):
    path, transcript = clips[1]
    _text, segments = app.client.predict(handle_file(path), True, api_name="/transcribe")
    rows = segments["data"]

    assert rows and all(0 <= start < end for start, end, _ in rows)
    assert recall(transcript, " ".join(row[2] for row in rows)) >= 0.7


def test_a_long_recording_is_transcribed_in_chunks(app, clips, tmp_path):
    """Four clips with pauses, several times over: well past Whisper's 30 s window."""
    pieces, said = [], []
    for _ in range(5):
        for path, transcript in clips:
            samples, rate = soundfile.read(path, dtype="float32")
            pieces += [samples, np.zeros(rate // 2, dtype=np.float32)]
            said.append(transcript)
    long = tmp_path / "long.wav"
    soundfile.write(long, np.concatenate(pieces), rate)
    assert soundfile.info(str(long)).duration > 60

    text, segments = app.client.predict(handle_file(long), True, api_name="/transcribe")
    rows = segments["data"]

    assert recall(" ".join(said), text) >= 0.8
    assert rows[-1][1] > 45  # segments reach past the first chunks
    assert [row[0] for row in rows] == sorted(row[0] for row in rows)


@pytest.mark.parametrize("suffix", ["flac", "ogg", "mp3"])
def test_other_audio_formats(app, clips, tmp_path, suffix):
    path, transcript = next((p, t) for p, t in clips if "weather" in p)
    samples, rate = soundfile.read(path, dtype="float32")
    other = tmp_path / f"clip.{suffix}"
    soundfile.write(other, samples, rate)

    text, _ = app.client.predict(handle_file(other), False, api_name="/transcribe")
    assert recall(transcript, text) >= 0.6, text


def _beep(seconds: float, rate: int = 16_000) -> np.ndarray:
    return (0.5 * np.sin(2 * np.pi * 1_000 * np.arange(int(seconds * rate)) / rate)).astype(np.float32)


def _wav(path: Path, samples: np.ndarray, rate: int = 16_000) -> Path:
    soundfile.write(path, samples, rate, subtype="PCM_16")
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: (d / "notes.txt").write_text("not audio") and d / "notes.txt",
         "That file is not audio this app can read: upload WAV, FLAC, OGG or MP3."),
        (lambda d: _wav(d / "empty.wav", np.zeros(0, dtype=np.float32)),
         "The recording is empty: record or upload some speech."),
        (lambda d: _wav(d / "silent.wav", np.zeros(32_000, dtype=np.float32)),
         "The recording is silent: check the microphone, or upload another file."),
        (lambda d: _wav(d / "long.wav", np.zeros(8_000 * 601, dtype=np.float32), rate=8_000),
         "The recording is 10:01 long; the limit is 10:00: trim it and try again."),
        (lambda d: _wav(d / "fast.wav", np.full(2_000, 0.1, dtype=np.float32), rate=2_000_003),
         "The recording's sample rate is 2,000,003 Hz; this app takes 8,000 to 192,000 Hz"),
        (lambda d: _wav(d / "wide.wav", np.full((8_000, 9), 0.1, dtype=np.float32)),
         "The recording has 9 channels; the limit is 8: mix it down."),
        (lambda d: _wav(d / "beep.wav", _beep(0.01)),
         "The recording is 0.010 s long; record at least 0.1 s of speech."),
        (lambda d: _wav(d / "beep-then-quiet.wav", np.concatenate([_beep(0.01), np.zeros(16_000 * 5, np.float32)])),
         "No speech was recognised in the recording."),
    ],
    ids=["not-audio", "empty", "silent", "too-long", "odd-rate", "many-channels", "too-short", "no-speech"],
)  # fmt: skip
def test_bad_audio_gets_a_clear_message_and_the_app_keeps_serving(app, clips, tmp_path, make, message):
    with pytest.raises(AppError, match=re.escape(message)):
        app.client.predict(handle_file(make(tmp_path)), False, api_name="/transcribe")
    assert app.client.predict(handle_file(clips[0][0]), False, api_name="/transcribe")[0]


def test_no_audio_at_all(app):
    with pytest.raises(AppError, match=re.escape("Record or upload some speech first.")):
        app.client.predict(None, False, api_name="/transcribe")


def test_gpu_time_grows_with_the_recordings(app):
    short, long = [np.zeros(16_000)], [np.zeros(16_000 * 600)]
    assert app.module.recognition_seconds(short, [False]) < app.module.recognition_seconds(long, [False])


def test_concurrent_visitors_share_a_call_and_each_gets_its_own_transcript(app, clips, tmp_path):
    quiet = _wav(tmp_path / "beep-then-quiet.wav", np.concatenate([_beep(0.01), np.zeros(16_000 * 5, np.float32)]))
    alone = {path: app.client.predict(handle_file(path), False, api_name="/transcribe")[0] for path, _ in clips}
    calls_before = app.module.transcribe.calls
    jobs = [(path, index % 2 == 1, app.client.submit(handle_file(path), index % 2 == 1, api_name="/transcribe"))
            for index, (path, _) in enumerate(clips * 2)]  # fmt: skip
    refused = app.client.submit(handle_file(quiet), False, api_name="/transcribe")
    for path, timestamps, job in jobs:
        text, segments = job.result(timeout=300)
        said = re.findall(r"[a-z0-9]+", alone[path].lower())
        heard = re.findall(r"[a-z0-9]+", text.lower())
        assert sum(word in heard for word in said) >= 0.7 * len(said), (path, text, alone[path])  # its own clip
        rows = segments["data"]
        assert bool(rows) == timestamps, (path, rows)  # and timestamps only where asked
        assert all(0 <= start < end <= soundfile.info(path).duration + 0.5 for start, end, _ in rows)
    with pytest.raises(AppError, match=re.escape("No speech was recognised in the recording.")):
        refused.result(timeout=300)  # refused alone: the others got their transcripts
    calls = app.module.transcribe.calls - calls_before
    assert calls < len(jobs) + 1, f"each of {len(jobs) + 1} recordings had a call of its own"


def test_recordings_transcribed_together_keep_their_own_pieces_and_times(app, clips):
    """One recording with a silent 30 s window between two clips, beside a short one: one batch."""
    import shared

    (first, said_first), (second, said_second), (other, said_other) = clips[0], clips[1], clips[2]
    a, b, c = (shared.read_speech(path) for path in (first, second, other))
    gap = np.zeros(70 * 16_000, np.float32)
    results = shared.transcribe_batch(app.module.recognizer, [np.concatenate([a, gap, b]), c], timestamps=[True, False])

    assert recall(f"{said_first} {said_second}", results[0]["text"]) >= 0.7, results[0]
    starts = [row[0] for row in results[0]["segments"]]
    assert starts == sorted(starts) and starts[0] < 5 and starts[-1] >= 60  # the second clip's time is its own
    assert recall(said_other, results[1]["text"]) >= 0.7 and results[1]["segments"] == []
    with pytest.raises(ValueError, match="2 recordings but 1 timestamp flags"):
        shared.transcribe_batch(app.module.recognizer, [a, c], timestamps=[True])


@pytest.mark.browser
def test_transcribe_an_upload_in_the_browser(app, page, clips):
    from playwright.sync_api import expect

    path, _transcript = next((p, t) for p, t in clips if "greeting" in p)
    page.goto(app.url)
    page.locator("input[type=file]").first.set_input_files(path)
    page.get_by_label("Timestamps").check()
    page.get_by_role("button", name="Transcribe").click()
    expect(page.locator("#transcript textarea")).to_have_value(re.compile("welcome", re.IGNORECASE), timeout=60_000)
    expect(page.get_by_text("start (s)")).to_be_visible()
    save_screenshot(page, DEMO)


@pytest.mark.gpu
@pytest.mark.skipif("not __import__('torch').cuda.is_available()", reason="needs CUDA")
def test_on_a_gpu_the_transcript_is_the_same(app, clips):
    import shared

    import torch

    path, transcript = next((p, t) for p, t in clips if "greeting" in p)
    samples = shared.read_speech(path)
    on_cpu = shared.transcribe(app.module.recognizer, samples, timestamps=True)
    recognizer = app.module.recognizer
    recognizer.model.to("cuda")
    recognizer.device = torch.device("cuda")
    try:
        on_gpu = shared.transcribe(recognizer, samples, timestamps=True)
    finally:
        recognizer.model.to("cpu")
        recognizer.device = torch.device("cpu")
    assert recall(transcript, on_gpu["text"]) >= 0.7
    assert words(on_gpu["text"]) == words(on_cpu["text"])


def test_an_upload_over_the_size_limit_is_refused_before_it_is_read(app, clips, tmp_path):
    from shared.limits import MAX_AUDIO_BYTES

    import httpx

    big = tmp_path / "big.wav"
    with open(big, "wb") as file:
        file.truncate(MAX_AUDIO_BYTES + 1)
    with open(big, "rb") as file:
        answer = httpx.post(f"{app.url}gradio_api/upload", files={"files": ("big.wav", file)}, timeout=60)

    assert answer.status_code == 413
    assert app.client.predict(handle_file(clips[0][0]), False, api_name="/transcribe")[0]


def test_its_smoke_calls_pass(app):
    assert_smoke_calls_pass(app, DEMO)
