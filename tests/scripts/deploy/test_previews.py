"""Previews for pull requests: only the demos a change touches, in Spaces of their own on CPU
hardware, smoke-tested, reported in Markdown, and deleted (only real previews) when the pull
request closes or they grow old."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from scripts._deploy.preview import REPORT_MARKER
from scripts.deploy import (
    DeployError,
    delete_preview,
    deploy,
    main,
    markdown_report,
    prune_previews,
    run_smoke,
)
from tests.scripts.deploy.conftest import APP

pytestmark = pytest.mark.usefixtures("sandbox")
NS = "local-user"
SMOKE = """smoke:
  - call: /echo
    with: [hello]
    expect: [{text: {contains: %s}}]
"""
LOUD = APP.replace("return text", "return text.upper()")


def variables(hf_api, repo_id: str) -> dict[str, str]:
    return {k: v.value for k, v in hf_api.get_space_variables(repo_id).items()}


def space_names(hf_api) -> set[str]:
    return {s.id for s in hf_api.list_spaces(author=NS)}


def test_a_preview_deploys_only_the_changed_demo_runs_it_and_prunes_it_when_its_pull_request_closes(
    request, hub_token, suite, make_demo, hf_api, tmp_path
):
    changed, same = make_demo(settings=SMOKE % "hello"), make_demo(settings=SMOKE % "hello")
    deploy([changed, same], namespace=NS, token=hub_token, suite=suite)
    request.getfixturevalue("running_spaces")  # from here on the Hub runs what is deployed
    make_demo(changed, app=LOUD, settings=SMOKE % "HELLO")  # the pull request's change

    preview, unchanged = deploy([changed, same], namespace=NS, token=hub_token, suite=suite, preview="pr-7",
                                wait=True, wait_timeout=180, poll=0.2)  # fmt: skip

    assert (preview.repo_id, preview.status, preview.stage) == (f"{NS}/{changed}-preview-pr-7", "created", "RUNNING")
    assert [r.detail for r in preview.smoke] == ["ok"]  # the pull request's own smoke test, on its own Space
    assert (unchanged.status, unchanged.commit) == ("same as main", None)
    assert f"{NS}/{same}-preview-pr-7" not in space_names(hf_api)
    info = hf_api.space_info(preview.repo_id)
    assert info.runtime.requested_hardware == "cpu-basic"  # the demo asks for ZeroGPU; a preview never does
    assert variables(hf_api, preview.repo_id) == {
        "SUITE_PREVIEW": "pr-7",
        "SUITE_APP_VERSION": "preview pr-7 of git unknown",
    }  # fmt: skip  (no feedback repo: a preview's verdicts stay out of the team's statistics)
    [answer] = run_smoke(info.host, [SMOKE_CALL("HELLO")], folder=tmp_path)
    assert answer.detail == "ok"
    main_app = hf_api.hf_hub_download(f"{NS}/{changed}", "app.py", repo_type="space")
    assert "upper()" not in Path(main_app).read_text()  # main is untouched

    removals = prune_previews(namespace=NS, keep=["pr-8"], token=hub_token)

    [removal] = [r for r in removals if r.repo_id == preview.repo_id]
    assert (removal.name, removal.reason, removal.status) == ("pr-7", "its pull request is closed", "deleted")
    assert preview.repo_id not in space_names(hf_api)


def SMOKE_CALL(text: str):  # noqa: N802 - reads as the smoke call it builds
    from shared.catalog import SmokeCall

    return SmokeCall(api="/echo", inputs=("hello",), expect=({"text": {"contains": text}},))


def test_a_change_back_to_main_deletes_its_preview_and_a_new_demo_gets_one(hub_token, suite, make_demo, hf_api):
    demo = make_demo()
    deploy([demo], namespace=NS, token=hub_token, suite=suite)
    make_demo(demo, app=LOUD)
    [first] = deploy([demo], namespace=NS, token=hub_token, suite=suite, preview="pr-9")
    assert first.status == "created"

    make_demo(demo, app=APP)  # the pull request drops its change
    [planned] = deploy([demo], namespace=NS, token=hub_token, suite=suite, preview="pr-9", dry_run=True)
    [back] = deploy([demo], namespace=NS, token=hub_token, suite=suite, preview="pr-9")
    new = make_demo()  # a demo main has not deployed yet
    [fresh] = deploy([new], namespace=NS, token=hub_token, suite=suite, preview="pr-9")

    assert planned.status == "same as main, preview would be deleted"
    assert back.status == "same as main, preview deleted"
    assert first.repo_id not in space_names(hf_api)
    assert (fresh.repo_id, fresh.status) == (f"{NS}/{new}-preview-pr-9", "created")


def test_a_preview_never_writes_over_a_space_that_is_not_one(hub_token, suite, make_demo, hf_api):
    demo = make_demo()
    hf_api.create_repo(f"{NS}/{demo}-preview-pr-3", repo_type="space", space_sdk="gradio")

    [result] = deploy([demo], namespace=NS, token=hub_token, suite=suite, preview="pr-3")

    assert result.status == "refused"
    assert result.error == (
        f"{NS}/{demo}-preview-pr-3 exists and is not preview pr-3 (its SUITE_PREVIEW variable does not say so): "
        "nothing was written; rename that Space or choose another preview name"
    )
    assert len(hf_api.list_repo_commits(f"{NS}/{demo}-preview-pr-3", repo_type="space")) == 1
    assert delete_preview("pr-3", namespace=NS, token=hub_token) == []  # and it is never deleted as one


def test_deleting_a_preview_removes_its_spaces_and_nothing_else(hub_token, suite, make_demo, hf_api):
    one, two = make_demo(), make_demo()
    made = deploy([one, two], namespace=NS, token=hub_token, suite=suite, preview="pr-21")
    [other] = deploy([one], namespace=NS, token=hub_token, suite=suite, preview="pr-22")
    hf_api.create_repo(f"{NS}/{one}-preview-pr-21x", repo_type="space", space_sdk="gradio")

    planned = delete_preview("pr-21", namespace=NS, token=hub_token, dry_run=True)
    removals = delete_preview("pr-21", namespace=NS, token=hub_token)

    assert [(r.repo_id, r.status) for r in planned] == sorted((r.repo_id, "would delete") for r in made)
    assert [(r.repo_id, r.status) for r in removals] == sorted((r.repo_id, "deleted") for r in made)
    names = space_names(hf_api)
    assert not {r.repo_id for r in made} & names
    assert {other.repo_id, f"{NS}/{one}-preview-pr-21x"} <= names
    assert delete_preview("pr-21", namespace=NS, token=hub_token) == []  # closing twice is fine


def test_pruning_by_age_and_by_open_pull_requests(hub_token, suite, make_demo, hf_api):
    demo = make_demo()
    [old] = deploy([demo], namespace=NS, token=hub_token, suite=suite, preview="pr-31")
    [kept] = deploy([demo], namespace=NS, token=hub_token, suite=suite, preview="pr-32")
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=8)

    by_age = prune_previews(namespace=NS, older_than=dt.timedelta(days=7), now=later, token=hub_token, dry_run=True)
    mine = [r for r in by_age if r.repo_id in (old.repo_id, kept.repo_id)]
    assert [(r.name, r.status) for r in mine] == [("pr-31", "would delete"), ("pr-32", "would delete")]
    assert mine[0].reason.startswith("last deployed 8.0 days ago")
    assert not {r.repo_id for r in prune_previews(namespace=NS, older_than=dt.timedelta(days=7), token=hub_token)} & {
        old.repo_id,
        kept.repo_id,
    }  # deployed just now

    removed = prune_previews(namespace=NS, keep=["pr-32"], older_than=dt.timedelta(days=7), token=hub_token)

    assert old.repo_id in {r.repo_id for r in removed} and kept.repo_id not in {r.repo_id for r in removed}
    assert kept.repo_id in space_names(hf_api) and old.repo_id not in space_names(hf_api)
    with pytest.raises(DeployError, match="say which previews go"):
        prune_previews(namespace=NS, token=hub_token)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"preview": "PR_7"}, "'PR_7' is not a preview name"),
        ({"preview": "pr--7"}, "'pr--7' is not a preview name"),
        ({"preview": "pr-7", "hardware": "t4-small"}, "--preview does not go with --hardware"),
        ({"preview": "pr-7", "rollback": "deploy-x"}, "--preview does not go with --rollback"),
    ],
)
def test_bad_preview_options_are_refused_before_anything_is_read(hub_token, suite, make_demo, options, message):
    with pytest.raises(DeployError, match=message):
        deploy([make_demo()], namespace=NS, token=hub_token, suite=suite, **options)


def test_the_report_links_each_preview_and_escapes_what_a_space_said(hub_token, suite, make_demo):
    good, broken = make_demo(), make_demo(settings="secrets: [ECHO_API_KEY]\n")
    results = deploy([good, broken], namespace=NS, token=hub_token, suite=suite, preview="pr-5")
    results[1].error = "bad | input <script>`x`</script> [link](http://evil)"
    results[1].log_tail = ["<b>boom</b>"]

    text = markdown_report(results, title="Preview `pr-5`")

    lines = text.splitlines()
    assert lines[:3] == [REPORT_MARKER, "### Preview `pr-5`", ""]
    assert f"| {good} | [{NS}/{good}-preview-pr-5]({results[0].url}) | created | — |" in lines
    assert f"| {broken} | [{NS}/{broken}-preview-pr-5]({results[1].url}) | refused | — |" in lines
    assert results[1].status == "refused"
    assert f"**{broken}**: `bad | input <script>'x'</script> [link](http://evil)`" in lines
    assert "<pre>&lt;b&gt;boom&lt;/b&gt;</pre>" in lines


def test_the_command_line_deploys_deletes_and_prunes_previews_with_a_report(monkeypatch, hub_token, suite, make_demo,
                                                                             tmp_path, capsys):  # fmt: skip
    monkeypatch.setenv("HF_TOKEN", hub_token)
    monkeypatch.setattr("scripts.deploy.Suite", lambda: suite)
    demo = make_demo()
    report = tmp_path / "report.md"

    assert main(["--namespace", NS, "--preview", "pr-41", "--report", str(report)]) == 0
    assert report.read_text().startswith(f"{REPORT_MARKER}\n### Preview `pr-41` from a folder outside git\n")
    assert f"{NS}/{demo}-preview-pr-41" in capsys.readouterr().out

    assert main(["--namespace", NS, "--delete-preview", "pr-41", "--report", str(report)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["Space", "Why", "Status"]
    assert out[1].split()[0] == f"{NS}/{demo}-preview-pr-41" and out[1].endswith("deleted")
    assert "| preview pr-41 deleted | deleted |" in report.read_text()

    assert main(["--namespace", NS, "--delete-preview", "pr-41"]) == 0
    assert capsys.readouterr().out == "no preview to delete\n"
    assert main(["--namespace", NS, "--prune-previews"]) == 2
    assert capsys.readouterr().err == (
        "error: say which previews go: --keep the open pull requests' previews, --older-than AGE, or both\n"
    )
    assert main(["--namespace", NS, "--prune-previews", "--older-than", "a week"]) == 2
    assert "'a week' is not an age" in capsys.readouterr().err
    assert main(["--namespace", NS, "--keep", "pr-1"]) == 2
    assert capsys.readouterr().err == "error: --keep and --older-than go with --prune-previews\n"
    with pytest.raises(SystemExit):
        main(["--namespace", NS, "--preview", "pr-1", "--rollback", "deploy-x"])  # argparse: not allowed together
