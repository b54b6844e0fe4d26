"""shared.audio: any readable recording becomes 16 kHz mono float32; what cannot be used gets a message."""

from __future__ import annotations

import re

from shared import InputError, gpu_seconds_for_speech, read_speech, speech_windows
from shared.audio import SAMPLE_RATE

import numpy as np
import pytest
import soundfile


def tone(seconds: float, rate: int, *, channels: int = 1, hz: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    wave = 0.5 * np.sin(2 * np.pi * hz * t).astype(np.float32)
    return wave if channels == 1 else np.stack([wave, -wave * 0.5], axis=1)


@pytest.mark.parametrize(("rate", "subtype", "suffix"), [(22_050, "PCM_16", "wav"), (44_100, None, "flac"),
                                                          (16_000, None, "ogg"), (48_000, None, "mp3")])  # fmt: skip
def test_recordings_become_16_khz_mono(tmp_path, rate, subtype, suffix):
    path = tmp_path / f"tone.{suffix}"
    soundfile.write(path, tone(1.5, rate, channels=2), rate, subtype=subtype)

    samples = read_speech(path)

    assert samples.dtype == np.float32 and samples.ndim == 1
    assert abs(len(samples) - 1.5 * SAMPLE_RATE) < 0.05 * SAMPLE_RATE  # mp3 pads a little
    # the 440 Hz tone survives resampling: its spectrum peaks there
    spectrum = np.abs(np.fft.rfft(samples[:SAMPLE_RATE]))
    assert abs(np.argmax(spectrum) - 440) <= 2


def test_stereo_is_mixed_down(tmp_path):
    path = tmp_path / "stereo.wav"
    soundfile.write(path, tone(1, SAMPLE_RATE, channels=2), SAMPLE_RATE, subtype="FLOAT")
    np.testing.assert_allclose(read_speech(path), tone(1, SAMPLE_RATE) * 0.25, atol=1e-6)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "Record or upload some speech first."),
        ("", "Record or upload some speech first."),
        (b"\x89PNG\r\n\x1a\n not audio", "That file is not audio this app can read: upload WAV, FLAC, OGG or MP3."),
        (np.zeros(0, dtype=np.float32), "The recording is empty: record or upload some speech."),
        (np.zeros(16_000, dtype=np.float32), "The recording is silent: check the microphone, or upload another file."),
    ],
)
def test_what_cannot_be_transcribed(tmp_path, content, message):
    path = content
    if isinstance(content, bytes):
        path = tmp_path / "picture.wav"
        path.write_bytes(content)
    elif isinstance(content, np.ndarray):
        path = tmp_path / "clip.wav"
        soundfile.write(path, content, SAMPLE_RATE)
    with pytest.raises(InputError, match=re.escape(message)):
        read_speech(path)


def test_over_long_recordings_are_refused_before_they_are_decoded(tmp_path):
    path = tmp_path / "long.wav"
    soundfile.write(path, tone(61, 8_000), 8_000)
    with pytest.raises(InputError, match=re.escape("The recording is 1:01 long; the limit is 1:00: trim it")):
        read_speech(path, max_seconds=60)
    assert len(read_speech(path, max_seconds=61)) == 61 * SAMPLE_RATE


def test_gpu_time_for_speech_grows_with_the_batch_s_length():
    assert gpu_seconds_for_speech([np.zeros(SAMPLE_RATE)]) == 11
    assert gpu_seconds_for_speech([np.zeros(600 * SAMPLE_RATE)]) == 70
    assert gpu_seconds_for_speech([np.zeros(300 * SAMPLE_RATE)] * 2) == 70  # a batch costs its total length


def test_a_recording_s_weight_in_a_batch_is_its_30_second_windows():
    assert speech_windows(np.zeros(0)) == 1
    assert speech_windows(np.zeros(SAMPLE_RATE)) == 1
    assert speech_windows(np.zeros(30 * SAMPLE_RATE)) == 1
    assert speech_windows(np.zeros(30 * SAMPLE_RATE + 1)) == 2
    assert speech_windows(np.zeros(600 * SAMPLE_RATE)) == 20
