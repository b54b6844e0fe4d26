"""`python app.py` in a demo's folder and `python spaces/<name>/app.py` from the root both work."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
import yaml

from tests.harness.apps import free_port, wait_for_client
from tests.harness.hub import REPO_ROOT, SITE_DIR, subprocess_env

DEMOS = sorted(p.parent.name for p in (REPO_ROOT / "spaces").glob("*/app.py"))
CALLS = {
    "sentiment": (("a fine film",), "/classify"),
    "semantic-search": (("football", 2), "/search"),
    "image-classification": (None, "/classify"),
}


def test_every_demo_is_covered():
    assert sorted(CALLS) == DEMOS


@pytest.mark.parametrize("way", ["in-folder", "from-root"])
@pytest.mark.parametrize("demo", DEMOS)
def test_runs_as_a_script(sandbox, demo, way):
    from gradio_client import handle_file

    app = REPO_ROOT / "spaces" / demo / "app.py"
    argv, cwd = (
        ([sys.executable, "app.py"], app.parent)
        if way == "in-folder"
        else ([sys.executable, str(app.relative_to(REPO_ROOT))], REPO_ROOT)
    )
    port = free_port()
    env = subprocess_env(GRADIO_SERVER_PORT=str(port))
    # Only the network guard on the path: `shared` must come from the set-up's editable install.
    env["PYTHONPATH"] = str(SITE_DIR)
    process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        client = wait_for_client(f"http://127.0.0.1:{port}/", process)
        args, api_name = CALLS[demo]
        args = args or (handle_file(REPO_ROOT / "scripts" / "sample_images" / "cat.jpg"),)
        assert client.predict(*args, api_name=api_name)
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=60)


SPACE_KEYS = {"title", "emoji", "colorFrom", "colorTo", "sdk", "sdk_version", "app_file", "short_description",
              "models", "datasets", "license"}  # fmt: skip


@pytest.mark.parametrize("demo", DEMOS)
def test_space_readme_front_matter_is_complete_and_matches_the_registry(demo):
    import ast

    from shared.registry import DEFAULT_REGISTRY, load_registry

    import gradio

    text = (REPO_ROOT / "spaces" / demo / "README.md").read_text()
    meta = yaml.safe_load(text.split("---")[1])
    assert set(meta) >= SPACE_KEYS, SPACE_KEYS - set(meta)
    assert meta["sdk"] == "gradio" and meta["sdk_version"] == gradio.__version__ and meta["app_file"] == "app.py"
    assert len(meta["short_description"]) <= 60
    assert meta["colorFrom"] in {"red", "yellow", "green", "blue", "indigo", "purple", "pink", "gray"}

    tree = ast.parse((REPO_ROOT / "spaces" / demo / "app.py").read_text())
    uses = next(
        [elt.value for elt in kw.value.elts]
        for node in ast.walk(tree) if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "page"
        for kw in node.keywords if kw.arg == "uses"
    )  # fmt: skip
    registry = load_registry(DEFAULT_REGISTRY)
    assert set(meta["models"]) == {registry[n].repo_id for n in uses if registry[n].repo_type == "model"}
    assert set(meta["datasets"]) == {registry[n].repo_id for n in uses if registry[n].repo_type == "dataset"}
    assert "@shared.gpu" in (REPO_ROOT / "spaces" / demo / "app.py").read_text(), "inference must go through shared.gpu"


def test_apps_import_nothing_from_other_apps_scripts_or_tests():
    for app in (REPO_ROOT / "spaces").glob("*/app.py"):
        source = app.read_text()
        assert "from scripts" not in source and "import scripts" not in source and "tests" not in source, app
    for module in (REPO_ROOT / "shared").glob("*.py"):
        source = module.read_text()
        assert "from scripts" not in source and "from tests" not in source, module
    assert os.path.isfile(REPO_ROOT / "shared" / "registry.yaml")
