"""`python scripts/deploy.py`: exact output and exit codes."""

from __future__ import annotations

import subprocess
import sys

import pytest

from scripts.deploy import main
from tests.harness.hub import REPO_ROOT, subprocess_env

pytestmark = pytest.mark.usefixtures("sandbox")
NS = "local-user"


@pytest.fixture
def cli(monkeypatch, suite, hub_token):
    """`main` on the fixture demos, with the write token in HF_TOKEN."""
    monkeypatch.setenv("HF_TOKEN", hub_token)
    monkeypatch.setattr("scripts.deploy.Suite", lambda: suite)
    return main


def test_a_deploy_ends_with_the_summary_table(cli, make_demo, hf_api, local_hub, capsys):
    name = make_demo()
    url = f"{local_hub.url}/spaces/{NS}/{name}"

    assert cli([name, "--namespace", NS]) == 0
    sha = hf_api.space_info(f"{NS}/{name}").sha[:7]
    assert cli([name, "--namespace", NS, "--wait"]) == 0

    out = capsys.readouterr()
    space = f"{NS}/{name}".ljust(len(f"{NS}/{name}"))
    header = "Space".ljust(len(space)) + "  " + "URL".ljust(len(url)) + "  Commit   Status"
    assert out.out == (
        f"\n{header}\n{space}  {url}  {sha}  created\n\n{header}\n{space}  {url}  {sha}  unchanged, RUNNING\n"
    )
    assert f"{name}: staging" in out.err and f"{name}: committing" in out.err and f"{name}: running" in out.err


def test_a_dry_run_prints_each_spaces_diff(cli, make_demo, spaces_dir, capsys):
    name = make_demo(files={"old.txt": "x"})
    cli([name, "--namespace", NS])
    (spaces_dir / name / "old.txt").unlink()
    capsys.readouterr()

    assert cli([name, "--namespace", NS, "--dry-run", "--hardware", "cpu-basic"]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[:4] == [
        f"{NS}/{name} (would update)",
        "  - old.txt",
        "  ~ requirements.txt",  # torch: the suite's version off ZeroGPU
        "  setting: hardware: zero-a10g → cpu-basic",
    ]
    assert lines[-1].endswith("would update")


def test_a_rollback_says_when_its_target_never_passed_its_smoke_tests(cli, make_demo, hf_api, capsys):
    name = make_demo(files={"v.txt": "1"})
    cli([name, "--namespace", NS])
    [tag] = [t.name for t in hf_api.list_repo_refs(f"{NS}/{name}", repo_type="space").tags]
    make_demo(name, files={"v.txt": "2"})
    cli([name, "--namespace", NS])
    capsys.readouterr()

    assert cli([name, "--namespace", NS, "--rollback", tag]) == 0

    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        f"{NS}/{name}: note: {tag} was never seen passing its smoke tests (no passed-{tag} tag): "
        "use --wait to smoke-test the Space after the rollback"
    )
    assert out[-1].endswith("rolled back")


def test_any_failed_space_makes_the_exit_code_one(cli, make_demo, capsys):
    good, bad = make_demo(), make_demo(files={".env": "A=1"})

    assert cli([good, bad, "--namespace", NS]) == 1

    out = capsys.readouterr().out
    assert f"{NS}/{bad}: spaces/{bad}/.env looks like a secrets file: remove it (use Space secrets)\n" in out
    assert out.splitlines()[-2].endswith("created") and out.splitlines()[-1].endswith("refused")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--dry-run"], "error: pass --namespace NAME (or set SUITE_SPACES_NAMESPACE)\n"),
        (["nope", "--namespace", NS], "error: no demo named nope in spaces/: choose from "),
    ],
)
def test_usage_errors_are_one_line_with_exit_code_two(cli, make_demo, capsys, monkeypatch, argv, message):
    monkeypatch.delenv("SUITE_SPACES_NAMESPACE", raising=False)
    make_demo()

    assert cli(argv) == 2
    assert capsys.readouterr().err.startswith(message)


def test_a_missing_token_is_one_line(cli, make_demo, capsys, monkeypatch):
    monkeypatch.delenv("HF_TOKEN")
    name = make_demo()

    assert cli([name, "--namespace", NS]) == 2
    assert capsys.readouterr().err.endswith(
        "error: no Hub token: set HF_TOKEN (a write token) or run 'hf auth login'\n"
    )


def test_it_runs_as_a_script():
    done = subprocess.run(
        [sys.executable, "scripts/deploy.py", "--help"],
        cwd=REPO_ROOT,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and "--rollback TAG" in done.stdout
