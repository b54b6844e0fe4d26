"""README front matter: parsing and the checks the Hub runs on `/api/validate-yaml` and on commits.

The Space rules follow the Spaces configuration reference (sdk, colors, emoji, hardware hints,
short description, version strings…); model and dataset cards get the checks common to all repos
(a YAML mapping, a known license, lists of strings).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import yaml

FRONT_MATTER_RE = re.compile(r"^(\s*---[\r\n]+)([\S\s]*?)([\r\n]+---(\r\n|\n|$))")

SPACE_SDKS = ("gradio", "docker", "static")
SPACE_COLORS = ("red", "yellow", "green", "blue", "indigo", "purple", "pink", "gray")
# `suggested_hardware` is a hint shown to duplicators; ZeroGPU is never a hint, it is assigned by API.
SUGGESTED_HARDWARE = (
    "cpu-basic", "cpu-upgrade", "t4-small", "t4-medium", "l4x1", "l4x4", "l40sx1", "l40sx4", "l40sx8",
    "a10g-small", "a10g-large", "a10g-largex2", "a10g-largex4", "a100-large", "a100x4", "a100x8",
)  # fmt: skip
SUGGESTED_STORAGE = ("small", "medium", "large")
CUSTOM_HEADERS = ("cross-origin-embedder-policy", "cross-origin-opener-policy", "cross-origin-resource-policy")
SHORT_DESCRIPTION_MAX = 60
LICENSES = frozenset(
    [
        "apache-2.0",
        "mit",
        "openrail",
        "bigscience-openrail-m",
        "creativeml-openrail-m",
        "bigscience-bloom-rail-1.0",
        "bigcode-openrail-m",
        "afl-3.0",
        "artistic-2.0",
        "bsl-1.0",
        "bsd",
        "bsd-2-clause",
        "bsd-3-clause",
        "bsd-3-clause-clear",
        "c-uda",
        "cc",
        "cc0-1.0",
        "cc-by-2.0",
        "cc-by-2.5",
        "cc-by-3.0",
        "cc-by-4.0",
        "cc-by-sa-3.0",
        "cc-by-sa-4.0",
        "cc-by-nc-2.0",
        "cc-by-nc-3.0",
        "cc-by-nc-4.0",
        "cc-by-nd-4.0",
        "cc-by-nc-nd-3.0",
        "cc-by-nc-nd-4.0",
        "cc-by-nc-sa-2.0",
        "cc-by-nc-sa-3.0",
        "cc-by-nc-sa-4.0",
        "cdla-sharing-1.0",
        "cdla-permissive-1.0",
        "cdla-permissive-2.0",
        "wtfpl",
        "ecl-2.0",
        "epl-1.0",
        "epl-2.0",
        "etalab-2.0",
        "eupl-1.1",
        "eupl-1.2",
        "agpl-3.0",
        "gfdl",
        "gpl",
        "gpl-2.0",
        "gpl-3.0",
        "lgpl",
        "lgpl-2.1",
        "lgpl-3.0",
        "isc",
        "h-research",
        "intel-research",
        "lppl-1.3c",
        "ms-pl",
        "apple-ascl",
        "apple-amlr",
        "mpl-2.0",
        "odc-by",
        "odbl",
        "openrail++",
        "osl-3.0",
        "postgresql",
        "ofl-1.1",
        "ncsa",
        "unlicense",
        "zlib",
        "pddl",
        "lgpl-lr",
        "deepfloyd-if-license",
        "fair-noncommercial-research-license",
        "llama2",
        "llama3",
        "llama3.1",
        "llama3.2",
        "llama3.3",
        "llama4",
        "gemma",
        "unknown",
        "other",
    ]
)
REPO_ID_RE = re.compile(r"^(?:[A-Za-z0-9][A-Za-z0-9._-]*/)?[A-Za-z0-9][A-Za-z0-9._-]*$")
PRELOAD_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*(?: [^ ]+(?: [0-9a-f]{40})?)?$")
VERSION_RE = re.compile(r"^\d+(?:\.\d+){0,2}$")
DURATION_RE = re.compile(r"^\d+[smh]$")


def front_matter(readme: str) -> dict[str, Any] | None:
    """Parse the YAML block at the top of a README.

    Returns:
        The metadata mapping, or None when the README has no front matter.

    Raises:
        ValueError: the block is not valid YAML or not a mapping.
    """
    match = FRONT_MATTER_RE.search(readme)
    if match is None:
        return None
    try:
        data = yaml.safe_load(match.group(2))
    except yaml.YAMLError as exc:
        raise ValueError(f"Invalid YAML in README.md front matter: {exc}".replace("\n", " ")) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError("README.md front matter must be a YAML mapping (key: value lines)")
    return data


def validate(readme: str, repo_type: str) -> tuple[list[str], list[str]]:
    """Check a README's front matter as the Hub does.

    Args:
        readme: The whole README.md text.
        repo_type: `model`, `dataset` or `space`.

    Returns:
        `(errors, warnings)`: the Hub refuses the README when `errors` is not empty.
    """
    try:
        data = front_matter(readme)
    except ValueError as exc:
        return [str(exc)], []
    if data is None:
        if repo_type == "space":
            return ['Missing front matter: a Space README must start with a YAML block that sets "sdk"'], []
        return [], ["Empty metadata: add a YAML block at the top of README.md"]

    errors = _common_errors(data)
    if repo_type == "space":
        errors += _space_errors(data)
    return errors, []


def _common_errors(data: dict[str, Any]) -> list[str]:
    errors = []
    license_ = data.get("license")
    if license_ is not None:
        licenses = license_ if isinstance(license_, list) else [license_]
        for item in licenses:
            if not isinstance(item, str) or item.lower() not in LICENSES:
                errors.append(f'"license" must be a license identifier known to the Hub, not {item!r}')
    for key in ("tags", "language", "models", "datasets"):
        value = data.get(key)
        if value is None:
            continue
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            errors.append(f'"{key}" must be a list of strings')
        elif key in ("models", "datasets"):
            errors += [f'"{key}" has an invalid repo id: {item!r}' for item in value if not REPO_ID_RE.match(item)]
    return errors


def _space_errors(data: dict[str, Any]) -> list[str]:
    errors = []

    def check(key: str, ok: bool, expectation: str) -> None:
        if key in data and not ok:
            errors.append(f'"{key}" {expectation}, got {data[key]!r}')

    if "sdk" not in data:
        errors.append(f'"sdk" is required: one of {", ".join(SPACE_SDKS)}')
    check("sdk", data.get("sdk") in SPACE_SDKS, f"must be one of {', '.join(SPACE_SDKS)}")
    for key in ("colorFrom", "colorTo"):
        check(key, data.get(key) in SPACE_COLORS, f"must be one of {', '.join(SPACE_COLORS)}")
    check("emoji", is_single_emoji(data.get("emoji")), "must be a single emoji")
    check("title", isinstance(data.get("title"), str) and 0 < len(data["title"]) <= 100, "must be a string")
    short = data.get("short_description")
    check(
        "short_description",
        isinstance(short, str) and len(short) <= SHORT_DESCRIPTION_MAX,
        f"must be a string of at most {SHORT_DESCRIPTION_MAX} characters",
    )
    check(
        "sdk_version",
        isinstance(data.get("sdk_version"), str) and bool(VERSION_RE.match(data["sdk_version"])),
        'must be a version string such as "5.0.1"',
    )
    check(
        "python_version",
        isinstance(data.get("python_version"), str) and bool(VERSION_RE.match(data["python_version"])),
        'must be a quoted version string such as "3.12"',
    )
    app_file = data.get("app_file")
    check(
        "app_file",
        isinstance(app_file, str)
        and bool(app_file)
        and not app_file.startswith("/")
        and ".." not in app_file.split("/"),
        "must be a relative path inside the repo",
    )
    for key in ("pinned", "fullWidth", "hf_oauth", "disable_embedding"):
        check(key, isinstance(data.get(key), bool), "must be true or false")
    check("header", data.get("header") in ("mini", "default"), "must be mini or default")
    check(
        "suggested_hardware",
        data.get("suggested_hardware") in SUGGESTED_HARDWARE,
        f"must be one of {', '.join(SUGGESTED_HARDWARE)} (ZeroGPU is assigned in the Space settings, not here)",
    )
    check("suggested_storage", data.get("suggested_storage") in SUGGESTED_STORAGE, "must be small, medium or large")
    check(
        "thumbnail",
        isinstance(data.get("thumbnail"), str) and data["thumbnail"].startswith(("http://", "https://")),
        "must be a URL",
    )
    check(
        "startup_duration_timeout",
        isinstance(data.get("startup_duration_timeout"), str)
        and bool(DURATION_RE.match(data["startup_duration_timeout"])),
        'must be a duration such as "30m" or "1h"',
    )
    check(
        "hf_oauth_scopes",
        isinstance(data.get("hf_oauth_scopes"), list) and all(isinstance(s, str) for s in data["hf_oauth_scopes"]),
        "must be a list of strings",
    )
    headers = data.get("custom_headers")
    check(
        "custom_headers",
        isinstance(headers, dict) and all(k in CUSTOM_HEADERS for k in headers),
        f"may only set {', '.join(CUSTOM_HEADERS)}",
    )
    preload = data.get("preload_from_hub")
    check(
        "preload_from_hub",
        isinstance(preload, list) and all(isinstance(item, str) and PRELOAD_RE.match(item) for item in preload),
        'must be a list of "repo_id", "repo_id file1,file2" or "repo_id file1,file2 <40-hex commit>"',
    )
    return errors


_EMOJI_JOINERS = {"\u200d", "\ufe0f", "\u20e3"}


def is_single_emoji(value: object) -> bool:
    """Whether `value` is one emoji (possibly a ZWJ sequence, flag, keycap or with a skin tone)."""
    if not isinstance(value, str) or not value or len(value) > 16:
        return False
    pictographs = 0
    for char in value:
        if char in _EMOJI_JOINERS or 0x1F3FB <= ord(char) <= 0x1F3FF or 0xE0020 <= ord(char) <= 0xE007F:
            continue
        if unicodedata.category(char) != "So":
            return False
        pictographs += 1
    is_flag = all(0x1F1E6 <= ord(c) <= 0x1F1FF for c in value) and len(value) == 2
    return is_flag or (pictographs >= 1 and (pictographs == 1 or "\u200d" in value))
