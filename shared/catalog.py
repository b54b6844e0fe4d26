"""What each demo is, read from its own folder: the metadata deploys and the gallery share.

A demo folder `spaces/<name>/` holds `app.py`, a `README.md` whose front matter gives the Space
its title, emoji, colours, short description and licence, and optionally a `space.yaml` with
what only the deploy needs:

    hardware: zero-a10g        # the default; cpu-basic for apps that need no GPU
    secrets: [API_KEY]         # names of Space secrets, values read from the environment
    variables: {LOG_LEVEL: info}   # Space variables: a list of names, or names with defaults
    servers: [chat-model]      # registry entries an inference server answers (shared.serving):
                               # the deploy sets their URL and token from the environment
    catalog: false             # true: ship the catalog of every demo with this Space (the gallery)
    feedback_keeps_files: false  # true: feedback records keep the first bytes of files, not only
                                 # their sha256 and size (uploads may be personal: opt in)
    smoke:                     # calls of the app's API that prove a deployed Space works
      - call: /classify        # the api_name
        with: ["A wonderful film."]   # the inputs; {file: smoke/x.png} is a file of the folder
        expect: [{label: [POSITIVE, NEGATIVE]}]   # per output: label, text, rows, file, any

The folder name is the Space's repo name. At deploy time the catalog (every demo's title,
description, hardware and URL) is written into the Spaces that ask for it as `catalog.json`;
running locally, the same entries are read from the sibling folders.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from shared.errors import SpaceConfigError

import yaml

APP_FILE = "app.py"
CARD_FILE = "README.md"
SETTINGS_FILE = "space.yaml"
CATALOG_FILE = "catalog.json"
ZEROGPU = "zero-a10g"
DEFAULT_HARDWARE = ZEROGPU
NAMESPACE_ENV = "SUITE_SPACES_NAMESPACE"
# Set (by the deploy) on a preview Space only: the name of the preview, e.g. `pr-42`.
PREVIEW_ENV = "SUITE_PREVIEW"
# A preview's name: lowercase words joined by single hyphens (it becomes part of a Space's name).
PREVIEW_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_PREVIEW_NAME = 32
DEFAULT_NAMESPACE = "demo-suite"
_SETTINGS_KEYS = {"hardware", "secrets", "variables", "servers", "catalog", "feedback_keeps_files", "smoke"}
# What a smoke call may expect of one output (see `SmokeCall`).
SMOKE_CHECKS = ("label", "text", "rows", "file", "any")


@dataclass(frozen=True)
class SmokeCall:
    """One call of a demo's public API that a sound deployment answers, and how to tell.

    Attributes:
        api: The endpoint's api_name, with its slash (`/classify`).
        inputs: The arguments; `{"file": "smoke/x.png"}` anywhere in them is a file of the demo
            folder, uploaded with the call.
        expect: One check per output, in order: `{"label": [allowed, ...]}` or `{"label": "any"}`
            (a Label output), `{"text": "nonempty"}` or `{"text": {"contains": "..."}}`,
            `{"rows": N}` (a table with at least N rows), `{"file": true}`, `{"any": true}`.
    """

    api: str
    inputs: tuple[Any, ...]
    expect: tuple[dict[str, Any], ...]

    @property
    def files(self) -> list[str]:
        """The demo-folder files the inputs name."""
        found: list[str] = []
        self.inputs_with_files(found.append)
        return found

    def inputs_with_files(self, open_file: Callable[[str], Any]) -> list[Any]:
        """The inputs, each `{"file": path}` in them replaced by `open_file(path)`."""

        def walk(value: Any) -> Any:
            if isinstance(value, dict) and set(value) == {"file"}:
                return open_file(value["file"])
            if isinstance(value, dict):
                return {key: walk(item) for key, item in value.items()}
            if isinstance(value, list | tuple):
                return [walk(item) for item in value]
            return value

        return walk(list(self.inputs))


@dataclass(frozen=True)
class SpaceSource:
    """One demo folder, as the deploy and the gallery see it.

    Attributes:
        name: The folder name, which is also the Space's repo name.
        folder: Where it is.
        card: The README front matter as written (the deploy completes it).
        hardware: The hardware the Space runs on.
        secrets: Names of the Space secrets it needs; values come from the environment.
        variables: Space variables it needs, with their defaults (None: must be in the environment).
        servers: Registry names of the models an inference server answers on the Space (their
            URL and token come from the environment: `shared.serving`).
        catalog: Whether `catalog.json` (every demo) ships with it.
        feedback_keeps_files: Whether feedback records may keep the first bytes of files (not
            only their sha256 and size).
        smoke: The calls that prove a deployed Space of it works.
    """

    name: str
    folder: Path
    card: dict[str, Any]
    hardware: str = DEFAULT_HARDWARE
    secrets: tuple[str, ...] = ()
    variables: dict[str, str | None] = field(default_factory=dict)
    servers: tuple[str, ...] = ()
    catalog: bool = False
    feedback_keeps_files: bool = False
    smoke: tuple[SmokeCall, ...] = ()

    @property
    def title(self) -> str:
        return str(self.card.get("title") or self.name)

    @property
    def description(self) -> str:
        return str(self.card.get("short_description") or "")

    @property
    def emoji(self) -> str:
        return str(self.card.get("emoji") or "")


@dataclass(frozen=True)
class CatalogEntry:
    """One line of the gallery: a demo and where it runs."""

    name: str
    title: str
    emoji: str
    description: str
    hardware: str
    url: str


def read_space(folder: Path) -> SpaceSource:
    """Read a demo folder.

    Raises:
        SpaceConfigError: no `app.py`, no README front matter, or a bad `space.yaml`.
    """
    from huggingface_hub.repocard import metadata_load

    folder = Path(folder)
    where = f"spaces/{folder.name}"
    if not (folder / APP_FILE).is_file():
        raise SpaceConfigError(f"{where} has no {APP_FILE}: every demo folder needs one")
    if not (folder / CARD_FILE).is_file():
        raise SpaceConfigError(f"{where} has no {CARD_FILE}: add one with the Space's front matter (title, emoji…)")
    try:
        card = metadata_load(folder / CARD_FILE)
    except yaml.YAMLError as exc:
        raise SpaceConfigError(
            f"{where}/{CARD_FILE}: the front matter is not valid YAML ({_first_line(exc)})"
        ) from None
    if not card:
        raise SpaceConfigError(f"{where}/{CARD_FILE} has no front matter: start it with '---', title, emoji…, '---'")
    settings = _read_settings(folder / SETTINGS_FILE, where)
    return SpaceSource(name=folder.name, folder=folder, card=card, **settings)


def discover_spaces(root: Path) -> list[SpaceSource]:
    """Every demo folder under `root` (folders with an `app.py`), sorted by name."""
    return [read_space(app.parent) for app in sorted(Path(root).glob(f"*/{APP_FILE}"))]


@functools.cache
def space_hardware() -> tuple[str, ...]:
    """The hardware flavors a Space can run on (huggingface_hub's `SpaceHardware`)."""
    from huggingface_hub import SpaceHardware

    return tuple(flavor.value for flavor in SpaceHardware)


def space_url(endpoint: str, namespace: str, name: str) -> str:
    """The web address of a Space, e.g. `https://huggingface.co/spaces/org/name`."""
    return f"{endpoint.rstrip('/')}/spaces/{namespace}/{name}"


def catalog_entries(sources: list[SpaceSource], *, endpoint: str, namespace: str) -> list[CatalogEntry]:
    """The gallery's entries for these demos (the ones that ship the catalog themselves excluded)."""
    return [
        CatalogEntry(
            name=s.name,
            title=s.title,
            emoji=s.emoji,
            description=s.description,
            hardware=s.hardware,
            url=space_url(endpoint, namespace, s.name),
        )
        for s in sources
        if not s.catalog
    ]


def catalog_json(entries: list[CatalogEntry]) -> str:
    """The `catalog.json` shipped with a Space."""
    return json.dumps({"spaces": [asdict(e) for e in entries]}, indent=2, ensure_ascii=False) + "\n"


def load_catalog(app_folder: Path) -> list[CatalogEntry]:
    """The demos a gallery app lists.

    On a Space: the `catalog.json` the deploy wrote next to the app. Locally: the sibling demo
    folders, linked to the Hub of `HF_ENDPOINT` under `SUITE_SPACES_NAMESPACE` (default
    `demo-suite`).

    Raises:
        SpaceConfigError: the catalog or a sibling folder is broken.
    """
    bundled = Path(app_folder) / CATALOG_FILE
    if bundled.is_file():
        try:
            return [CatalogEntry(**item) for item in json.loads(bundled.read_text("utf-8"))["spaces"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise SpaceConfigError(f"{bundled} is broken ({exc}): deploy the Space again") from None
    from huggingface_hub import constants

    namespace = os.environ.get(NAMESPACE_ENV, "").strip() or DEFAULT_NAMESPACE
    sources = [s for s in discover_spaces(Path(app_folder).parent) if s.folder != Path(app_folder)]
    return catalog_entries(sources, endpoint=constants.ENDPOINT, namespace=namespace)


def _read_settings(path: Path, where: str) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        raw = yaml.safe_load(path.read_text("utf-8")) or {}
    except yaml.YAMLError as exc:
        raise SpaceConfigError(f"{where}/{SETTINGS_FILE} is not valid YAML ({_first_line(exc)})") from None
    if not isinstance(raw, dict):
        raise SpaceConfigError(f"{where}/{SETTINGS_FILE} must be a mapping of {', '.join(sorted(_SETTINGS_KEYS))}")
    unknown = set(raw) - _SETTINGS_KEYS
    if unknown:
        raise SpaceConfigError(
            f"{where}/{SETTINGS_FILE}: unknown key(s) {', '.join(sorted(map(str, unknown)))}; "
            f"allowed: {', '.join(sorted(_SETTINGS_KEYS))}"
        )
    settings: dict[str, Any] = {}
    if "hardware" in raw:
        if raw["hardware"] not in space_hardware():
            raise SpaceConfigError(
                f"{where}/{SETTINGS_FILE}: hardware {raw['hardware']!r} is not a Space hardware; use one of "
                f"{', '.join(space_hardware())}"
            )
        settings["hardware"] = raw["hardware"]
    secrets = raw.get("secrets") or []
    if not isinstance(secrets, list) or not all(isinstance(s, str) and _is_env_name(s) for s in secrets):
        raise SpaceConfigError(f"{where}/{SETTINGS_FILE}: secrets must be a list of environment variable names")
    settings["secrets"] = tuple(secrets)
    variables = raw.get("variables") or {}
    if isinstance(variables, list):
        variables = dict.fromkeys(variables)
    if not isinstance(variables, dict) or not all(isinstance(k, str) and _is_env_name(k) for k in variables):
        raise SpaceConfigError(
            f"{where}/{SETTINGS_FILE}: variables must be a list of names, or a mapping of names to default values"
        )
    settings["variables"] = {k: None if v is None else str(v) for k, v in variables.items()}
    servers = raw.get("servers") or []
    if not isinstance(servers, list) or not all(isinstance(s, str) and s.strip() for s in servers):
        raise SpaceConfigError(f"{where}/{SETTINGS_FILE}: servers must be a list of registry names, like [chat-model]")
    if len(set(servers)) != len(servers):
        raise SpaceConfigError(f"{where}/{SETTINGS_FILE}: servers names a model twice")
    settings["servers"] = tuple(servers)
    overlap = set(settings["secrets"]) & set(settings["variables"])
    if overlap:
        raise SpaceConfigError(f"{where}/{SETTINGS_FILE}: {', '.join(sorted(overlap))} is both a secret and a variable")
    for flag in ("catalog", "feedback_keeps_files"):
        if not isinstance(raw.get(flag, False), bool):
            raise SpaceConfigError(f"{where}/{SETTINGS_FILE}: {flag} must be true or false")
        settings[flag] = raw.get(flag, False)
    settings["smoke"] = tuple(
        _smoke_call(path.parent, raw_call, where, i) for i, raw_call in enumerate(raw.get("smoke") or [])
    )
    return settings


def _smoke_call(folder: Path, raw: Any, where: str, index: int) -> SmokeCall:
    def fail(problem: str) -> SpaceConfigError:
        return SpaceConfigError(f"{where}/{SETTINGS_FILE}: smoke call {index + 1}: {problem}")

    if not isinstance(raw, dict) or set(raw) - {"call", "with", "expect"} or "call" not in raw:
        raise fail("write it as {call: /api_name, with: [inputs], expect: [checks]}")
    api, inputs, expect = raw["call"], raw.get("with") or [], raw.get("expect") or []
    if not isinstance(api, str) or not api.startswith("/") or not api[1:].replace("_", "").isalnum():
        raise fail(f"call must be an api_name with its slash, like /classify, not {api!r}")
    if not isinstance(inputs, list) or not isinstance(expect, list) or not expect:
        raise fail("with must be a list of inputs and expect a non-empty list of checks, one per output")
    for check in expect:
        if not isinstance(check, dict) or len(check) != 1 or next(iter(check)) not in SMOKE_CHECKS:
            raise fail(f"each check is one of {', '.join(SMOKE_CHECKS)}, like {{text: nonempty}}, not {check!r}")
    call = SmokeCall(api=api, inputs=tuple(inputs), expect=tuple(expect))
    for file in call.files:
        path = (folder / str(file)).resolve()
        if not path.is_relative_to(folder.resolve()) or not path.is_file():
            raise fail(f"{file!r} is not a file of the demo folder")
    return call


def _is_env_name(name: str) -> bool:
    return name.isidentifier() and name.isascii() and not name[:1].isdigit()


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
