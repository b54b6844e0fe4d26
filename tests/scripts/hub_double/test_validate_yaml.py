"""README front matter is validated on `/api/validate-yaml` and on commits, as on the Hub."""

from __future__ import annotations

import pytest
from huggingface_hub import SpaceCard
from huggingface_hub.errors import HfHubHTTPError

GOOD = {
    "title": "Sentiment",
    "emoji": "😊",
    "colorFrom": "indigo",
    "colorTo": "pink",
    "sdk": "gradio",
    "sdk_version": "6.31.0",
    "python_version": "3.12",
    "app_file": "app.py",
    "short_description": "Is this review positive or negative?",
    "license": "apache-2.0",
    "models": ["distilbert/distilbert-base-uncased-finetuned-sst-2-english"],
    "preload_from_hub": [
        "distilbert/distilbert-base-uncased-finetuned-sst-2-english config.json 714eb0fa89d2f80546fda750413ed43d93601a13"
    ],
    "suggested_hardware": "t4-small",
    "pinned": False,
}


def _card(**changes: object) -> str:
    import yaml

    data = {**GOOD, **changes}
    data = {k: v for k, v in data.items() if v is not None}
    return "---\n" + yaml.safe_dump(data, allow_unicode=True, sort_keys=False) + "---\n# Demo\n"


def test_a_complete_space_card_is_valid(hf_api):
    hf_api._validate_yaml(_card(), repo_type="space")


def test_space_card_validate_asks_the_server(local_hub):
    SpaceCard(_card()).validate(repo_type="space")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sdk": "streamlit-ish"}, '"sdk" must be one of'),
        ({"sdk": None}, '"sdk" is required'),
        ({"colorFrom": "orange"}, '"colorFrom" must be one of'),
        ({"colorTo": "#ff0000"}, '"colorTo" must be one of'),
        ({"emoji": "smile"}, '"emoji" must be a single emoji'),
        ({"emoji": "😊😊"}, '"emoji" must be a single emoji'),
        ({"suggested_hardware": "zero-a10g"}, "ZeroGPU is assigned in the Space settings"),
        ({"suggested_hardware": "tpu-v9"}, '"suggested_hardware" must be one of'),
        ({"short_description": "x" * 61}, "at most 60 characters"),
        ({"python_version": 3.1}, '"python_version" must be a quoted version string'),
        ({"sdk_version": 6}, '"sdk_version" must be a version string'),
        ({"app_file": "../app.py"}, '"app_file" must be a relative path'),
        ({"license": "do-what-you-want"}, '"license" must be a license identifier'),
        ({"preload_from_hub": ["org/model files abc123"]}, '"preload_from_hub" must be a list'),
        ({"pinned": "yes"}, '"pinned" must be true or false'),
    ],
)
def test_bad_space_metadata_is_refused(hf_api, change, message):
    with pytest.raises(ValueError, match=r"Invalid metadata in README\.md") as error:
        hf_api._validate_yaml(_card(**change), repo_type="space")

    assert message in str(error.value)


@pytest.mark.parametrize("emoji", ["🚀", "👩‍💻", "👍🏽", "🇫🇷", "❤️"])
def test_emoji_sequences_count_as_one_emoji(hf_api, emoji):
    hf_api._validate_yaml(_card(emoji=emoji), repo_type="space")


def test_broken_yaml_is_refused(hf_api):
    with pytest.raises(ValueError, match="Invalid YAML"):
        hf_api._validate_yaml("---\ntitle: [unclosed\n---\n", repo_type="model")


def test_model_card_without_metadata_only_warns(hf_api):
    with pytest.warns(UserWarning, match="Empty metadata"):
        hf_api._validate_yaml("# A model\n", repo_type="model")


def test_a_commit_with_a_bad_space_readme_is_refused_and_changes_nothing(hf_api, repo_id):
    hf_api.create_repo(repo_id, repo_type="space", space_sdk="gradio")
    head = hf_api.space_info(repo_id).sha

    # upload_file validates first on the client side; the server refuses on its own too.
    with pytest.raises((ValueError, HfHubHTTPError), match="colorFrom"):
        hf_api.upload_file(
            path_or_fileobj=_card(colorFrom="orange").encode(),
            path_in_repo="README.md",
            repo_id=repo_id,
            repo_type="space",
        )

    assert hf_api.space_info(repo_id).sha == head


def test_the_commit_endpoint_refuses_bad_metadata_by_itself(hf_api, repo_id, local_hub, hub_token):
    import base64

    from huggingface_hub.utils import get_session

    hf_api.create_repo(repo_id, repo_type="space", space_sdk="gradio")
    content = base64.b64encode(_card(sdk="flask").encode()).decode()
    payload = (
        '{"key":"header","value":{"summary":"bad readme"}}\n'
        f'{{"key":"file","value":{{"path":"README.md","content":"{content}","encoding":"base64"}}}}\n'
    )

    response = get_session().post(
        f"{local_hub.url}/api/spaces/{repo_id}/commit/main",
        content=payload.encode(),
        headers={"Authorization": f"Bearer {hub_token}"},
    )

    assert response.status_code == 400 and '"sdk" must be one of' in response.json()["error"]
