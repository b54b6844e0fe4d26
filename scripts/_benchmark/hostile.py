"""The hostile-input corpus: for every demo and every input, small files and values a stranger
could send (the cases that once cost seconds, minutes or gigabytes, decompression bombs, huge
dimensions, many channels, odd rates, long silence, maximal text, pathological Unicode), and one
ordinary request per demo that must still be answered after each of them.

Each case is an API call: which endpoint, its arguments (files are written on demand into a
folder), and how it is sent (`gradio_client`, or raw JSON for what that client cannot send).
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared.limits import MAX_AUDIO_BYTES, MAX_IMAGE_BYTES, MAX_REQUEST_BYTES, MAX_TEXT_CHARS

import numpy as np

SPEECH_RATE = 16_000


@dataclass(frozen=True)
class Case:
    """One hostile call.

    Attributes:
        name: What is sent, in a few words.
        api_name: The endpoint.
        args: Its arguments; a callable among them is a file builder, called with the corpus folder.
        raw: Send the JSON by hand (lone surrogates, bodies over the limit), not with gradio_client.
        stream: A streaming endpoint: the answer is its first output (then the job is cancelled).
        upload: A file sent straight to Gradio's upload route (to test its size limit).
        flood: Send this many of the call at once: each must be queued or refused at once.
    """

    name: str
    api_name: str
    args: tuple[Any, ...]
    raw: bool = False
    stream: bool = False
    upload: Callable[[Path], Path] | None = None
    flood: int = 0


@dataclass(frozen=True)
class Demo:
    """A demo's hostile cases and the ordinary request that proves it still serves."""

    name: str
    healthy: Case
    cases: list[Case] = field(default_factory=list)


# ---------------------------------------------------------------------- files


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bomb(width: int, height: int) -> Callable[[Path], Path]:
    """A grey PNG of width×height zeros, compressed to a few hundred KB (written row by row)."""

    def build(folder: Path) -> Path:
        path = folder / f"bomb-{width}x{height}.png"
        compressor = zlib.compressobj(9)
        row = b"\0" * (width + 1)  # filter byte + one byte a pixel
        with open(path, "wb") as out:
            out.write(b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)))
            body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
            out.write(_png_chunk(b"IDAT", body) + _png_chunk(b"IEND", b""))
        return path

    return build


def png_header_only(width: int, height: int) -> Callable[[Path], Path]:
    """A PNG whose header claims width×height and that holds no pixels at all."""

    def build(folder: Path) -> Path:
        path = folder / f"header-{width}x{height}.png"
        ihdr = _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        path.write_bytes(b"\x89PNG\r\n\x1a\n" + ihdr)
        return path

    return build


def image(name: str, make: Callable[[], Any], **save: Any) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        path = folder / name
        make().save(path, **save)
        return path

    return build


def _gradient(width: int, height: int) -> Any:
    from PIL import Image

    row = np.linspace(0, 255, width, dtype=np.uint8)
    return Image.fromarray(np.broadcast_to(row, (height, width)).copy()).convert("RGB")


