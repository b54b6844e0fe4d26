"""Every input limit of `shared.limits`, through the functions that enforce it.

Each hostile case here cost seconds to minutes (or gigabytes) before it had a limit; the speed of
each refusal is measured by scripts/benchmark_hostile.py, not here.
"""

from __future__ import annotations

import re
import tracemalloc
from fractions import Fraction

import shared
from shared import InputError, read_speech
from shared import audio as shared_audio
from shared.audio import SAMPLE_RATE, _StreamResampler
from shared.inputs import check_text
from shared.limits import (
    MAX_CHANNELS,
    MAX_CHAT_MESSAGE_CHARS,
    MAX_SAMPLE_RATE,
    MIN_AUDIO_SECONDS,
    MIN_SAMPLE_RATE,
)
from shared.models import DigitClassifier

import numpy as np
import pytest
import soundfile


def noise(seconds: float, rate: int, channels: int = 1, *, level: float = 0.1) -> np.ndarray:
    rng = np.random.default_rng(0)
    shape = (int(seconds * rate), channels) if channels > 1 else (int(seconds * rate),)
    return (rng.standard_normal(shape) * level).astype(np.float32)


# ---------------------------------------------------------------------- audio


@pytest.mark.parametrize(
    ("rate", "expected"),
    [
        (2_000_003, "The recording's sample rate is 2,000,003 Hz; this app takes 8,000 to 192,000 Hz"),
        (655_350, "The recording's sample rate is 655,350 Hz; this app takes 8,000 to 192,000 Hz"),
        (4_000, "The recording's sample rate is 4,000 Hz; this app takes 8,000 to 192,000 Hz"),
    ],
)
def test_sample_rates_outside_the_limits_are_refused_from_the_header(tmp_path, rate, expected):
    path = tmp_path / "odd.wav"
    soundfile.write(path, noise(0.5, rate), rate)  # 1 ms at 2 MHz is a 4 KB file

    with pytest.raises(InputError, match=re.escape(expected)):
        read_speech(path)


def test_more_channels_than_the_limit_are_refused(tmp_path):
    path = tmp_path / "many.wav"
    soundfile.write(path, noise(0.5, SAMPLE_RATE, MAX_CHANNELS + 1), SAMPLE_RATE)

    with pytest.raises(InputError, match=re.escape(f"The recording has 9 channels; the limit is {MAX_CHANNELS}")):
        read_speech(path)


def test_too_many_samples_are_refused_before_decoding(tmp_path, monkeypatch):
    monkeypatch.setattr(shared_audio, "MAX_AUDIO_SAMPLES", 1_000_000)
    path = tmp_path / "wide.flac"
    soundfile.write(path, noise(2, 96_000, 8), 96_000)

    with pytest.raises(InputError, match=r"holds 1\.5 million samples \(8 channels at 96,000 Hz\); the limit is 1\.0"):
        read_speech(path)


def test_a_clip_shorter_than_the_limit_is_refused(tmp_path):
    path = tmp_path / "beep.wav"
    soundfile.write(path, noise(0.01, 48_000), 48_000)

    with pytest.raises(InputError, match=re.escape(f"0.010 s long; record at least {MIN_AUDIO_SECONDS:g} s")):
        read_speech(path)


@pytest.mark.parametrize("rate", [MIN_SAMPLE_RATE, 11_025, 44_101, 96_000, 191_999, MAX_SAMPLE_RATE])
def test_every_rate_within_the_limits_becomes_16_khz(tmp_path, rate):
    path = tmp_path / "rate.wav"
    soundfile.write(path, noise(1.25, rate), rate)

    samples = read_speech(path)

    assert samples.dtype == np.float32
    assert abs(len(samples) - 1.25 * SAMPLE_RATE) <= 1


@pytest.mark.parametrize("rate", [44_100, 22_050, 48_000, 44_101, 8_000, 192_000])
def test_block_by_block_resampling_equals_resampling_the_whole(rate):
    from scipy.signal import resample_poly

    signal = noise(3.3, rate)
    ratio = Fraction(SAMPLE_RATE, rate).limit_denominator(1000)
    resampler = _StreamResampler(ratio.numerator, ratio.denominator)
    pieces = []
    for start in range(0, len(signal), 10_007):  # blocks of an awkward size
        pieces += list(resampler.push(signal[start : start + 10_007]))
    pieces += list(resampler.finish())

    whole = resample_poly(signal, ratio.numerator, ratio.denominator)
    np.testing.assert_allclose(np.concatenate(pieces), whole, atol=2e-6)
    assert max(ratio.numerator, ratio.denominator) <= 1000  # the filter never grows with an odd rate


