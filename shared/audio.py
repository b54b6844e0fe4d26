"""Speech in: what a user records or uploads, read as the 16 kHz mono samples speech models take,
and speech recognition with chunking and timestamps.

`read_speech` refuses what cannot be transcribed (no file, not audio, empty, silent, too long)
with a one-line `InputError`. Decoding goes through libsndfile (the `soundfile` package: WAV,
FLAC, OGG, MP3) so that no ffmpeg or torch audio codec is needed, on a laptop or on a Space.
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path
from typing import Any

from shared.errors import InputError
from shared.hub import entry

SAMPLE_RATE = 16_000  # what Whisper (and most speech models) were trained on
MAX_SECONDS = 10 * 60
SILENCE = 1e-4  # peak amplitude below which a recording holds nothing to transcribe
READABLE = "WAV, FLAC, OGG or MP3"


def read_speech(path: str | os.PathLike[str] | None, *, max_seconds: float = MAX_SECONDS) -> Any:
    """The recording at `path` as float32 mono samples at `SAMPLE_RATE`.

    Args:
        path: An audio file (Gradio's `gr.Audio(type="filepath")` value), or None.
        max_seconds: Longest recording accepted.

    Returns:
        A 1-D `numpy.float32` array.

    Raises:
        InputError: no file, not audio libsndfile can read, no samples, silence, or too long.

    Example:
        >>> samples = read_speech("hello.wav")
        >>> len(samples) / SAMPLE_RATE  # seconds
        1.5
    """
    import numpy as np
    import soundfile

    if path is None or not str(path).strip():
        raise InputError("Record or upload some speech first.")
    try:
        info = soundfile.info(str(path))
    except (soundfile.LibsndfileError, RuntimeError, TypeError, OSError):
        raise InputError(f"That file is not audio this app can read: upload {READABLE}.") from None
    seconds = info.frames / info.samplerate if info.samplerate else 0.0
    if seconds > max_seconds:
        raise InputError(
            f"The recording is {_clock(seconds)} long; the limit is {_clock(max_seconds)}: trim it and try again."
        )
    try:
        samples, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError):
        raise InputError(f"That file is damaged or not audio this app can read: upload {READABLE}.") from None
    if samples.size == 0:
        raise InputError("The recording is empty: record or upload some speech.")
    mono = samples.mean(axis=1)
    if float(np.abs(mono).max()) < SILENCE:
        raise InputError("The recording is silent: check the microphone, or upload another file.")
    return _resample(mono, rate).astype(np.float32)


def _resample(samples: Any, rate: int) -> Any:
    if rate == SAMPLE_RATE:
        return samples
    from scipy.signal import resample_poly

    common = math.gcd(rate, SAMPLE_RATE)
    return resample_poly(samples, SAMPLE_RATE // common, rate // common)


def _clock(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def transcribe(recognizer: Any, samples: Any, *, timestamps: bool = False, chunk_seconds: float = 30) -> dict[str, Any]:
    """Text of a recording, with segment times if asked; long recordings go in chunks.

    Whisper reads at most 30 s at a time: longer recordings are cut into overlapping 30 s chunks,
    transcribed as one batch and stitched back together by the pipeline.

    Args:
        recognizer: A transformers `automatic-speech-recognition` pipeline.
        samples: Float32 mono samples at `SAMPLE_RATE` (from `read_speech`).
        timestamps: Also return when each segment was said.
        chunk_seconds: Chunk length for long recordings.

    Returns:
        `{"text": str, "segments": [[start, end, text], ...]}` (plain data: it may cross a
        process boundary on ZeroGPU); `segments` is empty without timestamps.
    """
    seconds = len(samples) / SAMPLE_RATE
    options: dict[str, Any] = {"return_timestamps": True} if timestamps else {}
    if seconds > chunk_seconds:
        options |= {"chunk_length_s": chunk_seconds, "batch_size": 8}
        if timestamps:  # one generate call per window, or the pipeline's chunk merge misplaces segments
            options["generate_kwargs"] = {"force_unique_generate_call": True}
    result = recognizer({"raw": samples, "sampling_rate": SAMPLE_RATE}, **options)
    segments = []
    for chunk in result.get("chunks", []) if timestamps else []:
        start, end = chunk["timestamp"]
        # The last segment of a recording can come back open-ended: it ends with the audio.
        end = seconds if end is None else end
        segments.append([round(float(start or 0.0), 2), round(float(end), 2), chunk["text"].strip()])
    return {"text": result["text"].strip(), "segments": segments}


def gpu_seconds_for_speech(samples: Any) -> int:
    """Seconds of GPU a transcription of `samples` may take (ZeroGPU's `duration`): a fixed start
    plus a share of the recording's length, so short clips queue sooner."""
    return 10 + math.ceil(len(samples) / SAMPLE_RATE / 10)


def example_clips(name: str, *, split: str = "speech") -> list[tuple[str, str]]:
    """The speech clips of a dataset entry as WAV files, for `gr.Examples`.

    The dataset stores each clip's file bytes (`audio` column, {"bytes", "path"}) and its
    `transcript`; the files are written once per pinned revision into the temp folder.

    Returns:
        `(path, transcript)` per clip.
    """
    from shared.loading import load_dataset

    import datasets

    rows = load_dataset(name, split=split).cast_column("audio", datasets.Audio(decode=False))
    folder = Path(tempfile.gettempdir()) / "demo-suite-examples" / entry(name).revision
    folder.mkdir(parents=True, exist_ok=True)
    clips = []
    for row in rows:
        audio = row["audio"]
        path = folder / Path(audio.get("path") or f"clip-{len(clips)}.wav").name
        if not path.is_file():
            path.write_bytes(audio["bytes"])
        clips.append((str(path), row.get("transcript", "")))
    return clips
