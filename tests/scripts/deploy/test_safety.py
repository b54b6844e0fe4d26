"""A deploy that meets another writer, a refused commit, a failed setting or tag, or Ctrl-C never
leaves a Space half-made, never deletes or overwrites someone else's work, and the next run
converges. Each case here failed before it was fixed."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time

import pytest

from scripts.deploy import DeployInterruptedError, deploy
from scripts.hub_client import _retries as deploy_hub
from tests.harness.hub import REPO_ROOT, subprocess_env
from tests.scripts.deploy.conftest import APP, space_files

pytestmark = pytest.mark.usefixtures("sandbox")
NS = "local-user"


@pytest.fixture
def quick_retries(monkeypatch):
    """Requests that keep failing give up after two quick tries instead of eight slow ones."""
    monkeypatch.setattr(deploy_hub, "ATTEMPTS", 2)
    monkeypatch.setattr(deploy_hub, "FIRST_WAIT", 0.01)


def when(step: str, action):
    """A progress callback that runs `action` once, when a Space reaches `step`."""
    done = threading.Event()

    def progress(name: str, message: str) -> None:
        if message.startswith(step) and not done.is_set():
            done.set()
            action(name)

    return progress


# ---------------------------------------------------------------------- two deploys at once


def test_a_space_created_by_another_deploy_meanwhile_is_left_to_it(hf_api, hub_token, suite, make_demo):
    name = make_demo()
    repo_id = f"{NS}/{name}"
    winner: list = []

    def the_other_deploy_wins(_name: str) -> None:
        winner.extend(deploy([name], namespace=NS, token=hub_token, suite=suite))

    [loser] = deploy(
        [name], namespace=NS, token=hub_token, suite=suite, progress=when("creating", the_other_deploy_wins)
    )

    assert winner[0].status == "created"
    assert loser.status == "failed"
    assert loser.error == (
        f"{repo_id} was created by someone else while this deploy planned it (nothing was written): run the deploy again"
    )
    assert hf_api.space_info(repo_id).sha == winner[0].commit  # the winner's Space, whole and untouched
    assert space_files(hf_api, repo_id)["app.py"] == APP.encode()
    [again] = deploy([name], namespace=NS, token=hub_token, suite=suite)
    assert again.status == "unchanged"


def test_a_push_between_creation_and_first_commit_is_never_overwritten_nor_deleted(hf_api, hub_token, suite, make_demo):
    name = make_demo()
    repo_id = f"{NS}/{name}"

    def someone_pushes(_name: str) -> None:
        hf_api.upload_file(path_or_fileobj=b"theirs", path_in_repo="theirs.txt", repo_id=repo_id, repo_type="space")

    [result] = deploy([name], namespace=NS, token=hub_token, suite=suite, progress=when("committing", someone_pushes))

    assert result.status == "failed"
    assert result.error.startswith(f"{repo_id} changed while deploying (new commit ")
    assert "nothing was overwritten; run the deploy again" in result.error
    assert hf_api.repo_exists(repo_id, repo_type="space")
    files = space_files(hf_api, repo_id)
    assert files["theirs.txt"] == b"theirs" and "app.py" not in files
    [again] = deploy([name], namespace=NS, token=hub_token, suite=suite)  # a deliberate run converges on the bundle
    assert again.status == "updated" and space_files(hf_api, repo_id)["app.py"] == APP.encode()


def test_a_new_space_whose_commit_fails_is_removed_only_if_nobody_else_wrote_to_it(
    hf_api, hub_token, suite, make_demo, local_hub, quick_retries
):
    quiet, busy = make_demo(), make_demo()

    with local_hub.inject_faults(rate=1.0, kinds=(503,), path=r"POST /api/spaces/.*/commit/"):
        [removed] = deploy([quiet], namespace=NS, token=hub_token, suite=suite)

        def someone_pushes(_name: str) -> None:  # with a regular commit, not through the faulty route
            local_hub.publish_snapshot(f"{NS}/{busy}", {"theirs.txt": b"theirs"}, repo_type="space")

        [kept] = deploy([busy], namespace=NS, token=hub_token, suite=suite, progress=when("committing", someone_pushes))

    assert removed.status == "failed" and removed.error.endswith("; the new Space was removed again")
    assert not hf_api.repo_exists(f"{NS}/{quiet}", repo_type="space")
    assert kept.status == "failed"
    assert kept.error.endswith(f"; the new Space {NS}/{busy} was left as it is: someone else committed to it")
    assert space_files(hf_api, f"{NS}/{busy}")["theirs.txt"] == b"theirs"


# ---------------------------------------------------------------------- files, then settings, then the tag


SETTINGS = "hardware: cpu-basic\nsecrets: [ECHO_API_KEY]\nvariables: [ECHO_MODE]\n"


def test_a_refused_commit_leaves_the_settings_as_they_were(hf_api, hub_token, suite, make_demo, spaces_dir):
    name = make_demo(settings=SETTINGS)
    repo_id = f"{NS}/{name}"
    deploy([name], namespace=NS, token=hub_token, suite=suite, environ={"ECHO_API_KEY": "k", "ECHO_MODE": "quiet"})
    (spaces_dir / name / "app.py").write_text(APP + "# changed\n")

    def someone_pushes(_name: str) -> None:
        hf_api.upload_file(path_or_fileobj=b"x", path_in_repo="theirs.txt", repo_id=repo_id, repo_type="space")

    [result] = deploy(
        [name], namespace=NS, token=hub_token, suite=suite, hardware="cpu-upgrade",
        environ={"ECHO_MODE": "loud"}, progress=when("committing", someone_pushes),
    )  # fmt: skip

    assert result.status == "failed" and "changed while deploying" in result.error
    assert hf_api.get_space_variables(repo_id)["ECHO_MODE"].value == "quiet"
    assert hf_api.get_space_runtime(repo_id).requested_hardware == "cpu-basic"


def test_a_failed_setting_is_reported_and_the_next_run_finishes_the_deploy(
    hf_api, hub_token, suite, make_demo, spaces_dir, local_hub, quick_retries
):
    name = make_demo(settings=SETTINGS)
    repo_id = f"{NS}/{name}"
    deploy([name], namespace=NS, token=hub_token, suite=suite, environ={"ECHO_API_KEY": "old", "ECHO_MODE": "quiet"})
    (spaces_dir / name / "app.py").write_text(APP + "# changed\n")
    environ = {"ECHO_API_KEY": "new", "ECHO_MODE": "loud"}

    with local_hub.inject_faults(rate=1.0, kinds=(503,), path=r"POST /api/spaces/.*/variables"):
        [failed] = deploy([name], namespace=NS, token=hub_token, suite=suite, environ=environ)

    assert failed.status == "failed"
    assert failed.error.startswith(f"setting variable ECHO_MODE of {repo_id}: the Hub kept failing (HTTP 503)")
    assert failed.error.endswith(f"; the files are committed ({failed.commit[:7]}): run the deploy again to finish")
    assert hf_api.space_info(repo_id).sha == failed.commit
    assert failed.commit not in {t.target_commit for t in hf_api.list_repo_refs(repo_id, repo_type="space").tags}

    [finished] = deploy([name], namespace=NS, token=hub_token, suite=suite, environ=environ)

    assert finished.status == "completed"
    # The tag the commit named (with a -2 when a deploy in the same second already took the name).
    assert finished.plan.unfinished_tag is not None and finished.tag.startswith(finished.plan.unfinished_tag)
    assert hf_api.get_space_variables(repo_id)["ECHO_MODE"].value == "loud"
    assert local_hub.space_secret_matches(
        repo_id, "ECHO_API_KEY", "new"
    )  # secrets set again: the run stopped before them
    tags = {t.name: t.target_commit for t in hf_api.list_repo_refs(repo_id, repo_type="space").tags}
    assert tags[finished.tag] == failed.commit
    assert deploy([name], namespace=NS, token=hub_token, suite=suite, environ=environ)[0].status == "unchanged"


def test_an_untagged_deploy_commit_is_tagged_by_the_next_run_and_can_be_rolled_back_to(
    hf_api, hub_token, suite, make_demo, spaces_dir, local_hub, quick_retries
):
    name = make_demo()
    repo_id = f"{NS}/{name}"
    deploy([name], namespace=NS, token=hub_token, suite=suite)
    (spaces_dir / name / "app.py").write_text(APP + "# second\n")

    with local_hub.inject_faults(rate=1.0, kinds=(503,), path=r"POST /api/spaces/.*/tag/"):
        [untagged] = deploy([name], namespace=NS, token=hub_token, suite=suite)

    assert untagged.status == "failed" and untagged.error.endswith(
        f"; {untagged.commit[:7]} is committed but untagged: run the deploy again to tag it"
    )
    (spaces_dir / name / "app.py").write_text(APP + "# third\n")
    [third] = deploy([name], namespace=NS, token=hub_token, suite=suite)

    assert third.status == "updated"
    tags = {t.name: t.target_commit for t in hf_api.list_repo_refs(repo_id, repo_type="space").tags}
    recovered = [t for t, target in tags.items() if target == untagged.commit]
    assert len(recovered) == 1 and recovered[0].startswith("deploy-")
    [back] = deploy([name], namespace=NS, token=hub_token, suite=suite, rollback=recovered[0])
    assert back.status == "rolled back"
    assert space_files(hf_api, repo_id)["app.py"] == (APP + "# second\n").encode()


def test_a_push_by_someone_else_is_not_mistaken_for_an_unfinished_deploy(hf_api, hub_token, suite, make_demo):
    name = make_demo()
    repo_id = f"{NS}/{name}"
    deploy([name], namespace=NS, token=hub_token, suite=suite)
    hf_api.upload_file(path_or_fileobj=b"x", path_in_repo="notes.txt", repo_id=repo_id, repo_type="space")

    [result] = deploy([name], namespace=NS, token=hub_token, suite=suite)

    assert result.plan.unfinished_tag is None and result.status == "updated"  # notes.txt deleted, tagged anew


# ---------------------------------------------------------------------- Ctrl-C


def test_cancelling_stops_every_worker_quickly_and_says_what_each_did(
    hub_token, suite, make_demo, local_hub, monkeypatch
):
    monkeypatch.setattr(local_hub.config, "space_build_seconds", 3600)  # Spaces that never finish building
    names = [make_demo(settings="hardware: cpu-basic\n") for _ in range(3)]
    cancel = threading.Event()
    started = threading.Event()

    def progress(name: str, message: str) -> None:
        if message.startswith("waiting"):
            started.set()

    threading.Thread(target=lambda: started.wait(60) and cancel.set(), daemon=True).start()
    began = time.monotonic()
    with pytest.raises(DeployInterruptedError) as stopped:
        deploy(
            names, namespace=NS, token=hub_token, suite=suite, wait=True, poll=5,
            cancel=cancel, progress=progress, workers=2,
        )  # fmt: skip
    after_cancel = time.monotonic() - began

    results = stopped.value.results
    assert [r.name for r in results] == names
    assert {r.status for r in results} == {"interrupted"}
    waited = [r for r in results if r.step == "waiting for the Space to run"]
    assert waited and all(
        r.error.startswith(
            "interrupted while waiting for the Space to run (the deploy itself is done: created, tagged deploy-"
        )
        for r in waited
    )
    assert any(r.error == "interrupted before it started: nothing was written" for r in results)
    assert after_cancel < 60  # the whole run; the stop itself is timed in the CLI test below


def test_ctrl_c_ends_the_command_within_two_seconds_with_the_table(make_local_hub, tmp_path):
    slow = make_local_hub(orgs=[], space_build_seconds=3600)
    process = subprocess.Popen(
        [sys.executable, "scripts/deploy.py", "gallery", "--namespace", slow.user, "--wait", "--hardware", "cpu-basic"],
        cwd=REPO_ROOT,
        env=subprocess_env(HF_ENDPOINT=slow.url, HF_TOKEN=slow.token),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for line in process.stderr:
            if "waiting for the Space to run" in line:
                break
        else:
            pytest.fail(f"the deploy never reached --wait: {process.stdout.read()}")
        process.send_signal(signal.SIGINT)
        sent = time.monotonic()
        out, err = process.communicate(timeout=30)
        stopped_after = time.monotonic() - sent
    finally:
        process.kill()

    assert process.returncode == 130
    assert stopped_after < 2.0
    assert "error: interrupted: each Space is either fully committed or untouched; run again" in err
    table = out.splitlines()[-2:]
    assert table[0].split() == ["Space", "URL", "Commit", "Status"]
    assert table[1].startswith(f"{slow.user}/gallery") and table[1].endswith("interrupted")
    assert (
        f"{slow.user}/gallery: interrupted while waiting for the Space to run (the deploy itself is done: created"
        in out
    )
