"""The environment every test runs in: the local Hub as `HF_ENDPOINT`, a private `HF_HOME`, no
telemetry, no analytics, no Xet, no stray tokens, and a subprocess environment with the same."""

from __future__ import annotations

import os
from pathlib import Path

from scripts import REPO_ROOT
from tests.harness import network

__all__ = ["REPO_ROOT", "SITE_DIR", "configure", "subprocess_env"]

SITE_DIR = Path(__file__).resolve().parent / "site"

# Variables that would make a test talk to the real Hub or depend on the developer's machine.
_REMOVED = (
    "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE",
    "HF_DATASETS_OFFLINE", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "TRANSFORMERS_CACHE", "HF_DATASETS_CACHE",
    "HF_XET_CACHE", "SPACES_ZERO_GPU", "SPACE_ID", "SYSTEM", "SUITE_FEEDBACK_REPO", "SUITE_FEEDBACK_TOKEN",
)  # fmt: skip


def configure(*, hub_url: str, hf_home: Path, network_log: Path, feedback: Path) -> None:
    """Point this process (and the subprocesses it starts) at the local Hub.

    Must run before `huggingface_hub` is imported: it reads these variables at import time.
    """
    for name in _REMOVED:
        os.environ.pop(name, None)
    os.environ.update(
        HF_ENDPOINT=hub_url,
        HF_HOME=str(hf_home),
        HF_HUB_DISABLE_TELEMETRY="1",
        HF_HUB_DISABLE_XET="1",
        GRADIO_ANALYTICS_ENABLED="False",
        # datasets pings an S3 bucket to count downloads, and swallows the error when it fails.
        HF_UPDATE_DOWNLOAD_COUNTS="0",
        DISABLE_SAFETENSORS_CONVERSION="1",
        TOKENIZERS_PARALLELISM="false",
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
        # Verdicts given in tests go here, not into the demo folders.
        SUITE_FEEDBACK_DIR=str(feedback),
        **{network.LOG_ENV: str(network_log)},
    )


def subprocess_env(**extra: str) -> dict[str, str]:
    """The environment for a Python subprocess of a test: same Hub, same guard, repo importable."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SITE_DIR), str(REPO_ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.update(extra)
    return env
