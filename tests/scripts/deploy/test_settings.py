"""Space settings: hardware, visibility, secrets and variables from the environment."""

from __future__ import annotations

import pytest

from scripts.deploy import deploy, format_plan, main
from tests.scripts.deploy.conftest import commits

pytestmark = pytest.mark.usefixtures("sandbox")
NS = "local-user"
SETTINGS = """\
secrets: [ECHO_API_KEY]
variables:
  ECHO_MODE: loud
  ECHO_REGION:
"""


def test_secrets_and_variables_come_from_the_environment(hf_api, hub_token, suite, make_demo, local_hub):
    name = make_demo(settings=SETTINGS)
    repo_id = f"{NS}/{name}"
    environ = {"ECHO_API_KEY": "s3cret-value-1", "ECHO_REGION": "eu"}

    [result] = deploy([name], namespace=NS, token=hub_token, suite=suite, environ=environ)

    assert result.status == "created"
    assert local_hub.space_secret_matches(repo_id, "ECHO_API_KEY", "s3cret-value-1")
    variables = hf_api.get_space_variables(repo_id)
    assert {k: v.value for k, v in variables.items()} == {
        "ECHO_MODE": "loud", "ECHO_REGION": "eu", "SUITE_FEEDBACK_REPO": f"{NS}/suite-feedback",
        "SUITE_APP_VERSION": "git unknown",  # the fixture demos are outside any git repo
    }  # fmt: skip
    assert "s3cret-value-1" not in format_plan(result)


def test_every_space_sends_its_verdicts_to_the_suites_private_feedback_dataset(hf_api, hub_token, suite, make_demo,
                                                                                 local_hub):  # fmt: skip
    name, quiet = make_demo(), make_demo()
    environ = {"SUITE_FEEDBACK_TOKEN": "feedback-write-token-1"}

    [result] = deploy([name], namespace=NS, token=hub_token, suite=suite, environ=environ)
    [without] = deploy([quiet], namespace=NS, token=hub_token, suite=suite, environ={})

    assert hf_api.dataset_info(f"{NS}/suite-feedback").private
    assert hf_api.get_space_variables(result.repo_id)["SUITE_FEEDBACK_REPO"].value == f"{NS}/suite-feedback"
    assert local_hub.space_secret_matches(result.repo_id, "SUITE_FEEDBACK_TOKEN", "feedback-write-token-1")
    assert "secret SUITE_FEEDBACK_TOKEN (from $SUITE_FEEDBACK_TOKEN)" in result.plan.settings
    assert without.plan.notes == [
        "secret SUITE_FEEDBACK_TOKEN: not in the environment: verdicts stay on the Space's disk"
    ]


def test_a_space_that_may_keep_file_bytes_in_feedback_gets_the_variable_that_says_so(hf_api, hub_token, suite,
                                                                                     make_demo):  # fmt: skip
    keeps, plain = make_demo(settings="feedback_keeps_files: true\n"), make_demo()

    deploy([keeps, plain], namespace=NS, token=hub_token, suite=suite, environ={})

    assert hf_api.get_space_variables(f"{NS}/{keeps}")["SUITE_FEEDBACK_KEEPS_FILES"].value == "1"
    assert "SUITE_FEEDBACK_KEEPS_FILES" not in hf_api.get_space_variables(f"{NS}/{plain}")

    make_demo(keeps, settings="feedback_keeps_files: false\n")  # changed its mind: switched off
    [again] = deploy([keeps], namespace=NS, token=hub_token, suite=suite, environ={})
    assert hf_api.get_space_variables(f"{NS}/{keeps}")["SUITE_FEEDBACK_KEEPS_FILES"].value == "0"
    assert "variable SUITE_FEEDBACK_KEEPS_FILES = '0'" in again.plan.settings


