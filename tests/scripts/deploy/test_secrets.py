"""The secret scan: every form a token hides in, in files, file names, variables and rollbacks.

Each case is one that the scan missed before (a token after an escape or `_`, in a name, split,
encoded, in `.envrc` or Streamlit's secrets), or a path that was not scanned at all (variables,
`space.yaml` defaults, `--rollback`).
"""

from __future__ import annotations

import base64
import json

import pytest

from scripts._deploy.secrets import check_bundle, secret_in
from scripts.deploy import DeployError, deploy, format_plan
from tests.scripts.deploy.test_refusals import FAKE_HF_TOKEN, NS, refused

pytestmark = pytest.mark.usefixtures("sandbox")
HALF = len(FAKE_HF_TOKEN) // 2


@pytest.fixture
def check(hf_api, hub_token, suite, local_hub):
    return lambda name, **kwargs: refused(hf_api, hub_token, suite, name, local_hub, **kwargs)


def notebook(source: str) -> str:
    return json.dumps({"cells": [{"cell_type": "code", "source": [source]}], "nbformat": 4})


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"demo.ipynb": notebook(f"login()\n{FAKE_HF_TOKEN}\n")}, "/demo.ipynb contains what looks like a Hugging Face"),
        ({"escaped.json": json.dumps({"t": FAKE_HF_TOKEN}).replace("h", "\\u0068", 1)}, "/escaped.json contains"),
        ({"conf.py": f"MY_{FAKE_HF_TOKEN} = 1\n"}, "/conf.py contains what looks like a Hugging Face token"),
        ({"split.py": f'TOKEN = ("{FAKE_HF_TOKEN[:HALF]}"\n         "{FAKE_HF_TOKEN[HALF:]}")\n'}, "/split.py contains"),
        ({"plus.py": f'TOKEN = "{FAKE_HF_TOKEN[:HALF]}" + "{FAKE_HF_TOKEN[HALF:]}"\n'}, "/plus.py contains"),
        ({"plus.js": f'const t = "{FAKE_HF_TOKEN[:HALF]}" +\n  "{FAKE_HF_TOKEN[HALF:]}";\n'}, "/plus.js contains"),
        ({"b64.txt": base64.b64encode(FAKE_HF_TOKEN.encode()).decode()}, "/b64.txt contains what looks like a Hugging"),
        ({"u16.txt": FAKE_HF_TOKEN.encode("utf-16-le")}, "/u16.txt contains what looks like a Hugging Face token"),
        ({"u16be.txt": FAKE_HF_TOKEN.encode("utf-16")}, "/u16be.txt contains what looks like a Hugging Face token"),
        ({"b64u16.txt": base64.b64encode(FAKE_HF_TOKEN.encode("utf-16-le"))}, "/b64u16.txt contains what looks like"),
        ({".envrc": "export A=1\n"}, "/.envrc looks like a secrets file"),
        ({".streamlit/secrets.toml": 'a = "1"\n'}, "/.streamlit/secrets.toml looks like a secrets file"),
    ],
    ids=[
        "after-newline-in-notebook-json", "json-unicode-escape", "after-underscore", "split-literals",
        "plus-joined", "plus-joined-js", "base64", "utf-16-le", "utf-16-with-bom", "base64-of-utf-16", "envrc",
        "streamlit-secrets",
    ],
)  # fmt: skip
def test_every_form_of_a_token_is_refused_without_quoting_it(check, make_demo, files, expected):
    name = make_demo(files=files)

    reason = check(name)

    assert f"spaces/{name}{expected}" in reason
    assert FAKE_HF_TOKEN not in reason and FAKE_HF_TOKEN[:HALF] not in reason


def test_a_token_in_a_file_name_is_refused_without_naming_the_file(check, make_demo, hub_token, suite, capsys):
    name = make_demo(files={f"cache/{FAKE_HF_TOKEN}.json": "{}"})

    reason = check(name)

    assert reason == f"a file name in spaces/{name} holds what looks like a Hugging Face token (hf_…): rename it"
    [planned] = deploy([name], namespace=NS, token=hub_token, suite=suite, dry_run=True)
    assert planned.status == "refused" and FAKE_HF_TOKEN not in format_plan(planned)


