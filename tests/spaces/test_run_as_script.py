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
from tests.spaces.probes import DEMOS, PROBES, probe_args


def test_every_demo_is_covered():
    assert sorted(PROBES) == DEMOS


@pytest.mark.parametrize("way", ["in-folder", "from-root"])
@pytest.mark.parametrize("demo", DEMOS)
def test_runs_as_a_script(sandbox, demo, way):
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
        args, api_name = probe_args(demo)
        assert client.predict(*args, api_name=api_name)
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=60)


@pytest.mark.parametrize("demo", DEMOS)
def test_space_readme_declares_what_only_the_author_knows(demo):
    """Title, looks and licence come from the README; the deploy computes the rest (tests/scripts/deploy)."""
    text = (REPO_ROOT / "spaces" / demo / "README.md").read_text()
    meta = yaml.safe_load(text.split("---")[1])
    assert {"title", "emoji", "colorFrom", "colorTo", "short_description", "license"} <= set(meta)
    assert not {"sdk_version", "python_version", "models", "datasets", "preload_from_hub"} & set(meta)


def test_apps_import_nothing_from_other_apps_scripts_or_tests():
    for app in (REPO_ROOT / "spaces").glob("*/app.py"):
        source = app.read_text()
        assert "from scripts" not in source and "import scripts" not in source and "tests" not in source, app
    for module in (REPO_ROOT / "shared").glob("*.py"):
        source = module.read_text()
        assert "from scripts" not in source and "from tests" not in source, module
    assert os.path.isfile(REPO_ROOT / "shared" / "registry.yaml")
