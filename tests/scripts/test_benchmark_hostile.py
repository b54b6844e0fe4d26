"""The hostile-input benchmark: its corpus covers every demo with files that are what they claim,
and a run measures, reports and judges every case."""

from __future__ import annotations

import re

import pytest
import soundfile
from PIL import Image

from scripts import benchmark_hostile
from scripts._benchmark import hostile
from tests.harness.apps import SPACES_DIR


def test_every_demo_has_hostile_cases_and_a_healthy_request():
    demos = {d.name: d for d in hostile.corpus()}

    assert set(demos) == {p.parent.name for p in SPACES_DIR.glob("*/app.py")}  # a new demo needs its cases
    assert set(benchmark_hostile.USES) == set(demos)
    for demo in demos.values():
        assert demo.cases and demo.healthy.name == "healthy"


def test_the_bombs_are_small_files_with_huge_headers(tmp_path):
    bomb = hostile.png_bomb(20_000, 20_000)(tmp_path)
    claim = hostile.png_header_only(100_000, 100_000)(tmp_path)

    assert bomb.stat().st_size < 1_000_000 and claim.stat().st_size < 100
    Image.MAX_IMAGE_PIXELS, limit = None, Image.MAX_IMAGE_PIXELS
    try:
        with Image.open(bomb) as picture:
            assert picture.size == (20_000, 20_000)
    finally:
        Image.MAX_IMAGE_PIXELS = limit


@pytest.mark.parametrize(
    ("rate", "channels", "seconds"), [(2_000_003, 1, 0.001), (655_350, 8, 0.5), (44_101, 1, 0.5), (16_000, 9, 0.1)]
)
def test_the_recordings_have_the_rates_and_channels_they_claim(tmp_path, rate, channels, seconds):
    suffix = "flac" if rate <= 655_350 and channels <= 8 else "wav"
    path = hostile.audio(f"a.{suffix}", seconds=seconds, rate=rate, channels=channels)(tmp_path)

    info = soundfile.info(str(path))

    assert (info.samplerate, info.channels, info.frames) == (rate, channels, max(1, int(seconds * rate)))


def test_a_run_measures_reports_and_judges_every_case():
    lines: list[str] = []
    outcomes = benchmark_hostile.run(["gallery"], progress=lines.append)

    cases = [c.name for c in next(d for d in hostile.corpus() if d.name == "gallery").cases]
    assert [o.case for o in outcomes] == cases
    assert all(o.serving and o.seconds < benchmark_hostile.TIME_LIMIT for o in outcomes)
    by_case = {o.case: o.answer for o in outcomes}
    assert (
        by_case["lone surrogate"]
        == "refused: The search text holds characters that are not valid Unicode: send UTF-8 text."
    )
    assert by_case["request body over 2 MB"] == "refused: HTTP 413 Request body too large: the limit is 2 MB."
    assert by_case["zalgo (5,000 combining marks)"] == "answered"

    table = benchmark_hostile.report(outcomes, time_limit=10, memory_limit_mb=768).splitlines()
    assert table[0].split() == ["demo", "case", "seconds", "MB", "answer"]
    assert re.match(r"slowest answer: \d+\.\d\d s \(gallery: .+\)  \(limit 10 s\)", table[-3])
    assert table[-1] == "every demo kept serving: yes"
    assert benchmark_hostile.passed(outcomes, time_limit=10, memory_limit_mb=768)
    slow = [*outcomes[:-1], benchmark_hostile.Outcome("gallery", "slow", "answered", 11.0, 1.0, True)]
    assert not benchmark_hostile.passed(slow, time_limit=10, memory_limit_mb=768)
