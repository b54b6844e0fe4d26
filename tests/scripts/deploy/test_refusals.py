"""Every refusal: a one-line reason, and nothing written to the Hub."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scripts import REPO_ROOT
from scripts._deploy import checks
from scripts.deploy import DeployError, deploy
from tests.scripts.deploy.conftest import APP, README

pytestmark = pytest.mark.usefixtures("sandbox")
NS = "local-user"
FAKE_HF_TOKEN = "hf_" + "aB3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gI3k"


def refused(api, hub_token, suite, name, local_hub, **kwargs) -> str:
    """Deploy `name`; assert it was refused with nothing written; return the reason."""
    with local_hub.record() as log:
        [result] = deploy([name], namespace=NS, token=hub_token, suite=suite, **kwargs)
    assert result.status == "refused", result
    assert not api.repo_exists(f"{NS}/{name}", repo_type="space")
    writes = [p for p in log.paths() if not p.startswith(("GET ", "POST /api/validate-yaml"))]
    assert writes == []
    assert "\n" not in result.error
    return result.error


@pytest.fixture
def check(hf_api, hub_token, suite, local_hub):
    return lambda name, **kwargs: refused(hf_api, hub_token, suite, name, local_hub, **kwargs)


def test_an_unpublished_pin_is_refused(check, make_demo, tmp_path, monkeypatch):
    registry = Path(REPO_ROOT / "shared" / "registry.yaml").read_text()
    registry = registry.replace("8d51e7e4887a4caaa95b3fbebbf53c0490b58bbb", "abcdef" * 6 + "abcd")
    (tmp_path / "registry.yaml").write_text(registry)
    monkeypatch.setenv("SUITE_REGISTRY", str(tmp_path / "registry.yaml"))

    reason = check(make_demo())

    assert reason == (
        "sentiment-examples is not published: dataset stanfordnlp/sst2 has no commit abcdefabcdef on this Hub; "
        "publish it (README.md, 'Publishing our own artifacts') or fix the pin in the registry"
    )


def test_a_pinned_file_missing_from_the_commit_is_refused(check, make_demo, tmp_path, monkeypatch):
    registry = Path(REPO_ROOT / "shared" / "registry.yaml").read_text()
    registry = registry.replace("files: [data/validation-00000-of-00001.parquet]", "files: [data/missing.parquet]")
    (tmp_path / "registry.yaml").write_text(registry)
    monkeypatch.setenv("SUITE_REGISTRY", str(tmp_path / "registry.yaml"))

    reason = check(make_demo())

    assert reason.startswith("sentiment-examples: data/missing.parquet not in stanfordnlp/sst2 at 8d51e7e4887a")


def test_a_load_that_bypasses_the_registry_is_refused_as_unpinned(check, make_demo):
    app = APP.replace('examples = shared.load_dataset("sentiment-examples")', 'm = AutoModel.from_pretrained("gpt2")')

    reason = check(make_demo(app=app))

    assert reason.endswith("app.py:7 calls from_pretrained() directly, which pins nothing: add the artifact "
                           "to the registry and load it through shared")  # fmt: skip


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({".env": "KEY=1"}, "/.env looks like a secrets file: remove it (use Space secrets)"),
        ({"config/.env.production": "KEY=1"}, "/config/.env.production looks like a secrets file"),
        ({"deploy_key.pem": "x"}, "/deploy_key.pem looks like a secrets file"),
        ({"notes.md": f"token: {FAKE_HF_TOKEN}\n"}, "/notes.md contains what looks like a Hugging Face token (hf_…)"),
        ({"k.txt": "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n"}, "/k.txt contains what looks like a private key"),
    ],
    ids=["dotenv", "dotenv-variant", "pem", "hf-token", "private-key"],
)
def test_anything_that_looks_like_a_secret_is_refused_without_quoting_it(check, make_demo, files, expected):
    name = make_demo(files=files)

    reason = check(name)

    assert f"spaces/{name}{expected}" in reason
    assert FAKE_HF_TOKEN not in reason


def test_the_token_in_use_found_in_the_bundle_is_refused(check, make_demo, hub_token):
    name = make_demo(files={"settings.py": f'TOKEN = "{hub_token}"\n'})

    reason = check(name)

    assert reason == f"spaces/{name}/settings.py contains the token in use: remove it"
    assert hub_token not in reason


def test_a_file_over_the_space_limit_is_refused(check, make_demo, monkeypatch):
    monkeypatch.setattr(checks, "MAX_FILE_BYTES", 1000)
    name = make_demo(files={"weights.bin": b"\0" * 1001})

    reason = check(name)

    assert reason == (
        f"spaces/{name}/weights.bin is 0.0 MB, over the 0.0 MB limit for a Space file: publish it as a model or "
        "dataset and load it through the registry"
    )


def test_a_space_over_the_total_limit_is_refused(check, make_demo, monkeypatch):
    monkeypatch.setattr(checks, "MAX_SPACE_BYTES", 50_000)
    name = make_demo(files={"a.bin": b"\1" * 30_000, "b.bin": b"\2" * 30_000})

    # the bundle is the demo plus a copy of shared/, whose size changes as the suite grows
    assert re.match(rf"spaces/{name} is \d+\.\d MB in all, over the 0\.0 MB limit of a Space", check(name))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("colorFrom: blue", "colorFrom: teal"), "colorFrom 'teal' must be one of red, yellow"),
        (("short_description: Echoes what you type", "short_description: " + "x" * 61), "at most 60 characters"),
        (("license: apache-2.0\n", ""), "license is missing"),
        (("emoji: 🔁", "emoji: ab"), "emoji 'ab' must be a single emoji"),
        (("sdk: gradio", "sdk: gradio\nsuggested_hardware: zero-a10g"), "suggested_hardware 'zero-a10g' is not"),
    ],
    ids=["color", "short-description", "license", "emoji", "zerogpu-hint"],
)
def test_bad_front_matter_is_refused_before_asking_the_hub(check, make_demo, change, expected):
    name = make_demo(readme=README.replace(*change))

    reason = check(name)

    assert reason.startswith(f"spaces/{name}/README.md: ") and expected in reason


def test_front_matter_the_hub_rejects_is_refused(check, make_demo):
    name = make_demo(readme=README.replace("license: apache-2.0", "license: not-a-licence"))

    reason = check(name)

    assert reason.startswith(f"spaces/{name}/README.md: the Hub rejects the front matter: ")
    assert "license" in reason


def test_a_zerogpu_demo_without_a_gpu_handler_is_refused(check, make_demo, hub_token, suite):
    name = make_demo(app=APP.replace("@shared.gpu(duration=10)\n", ""))

    assert "no handler is decorated with @shared.gpu" in check(name)
    # The same app may run on a CPU Space.
    cpu = make_demo(app=APP.replace("@shared.gpu(duration=10)\n", ""), settings="hardware: cpu-basic\n")
    [result] = deploy([cpu], namespace=NS, token=hub_token, dry_run=True, suite=suite)
    assert result.status == "would create"


def test_an_import_that_cannot_be_pinned_is_refused(check, make_demo):
    name = make_demo(app="import not_installed_anywhere\n" + APP)

    assert check(name) == (
        "app.py imports not_installed_anywhere, which is not installed here, so its version cannot be pinned: "
        "install it and add it to requirements.txt"
    )


def test_a_declared_secret_missing_from_the_environment_is_refused_at_creation(check, make_demo):
    name = make_demo(settings="secrets: [ECHO_API_KEY]\n")

    assert check(name, environ={}) == f"spaces/{name} needs secret(s) ECHO_API_KEY: set them in the environment"


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"names": ["nope"]}, "no demo named nope in spaces/: choose from "),
        ({"namespace": "bad namespace"}, "'bad namespace' is not a Hub user or organisation name"),
        ({"hardware": "gpu-9000"}, "hardware 'gpu-9000' is not a Space hardware"),
        ({"token": ""}, "no Hub token: set HF_TOKEN (a write token) or run 'hf auth login'"),
    ],
)
def test_bad_arguments_fail_before_anything_happens(hub_token, suite, make_demo, local_hub, kwargs, expected):
    make_demo()
    arguments = {"names": [], "namespace": NS, "token": hub_token, "suite": suite, **kwargs}
    names = arguments.pop("names")
    with local_hub.record() as log, pytest.raises(DeployError) as error:
        deploy(names, **arguments)
    assert str(error.value).startswith(expected)
    assert len(log) == 0