def _digit_drawing(side: int) -> Any:
    from PIL import Image, ImageDraw

    picture = Image.new("RGB", (side, side), "white")
    pen = ImageDraw.Draw(picture)
    pen.line([(side * 0.25, side * 0.2), (side * 0.75, side * 0.2), (side * 0.42, side * 0.82)], fill="black",
             width=max(2, side // 30))  # fmt: skip
    return picture


def _animated(frames: int, side: int) -> Callable[[], Any]:
    def make() -> Any:
        from PIL import Image

        first = Image.new("P", (side, side))
        return _Frames(first, [Image.new("P", (side, side), color=i % 256) for i in range(1, frames)])

    return make


class _Frames:
    def __init__(self, first: Any, rest: list[Any]) -> None:
        self.first, self.rest = first, rest

    def save(self, path: Path, **options: Any) -> None:
        self.first.save(path, save_all=True, append_images=self.rest, **options)


def raw_file(name: str, content: bytes) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(content)
        return path

    return build


def sparse_file(name: str, size: int) -> Callable[[Path], Path]:
    """A file of `size` zero bytes that takes no disk space."""

    def build(folder: Path) -> Path:
        path = folder / name
        with open(path, "wb") as out:
            out.truncate(size)
        return path

    return build


def audio(
    name: str, *, seconds: float, rate: int, channels: int = 1, signal: str = "tone", level: float = 0.3
) -> Callable[[Path], Path]:
    """A recording written block by block (never whole in memory): `tone` (440 Hz), `beep` (10 ms
    at 1 kHz, then quiet), `noise` (white noise at `level`) or `zeros`, in every channel."""

    def build(folder: Path) -> Path:
        import soundfile

        path = folder / name
        total = max(1, int(seconds * rate))
        rng = np.random.default_rng(0)
        with soundfile.SoundFile(path, "w", rate, channels) as out:
            for start in range(0, total, 1 << 16):  # blocks: libvorbis also crashes on one huge write
                t = np.arange(start, min(total, start + (1 << 16)), dtype=np.float64) / rate
                if signal == "tone":
                    block = level * np.sin(2 * np.pi * 440 * t)
                elif signal == "beep":
                    block = np.where(t < 0.01, 0.5 * np.sin(2 * np.pi * 1_000 * t), 0.0)
                elif signal == "noise":
                    block = rng.standard_normal(len(t)) * level
                else:
                    block = np.zeros(len(t))
                block = block.astype(np.float32)
                out.write(block if channels == 1 else np.repeat(block[:, None], channels, axis=1))
        return path

    return build


def spoken(name: str, text: str) -> Callable[[Path], Path]:
    """Speech synthesised by espeak-ng (scripts/setup.sh installs it)."""

    def build(folder: Path) -> Path:
        import subprocess

        path = folder / name
        subprocess.run(["espeak-ng", "-w", str(path), text], check=True, capture_output=True)
        return path

    return build


def _png_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "red").save(buffer, format="PNG")
    return buffer.getvalue()


# ---------------------------------------------------------------------- text

WORDS = "a quietly confident review of a film that mostly works "
ZALGO = "Z" + "\u0301\u0300\u0302\u0303" * 1_249  # one letter under 4,996 combining marks
BIDI = ("\u202e\u2066" + "sdrawkcab " + "\u2069\u202c") * 350
EMOJI_ZWJ = "👩\u200d👩\u200d👧\u200d👦" * 700  # 7 code points a family
ONE_WORD = "x" * MAX_TEXT_CHARS
LONE_SURROGATE = "a review \ud800 with half a character"
OVERSIZED_BODY = "y" * (MAX_REQUEST_BYTES + 1024)


def _text_cases(api_name: str, *rest: Any, limit: int = MAX_TEXT_CHARS) -> list[Case]:
    maximal = (WORDS * (limit // len(WORDS) + 1))[:limit]
    return [
        Case(f"maximal text ({limit:,} chars)", api_name, (maximal, *rest)),
        Case("one word of the maximal length", api_name, (("x" * limit), *rest)),
        Case("text 200× the limit", api_name, ("z" * (limit * 200), *rest)),
        Case("zalgo (5,000 combining marks)", api_name, (ZALGO[:limit], *rest)),
        Case("bidi overrides", api_name, (BIDI[:limit], *rest)),
        Case("emoji ZWJ sequences", api_name, (EMOJI_ZWJ[:limit], *rest)),
        Case("lone surrogate", api_name, (LONE_SURROGATE, *rest), raw=True),
        Case("request body over 2 MB", api_name, (OVERSIZED_BODY, *rest), raw=True),
    ]


# ---------------------------------------------------------------------- the corpus


def _sketch(composite: Any, *, background: Any = None, layers: list[Any] | None = None) -> dict[str, Any]:
    return {"background": background, "layers": layers or [], "composite": composite}


def _blank() -> Any:
    from PIL import Image

    return Image.new("RGB", (400, 400), "white")


def corpus() -> list[Demo]:
    """Every demo with its cases."""
    seven = image("seven.png", lambda: _digit_drawing(400))
    bomb = png_bomb(20_000, 20_000)
    return [
        Demo(
            "sentiment",
            Case("healthy", "/classify", ("what a fine film",)),
            [
                *_text_cases("/classify"),
                Case("flood of 300 requests", "/classify", ("what a film",), flood=300),
                Case("feedback comment 200× its limit", "/feedback_classify_up", ("c" * 200_000, "a film", None)),
                Case("feedback comment with a lone surrogate", "/feedback_classify_up",
                     (LONE_SURROGATE, "a film", None), raw=True),
                Case("flood of 300 verdicts", "/feedback_classify_down", ("", "a film", None), flood=300),
            ],
        ),
        Demo(
            "semantic-search",
            Case("healthy", "/search", ("football match result", 5)),
            [
                *_text_cases("/search", 5),
                Case("k = 10^12", "/search", ("rockets", 10**12)),
                Case("k = -1", "/search", ("rockets", -1)),
                Case("k = 2.5", "/search", ("rockets", 2.5)),
                Case("k as text", "/search", ("rockets", "all")),
            ],
        ),
        Demo(
            "image-classification",
            Case("healthy", "/classify", (image("small.png", lambda: _gradient(64, 64)),)),
            [
                Case("PNG bomb 20,000×20,000 (0.4 MB)", "/classify", (bomb,)),
                Case("header claims 100,000×100,000", "/classify", (png_header_only(100_000, 100_000),)),
                Case("largest allowed: 6,300×6,300 PNG", "/classify", (image("max.png", lambda: _gradient(6_300, 6_300)),)),
                Case("6,300×6,300 JPEG", "/classify", (image("max.jpg", lambda: _gradient(6_300, 6_300), quality=50),)),
                Case("GIF of 300 frames", "/classify", (image("frames.gif", _animated(300, 400)),)),
                Case("16-bit grey PNG", "/classify", (image("deep.png", lambda: _gradient(800, 600).convert("I;16")),)),
                Case("CMYK JPEG", "/classify", (image("cmyk.jpg", lambda: _gradient(800, 600).convert("CMYK")),)),
                Case("truncated PNG", "/classify", (raw_file("cut.png", _png_bytes()[:60]),)),
                Case("text named .png", "/classify", (raw_file("text.png", b"not an image at all"),)),
                Case(
                    f"upload over {MAX_IMAGE_BYTES // 2**20} MB", "/classify", (),
                    upload=sparse_file("big.png", MAX_IMAGE_BYTES + 1),
                ),
            ],
        ),
        Demo(
            "digits",
            Case("healthy", "/read_drawing", (_sketch(seven),)),
            [
                Case("canvas bomb 20,000×20,000", "/read_drawing", (_sketch(bomb),)),
                Case("largest allowed canvas 6,300×6,300", "/read_drawing",
                     (_sketch(image("max7.png", lambda: _digit_drawing(6_300))),)),
                Case("1,000 bomb layers and a bomb background", "/read_drawing",
                     (_sketch(seven, background=bomb, layers=[bomb] * 1_000),), raw=True),
                Case("blank canvas", "/read_drawing", (_sketch(image("blank.png", _blank)),)),
                Case("example number 10^12", "/read_example", (10**12,)),
                Case("example number -1", "/read_example", (-1,)),
                Case("example number 2.5", "/read_example", (2.5,)),
                Case("compare: canvas bomb 20,000×20,000", "/compare_read_drawing", (_sketch(bomb),)),
                Case("compare: a choice with no comparison", "/compare_read_drawing_a", ("",)),
                Case("compare: choice comment 200× its limit", "/compare_read_drawing_same", ("c" * 200_000,)),
                Case("compare: flood of 300 choices", "/compare_read_drawing_b", ("",), flood=300),
            ],
        ),
        Demo(
            "speech-to-text",
            Case("healthy", "/transcribe", (spoken("said.wav", "The weather today is sunny."), False)),
            [
                Case("4 KB WAV at 2,000,003 Hz", "/transcribe",
                     (audio("fast.wav", seconds=0.001, rate=2_000_003), False)),
                Case("8-channel FLAC, 60 s at 655,350 Hz", "/transcribe",
                     (audio("wide.flac", seconds=60, rate=655_350, channels=8, signal="zeros"), False)),
                Case("8-channel FLAC, 60 s tone at 48 kHz", "/transcribe",
                     (audio("eight.flac", seconds=60, rate=48_000, channels=8), True)),
                Case("10 ms beep", "/transcribe",
                     (audio("beep.wav", seconds=0.01, rate=SPEECH_RATE, signal="beep"), False)),
                Case("10 ms beep, then 5 s of quiet", "/transcribe",
                     (audio("beep-quiet.wav", seconds=5.01, rate=SPEECH_RATE, signal="beep"), False)),
                Case("10 min of digital silence (FLAC)", "/transcribe",
                     (audio("silence.flac", seconds=600, rate=48_000, signal="zeros"), False)),
                Case("10 min of faint noise at 8 kHz", "/transcribe",
                     (audio("faint.flac", seconds=600, rate=8_000, signal="noise", level=0.001), True)),
                Case("30 s tone at 44,101 Hz", "/transcribe", (audio("odd.wav", seconds=30, rate=44_101), True)),
                Case("10:01 of silence at 8 kHz", "/transcribe",
                     (audio("long.flac", seconds=601, rate=8_000, signal="zeros"), False)),
                Case("9 channels", "/transcribe",
                     (audio("nine.wav", seconds=1, rate=SPEECH_RATE, channels=9), False)),
                Case("PNG named .wav", "/transcribe", (raw_file("picture.wav", _png_bytes()), False)),
                Case(
                    f"upload over {MAX_AUDIO_BYTES // 2**20} MB", "/transcribe", (),
                    upload=sparse_file("big.wav", MAX_AUDIO_BYTES + 1),
                ),
            ],
        ),
        Demo(
            "chat",
            Case("healthy", "/chat", ("Hi!", "Be brief.", 0.0, 16), stream=True),
            [
                Case("maximal message, longest answer", "/chat",
                     ((WORDS * 200)[:8_000], "Be brief.", 0.0, 1024), stream=True),
                Case("message 100× the limit", "/chat", ("m" * 800_000, "Be brief.", 0.0, 16), stream=True),
                Case("system prompt 100× the limit", "/chat", ("Hi", "s" * 800_000, 0.0, 16), stream=True),
                Case("zalgo message", "/chat", (ZALGO, "Be brief.", 0.0, 16), stream=True),
                Case("emoji ZWJ message", "/chat", (EMOJI_ZWJ, "Be brief.", 0.0, 16), stream=True),
                Case("lone surrogate", "/chat", (LONE_SURROGATE, "Be brief.", 0.0, 16), raw=True),
                Case("longest answer 10^9 tokens", "/chat", ("Hi", "Be brief.", 0.0, 10**9), stream=True),
                Case("temperature 10^9", "/chat", ("Hi", "Be brief.", 1e9, 16), stream=True),
                Case("request body over 2 MB", "/chat", (OVERSIZED_BODY, "Be brief.", 0.0, 16), raw=True),
                Case("flood of 300 requests", "/chat", ("Hi", "Be brief.", 0.0, 1024), flood=300),
                Case("compare: message 100× the limit", "/compare_chat", ("m" * 800_000,), stream=True),
                Case("compare: zalgo message", "/compare_chat", (ZALGO,), stream=True),
            ],
        ),
        Demo(
            "gallery",
            Case("healthy", "/list", ("sentiment", "Any hardware")),
            [*_text_cases("/list", "Any hardware", limit=200), Case("hardware not offered", "/list", ("", "gpu-9000"))],
        ),
    ]  # fmt: skip
