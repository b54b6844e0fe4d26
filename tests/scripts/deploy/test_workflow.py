"""The GitHub workflow that publishes the demos: which jobs run on which event (forks never get the
token), that each command it runs is one `scripts/deploy.py` understands, and its shell steps
(the pull request comment, the daily prune) run against stand-ins for `gh` and `python`."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml

from scripts._deploy.preview import REPORT_MARKER, check_preview_name
from scripts.deploy import _parser
from tests.harness.hub import REPO_ROOT

WORKFLOW = REPO_ROOT / ".github" / "workflows" / "deploy-spaces.yml"
COMMENT_SCRIPT = REPO_ROOT / ".github" / "scripts" / "preview-comment.sh"
REPO = "team/demos"


def workflow() -> tuple[dict, dict[str, dict]]:
    loaded = yaml.safe_load(WORKFLOW.read_text())
    return loaded, loaded["jobs"]


def runs_if(condition: str, context: dict[str, str]) -> bool:
    """Evaluate a job's `if` (GitHub's expression syntax: names, quoted strings, ==, !=, &&, ||, ())."""
    python = re.sub(r"\bgithub(?:\.[\w-]+)+", lambda m: repr(context[m.group(0)]), condition)
    python = python.replace("&&", " and ").replace("||", " or ")
    return bool(eval(python, {"__builtins__": {}}))  # noqa: S307 - the workflow's own conditions


def event(name: str, *, action: str = "", fork: bool = False, ref: str = "refs/heads/main") -> dict[str, str]:
    head = "someone/demos" if fork else REPO
    return {
        "github.event_name": name,
        "github.event.action": action,
        "github.ref": ref,
        "github.repository": REPO,
        "github.event.pull_request.head.repo.full_name": head,
    }


EVENTS = {
    "push to main": (event("push"), {"deploy"}),
    "manual run on main": (event("workflow_dispatch"), {"deploy"}),
    "manual run on a branch": (event("workflow_dispatch", ref="refs/heads/topic"), set()),
    "pull request pushed": (event("pull_request", action="synchronize", ref="refs/pull/7/merge"), {"preview"}),
    "pull request opened from a fork": (
        event("pull_request", action="opened", fork=True, ref="refs/pull/8/merge"),
        {"dry-run"},
    ),
    "pull request closed": (event("pull_request", action="closed", ref="refs/pull/7/merge"), {"delete-preview"}),
    "fork's pull request closed": (event("pull_request", action="closed", fork=True, ref="refs/pull/8/merge"), set()),
    "daily schedule": (event("schedule"), {"prune-previews"}),
}


@pytest.mark.parametrize("what", EVENTS)
def test_each_event_runs_the_jobs_meant_for_it(what):
    context, expected = EVENTS[what]
    _, jobs = workflow()
    assert {name for name, job in jobs.items() if runs_if(job["if"], context)} == expected


def test_the_triggers():
    loaded, _ = workflow()
    triggers = loaded[True]  # YAML 1.1 reads the key `on` as true
    assert triggers["push"]["branches"] == ["main"]
    assert set(triggers["pull_request"]["types"]) == {"opened", "synchronize", "reopened", "closed"}
    assert triggers["schedule"] and "workflow_dispatch" in triggers


def steps_with_token(job: dict) -> list[dict]:
    return [s for s in job["steps"] if "secrets.HF_TOKEN" in json.dumps(s.get("env", {}))]


def test_only_jobs_no_fork_can_start_see_the_token():
    _, jobs = workflow()
    fork_events = [ctx for ctx, _ in EVENTS.values() if ctx["github.event.pull_request.head.repo.full_name"] != REPO]
    for name, job in jobs.items():
        reachable_from_a_fork = any(runs_if(job["if"], ctx) for ctx in fork_events)
        assert not (reachable_from_a_fork and steps_with_token(job)), name
    assert steps_with_token(jobs["deploy"]) and not steps_with_token(jobs["dry-run"])


def deploy_args(step: dict, **values: str):
    argv = shlex.split(step["run"])
    assert argv[:2] == ["python", "scripts/deploy.py"]
    for key, value in {"SPACES_NAMESPACE": "org", **values}.items():
        argv = [a.replace(f"${key}", value) for a in argv]
    return _parser().parse_args(argv[2:])


def test_main_is_deployed_waited_for_smoke_tested_and_rolled_back_on_failure():
    _, jobs = workflow()
    job = jobs["deploy"]
    args = deploy_args(job["steps"][-1])
    assert (args.namespace, args.names, args.wait, args.rollback_on_failure) == ("org", [], True, True)
    assert job["environment"] == "spaces" and next(s["run"] for s in job["steps"] if "run" in s) == (
        "bash scripts/setup.sh --demos"
    )
    dry = deploy_args(jobs["dry-run"]["steps"][-1])
    assert dry.dry_run and dry.namespace == "org"


def test_a_pull_request_gets_a_preview_named_for_it_and_its_report_as_a_comment():
    _, jobs = workflow()
    job = jobs["preview"]
    [deploy_step] = [s for s in job["steps"] if s.get("run", "").startswith("python scripts/deploy.py")]
    assert deploy_step["env"]["PR"] == "${{ github.event.pull_request.number }}"
    args = deploy_args(deploy_step, PR="7")
    assert (args.preview, args.wait, args.report) == ("pr-7", True, Path("report.md"))
    assert check_preview_name(args.preview) == "pr-7"
    comment = job["steps"][-1]
    assert comment["if"].startswith("always()")  # a failed preview is reported too
    assert comment["run"] == f"bash {COMMENT_SCRIPT.relative_to(REPO_ROOT)} report.md"
    assert job["permissions"] == {"contents": "read", "pull-requests": "write"}

    closing = jobs["delete-preview"]
    [delete_step] = [s for s in closing["steps"] if s.get("run", "").startswith("python scripts/deploy.py")]
    assert deploy_args(delete_step, PR="7").delete_preview == "pr-7"  # the very name the preview used
    checkout = closing["steps"][0]
    assert checkout["with"]["ref"] == "${{ github.event.repository.default_branch }}"


def test_every_action_is_pinned_by_commit_sha_and_keeps_no_credentials():
    _, jobs = workflow()
    for job in jobs.values():
        for step in job["steps"]:
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
                if step["uses"].startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False


# ---------------------------------------------------------------------- the shell steps, run

FAKE_GH = """#!/usr/bin/env bash
# gh, standing in: logs its arguments; `... --jq F` runs F (with real jq) over $FAKE_DATA, the JSON
# GitHub's API would answer.
printf '%s\\n' "$*" >> "$FAKE_LOG"
for ((i = 1; i <= $#; i++)); do
  if [ "${!i}" = "--jq" ]; then j=$((i + 1)); jq -r "${!j}" "$FAKE_DATA"; exit 0; fi
  if [[ "${!i}" == body=@* ]]; then f="${!i}"; cp "${f#body=@}" "$FAKE_LOG.body"; fi
done
exit 0
"""

FAKE_PYTHON = """#!/usr/bin/env bash
printf '%s\\n' "$@" > "$FAKE_LOG.python"
"""


@pytest.fixture
def fake_tools(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in (("gh", FAKE_GH), ("python", FAKE_PYTHON)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    log = tmp_path / "calls.log"

    def run(script: str, *, data: list[dict] | None = None, env: dict | None = None):
        (tmp_path / "data.json").write_text(json.dumps(data or []))
        environment = {
            **os.environ,
            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "FAKE_LOG": str(log),
            "FAKE_DATA": str(tmp_path / "data.json"),
            "GITHUB_REPOSITORY": REPO,
            "GH_TOKEN": "fake",
            **(env or {}),
        }
        done = subprocess.run(["bash", "-eo", "pipefail", "-c", script], cwd=tmp_path, env=environment,
                              capture_output=True, text=True, timeout=30)  # fmt: skip
        assert done.returncode == 0, done.stderr
        return log.read_text().splitlines() if log.exists() else []

    run.folder = tmp_path  # type: ignore[attr-defined]
    return run


def report(folder: Path) -> str:
    text = f"{REPORT_MARKER}\n### Preview `pr-7` from git abc1234\n\n| Demo | Space | Status |\n"
    (folder / "report.md").write_text(text)
    return text


def test_the_comment_is_added_once_then_edited_in_place(fake_tools):
    text = report(fake_tools.folder)
    script = f"bash {COMMENT_SCRIPT} report.md"
    comments = [
        {"id": 11, "user": {"login": "a-reviewer"}, "body": f"{REPORT_MARKER} quoted by a person"},
        {"id": 12, "user": {"login": "github-actions[bot]"}, "body": "another bot message"},
    ]

    calls = fake_tools(script, data=comments, env={"PR": "7"})
    assert calls[-1] == f"api --method POST repos/{REPO}/issues/7/comments -F body=@report.md"
    assert (fake_tools.folder / "calls.log.body").read_text() == text

    comments.append({"id": 13, "user": {"login": "github-actions[bot]"}, "body": text})
    calls = fake_tools(script, data=comments, env={"PR": "7"})
    assert calls[-1] == f"api --method PATCH repos/{REPO}/issues/comments/13 -F body=@report.md"


def test_the_daily_prune_keeps_the_open_pull_requests_previews(fake_tools):
    _, jobs = workflow()
    step = jobs["prune-previews"]["steps"][-1]
    assert step["shell"] == "bash" and step["env"]["HF_TOKEN"] == "${{ secrets.HF_TOKEN }}"
    script = step["run"].replace("$SPACES_NAMESPACE", "org")

    for open_prs, kept in (([{"number": 3}, {"number": 15}], ["pr-3", "pr-15"]), ([], [])):
        fake_tools(script, data=open_prs)
        argv = (fake_tools.folder / "calls.log.python").read_text().splitlines()
        assert argv[0] == "scripts/deploy.py"
        args = _parser().parse_args(argv[1:])
        assert (args.prune_previews, args.older_than, args.keep) == (True, "7d", kept)
