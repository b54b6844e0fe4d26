"""The local Hub runs what is deployed: each build starts the Space's committed app for real, and
its runtime says APP_STARTING, RUNNING (with the app's URL) or RUNTIME_ERROR with the app's log."""

from __future__ import annotations

from pathlib import Path

from shared.catalog import SmokeCall

import pytest

from scripts.deploy import deploy, run_smoke

pytestmark = pytest.mark.usefixtures("sandbox")
NS = "local-user"
ECHO = SmokeCall(api="/echo", inputs=("hello",), expect=({"text": {"contains": "hello"}},))


def test_a_deployed_space_runs_its_committed_app_and_answers(running_spaces, hub_token, suite, make_demo, local_hub,
                                                               hf_api, tmp_path):  # fmt: skip
    name = make_demo()

    [result] = deploy([name], namespace=NS, token=hub_token, suite=suite, wait=True, wait_timeout=180, poll=0.2)

    assert (result.status, result.stage, result.error) == ("created", "RUNNING", None)
    runtime = hf_api.get_space_runtime(result.repo_id)
    assert runtime.raw["sha"] == result.commit
    [answer] = run_smoke(runtime.raw["host"], [ECHO], folder=tmp_path)
    assert answer.detail == "ok"
    run_log = "".join(hf_api.fetch_space_logs(result.repo_id))
    assert "Running on local URL" in run_log


def test_an_app_that_crashes_is_a_runtime_error_with_its_log(running_spaces, hub_token, suite, make_demo):
    name = make_demo(app='import shared\n\nraise RuntimeError("the model file is corrupt")\n')

    [result] = deploy([name], namespace=NS, token=hub_token, suite=suite, wait=True, wait_timeout=120, poll=0.2,
                      hardware="cpu-basic")  # fmt: skip

    assert (result.status, result.stage) == ("failed", "RUNTIME_ERROR")
    assert result.error == (
        f"{NS}/{name} is RUNTIME_ERROR: RuntimeError: the model file is corrupt: "
        "see the log below, fix the cause and deploy again"
    )
    assert result.log_tail[-1] == "RuntimeError: the model file is corrupt"


SMOKE = """smoke:
  - call: /echo
    with: [hello]
    expect: [{text: {contains: %s}}]
"""


def test_after_wait_the_smoke_calls_run_against_the_space_and_a_pass_is_tagged(running_spaces, hub_token, suite,
                                                                              make_demo, hf_api):  # fmt: skip
    from scripts.deploy import summary_table

    good, bad = make_demo(settings=SMOKE % "hello"), make_demo(settings=SMOKE % "bye")

    passed, failed = deploy([good, bad], namespace=NS, token=hub_token, suite=suite, wait=True, wait_timeout=180,
                            poll=0.2)  # fmt: skip

    assert (passed.status, passed.stage, [r.detail for r in passed.smoke]) == ("created", "RUNNING", ["ok"])
    tags = {t.name: t.target_commit for t in hf_api.list_repo_refs(passed.repo_id, repo_type="space").tags}
    assert passed.passed_tag == f"passed-{passed.tag}" and tags[passed.passed_tag] == passed.commit
    assert (failed.status, failed.stage) == ("failed", "RUNNING")
    assert failed.error == "smoke test /echo failed: output 1: the text does not contain 'bye': 'hello'"
    assert failed.passed_tag is None
    assert [t.name for t in hf_api.list_repo_refs(failed.repo_id, repo_type="space").tags] == [failed.tag]
    table = summary_table([passed, failed]).splitlines()
    assert table[1].endswith("created, RUNNING, smoke 1/1") and table[2].endswith("failed, RUNNING, smoke 0/1")


def test_a_deploy_that_fails_its_smoke_test_is_rolled_back_to_the_last_that_passed(running_spaces, hub_token, suite,
                                                                                  make_demo, hf_api, tmp_path):  # fmt: skip
    from tests.scripts.deploy.conftest import APP

    name = make_demo(settings=SMOKE % "hello")
    [good] = deploy([name], namespace=NS, token=hub_token, suite=suite, wait=True, wait_timeout=180, poll=0.2)
    assert good.passed_tag == f"passed-{good.tag}"
    make_demo(name, app=APP.replace("return text", 'return ""'), settings=SMOKE % "hello")  # a broken change

    [result] = deploy([name], namespace=NS, token=hub_token, suite=suite, wait=True, wait_timeout=180, poll=0.2,
                      rollback_on_failure=True)  # fmt: skip

    assert result.status == "failed" and result.rolled_back_to == good.tag
    assert result.error == (
        "smoke test /echo failed: output 1: expected text, got ''; "
        f"rolled back to {good.tag}, which runs and passes its smoke tests"
    )
    assert (result.stage, [r.detail for r in result.smoke]) == ("RUNNING", ["ok"])
    history = hf_api.list_repo_commits(result.repo_id, repo_type="space")
    assert history[0].commit_id == result.commit and history[0].title.startswith(f"Roll back {name} to {good.tag}")

    def app_at(commit: str) -> str:
        return Path(hf_api.hf_hub_download(result.repo_id, "app.py", repo_type="space", revision=commit)).read_text()

    assert app_at(result.commit) == app_at(good.commit)
    host = hf_api.space_info(result.repo_id).host
    [answer] = run_smoke(host, [ECHO], folder=tmp_path)
    assert answer.detail == "ok"  # the Space answers again, from the restored files


def test_with_nothing_that_passed_before_a_failure_is_not_rolled_back(running_spaces, hub_token, suite, make_demo):
    name = make_demo(settings=SMOKE % "bye")

    [result] = deploy([name], namespace=NS, token=hub_token, suite=suite, wait=True, wait_timeout=180, poll=0.2,
                      rollback_on_failure=True)  # fmt: skip

    assert result.status == "failed" and result.rolled_back_to is None
    assert result.error.endswith("; no earlier deploy of it passed its smoke tests, so nothing was rolled back")


def test_rollback_on_failure_needs_wait(hub_token, suite, make_demo):
    from scripts.deploy import DeployError

    with pytest.raises(DeployError, match="--rollback-on-failure needs --wait"):
        deploy([make_demo()], namespace=NS, token=hub_token, suite=suite, rollback_on_failure=True)
