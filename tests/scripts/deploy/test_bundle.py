"""Each Space carries what it uses: the `shared` modules its code reaches and requirements for
just those imports (the gallery, which loads no model, ships without torch)."""

from __future__ import annotations

import pytest

from scripts.deploy import deploy

pytestmark = pytest.mark.usefixtures("sandbox")
NS = "local-user"
EAGER = {"__init__", "batching", "catalog", "errors", "hub", "inputs", "limits", "registry", "zerogpu"}
MODEL_LIBRARIES = {"torch", "transformers", "datasets", "scipy", "soundfile", "safetensors"}


def shipped(result) -> tuple[set[str], set[str]]:
    """The `shared` modules and the distributions a planned Space ships."""
    files = result.plan.files
    modules = {p.removeprefix("shared/").removesuffix(".py") for p in files if p.startswith("shared/")}
    requirements = files["requirements.txt"].decode().splitlines()
    dists = {line.split("==")[0].lower() for line in requirements if line and not line.startswith("#")}
    return modules - {"registry.yaml"}, dists


@pytest.fixture
def planned(hub_token) -> dict[str, object]:
    results = deploy(["gallery", "sentiment", "speech-to-text"], namespace=NS, token=hub_token, dry_run=True)
    assert all(r.ok for r in results), [r.error for r in results]
    return {r.name: r for r in results}


def test_the_gallery_ships_without_torch_or_any_model_library(planned):
    modules, dists = shipped(planned["gallery"])

    assert modules == EAGER | {"ui", "feedback_log", "serving"}  # serving: the footer says who answers
    assert not dists & MODEL_LIBRARIES
    assert {"huggingface-hub", "pyyaml", "pillow", "numpy"} <= {d.replace("_", "-") for d in dists}


def test_a_model_demo_ships_the_modules_its_calls_reach_through_the_lazy_table(planned):
    sentiment, sentiment_dists = shipped(planned["sentiment"])
    speech, speech_dists = shipped(planned["speech-to-text"])

    # shared.load_model → loading → compute, models; shared.read_speech → audio.
    assert sentiment == EAGER | {"ui", "feedback_log", "serving", "loading", "compute", "models"}
    assert speech == sentiment | {"audio"}
    assert {"torch", "transformers"} <= sentiment_dists and not sentiment_dists & {"soundfile", "scipy"}
    assert {"soundfile", "scipy"} <= speech_dists


def test_a_module_named_only_inside_a_function_of_shared_comes_along(hub_token, suite, make_demo):
    app = '"""Chat without a page."""\n\nimport shared\n\nchat = shared.Chat("chat-model-small")\n'
    name = make_demo(app=app)

    [result] = deploy([name], namespace=NS, token=hub_token, suite=suite, dry_run=True, hardware="cpu-basic")

    modules, _ = shipped(result)
    # chat imports generation and loading inside its methods.
    assert {"chat", "generation", "loading", "compute", "models"} <= modules and "ui" not in modules


def test_a_name_whose_module_a_space_does_not_carry_says_so(planned, tmp_path):
    import subprocess
    import sys

    from tests.harness.hub import SITE_DIR, subprocess_env

    for path, content in planned["gallery"].plan.files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(content)
    probe = "import shared\ntry:\n    shared.load_model\nexcept ImportError as exc:\n    print(exc)\n"
    env = subprocess_env()
    env["PYTHONPATH"] = f"{tmp_path}:{SITE_DIR}"  # the Space's copy of shared, not the repo's
    env["SUITE_AS_A_SPACE"] = "1"

    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120, check=True)  # fmt: skip

    assert done.stdout.strip() == (
        "shared.load_model needs shared.loading, which this copy of shared does not have: deploy the app again "
        "(the deploy ships the modules of shared that the app's code names)"
    )


def test_the_files_of_smoke_calls_stay_home(planned):
    files = planned["speech-to-text"].plan.files
    assert "app.py" in files and not any(path.startswith("smoke/") for path in files)
