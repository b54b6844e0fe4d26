"""`python scripts/local_hub.py` as a developer runs it: serve, persistence, tokens, log, publish."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from huggingface_hub import HfApi, hf_hub_download

from scripts.hub_double import free_port
from tests.harness.hub import REPO_ROOT, subprocess_env

SCRIPT = str(REPO_ROOT / "scripts" / "local_hub.py")


@contextmanager
def serve(*args: str) -> Iterator[tuple[str, list[str], subprocess.Popen]]:
    """Run `local_hub.py serve ARGS`; yield (url, printed lines, process); stop it with Ctrl-C."""
    process = subprocess.Popen(
        [sys.executable, SCRIPT, "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=subprocess_env(),
    )
    lines: list[str] = []
    try:
        for line in process.stdout:  # type: ignore[union-attr]
            lines.append(line.rstrip("\n"))
            if line.startswith("  use it:"):
                break
        banner = next((line for line in lines if line.startswith("Local Hub serving ")), None)
        assert banner is not None, f"server did not start: {lines}"
        yield banner.removeprefix("Local Hub serving "), lines, process
    finally:
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=20)
        lines.extend(rest.splitlines())


def test_serve_persists_repos_logs_requests_and_stops_on_ctrl_c(tmp_path):
    port, root, log = free_port(), tmp_path / "root", tmp_path / "requests.jsonl"

    with serve("--port", str(port), "--root", str(root), "--token", "cli-token", "--log", str(log)) as (
        url,
        lines,
        process,
    ):
        assert url == f"http://127.0.0.1:{port}"
        api = HfApi(endpoint=url, token="cli-token")
        api.create_repo("local-user/kept")
        sha = api.upload_file(path_or_fileobj=b"persisted\n", path_in_repo="f.txt", repo_id="local-user/kept").oid
    assert process.returncode == 0
    assert "Local Hub stopped" in lines

    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert {"method", "path", "status", "duration_ms", "bytes_in", "bytes_out"} <= set(entries[0])
    [upload] = [e for e in entries if e["method"] == "POST" and e["path"].endswith("/commit/main")]
    assert upload["bytes_in"] > len(b"persisted\n") and upload["bytes_out"] > 0
    assert ("POST", "/api/repos/create", 200) in [(e["method"], e["path"], e["status"]) for e in entries]
    assert "cli-token" not in log.read_text()

    with serve("--port", str(port), "--root", str(root), "--token", "cli-token") as (url, _, _):
        assert HfApi(endpoint=url).model_info("local-user/kept").sha == sha
        assert (
            Path(
                hf_hub_download("local-user/kept", "f.txt", revision=sha, endpoint=url, cache_dir=tmp_path / "c")
            ).read_text()
            == "persisted\n"
        )


def test_without_token_one_is_generated_and_printed(tmp_path):
    with serve("--port", str(free_port())) as (url, lines, _):
        token_line = next(line for line in lines if "write token" in line)
        token = token_line.rsplit(": ", 1)[1]
        assert HfApi(endpoint=url, token=token).whoami()["name"] == "local-user"
        assert any("temporary" in line for line in lines)


def test_fault_flags_make_requests_fail(tmp_path):
    with serve("--port", str(free_port()), "--fail-times", "1", "--fail-kinds", "503") as (url, _, _):
        from huggingface_hub.utils import get_session

        assert get_session().get(f"{url}/api/models/a/b").status_code == 503
        assert get_session().get(f"{url}/api/models/a/b").status_code == 404


def test_a_busy_port_is_a_one_line_error():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = subprocess.run(
            [sys.executable, SCRIPT, "serve", "--port", str(busy.getsockname()[1])],
            capture_output=True, text=True, env=subprocess_env(), timeout=60,
        )  # fmt: skip

    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "pass --port with a free port" in result.stderr
    assert "Traceback" not in result.stderr


def test_publish_puts_a_folder_under_a_pinned_commit(tmp_path):
    folder = tmp_path / "snapshot"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    pinned = "3f49326eb077187dfe1c2a2bb15fbd74e6ab91e3"
    root = tmp_path / "root"

    result = subprocess.run(
        [sys.executable, SCRIPT, "publish", str(folder), "--root", str(root), "--repo-id", "google/vit-base-patch16-224", "--commit", pinned],
        capture_output=True, text=True, env=subprocess_env(), timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert pinned in result.stdout

    with serve("--port", str(free_port()), "--root", str(root)) as (url, _, _):
        assert HfApi(endpoint=url).model_info("google/vit-base-patch16-224").sha == pinned


def test_publish_refuses_a_short_commit_id(tmp_path):
    result = subprocess.run(
        [sys.executable, SCRIPT, "publish", str(tmp_path), "--root", str(tmp_path / "r"), "--repo-id", "a/b", "--commit", "3f49326"],
        capture_output=True, text=True, env=subprocess_env(), timeout=60,
    )  # fmt: skip

    assert result.returncode == 2
    assert result.stderr.startswith("error: commit_id must be 40 lowercase hex characters")


@pytest.mark.parametrize("args", [["serve", "--fail-rate", "2"], ["serve", "--fail-kinds", "418"]])
def test_bad_fault_flags_are_one_line_errors(args):
    result = subprocess.run(
        [sys.executable, SCRIPT, *args], capture_output=True, text=True, env=subprocess_env(), timeout=60
    )

    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr


def test_sigterm_stops_the_server_cleanly(tmp_path):
    with serve("--port", str(free_port())) as (_, lines, process):
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)

    assert process.returncode == 0
    assert "Local Hub stopped" in lines
