"""shared.catalog: a demo folder's metadata (README front matter + space.yaml) and the gallery's list."""

from __future__ import annotations

import json
from pathlib import Path

from shared.catalog import (
    CatalogEntry,
    catalog_entries,
    catalog_json,
    discover_spaces,
    load_catalog,
    read_space,
)
from shared.errors import SpaceConfigError

import pytest

README = "---\ntitle: Echo\nemoji: 🔁\nshort_description: Says it back\nlicense: mit\n---\n\n# Echo\n"


def demo(root: Path, name: str, *, readme: str | None = README, settings: str | None = None, app: bool = True) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    if app:
        (folder / "app.py").write_text("demo = None\n")
    if readme is not None:
        (folder / "README.md").write_text(readme)
    if settings is not None:
        (folder / "space.yaml").write_text(settings)
    return folder


def test_a_demo_without_settings_runs_on_zerogpu(tmp_path):
    space = read_space(demo(tmp_path, "echo"))

    assert (space.name, space.title, space.emoji, space.description) == ("echo", "Echo", "🔁", "Says it back")
    assert (space.hardware, space.secrets, space.variables, space.catalog) == ("zero-a10g", (), {}, False)


def test_settings_declare_hardware_secrets_variables_and_the_catalog(tmp_path):
    settings = "hardware: cpu-basic\nsecrets: [API_KEY]\nvariables: {MODE: fast, REGION: null}\ncatalog: true\n"

    space = read_space(demo(tmp_path, "echo", settings=settings))

    assert space.hardware == "cpu-basic" and space.secrets == ("API_KEY",) and space.catalog
    assert space.variables == {"MODE": "fast", "REGION": None}
    assert read_space(demo(tmp_path, "two", settings="variables: [A, B]\n")).variables == {"A": None, "B": None}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"app": False}, "spaces/bad has no app.py: every demo folder needs one"),
        ({"readme": None}, "spaces/bad has no README.md: add one with the Space's front matter"),
        ({"readme": "# no front matter\n"}, "spaces/bad/README.md has no front matter"),
        ({"readme": "---\ntitle: [unclosed\n---\n"}, "spaces/bad/README.md: the front matter is not valid YAML"),
        ({"settings": "hardware: tpu\n"}, "spaces/bad/space.yaml: hardware 'tpu' is not a Space hardware"),
        (
            {"settings": "gpu: yes\n"},
            "spaces/bad/space.yaml: unknown key(s) gpu; allowed: catalog, feedback_keeps_files, hardware",
        ),
        ({"settings": "secrets: API_KEY\n"}, "spaces/bad/space.yaml: secrets must be a list of environment variable"),
        ({"settings": "variables: [1x]\n"}, "spaces/bad/space.yaml: variables must be a list of names"),
        ({"settings": "secrets: [A]\nvariables: [A]\n"}, "spaces/bad/space.yaml: A is both a secret and a variable"),
        ({"settings": "catalog: maybe\n"}, "spaces/bad/space.yaml: catalog must be true or false"),
        ({"settings": "- a list\n"}, "spaces/bad/space.yaml must be a mapping of"),
        ({"settings": "smoke: [classify]\n"}, "spaces/bad/space.yaml: smoke call 1: write it as {call: /api_name"),
        (
            {"settings": "smoke: [{call: classify, expect: [{any: true}]}]\n"},
            "spaces/bad/space.yaml: smoke call 1: call must be an api_name with its slash, like /classify",
        ),
        (
            {"settings": "smoke: [{call: /classify, with: [a]}]\n"},
            "spaces/bad/space.yaml: smoke call 1: with must be a list of inputs and expect a non-empty list",
        ),
        (
            {"settings": "smoke: [{call: /classify, expect: [{shape: 3}]}]\n"},
            "spaces/bad/space.yaml: smoke call 1: each check is one of label, text, rows, file, any",
        ),
        (
            {"settings": "smoke: [{call: /classify, with: [{file: ../../etc/passwd}], expect: [{any: true}]}]\n"},
            "spaces/bad/space.yaml: smoke call 1: '../../etc/passwd' is not a file of the demo folder",
        ),
    ],
)
def test_broken_folders_are_one_line_errors(tmp_path, kwargs, message):
    with pytest.raises(SpaceConfigError) as error:
        read_space(demo(tmp_path, "bad", **kwargs))
    assert str(error.value).startswith(message)


def test_discovery_finds_folders_with_an_app_sorted_by_name(tmp_path):
    demo(tmp_path, "zeta")
    demo(tmp_path, "alpha")
    (tmp_path / "notes").mkdir()

    assert [s.name for s in discover_spaces(tmp_path)] == ["alpha", "zeta"]


def test_the_gallery_lists_the_other_demos_from_their_folders_or_from_the_catalog(tmp_path, monkeypatch):
    from huggingface_hub import constants

    demo(tmp_path, "echo")
    demo(tmp_path, "cpu-thing", settings="hardware: cpu-basic\n")
    gallery = demo(tmp_path, "gallery", settings="catalog: true\nhardware: cpu-basic\n")
    monkeypatch.setenv("SUITE_SPACES_NAMESPACE", "my-org")

    local = load_catalog(gallery)

    assert local == [
        CatalogEntry("cpu-thing", "Echo", "🔁", "Says it back", "cpu-basic", f"{constants.ENDPOINT}/spaces/my-org/cpu-thing"),
        CatalogEntry("echo", "Echo", "🔁", "Says it back", "zero-a10g", f"{constants.ENDPOINT}/spaces/my-org/echo"),
    ]  # fmt: skip
    entries = catalog_entries(discover_spaces(tmp_path), endpoint="https://huggingface.co", namespace="org")
    (gallery / "catalog.json").write_text(catalog_json(entries))
    assert [e.url for e in load_catalog(gallery)] == [
        "https://huggingface.co/spaces/org/cpu-thing",
        "https://huggingface.co/spaces/org/echo",
    ]
    assert json.loads(catalog_json(entries))["spaces"][0]["hardware"] == "cpu-basic"


def test_a_broken_catalog_says_to_deploy_again(tmp_path):
    gallery = demo(tmp_path, "gallery")
    (gallery / "catalog.json").write_text("{not json")

    with pytest.raises(SpaceConfigError, match=r"catalog.json is broken .*: deploy the Space again"):
        load_catalog(gallery)


def test_every_demo_declares_smoke_calls_whose_files_are_in_its_folder():
    from shared.catalog import discover_spaces

    from tests.harness.apps import SPACES_DIR

    for space in discover_spaces(SPACES_DIR):
        assert space.smoke, f"spaces/{space.name}/space.yaml declares no smoke call"
        for call in space.smoke:
            assert all((space.folder / f).is_file() for f in call.files)