def test_many_channels_are_mixed_down_block_by_block(tmp_path):
    """An 8-channel recording is never held as floats of every channel at once."""
    path = tmp_path / "eight.wav"
    soundfile.write(path, noise(20, 48_000, 8), 48_000, subtype="PCM_16")
    all_channels_as_floats = 20 * 48_000 * 8 * 4

    tracemalloc.start()
    try:
        samples = read_speech(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert len(samples) == 20 * SAMPLE_RATE
    assert peak < all_channels_as_floats / 4, f"{peak / 2**20:.0f} MB at peak"


# ---------------------------------------------------------------------- speech recognition


def test_whisper_writes_at_most_a_few_tokens_a_second():
    class Config:
        max_target_positions = 448

    class Recognizer:
        model = type("Model", (), {"config": Config()})()

    assert shared_audio.speech_token_limit(Recognizer(), 0.01) == 9
    assert shared_audio.speech_token_limit(Recognizer(), 1.0) == 16
    assert shared_audio.speech_token_limit(Recognizer(), 30) == 248
    assert shared_audio.speech_token_limit(Recognizer(), 600) == 444  # never past Whisper's own limit


def test_a_looping_transcript_stops_and_speech_does_not():
    import torch

    stop = shared_audio._StopLoops()
    dots = torch.tensor([[50257, 50362] + [13, 764] * 9])  # ". . . ." (a 2-token cycle)
    phrase = torch.tensor([[50257] + [257, 1310, 1643, 286] * 5])  # "a little bit of" five times
    speech = torch.tensor([[50257, *range(300, 330)]])
    short = torch.tensor([[50257, 13, 13, 13]])

    assert stop(torch.cat([dots[:, :17], dots[:, :17]]), None).tolist() == [False, False]
    assert stop(dots, None).tolist() == [True]
    assert stop(phrase, None).tolist() == [True]
    assert stop(speech, None).tolist() == [False]
    assert stop(short, None).tolist() == [False]


# ---------------------------------------------------------------------- text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("abc\ud800def", "The text holds characters that are not valid Unicode: send UTF-8 text."),
        ("x" * 5_001, "The text is 5,001 characters long; the limit is 5,000. Shorten it."),
        (" \t\n\u3000", "Enter some text first."),
        (["a list"], "The text must be a string, not list."),
    ],
)
def test_text_that_cannot_be_used_is_refused(value, expected):
    with pytest.raises(InputError, match=re.escape(expected)):
        check_text(value)


def test_pathological_but_valid_unicode_is_accepted_within_the_limit():
    zalgo = "Z" + "\u0301\u0300\u0302" * 1_600  # combining marks stacked on one letter
    right_to_left = "\u202e" + "txet desrever" * 300
    for text in (zalgo, right_to_left, "🙂" * 5_000):
        assert check_text(text) == text.strip()


# ---------------------------------------------------------------------- drawings


def test_a_drawing_of_any_size_is_read_at_a_fixed_working_size():
    model = DigitClassifier()
    small = np.full((400, 400, 4), 255, np.uint8)
    small[80:320, 190:214, :3] = 0  # a "1" on a 400 px canvas
    large = np.kron(small, np.ones((15, 15, 1), np.uint8))  # the same drawing, 6,000 px a side

    tracemalloc.start()
    try:
        grid = model.grid_from_image(large)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    np.testing.assert_allclose(grid, model.grid_from_image(small), atol=1)
    assert peak < large.nbytes / 2  # no float copy of the canvas (576 MB), nor a copy of it


def test_a_blank_drawing_has_no_grid():
    assert DigitClassifier().grid_from_image(np.full((300, 200, 3), 255, np.uint8)) is None


# ---------------------------------------------------------------------- chat


def test_chat_trims_a_huge_history_before_tokenising_it():
    from shared.chat import _recent_turns

    history = [{"role": "user" if i % 2 == 0 else "assistant", "content": "x" * 1_000} for i in range(20_000)]

    turns = _recent_turns(history, max_chars=4_096 * 32)

    assert len(turns) == 131 and turns[-1] == history[-1]
    assert sum(len(t["content"]) for t in turns) <= 4_096 * 32


def test_chat_history_with_broken_unicode_is_repaired_not_fatal():
    from shared.chat import _recent_turns

    turns = _recent_turns(
        [{"role": "user", "content": "hi \ud800"}, {"role": "tool", "content": "x"}, "junk"], max_chars=100
    )

    assert turns == [{"role": "user", "content": "hi ?"}]


def test_a_message_or_system_prompt_over_the_limit_is_refused():
    class Tokenizer:
        def apply_chat_template(self, *args, **kwargs):  # pragma: no cover - never reached
            raise AssertionError("tokenised a refused message")

    chat = shared.Chat.__new__(shared.Chat)
    chat.tokenizer, chat.context_tokens = Tokenizer(), 4_096
    too_long = "x" * (MAX_CHAT_MESSAGE_CHARS + 1)

    with pytest.raises(InputError, match="The system prompt is 8,001 characters long; the limit is 8,000"):
        chat.prompt("hi", [], system=too_long, max_new_tokens=16)
    with pytest.raises(InputError, match="The message holds characters that are not valid Unicode"):
        chat.prompt("hi \udfff", [], system="", max_new_tokens=16)
