"""Speech in: what a user records or uploads, read as the 16 kHz mono samples speech models take,
and speech recognition with chunking and timestamps.

`read_speech` refuses what cannot or must not be transcribed (no file, not audio, too short, too
long, odd sample rates or channel counts beyond the limits of `shared.limits`, silence) with a
one-line `InputError`, from the file's header before decoding it where it can. Decoding goes
through libsndfile (the `soundfile` package: WAV, FLAC, OGG, MP3), so that no ffmpeg or torch
audio codec is needed, block by block: each block is mixed down to mono and resampled as it is
read, so memory does not grow with the channel count or the input's sample rate, and the
resampler's cost does not depend on how odd that rate is.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Iterator, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

from shared.errors import InputError
from shared.hub import entry
from shared.limits import (
    MAX_AUDIO_BYTES,
    MAX_AUDIO_SAMPLES,
    MAX_AUDIO_SECONDS,
    MAX_CHANNELS,
    MAX_SAMPLE_RATE,
    MIN_AUDIO_SECONDS,
    MIN_SAMPLE_RATE,
    SPEECH_EXTRA_TOKENS,
    SPEECH_TOKENS_PER_SECOND,
)

SAMPLE_RATE = 16_000  # what Whisper (and most speech models) were trained on
SILENCE = 1e-4  # peak amplitude below which a recording holds nothing to transcribe
READABLE = "WAV, FLAC, OGG or MP3"
_FORMATS = {"WAV", "WAVEX", "RF64", "W64", "FLAC", "OGG", "MP3", "AIFF"}  # libsndfile's names
# Resampling ratios are exact for every common rate (44.1 kHz is 160/441) and approximated
# within a millionth for odd ones, so the filter never grows with a rate like 2,000,003 Hz.
_MAX_RATIO_TERM = 1_000
_BLOCK_FRAMES = 1 << 16
# Whisper's probability of "no speech" in a 30 s window above which nothing is transcribed
# (OpenAI's threshold).
NO_SPEECH_THRESHOLD = 0.6
# Beam width where the model's generation config sets none: the speech pipeline's own default
# (after OpenAI's implementation), so a window decoded here reads as the pipeline reads it.
PIPELINE_BEAMS = 5


def read_speech(path: str | os.PathLike[str] | None, *, max_seconds: float = MAX_AUDIO_SECONDS) -> Any:
    """The recording at `path` as float32 mono samples at `SAMPLE_RATE`.

    Args:
        path: An audio file (Gradio's `gr.Audio(type="filepath")` value), or None.
        max_seconds: Longest recording accepted.

    Returns:
        A 1-D `numpy.float32` array.

    Raises:
        InputError: no file, not audio libsndfile can read, too large, too short or too long, a
            sample rate or channel count outside the limits, no samples, or silence.

    Example:
        >>> samples = read_speech("hello.wav")
        >>> len(samples) / SAMPLE_RATE  # seconds
        1.5
    """
    import soundfile

    if path is None or not str(path).strip():
        raise InputError("Record or upload some speech first.")
    path = str(path)
    try:
        size = os.path.getsize(path)
        info = soundfile.info(path)
    except (soundfile.LibsndfileError, RuntimeError, TypeError, OSError):
        raise InputError(f"That file is not audio this app can read: upload {READABLE}.") from None
    if size > MAX_AUDIO_BYTES:
        raise InputError(f"The file is {size / 2**20:,.0f} MB; the limit is {MAX_AUDIO_BYTES // 2**20} MB.")
    if info.format not in _FORMATS:
        raise InputError(f"That file is {info.format} audio, which this app does not take: upload {READABLE}.")
    rate, channels, frames = int(info.samplerate), int(info.channels), int(info.frames)
    if not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:
        raise InputError(
            f"The recording's sample rate is {rate:,} Hz; this app takes {MIN_SAMPLE_RATE:,} to "
            f"{MAX_SAMPLE_RATE:,} Hz: resample it (16,000 Hz is plenty for speech)."
        )
    if not 1 <= channels <= MAX_CHANNELS:
        raise InputError(f"The recording has {channels:,} channels; the limit is {MAX_CHANNELS}: mix it down.")
    if frames <= 0:
        raise InputError("The recording is empty: record or upload some speech.")
    _check_length(frames / rate, max_seconds)
    if frames * channels > MAX_AUDIO_SAMPLES:
        raise InputError(
            f"The recording holds {frames * channels / 1e6:,.1f} million samples ({channels} channels at {rate:,} Hz); "
            f"the limit is {MAX_AUDIO_SAMPLES / 1e6:,.1f} million: mix it down or resample it."
        )
    try:
        samples, peak = _decode_mono_16k(path, rate=rate, max_frames=math.floor(max_seconds * rate) + 1)
    except (soundfile.LibsndfileError, RuntimeError):
        raise InputError(f"That file is damaged or not audio this app can read: upload {READABLE}.") from None
    if samples.size == 0:
        raise InputError("The recording is empty: record or upload some speech.")
    # The header may understate a compressed file's length: what was decoded is what counts.
    _check_length(samples.size / SAMPLE_RATE, max_seconds)
    if peak < SILENCE:
        raise InputError("The recording is silent: check the microphone, or upload another file.")
    return samples


def _check_length(seconds: float, max_seconds: float) -> None:
    if seconds > max_seconds:
        raise InputError(
            f"The recording is {_clock(seconds)} long; the limit is {_clock(max_seconds)}: trim it and try again."
        )
    if seconds < MIN_AUDIO_SECONDS:
        raise InputError(f"The recording is {seconds:.3f} s long; record at least {MIN_AUDIO_SECONDS:g} s of speech.")


def _decode_mono_16k(path: str, *, rate: int, max_frames: int) -> tuple[Any, float]:
    """Decode, mix down and resample block by block; returns (samples, peak of the mono mix).

    Raises:
        InputError: the file holds more than `max_frames` frames (a header that lied).
    """
    import numpy as np
    import soundfile

    ratio = Fraction(SAMPLE_RATE, rate).limit_denominator(_MAX_RATIO_TERM)
    resampler = _StreamResampler(ratio.numerator, ratio.denominator) if ratio != 1 else None
    pieces, peak, read = [], 0.0, 0
    with soundfile.SoundFile(path) as audio:
        while True:
            block = audio.read(_BLOCK_FRAMES, dtype="float32", always_2d=True)
            if not len(block):
                break
            read += len(block)
            if read > max_frames:
                raise InputError(
                    f"The recording is longer than its header says and over the "
                    f"{_clock(max_frames / rate)} limit: trim it and try again."
                )
            mono = block[:, 0] if block.shape[1] == 1 else block.mean(axis=1, dtype=np.float32)
            peak = max(peak, float(np.abs(mono).max(initial=0.0)))
            pieces.extend(resampler.push(mono) if resampler else [mono])
    if resampler:
        pieces.extend(resampler.finish())
    samples = np.concatenate(pieces).astype(np.float32, copy=False) if pieces else np.zeros(0, np.float32)
    return samples, peak


class _StreamResampler:
    """Polyphase resampling by `up`/`down` (scipy's `resample_poly`), fed block by block.

    Each block is filtered with enough of its neighbours on either side (a whole number of
    `down` periods, so output samples line up) that the result equals resampling the whole
    signal at once, while only a block and its margins are ever in memory.
    """

    def __init__(self, up: int, down: int) -> None:
        import numpy as np
        from scipy.signal import firwin

        self.up, self.down = up, down
        # resample_poly's own filter, designed once: it spans 10·max(up, down) upsampled samples
        # either side of each output.
        half = 10 * max(up, down)
        self._filter = firwin(2 * half + 1, 1.0 / max(up, down), window=("kaiser", 5.0))
        self.margin = down * math.ceil((math.ceil(half / up) + 1) / down)
        self._buffer = np.zeros(0, np.float32)
        self._start = 0  # index (input samples) of the buffer's first sample in the signal
        self._emitted_from = 0  # index (input samples) up to which output has been emitted

    def push(self, samples: Any) -> Iterator[Any]:
        """Output for as much of the signal as has a full right margin now."""
        import numpy as np

        self._buffer = np.concatenate([self._buffer, samples])
        return self._drain(final=False)

    def finish(self) -> Iterator[Any]:
        """The rest of the output (the signal has ended)."""
        return self._drain(final=True)

    def _drain(self, *, final: bool) -> Iterator[Any]:
        import numpy as np
        from scipy.signal import resample_poly

        buffer = self._buffer
        end = self._start + len(buffer)
        # Emit output for input [emit_from, emit_to): whole `down` periods with a full right margin.
        emit_to = (
            end if final else self._emitted_from + (end - self.margin - self._emitted_from) // self.down * self.down
        )
        if emit_to > self._emitted_from:
            window_from = max(self._start, self._emitted_from - self.margin)
            window_to = end if final else min(end, emit_to + self.margin)
            window = buffer[window_from - self._start : window_to - self._start]
            out = resample_poly(window, self.up, self.down, window=self._filter)
            skip = (self._emitted_from - window_from) * self.up // self.down
            count = len(out) - skip if final else (emit_to - self._emitted_from) * self.up // self.down
            yield out[skip : skip + count].astype(np.float32, copy=False)
            self._emitted_from = emit_to
        keep_from = max(self._start, self._emitted_from - self.margin)
        self._buffer, self._start = buffer[keep_from - self._start :], keep_from


def _clock(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def transcribe(recognizer: Any, samples: Any, *, timestamps: bool = False, chunk_seconds: float = 30) -> dict[str, Any]:
    """Text of one recording, with segment times if asked: `transcribe_batch` of one."""
    return transcribe_batch(recognizer, [samples], timestamps=[timestamps], chunk_seconds=chunk_seconds)[0]


def transcribe_batch(
    recognizer: Any, recordings: Sequence[Any], *, timestamps: Sequence[bool], chunk_seconds: float = 30
) -> list[dict[str, Any]]:
    """Text of each recording, with segment times where asked; long recordings go in chunks.

    Whisper reads at most 30 s at a time: longer recordings are cut into overlapping 30 s chunks
    and stitched back together by the pipeline. The recordings share their passes: one batched
    encoder pass tells which 30 s windows of any of them hold speech; a piece of speech that is
    one window (every recording of up to 30 s) is decoded from that same encoder output, in
    batches of 8, with the pipeline's beam width and decoding; longer runs of speech go through
    the pipeline together, their chunks in batches of 8. The cost is bounded by the audio and by
    what is heard: windows in which Whisper hears no speech are not transcribed at all, the
    tokens written per window are capped by the longest window's length, and a transcript that
    starts to loop (noise makes Whisper repeat itself until its limit) stops there.

    Args:
        recognizer: A transformers `automatic-speech-recognition` pipeline of a Whisper model.
        recordings: Float32 mono samples at `SAMPLE_RATE` each (from `read_speech`).
        timestamps: For each recording, whether to return when each segment was said.
        chunk_seconds: Chunk length for long recordings (and the no-speech windows).

    Returns:
        `{"text": str, "segments": [[start, end, text], ...]}` per recording, in order (plain
        data: it may cross a process boundary on ZeroGPU); `segments` is empty without
        timestamps, `text` is empty when no speech was heard.

    Raises:
        ValueError: `timestamps` does not give one flag per recording.
    """
    if len(timestamps) != len(recordings):
        raise ValueError(f"{len(recordings)} recordings but {len(timestamps)} timestamp flags")
    step = int(chunk_seconds * SAMPLE_RATE)
    windows = [[samples[i : i + step] for i in range(0, max(len(samples), 1), step)] for samples in recordings]
    flat = [window for spans in windows for window in spans]
    heard, encoded = _hears_speech(recognizer, flat)
    # (recording, offset in seconds, samples, the window's encoder output when the piece is one window)
    pieces: list[tuple[int, float, Any, Any]] = []
    at = 0
    for index, (samples, spans) in enumerate(zip(recordings, windows, strict=True)):
        for first, last in _runs(heard[at : at + len(spans)]):
            state = encoded.get(at + first) if last - first == 1 else None
            pieces.append((index, first * chunk_seconds, samples[first * step : last * step], state))
        at += len(spans)
    groups: dict[tuple[bool, bool], list[int]] = {}
    for number, (index, _, _, state) in enumerate(pieces):
        groups.setdefault((bool(timestamps[index]), state is None), []).append(number)
    outputs: dict[int, dict[str, Any]] = {}
    for (with_times, through_pipeline), numbers in groups.items():
        if through_pipeline:  # runs of windows: the pipeline chunks them with overlaps and stitches them
            done = _recognize(
                recognizer, [pieces[n][2] for n in numbers], timestamps=with_times, chunk_seconds=chunk_seconds
            )
        else:  # one window each: decoded from the encoder pass that heard the speech
            done = _decode_windows(recognizer, [pieces[n] for n in numbers], timestamps=with_times)
        outputs.update(zip(numbers, done, strict=True))
    results: list[dict[str, Any]] = [{"text": "", "segments": []} for _ in recordings]
    for number, (index, offset, piece, _) in enumerate(pieces):
        text, seconds = outputs[number]["text"].strip(), len(piece) / SAMPLE_RATE
        if text:
            results[index]["text"] = f"{results[index]['text']} {text}".strip()
        for chunk in outputs[number].get("chunks", []) if timestamps[index] else []:
            start, end = chunk["timestamp"]
            # The last segment of a recording can come back open-ended: it ends with the audio.
            end = seconds if end is None else end
            results[index]["segments"].append(
                [round(offset + float(start or 0.0), 2), round(offset + float(end), 2), chunk["text"].strip()]
            )
    return results


def _runs(flags: list[bool]) -> Iterator[tuple[int, int]]:
    """(first, end) of each run of True in `flags`."""
    first = None
    for index, flag in enumerate([*flags, False]):
        if flag and first is None:
            first = index
        elif not flag and first is not None:
            yield first, index
            first = None


def _recognize(recognizer: Any, pieces: list[Any], *, timestamps: bool, chunk_seconds: float) -> list[dict[str, Any]]:
    """The pipeline's output for each piece (each a run of windows, longer than `chunk_seconds`),
    in one call: chunked with overlaps and stitched back together."""
    options: dict[str, Any] = {"batch_size": 8, "chunk_length_s": chunk_seconds}
    generate = _bounded_generation(recognizer, chunk_seconds)
    if timestamps:  # one generate call per window, or the pipeline's chunk merge misplaces segments
        options["return_timestamps"] = True
        generate["force_unique_generate_call"] = True
    inputs = [{"raw": piece, "sampling_rate": SAMPLE_RATE} for piece in pieces]
    return list(recognizer(inputs, generate_kwargs=generate, **options))


def _bounded_generation(recognizer: Any, seconds: float) -> dict[str, Any]:
    """`generate` options that bound a window's transcript: its length's worth of tokens, no loops."""
    from transformers import StoppingCriteriaList

    return {
        "max_new_tokens": speech_token_limit(recognizer, seconds),
        "stopping_criteria": StoppingCriteriaList([_StopLoops()]),
    }


class _StopLoops:
    """Stop a sequence whose last tokens repeat one short cycle (". . . .", "a bit of a bit of…"):
    Whisper on noise loops until its token limit. A cycle of 1–8 tokens must fill the last
    `LOOP_TOKENS` tokens (and repeat 4 times) before it counts, which speech does not do."""

    LOOP_TOKENS = 16
    MAX_PERIOD = 8

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        done = torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)
        for period in range(1, self.MAX_PERIOD + 1):
            span = max(self.LOOP_TOKENS, 4 * period)
            if input_ids.shape[1] < span + period:
                break
            done |= (input_ids[:, -span:] == input_ids[:, -span - period : -period]).all(dim=1)
        return done


def speech_token_limit(recognizer: Any, seconds: float) -> int:
    """Most tokens Whisper may write for `seconds` of audio (its own limit: 448 with the prompt)."""
    config = recognizer.model.config
    ceiling = int(getattr(config, "max_target_positions", 448)) - 4  # the prompt's tokens
    return max(1, min(ceiling, math.ceil(seconds * SPEECH_TOKENS_PER_SECOND) + SPEECH_EXTRA_TOKENS))


def _hears_speech(recognizer: Any, windows: list[Any], *, batch_size: int = 8) -> tuple[list[bool], dict[int, Any]]:
    """Whether Whisper hears speech in each window (at most 30 s of samples each), and the encoder's
    output for each window where it does (by window index), so that decoding need not encode again.

    Whisper's own no-speech detection: the probability it gives its "no speech" token right
    after the start of a transcript (one encoder pass and one decoder step per window, no
    decoding), against OpenAI's threshold of 0.6.
    """
    import torch

    model = recognizer.model
    config = model.generation_config
    no_speech = int(config.no_timestamps_token_id) - 1  # <|nocaptions|> / <|nospeech|>
    heard: list[bool] = []
    encoded_heard: dict[int, Any] = {}
    for first in range(0, len(windows), batch_size):
        batch = windows[first : first + batch_size]
        features = recognizer.feature_extractor(batch, sampling_rate=SAMPLE_RATE, return_tensors="pt").input_features
        with torch.inference_mode():
            encoded = model.model.encoder(features.to(model.device, model.dtype)).last_hidden_state
            start = torch.full((len(batch), 1), int(config.decoder_start_token_id), device=model.device)
            decoded = model.model.decoder(input_ids=start, encoder_hidden_states=encoded).last_hidden_state
            probabilities = model.proj_out(decoded[:, -1]).float().softmax(-1)[:, no_speech]
        for offset, probability in enumerate(probabilities.cpu()):
            heard.append(float(probability) <= NO_SPEECH_THRESHOLD)
            if heard[-1]:
                encoded_heard[first + offset] = encoded[offset]
    return heard, encoded_heard


def _decode_windows(
    recognizer: Any, pieces: list[tuple[int, float, Any, Any]], *, timestamps: bool, batch_size: int = 8
) -> list[dict[str, Any]]:
    """The pipeline's output for each one-window piece, generated from its encoder output."""
    import torch
    from transformers.modeling_outputs import BaseModelOutput

    longest = max(len(piece) for _, _, piece, _ in pieces) / SAMPLE_RATE
    set_by_model = recognizer.model.generation_config.to_diff_dict()
    beams = {} if "num_beams" in set_by_model else {"num_beams": PIPELINE_BEAMS}
    outputs: list[dict[str, Any]] = []
    for first in range(0, len(pieces), batch_size):
        states = torch.stack([state for _, _, _, state in pieces[first : first + batch_size]])
        with torch.inference_mode():
            tokens = recognizer.model.generate(
                encoder_outputs=BaseModelOutput(last_hidden_state=states),
                **_bounded_generation(recognizer, longest),
                **beams,
                **({"return_timestamps": True} if timestamps else {}),
            )
        sequences = (tokens["sequences"] if isinstance(tokens, dict) else tokens).cpu()
        # The pipeline's own decoding (text, and segments from the timestamp tokens), one piece each.
        outputs += [
            recognizer.postprocess([{"tokens": row[None], "is_last": True}], return_timestamps=timestamps or None)
            for row in sequences
        ]
    return outputs


def speech_windows(samples: Any, *, window_seconds: float = 30) -> int:
    """How many `window_seconds` windows a recording spans: what transcribing it costs, in the
    units a batch of recordings is measured in (one encoder pass and a window's tokens each)."""
    return max(1, math.ceil(len(samples) / (window_seconds * SAMPLE_RATE)))


def gpu_seconds_for_speech(recordings: Sequence[Any]) -> int:
    """Seconds of GPU a transcription of `recordings` (one batch) may take (ZeroGPU's `duration`):
    a fixed start plus a share of their length, so short clips queue sooner."""
    return 10 + math.ceil(sum(len(samples) for samples in recordings) / SAMPLE_RATE / 10)


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