def test_a_changed_variable_is_set_and_nothing_else_is_written(hf_api, hub_token, suite, make_demo, local_hub):
    name = make_demo(settings=SETTINGS)
    repo_id = f"{NS}/{name}"
    deploy([name], namespace=NS, token=hub_token, suite=suite, environ={"ECHO_API_KEY": "a", "ECHO_REGION": "eu"})
    before = commits(hf_api, repo_id)

    with local_hub.record() as log:
        [result] = deploy([name], namespace=NS, token=hub_token, suite=suite, environ={"ECHO_REGION": "us"})

    assert result.status == "updated" and result.tag is None
    assert result.plan.settings == ["variable ECHO_REGION = 'us'"]
    assert result.plan.notes == ["secret ECHO_API_KEY: not in the environment, the Space keeps its value"]
    assert hf_api.get_space_variables(repo_id)["ECHO_REGION"].value == "us"
    assert local_hub.space_secret_matches(repo_id, "ECHO_API_KEY", "a")
    assert commits(hf_api, repo_id) == before
    assert [p for p in log.paths() if not p.startswith("GET ")] == [f"POST /api/spaces/{repo_id}/variables"]


def test_secrets_are_not_rewritten_by_a_no_op_deploy_unless_asked(hf_api, hub_token, suite, make_demo, local_hub):
    name = make_demo(settings="secrets: [ECHO_API_KEY]\n")
    repo_id = f"{NS}/{name}"
    deploy([name], namespace=NS, token=hub_token, suite=suite, environ={"ECHO_API_KEY": "old"})

    [same] = deploy([name], namespace=NS, token=hub_token, suite=suite, environ={"ECHO_API_KEY": "new"})
    assert same.status == "unchanged" and local_hub.space_secret_matches(repo_id, "ECHO_API_KEY", "old")

    [synced] = deploy(
        [name], namespace=NS, token=hub_token, suite=suite, environ={"ECHO_API_KEY": "new"}, sync_secrets=True
    )
    assert synced.status == "updated" and synced.plan.settings == ["secret ECHO_API_KEY (from $ECHO_API_KEY)"]
    assert local_hub.space_secret_matches(repo_id, "ECHO_API_KEY", "new")


def test_hardware_is_requested_only_when_it_differs(hf_api, hub_token, suite, make_demo, local_hub):
    name = make_demo()
    repo_id = f"{NS}/{name}"
    deploy([name], namespace=NS, token=hub_token, suite=suite)
    assert hf_api.get_space_runtime(repo_id).requested_hardware == "zero-a10g"

    [moved] = deploy([name], namespace=NS, token=hub_token, suite=suite, hardware="cpu-upgrade")
    assert moved.plan.settings == ["hardware: zero-a10g → cpu-upgrade"]
    assert hf_api.get_space_runtime(repo_id).requested_hardware == "cpu-upgrade"

    with local_hub.record() as log:
        deploy([name], namespace=NS, token=hub_token, suite=suite, hardware="cpu-upgrade")
    assert not any("/hardware" in p for p in log.paths())


def test_cpu_demos_get_cpu_hardware_and_the_suites_torch(hf_api, hub_token, suite, make_demo):
    name = make_demo(settings="hardware: cpu-basic\n")

    [result] = deploy([name], namespace=NS, token=hub_token, suite=suite)

    assert hf_api.get_space_runtime(f"{NS}/{name}").requested_hardware == "cpu-basic"
    assert "torch==2.13.0" in result.plan.files["requirements.txt"].decode().splitlines()


def test_private_spaces(hf_api, hub_token, suite, make_demo):
    fresh, existing = make_demo(), make_demo()
    deploy([existing], namespace=NS, token=hub_token, suite=suite)

    results = deploy([fresh, existing], namespace=NS, token=hub_token, suite=suite, private=True)

    assert [r.status for r in results] == ["created", "updated"]
    assert results[1].plan.settings == ["visibility: public → private"]
    assert hf_api.space_info(f"{NS}/{fresh}").private and hf_api.space_info(f"{NS}/{existing}").private


def test_secret_values_never_reach_the_output(hub_token, suite, make_demo, monkeypatch, capsys):
    name = make_demo(settings="secrets: [ECHO_API_KEY]\n")
    monkeypatch.setenv("ECHO_API_KEY", "value-that-must-not-leak")
    monkeypatch.setenv("HF_TOKEN", hub_token)
    monkeypatch.setattr("scripts.deploy.Suite", lambda: suite)

    assert main([name, "--namespace", NS, "--dry-run"]) == 0
    assert main([name, "--namespace", NS]) == 0
    assert main([name, "--namespace", NS, "--sync-secrets"]) == 0

    out = capsys.readouterr()
    assert "secret ECHO_API_KEY (from $ECHO_API_KEY)" in out.out
    for leak in ("value-that-must-not-leak", hub_token):
        assert leak not in out.out and leak not in out.err
