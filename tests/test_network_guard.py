"""Nothing in the suite may reach the internet: attempts fail loudly, in-process and in subprocesses."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from tests.harness import network
from tests.harness.hub import subprocess_env


def test_connecting_outside_raises_and_is_recorded():
    with network.expect_blocked() as blocked:
        with pytest.raises(network.InternetAccessBlockedError, match="must not reach the internet"):
            socket.create_connection(("huggingface.co", 443), timeout=1)
        with pytest.raises(network.InternetAccessBlockedError):
            socket.socket().connect(("1.1.1.1", 443))

    assert blocked == ["huggingface.co", "1.1.1.1"]


def test_a_swallowed_attempt_is_still_recorded_for_the_test_to_fail():
    def version_check_that_hides_errors() -> None:
        try:  # noqa: SIM105 - written the way the code under suspicion is
            socket.getaddrinfo("pypi.org", 443)
        except Exception:  # noqa: S110 - the point: code that hides the failure
            pass

    with network.expect_blocked() as blocked:
        version_check_that_hides_errors()

    assert blocked == ["pypi.org"]


def test_the_hub_client_cannot_reach_the_real_hub():
    from huggingface_hub import HfApi

    with network.expect_blocked() as blocked, pytest.raises(network.InternetAccessBlockedError):
        HfApi(endpoint="https://huggingface.co").model_info("gpt2")

    assert blocked == ["huggingface.co"]


def test_loopback_stays_open(local_hub):
    with socket.create_connection(("127.0.0.1", int(local_hub.url.rsplit(":", 1)[1])), timeout=5):
        pass


def test_subprocesses_are_guarded_and_report_their_attempts(tmp_path):
    log = tmp_path / "network.log"
    code = "import socket; socket.create_connection(('example.com', 80), timeout=1)"

    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=subprocess_env(**{network.LOG_ENV: str(log)}),
        timeout=60,
    )

    assert result.returncode != 0
    assert "InternetAccessBlockedError" in result.stderr
    assert log.read_text().split() == ["example.com"]


def test_subprocesses_point_at_the_local_hub(local_hub):
    code = "from huggingface_hub import constants; print(constants.ENDPOINT, constants.HF_HUB_DISABLE_TELEMETRY)"

    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=subprocess_env(), timeout=60
    )

    assert result.stdout.split() == [local_hub.url, "True"]


@pytest.mark.parametrize(
    ("host", "local"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", True),
        ("10.0.0.1", False),
        ("huggingface.co", False),
    ],
)
def test_what_counts_as_local(host, local):
    assert network.is_local(host) is local
