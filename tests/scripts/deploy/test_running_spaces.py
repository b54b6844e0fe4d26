"""The local Hub runs what is deployed: each build starts the Space's committed app for real, and
its runtime says APP_STARTING, RUNNING (with the app's URL) or RUNTIME_ERROR with the app's log."""

from __future__ import annotations

import os

from shared.catalog import SmokeCall

import pytest

from scripts.deploy import deploy, run_smoke
from tests.harness import network
from tests.harness.hub import SITE_DIR

pytestmark = pytest.mark.usefixtures("sandbox")
NS = "local-user"
ECHO = SmokeCall(api="/echo", inputs=("hello",), expect=({"text": {"contains": "hello"}},))


@pytest.fixture
def running_spaces(local_hub):
    """The session's Hub runs Spaces for real during the test (each as its Space would: the
    bundle's own `shared`, no internet)."""
    environment = {"PYTHONPATH": str(SITE_DIR), "SUITE_AS_A_SPACE": "1"}
    if os.environ.get(network.LOG_ENV):
        environment[network.LOG_ENV] = os.environ[network.LOG_ENV]
    yield local_hub.run_spaces(environment=environment)
    local_hub.stop_running_spaces()


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
