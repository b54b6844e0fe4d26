"""Demos whose models an inference server answers (`servers:` in space.yaml): the deploy sets the
server's URL (a variable) and token (a secret) from the environment, and a demo that runs no model
itself becomes a light CPU Space — cpu-basic, no torch, no weights preloaded — that works."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import uuid
from pathlib import Path

from shared.catalog import read_space
from shared.registry import get_registry
from shared.serving import server_concurrency_env, server_env, server_token_env

import pytest
import yaml

from scripts.deploy import DeployError, deploy, format_plan, run_smoke
from scripts.hub_double import free_port
from scripts.sandbox import serve_chat_model
from tests.harness.apps import SPACES_DIR, wait_for_client
from tests.harness.hub import SITE_DIR, subprocess_env
from tests.scripts.deploy.conftest import space_files
from tests.spaces.test_parity import download_space

pytestmark = pytest.mark.usefixtures("sandbox")
NS = "local-user"
WITHOUT_TORCH = Path(__file__).resolve().parents[2] / "harness" / "without_torch.py"
SERVER = "https://chat.example.endpoints.huggingface.cloud/v1/"
SERVER_ENV = server_env("chat-model")


def chat_demo(spaces_dir: Path, servers: str) -> str:
    """A copy of spaces/chat under a name of its own, with `servers:` in its space.yaml."""
    name = f"chat-{uuid.uuid4().hex[:8]}"
    shutil.copytree(SPACES_DIR / "chat", spaces_dir / name, ignore=shutil.ignore_patterns("__pycache__", "feedback"))
    settings = spaces_dir / name / "space.yaml"
    settings.write_text(settings.read_text() + f"servers: {servers}\n")
    return name


def front_matter(files: dict[str, bytes]) -> dict:
    return yaml.safe_load(files["README.md"].decode().split("---")[1])


def requirement_names(files: dict[str, bytes]) -> set[str]:
    lines = files["requirements.txt"].decode().splitlines()
    return {line.split("==")[0].lower() for line in lines if line and not line.startswith("#")}


def test_the_dry_run_shows_a_chat_whose_model_is_served_as_a_cpu_space_without_torch_or_weights(hub_token, suite,
                                                                                             spaces_dir):  # fmt: skip
    name = chat_demo(spaces_dir, "[chat-model]")

    environ = {SERVER_ENV: SERVER, server_concurrency_env("chat-model"): "8"}
    [result] = deploy([name], namespace=NS, token=hub_token, suite=suite, dry_run=True, environ=environ)

    report = format_plan(result)
    assert result.status == "would create", result.error
    assert "create the Space (gradio, cpu-basic, public)" in report
    assert f"variable {SERVER_ENV} = {SERVER!r}" in report
    assert "variable SUITE_SERVER_CONCURRENCY_CHAT_MODEL = '8'" in report
    assert (
        "served by an inference server: chat-model (not preloaded; no model runs in the Space: cpu-basic, no torch)"
        in report
    )
    assert (
        f"secret {server_token_env('chat-model')}: not in the environment: the server of chat-model is asked" in report
    )
    card = front_matter(result.plan.files)
    assert "preload_from_hub" not in card and card["models"] == ["HuggingFaceTB/SmolLM2-360M-Instruct"]
    assert "torch" not in requirement_names(result.plan.files)
    assert {"transformers", "huggingface_hub"} <= requirement_names(result.plan.files)


def test_the_same_demo_without_servers_runs_its_models_itself(hub_token, suite, spaces_dir):
    name = chat_demo(spaces_dir, "[]")

    [result] = deploy([name], namespace=NS, token=hub_token, suite=suite, dry_run=True, environ={SERVER_ENV: SERVER})

    report = format_plan(result)
    assert "create the Space (gradio, zero-a10g, public)" in report and SERVER_ENV not in report
    assert "torch" in requirement_names(result.plan.files)
    preloaded = front_matter(result.plan.files)["preload_from_hub"]
    assert any("SmolLM2-135M-Instruct" in line for line in preloaded)  # the CPU model, in case of a CPU


def test_a_served_model_beside_one_run_in_process_keeps_the_hardware_torch_and_the_other_preload(
    hub_token, suite, make_demo
):
    app = (
        "import shared\n\nchat = shared.Chat('chat-model')\nclassifier = shared.load_pipeline('sentiment-model')\n"
        "with shared.page(__file__, 'Both.', uses=['chat-model']) as demo:\n    pass\n"
    )
    name = make_demo(app=app, settings="hardware: cpu-upgrade\nservers: [chat-model]\n")

    [result] = deploy([name], namespace=NS, token=hub_token, suite=suite, dry_run=True, environ={SERVER_ENV: SERVER})

    assert "create the Space (gradio, cpu-upgrade, public)" in format_plan(result), result.error
    assert result.plan.notes[-1] == "served by an inference server: chat-model (not preloaded)"
    [preloaded] = front_matter(result.plan.files)["preload_from_hub"]
    assert preloaded.startswith("distilbert/distilbert-base-uncased-finetuned-sst-2-english ")
    assert "torch" in requirement_names(result.plan.files)


@pytest.mark.parametrize(
    ("servers", "environ", "error"),
    [
        ("[sentiment-model]", {}, "servers names sentiment-model, which the app does not load (it loads chat-model, "),
        ("[chat-model]", {}, f"declares variable {SERVER_ENV} with no default: set ${SERVER_ENV}"),
        ("[chat-model]", {SERVER_ENV: "chat.example.com"}, f"${SERVER_ENV} must be the server's base URL"),
        (
            "[chat-model]",
            {SERVER_ENV: SERVER, server_concurrency_env("chat-model"): "lots"},
            "SUITE_SERVER_CONCURRENCY_CHAT_MODEL must be a whole number from 1 to 64",
        ),
        (
            "[chat-model]",
            {SERVER_ENV: "https://user:hunter22@chat.example.com/v1"},
            f"holds credentials or a query, and Space variables are public: give the bare URL and put the token in "
            f"${server_token_env('chat-model')}",
        ),
    ],
)
def test_a_wrong_servers_setting_is_refused_before_anything_is_written(hub_token, suite, spaces_dir, hf_api, servers,
                                                                       environ, error):  # fmt: skip
    name = chat_demo(spaces_dir, servers)

    [result] = deploy([name], namespace=NS, token=hub_token, suite=suite, environ=environ)

    assert result.status == "refused" and error in result.error
    assert "hunter22" not in result.error
    assert not hf_api.repo_exists(f"{NS}/{name}", repo_type="space")


def test_servers_must_be_a_list_of_names(hub_token, suite, spaces_dir):
    name = chat_demo(spaces_dir, "chat-model")

    with pytest.raises(DeployError, match=r"servers must be a list of registry names, like \[chat-model\]"):
        deploy([name], namespace=NS, token=hub_token, suite=suite, dry_run=True)


def test_only_chat_models_can_be_served(hub_token, suite, make_demo):
    app = "import shared\n\nclassifier = shared.load_pipeline('sentiment-model')\n"
    name = make_demo(app=app, settings="servers: [sentiment-model]\n")

    [result] = deploy([name], namespace=NS, token=hub_token, suite=suite, dry_run=True)

    assert "sentiment-model cannot be served by an inference server (only text-generation models can" in result.error


def test_a_served_chat_deploys_as_a_light_cpu_space_that_runs_without_torch(hub_token, suite, spaces_dir, hf_api,
                                                                             local_hub, tmp_path):  # fmt: skip
    chat_model = get_registry()["chat-model"]
    name = chat_demo(spaces_dir, "[chat-model]")
    # The sandbox's one GGUF (SmolLM2-135M) stands in for the 360M model's server: it says the pin.
    with serve_chat_model(chat_model, port=free_port()) as url:
        [result] = deploy([name], namespace=NS, token=hub_token, suite=suite, environ={SERVER_ENV: url})
        assert result.status == "created", result.error
        assert hf_api.get_space_runtime(result.repo_id).requested_hardware == "cpu-basic"
        variables = {k: v.value for k, v in hf_api.get_space_variables(result.repo_id).items()}
        assert variables[SERVER_ENV] == url
        files = space_files(hf_api, result.repo_id)
        assert "torch" not in requirement_names(files) and b"preload_from_hub" not in files["README.md"]

        folder = download_space(result.repo_id, tmp_path / "space")
        port = free_port()
        env = subprocess_env(GRADIO_SERVER_PORT=str(port), HF_HOME=str(tmp_path / "hf-home"), **variables)
        env["PYTHONPATH"] = str(SITE_DIR)  # the network guard only
        env["SUITE_AS_A_SPACE"] = "1"
        env.pop("SUITE_REGISTRY", None)
        source = read_space(spaces_dir / name)
        with local_hub.record() as log:
            process = subprocess.Popen([sys.executable, str(WITHOUT_TORCH)], cwd=folder, env=env,
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
            try:
                client = wait_for_client(f"http://127.0.0.1:{port}/", process)
                answer = client.predict("What is the capital of France?", "Be brief.", 0.0, 32, api_name="/chat")
                smoke = run_smoke(f"http://127.0.0.1:{port}/", source.smoke, folder=source.folder)
            finally:
                process.send_signal(signal.SIGINT)
                output = process.communicate(timeout=60)[0]
    assert [r.detail for r in smoke] == ["ok"] * len(source.smoke), output[-2000:]
    assert "Paris" in answer
    fetched = [p for p in log.paths() if chat_model.repo_id in p]
    assert fetched and not [p for p in fetched if p.endswith(".safetensors")]  # tokenizer and config only
