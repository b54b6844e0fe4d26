"""Space management: settings, simulated runtime stages, logs and identity."""

from __future__ import annotations

import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError

README = "---\ntitle: Demo\nemoji: 🤖\ncolorFrom: blue\ncolorTo: green\nsdk: gradio\napp_file: app.py\n---\n"


@pytest.fixture
def space(hf_api, repo_id) -> str:
    hf_api.create_repo(repo_id, repo_type="space", space_sdk="gradio")
    hf_api.upload_file(path_or_fileobj=README.encode(), path_in_repo="README.md", repo_id=repo_id, repo_type="space")
    hf_api.upload_file(path_or_fileobj=b"import gradio\n", path_in_repo="app.py", repo_id=repo_id, repo_type="space")
    return repo_id


def test_whoami_names_the_user_and_organisations(hf_api, read_token, local_hub):
    me = hf_api.whoami()
    reader = HfApi(endpoint=local_hub.url, token=read_token).whoami()

    assert me["name"] == "local-user"
    assert [org["name"] for org in me["orgs"]] == ["test-org"]
    assert me["auth"]["accessToken"]["role"] == "write"
    assert reader["auth"]["accessToken"]["role"] == "read"


def test_a_space_with_its_app_file_is_running(hf_api, space):
    runtime = hf_api.get_space_runtime(space)

    assert runtime.stage == "RUNNING"
    assert runtime.hardware == "cpu-basic"
    assert hf_api.space_info(space).runtime.stage == "RUNNING"


def test_secrets_are_write_only(hf_api, space, local_hub):
    hf_api.add_space_secret(space, "TOKEN_FOR_APP", "value-1", description="used by the app")
    hf_api.add_space_secret(space, "TOKEN_FOR_APP", "value-2")

    assert local_hub.space_secret_matches(space, "TOKEN_FOR_APP", "value-2")
    assert not local_hub.space_secret_matches(space, "TOKEN_FOR_APP", "value-1")
    hf_api.delete_space_secret(space, "TOKEN_FOR_APP")
    assert not local_hub.space_secret_matches(space, "TOKEN_FOR_APP", "value-2")


def test_invalid_secret_keys_are_refused(hf_api, space):
    with pytest.raises(HfHubHTTPError) as error:
        hf_api.add_space_secret(space, "1-BAD KEY", "x")

    assert error.value.response.status_code == 400


def test_variables_round_trip(hf_api, space):
    hf_api.add_space_variable(space, "MODEL_REVISION", "abc", description="pinned")
    hf_api.add_space_variable(space, "THEME", "dark")
    hf_api.delete_space_variable(space, "THEME")

    variables = hf_api.get_space_variables(space)

    assert list(variables) == ["MODEL_REVISION"]
    assert (variables["MODEL_REVISION"].value, variables["MODEL_REVISION"].description) == ("abc", "pinned")


def test_hardware_request_and_sleep_time(hf_api, space):
    requested = hf_api.request_space_hardware(space, "zero-a10g")
    slept = hf_api.set_space_sleep_time(space, 3600)

    assert requested.requested_hardware == "zero-a10g"
    assert hf_api.get_space_runtime(space).hardware == "zero-a10g"
    assert slept.sleep_time == 3600
    with pytest.raises(HfHubHTTPError):
        hf_api.request_space_hardware(space, "not-a-flavor")


def test_pause_and_restart(hf_api, space):
    assert hf_api.pause_space(space).stage == "PAUSED"
    assert hf_api.get_space_runtime(space).stage == "PAUSED"
    assert hf_api.restart_space(space).stage == "RUNNING"
    assert hf_api.restart_space(space, factory_reboot=True).stage == "RUNNING"


def test_a_build_takes_time_and_then_runs(hf_api, space, local_hub):
    local_hub.script_space(space, stage="RUNNING", build_seconds=0.6)
    hf_api.restart_space(space)

    assert hf_api.get_space_runtime(space).stage == "BUILDING"
    assert hf_api.wait_for_space(space, timeout=10, poll_interval=0.2).stage == "RUNNING"


def test_a_scripted_build_error_shows_in_runtime_and_logs(hf_api, space, local_hub):
    local_hub.script_space(
        space, stage="BUILD_ERROR", error="pip failed", logs=["ERROR: No matching distribution for torch==9.9"]
    )
    hf_api.upload_file(
        path_or_fileobj=b"import gradio as gr\n", path_in_repo="app.py", repo_id=space, repo_type="space"
    )

    runtime = hf_api.get_space_runtime(space)
    build_log = "".join(hf_api.fetch_space_logs(space, build=True))

    assert runtime.stage == "BUILD_ERROR"
    assert runtime.raw["errorMessage"] == "pip failed"
    assert "No matching distribution for torch==9.9" in build_log


def test_run_logs_of_a_running_space(hf_api, space):
    assert "Running on local URL" in "".join(hf_api.fetch_space_logs(space))


def test_a_space_without_its_app_file(hf_api, repo_id):
    hf_api.create_repo(repo_id, repo_type="space", space_sdk="gradio")

    assert hf_api.get_space_runtime(repo_id).stage == "NO_APP_FILE"


def test_the_readme_sdk_becomes_the_space_sdk(hf_api, space):
    hf_api.upload_file(
        path_or_fileobj=README.replace("sdk: gradio", "sdk: docker").encode(),
        path_in_repo="README.md",
        repo_id=space,
        repo_type="space",
    )

    assert hf_api.space_info(space).sdk == "docker"
    assert hf_api.get_space_runtime(space).stage == "NO_APP_FILE"  # docker Spaces need a Dockerfile


def test_duplicate_space(hf_api, space):
    url = hf_api.duplicate_repo(space, f"{space}-copy", repo_type="space")

    assert url.repo_id == f"{space}-copy"
    assert sorted(hf_api.list_repo_files(f"{space}-copy", repo_type="space")) == [
        ".gitattributes",
        "README.md",
        "app.py",
    ]


def test_list_spaces_by_author(hf_api, space):
    assert space in [s.id for s in hf_api.list_spaces(author="local-user")]
