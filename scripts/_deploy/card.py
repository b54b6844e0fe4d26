"""The Space's README: its front matter completed from what the suite knows, and the rules the
Spaces configuration reference sets for it, checked before the Hub sees it."""

from __future__ import annotations

import importlib.metadata
import re
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

from shared.catalog import APP_FILE, CARD_FILE, SpaceSource
from shared.registry import REPO_ID_PATTERN, SHA_PATTERN

from scripts._deploy.errors import RefusedError
from scripts._deploy.pins import PinFacts
from scripts._deploy.platform import SPACE_PYTHON, ZEROGPU, ZEROGPU_PYTHON
from scripts._deploy.requirements import suite_pins

# Keys of the README front matter the deploy computes; whatever the source says is replaced.
COMPUTED_KEYS = ("sdk", "sdk_version", "python_version", "app_file", "models", "datasets", "preload_from_hub")
_SPACE_COLORS = ("red", "yellow", "green", "blue", "indigo", "purple", "pink", "gray")
_SUGGESTED_HARDWARE = (
    "cpu-basic", "cpu-upgrade", "t4-small", "t4-medium", "l4x1", "l4x4", "l40sx1", "l40sx4", "l40sx8",
    "a10g-small", "a10g-large", "a10g-largex2", "a10g-largex4", "a100-large", "a100x4", "a100x8",
)  # fmt: skip
_VERSION = re.compile(r"^\d+\.\d+(\.\d+)?$")


def card_body(readme: Path) -> str:
    """The README's text below its front matter."""
    from huggingface_hub import RepoCard

    return RepoCard(readme.read_text("utf-8")).text


def complete_card(
    source: SpaceSource, uses: Sequence[PinFacts], *, pins_file: Path, served: Collection[str] = ()
) -> dict[str, Any]:
    """The README front matter the Space gets: the source's, plus what the suite knows.

    `sdk_version` is the gradio the suite pins, `models`/`datasets` are the repos the app loads,
    and `preload_from_hub` pins every model's files (and card) at its commit, so that the Space
    downloads them at build time and sends no request for them at run time; a `served` model
    (an inference server answers for it) is not preloaded: the app fetches only its tokenizer.
    """
    card = {k: v for k, v in source.card.items() if k not in COMPUTED_KEYS}
    gradio = suite_pins(pins_file).get("gradio") or importlib.metadata.version("gradio")
    models = [f for f in uses if f.entry.repo_type == "model"]
    datasets = [f for f in uses if f.entry.repo_type == "dataset"]
    computed: dict[str, Any] = {
        "sdk": "gradio",
        "sdk_version": gradio,
        "python_version": SPACE_PYTHON,
        "app_file": APP_FILE,
    }
    if models:
        computed["models"] = sorted({f.entry.repo_id for f in models})
        preloaded = [f for f in models if f.entry.name not in served]
        if preloaded:  # one line per commit: a candidate may be another entry's pin
            computed["preload_from_hub"] = list(
                dict.fromkeys(
                    f"{f.entry.repo_id} {','.join([*f.entry.files, *([CARD_FILE] if f.has_card else [])])} "
                    f"{f.entry.revision}"
                    for f in preloaded
                )
            )
    if datasets:
        computed["datasets"] = sorted({f.entry.repo_id for f in datasets})
    ordered = {k: card.pop(k) for k in ("title", "emoji", "colorFrom", "colorTo") if k in card}
    return {**ordered, **computed, **card}


def render_readme(card: Mapping[str, Any], body: str) -> str:
    """A README with `card` as its front matter (huggingface_hub's own YAML rendering)."""
    from huggingface_hub import SpaceCardData

    return f"---\n{SpaceCardData(**card).to_yaml(original_order=list(card))}\n---\n{body}"


def check_card(name: str, card: Mapping[str, Any], files: Mapping[str, bytes], *, hardware: str) -> None:
    """The Spaces configuration rules (spaces-platform.md) that can be checked without the Hub.

    Raises:
        RefusedError: every broken rule, in one line.
    """
    problems = []
    title = card.get("title")
    if not isinstance(title, str) or not title.strip():
        problems.append("title is missing")
    emoji = card.get("emoji")
    if emoji is not None and (not isinstance(emoji, str) or not emoji or not all(map(_is_emoji_part, emoji))):
        problems.append(f"emoji {emoji!r} must be a single emoji")
    for key in ("colorFrom", "colorTo"):
        if key in card and card[key] not in _SPACE_COLORS:
            problems.append(f"{key} {card[key]!r} must be one of {', '.join(_SPACE_COLORS)}")
    description = card.get("short_description")
    if description is not None and (not isinstance(description, str) or len(description) > 60):
        problems.append("short_description must be text of at most 60 characters")
    if not isinstance(card.get("license"), str) or not card["license"].strip():
        problems.append("license is missing (e.g. 'license: apache-2.0')")
    if not _VERSION.match(str(card.get("sdk_version"))):
        problems.append(f"sdk_version {card.get('sdk_version')!r} is not a version")
    python = card.get("python_version")
    if not isinstance(python, str) or not _VERSION.match(python):
        problems.append(f'python_version {python!r} must be a quoted version such as "3.12"')
    elif hardware == ZEROGPU and python not in ZEROGPU_PYTHON:
        problems.append(f"python_version {python} is not supported on ZeroGPU ({', '.join(ZEROGPU_PYTHON)})")
    if card.get("app_file") not in files:
        problems.append(f"app_file {card.get('app_file')!r} is not in the Space")
    for key in ("pinned", "fullWidth", "disable_embedding"):
        if key in card and not isinstance(card[key], bool):
            problems.append(f"{key} must be true or false")
    if "header" in card and card["header"] not in ("mini", "default"):
        problems.append("header must be mini or default")
    if "hardware" in card:
        problems.append("hardware is not a front-matter key: declare it in space.yaml")
    if "suggested_hardware" in card and card["suggested_hardware"] not in _SUGGESTED_HARDWARE:
        problems.append(f"suggested_hardware {card['suggested_hardware']!r} is not a hint the Hub accepts")
    for key in ("models", "datasets"):
        values = card.get(key, [])
        if not isinstance(values, list) or not all(isinstance(v, str) and REPO_ID_PATTERN.match(v) for v in values):
            problems.append(f"{key} must be a list of repo ids")
    for line in card.get("preload_from_hub", []):
        parts = str(line).split(" ")
        if len(parts) != 3 or not REPO_ID_PATTERN.match(parts[0]) or not SHA_PATTERN.match(parts[2]):
            problems.append(f"preload_from_hub line {line!r} must be 'repo_id file1,file2 <40-hex sha>'")
    if problems:
        raise RefusedError(f"spaces/{name}/{CARD_FILE}: {'; '.join(problems)}")


def _is_emoji_part(char: str) -> bool:
    return (
        unicodedata.category(char) in ("So", "Sk")
        or char in "\u200d\ufe0f\u20e3"
        or "\U0001f3fb" <= char <= "\U0001f3ff"
    )
