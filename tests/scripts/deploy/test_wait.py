"""`--wait`: until the Space runs the deployed commit, or a clear failure with the log's tail."""

from __future__ import annotations

import pytest

from scripts.deploy import deploy

pytestmark = pytest.mark.usefixtures("sandbox")
NS = "local-user"


def change(spaces_dir, name: str) -> None:
    app = spaces_dir / name / "app.py"
    app.write_text(app.read_text() + "\n# another change\n")


def test_wait_returns_once_the_deployed_commit_runs(hub_token, suite, make_demo, local_hub):
    name = make_demo()
    local_hub.config.space_build_seconds = 0.5
    try:
        [result] = deploy([name], namespace=NS, token=hub_token, suite=suite, wait=True, poll=0.1)
    finally:
        local_hub.config.space_build_seconds = 0.0

    assert (result.status, result.stage, result.error) == ("created", "RUNNING", None)
    runtime = local_hub.config.storage.repo("space", f"{NS}/{name}").space["build"]
    assert runtime["commit"] == result.commit


@pytest.mark.parametrize(
    ("stage", "logs", "build"),
    [
        ("BUILD_ERROR", ["Collecting torch==2.11.0", "ERROR: No matching distribution found for torch"], True),
        ("RUNTIME_ERROR", ["Traceback (most recent call last):", "ImportError: cannot import name 'page'"], False),
    ],
)
def test_wait_fails_with_the_stage_and_the_tail_of_the_log(hub_token, suite, make_demo, spaces_dir, local_hub,
                                                            stage, logs, build):  # fmt: skip
    name = make_demo()
    deploy([name], namespace=NS, token=hub_token, suite=suite)
    local_hub.script_space(f"{NS}/{name}", stage=stage, logs=logs, error="Scripted failure")
    change(spaces_dir, name)

    [result] = deploy([name], namespace=NS, token=hub_token, suite=suite, wait=True, poll=0.05)

    assert (result.status, result.stage) == ("failed", stage)
    assert result.error == (
        f"{NS}/{name} is {stage}: Scripted failure: see the log below, fix the cause and deploy again"
    )
    assert result.log_tail[-2:] == logs
    assert result.commit is not None  # the commit was made: the Space shows what failed


def test_wait_gives_up_after_the_timeout(hub_token, suite, make_demo, local_hub):
    name = make_demo()
    deploy([name], namespace=NS, token=hub_token, suite=suite)
    local_hub.script_space(f"{NS}/{name}", stage="RUNNING", build_seconds=600)

    [result] = deploy([name], namespace=NS, token=hub_token, suite=suite, wait=True, wait_timeout=0.3, poll=0.05,
                      sync_secrets=True, hardware="cpu-upgrade")  # fmt: skip

    assert (result.status, result.stage) == ("failed", "BUILDING")
    assert result.error.startswith(f"{NS}/{name} is still BUILDING after 0.3 s")
    assert result.log_tail[0].startswith("===== Build #")