@pytest.mark.parametrize(
    "encode",
    [
        lambda t: t,
        lambda t: base64.b64encode(t.encode()).decode(),
        lambda t: t.encode("utf-16-le").decode("latin-1"),
        lambda t: json.dumps({"k": "\n" + t})[8:],  # after an escaped newline
    ],
    ids=["plain", "base64", "utf-16", "json-escaped"],
)
def test_the_token_in_use_is_found_in_any_form(check, make_demo, hub_token, encode):
    name = make_demo(files={"settings.txt": encode(hub_token).encode("latin-1")})

    assert check(name) == f"spaces/{name}/settings.txt contains the token in use: remove it"


@pytest.mark.parametrize(
    "text",
    [
        "def test_a_huge_body_without_a_token_to_an_unknown_route_is_never_read(): ...",
        "disk-usage-monitoring-for-the-cluster-nodes-and-more",
        "hf_hub_download(repo_id, filename) # hf_transfer",
        base64.b64encode(b"\x89PNG" + bytes(range(256)) * 4).decode(),
    ],
)
def test_ordinary_code_is_not_taken_for_a_secret(text):
    assert secret_in(text.encode(), python=True) is None
    check_bundle("demo", {"ok.py": text.encode()})


def test_variables_named_like_secrets_are_refused(check, make_demo, hub_token, suite, capsys, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", hub_token)
    name = make_demo(settings="variables: [HF_TOKEN]\n")

    reason = check(name)

    assert reason == (
        f"spaces/{name}: variable HF_TOKEN is named like a secret and Space variables are public: declare it under "
        "secrets in space.yaml"
    )
    [planned] = deploy([name], namespace=NS, token=hub_token, suite=suite, dry_run=True)
    assert planned.status == "refused" and hub_token not in format_plan(planned) + str(planned)


@pytest.mark.parametrize(
    "variable", ["OPENAI_API_KEY", "DB_PASSWORD", "GITHUB_TOKEN", "CLIENT_SECRET", "aws_access_key_id"]
)
def test_other_secret_names_are_refused_as_variables(check, make_demo, variable):
    assert f"variable {variable} is named like a secret" in check(make_demo(settings=f"variables: {{{variable}: x}}\n"))


def test_a_variable_whose_value_is_a_token_is_refused(check, make_demo, hub_token):
    name = make_demo(settings="variables: [UPSTREAM]\n")

    reason = check(name, environ={"UPSTREAM": hub_token})

    assert reason == (
        f"spaces/{name}: variable UPSTREAM contains the token in use, and Space variables are public: make it a secret"
    )


def test_variable_defaults_written_in_space_yaml_are_scanned(check, make_demo):
    name = make_demo(settings=f"variables: {{MODEL_URL: 'https://x.invalid/?t={FAKE_HF_TOKEN}'}}\n")

    reason = check(name, environ={"MODEL_URL": "https://x.invalid/"})  # scanned even when the environment overrides it

    assert "variable MODEL_URL contains what looks like a Hugging Face token (hf_…)" in reason
    assert FAKE_HF_TOKEN not in reason


def test_a_rollback_rescans_what_it_would_recommit(hf_api, hub_token, suite, make_demo, local_hub):
    name = make_demo()
    [first] = deploy([name], namespace=NS, token=hub_token, suite=suite)
    # A deploy of long ago that holds a secret today's scan refuses (committed around the scan).
    hf_api.upload_file(
        path_or_fileobj=f"T = '{FAKE_HF_TOKEN}'\n".encode(),
        path_in_repo="old.py",
        repo_id=first.repo_id,
        repo_type="space",
    )
    head = hf_api.space_info(first.repo_id).sha
    hf_api.create_tag(first.repo_id, repo_type="space", tag="deploy-20200101T000000Z-0000000", revision=head)
    hf_api.delete_file("old.py", repo_id=first.repo_id, repo_type="space")
    before = hf_api.space_info(first.repo_id).sha

    with local_hub.record() as log:
        [result] = deploy(
            [name], namespace=NS, token=hub_token, suite=suite, rollback="deploy-20200101T000000Z-0000000"
        )

    assert result.status == "refused"
    assert result.error == (
        f"rollback to deploy-20200101T000000Z-0000000: spaces/{name}/old.py contains what looks like a Hugging Face "
        "token (hf_…): remove it"
    )
    assert hf_api.space_info(first.repo_id).sha == before
    assert not [p for p in log.paths() if not p.startswith(("GET ", "HEAD "))]


def test_a_bad_space_yaml_variable_list_is_still_a_usage_error(make_demo, hub_token, suite):
    make_demo(settings="variables: 3\n")

    with pytest.raises(DeployError, match="variables must be a list of names"):
        deploy([], namespace=NS, token=hub_token, suite=suite)
