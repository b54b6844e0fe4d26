"""scripts/publish.py into the local Hub: one commit per artifact, semantic-version tags, pins in
the registry, no-op re-publish, dry run, and what an unpublished entry says everywhere."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from shared.registry import DEFAULT_REGISTRY, load_registry

import numpy as np
import pytest
import yaml

from scripts._publish import artifacts
from scripts.publish import PublishError, main, publish_artifact
from tests.harness.hub import REPO_ROOT, subprocess_env

NS = "test-org"
NOT_PUBLISHED = "digits-model is not published yet: run `python scripts/publish.py digits-model --namespace NAMESPACE`"


@pytest.fixture(scope="module")
def registry_copy(tmp_path_factory) -> Path:
    """A copy of the repo's registry, where nothing of ours is published yet."""
    path = tmp_path_factory.mktemp("publish") / "registry.yaml"
    shutil.copy(DEFAULT_REGISTRY, path)
    return path


@pytest.fixture(scope="module")
def published(sandbox, registry_copy):
    """Every artifact published to test-org, then published again."""
    from huggingface_hub import HfApi

    api = HfApi(token=sandbox.token)
    first = {c: publish_artifact(c, namespace=NS, api=api, registry_file=registry_copy) for c in artifacts_order()}
    again = {c: publish_artifact(c, namespace=NS, api=api, registry_file=registry_copy) for c in artifacts_order()}
    return api, first, again


def artifacts_order() -> list[str]:
    return ["digits-data", "digits-model", "sample-media"]


def card(api, repo_id: str, repo_type: str, revision: str) -> dict:
    from huggingface_hub import hf_hub_download

    text = Path(hf_hub_download(repo_id, "README.md", repo_type=repo_type, revision=revision)).read_text()
    return yaml.safe_load(text.split("---")[1])


def test_each_artifact_is_one_commit_tagged_v1_and_pinned(published, registry_copy):
    api, first, _ = published
    pins = load_registry(registry_copy)
    for command, result in first.items():
        assert (result.status, result.tag) == ("published", "v1.0.0"), command
        assert (pins[command].repo_id, pins[command].revision) == (result.repo_id, result.commit)
        history = api.list_repo_commits(result.repo_id, repo_type=result.repo_type)
        assert history[0].commit_id == result.commit and history[0].title.startswith(f"Publish {command} v1.0.0")
        files = {f for f in api.list_repo_files(result.repo_id, repo_type=result.repo_type, revision=result.commit)}
        assert set(pins[command].files) | {"README.md"} <= files
    assert first["digits-model"].repo_id == f"{NS}/digits-classifier"


def test_the_model_reloads_by_its_pinned_sha_and_reaches_its_carded_accuracy(published, registry_copy):
    from shared.models import DigitClassifier

    api, first, _ = published
    model_pin, data_pin = load_registry(registry_copy)["digits-model"], load_registry(registry_copy)["digits-data"]
    model = DigitClassifier.from_pretrained(model_pin.repo_id, revision=model_pin.revision).eval()
    meta = card(api, model_pin.repo_id, "model", model_pin.revision)
    assert meta["license"] == "apache-2.0" and meta["library_name"] == "pytorch"
    assert meta["datasets"] == [data_pin.repo_id] and meta["metrics"] == ["accuracy"]
    [result] = meta["model-index"][0]["results"]
    assert result["dataset"]["revision"] == data_pin.revision
    carded = result["metrics"][0]["value"]

    test_grids, test_labels = artifacts.digits_split()["test"]
    accuracy = float(np.mean(model.probabilities(test_grids).argmax(-1).numpy() == test_labels))
    assert accuracy >= 0.95 and round(accuracy, 4) == carded
    assert "accuracy" in first["digits-model"].summary


def test_the_data_and_media_cards_name_their_sources_and_licences(published):
    api, first, _ = published
    digits = card(api, first["digits-data"].repo_id, "dataset", first["digits-data"].commit)
    media = card(api, first["sample-media"].repo_id, "dataset", first["sample-media"].commit)
    assert digits["license"] == "cc-by-4.0" and [s["split"] for s in digits["configs"][0]["data_files"]] == [
        "train", "test"
    ]  # fmt: skip
    assert media["license"] == "cc0-1.0" and [c["config_name"] for c in media["configs"]] == ["photos", "speech"]


def test_the_speech_clips_are_wav_with_their_transcripts(published):
    import datasets
    from huggingface_hub import hf_hub_download

    _, first, _ = published
    path = hf_hub_download(first["sample-media"].repo_id, "data/speech-00000-of-00001.parquet",
                           repo_type="dataset", revision=first["sample-media"].commit)  # fmt: skip
    rows = datasets.Dataset.from_parquet(path).cast_column("audio", datasets.Audio(decode=False))
    assert list(rows["transcript"]) == list(artifacts.SPEECH.values())
    assert all(row["audio"]["bytes"].startswith(b"RIFF") for row in rows)


def test_publishing_the_same_content_again_makes_no_commit_and_no_tag(published):
    api, first, again = published
    for command, result in again.items():
        assert (result.status, result.commit, result.tag) == ("unchanged", first[command].commit, "v1.0.0"), command
        assert not result.registry_changed
        refs = api.list_repo_refs(result.repo_id, repo_type=result.repo_type)
        assert [t.name for t in refs.tags] == ["v1.0.0"]


def test_changed_content_gets_the_next_version_and_a_tag_is_never_moved(published, registry_copy, monkeypatch):
    api, first, _ = published
    repo_id = first["sample-media"].repo_id
    monkeypatch.setitem(artifacts.SPEECH, "extra.wav", "One more clip.")

    bumped = publish_artifact("sample-media", namespace=NS, api=api, registry_file=registry_copy, bump="patch")

    assert (bumped.status, bumped.tag) == ("published", "v1.0.1")
    assert [(c.kind, c.path) for c in bumped.changes] == [
        ("changed", "README.md"), ("changed", "data/speech-00000-of-00001.parquet")
    ]  # fmt: skip
    assert load_registry(registry_copy)["sample-media"].revision == bumped.commit
    # Someone tagged v1.1.0 by hand on the first commit: versions only grow, no tag moves.
    api.create_tag(repo_id, repo_type="dataset", tag="v1.1.0", revision=first["sample-media"].commit)
    monkeypatch.setitem(artifacts.SPEECH, "extra.wav", "Yet another clip.")

    minor = publish_artifact("sample-media", namespace=NS, api=api, registry_file=registry_copy)

    tags = {t.name: t.target_commit for t in api.list_repo_refs(repo_id, repo_type="dataset").tags}
    assert tags == {
        "v1.0.0": first["sample-media"].commit,
        "v1.0.1": bumped.commit,
        "v1.1.0": first["sample-media"].commit,
        "v1.2.0": minor.commit,
    }


def test_a_dry_run_builds_and_compares_but_writes_nothing(sandbox, registry_copy, tmp_path, capsys):
    fresh = tmp_path / "registry.yaml"
    shutil.copy(DEFAULT_REGISTRY, fresh)
    before = fresh.read_text()

    with sandbox.record() as log:
        assert main(["sample-media", "--namespace", "local-user", "--registry", str(fresh), "--dry-run"]) == 0

    assert fresh.read_text() == before
    assert {p.split()[0] for p in log.paths()} <= {"GET"}
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("sample-media: would ") and "local-user/sample-media" in out[0]


def test_the_model_needs_its_data_published_first(sandbox, tmp_path):
    from huggingface_hub import HfApi

    fresh = tmp_path / "registry.yaml"
    shutil.copy(DEFAULT_REGISTRY, fresh)

    with pytest.raises(PublishError) as error:
        publish_artifact("digits-model", namespace=NS, api=HfApi(token=sandbox.token), registry_file=fresh)

    assert str(error.value) == (
        "digits-model is built from digits-data, which is not published yet: "
        "run `python scripts/publish.py digits-data --namespace NAMESPACE`"
    )


def test_an_unpublished_entry_says_what_to_run_in_the_loader(monkeypatch):
    import shared

    monkeypatch.setenv("SUITE_REGISTRY", str(DEFAULT_REGISTRY))
    with pytest.raises(shared.NotPublishedError) as error:
        shared.load_model("digits-model")
    assert str(error.value) == NOT_PUBLISHED


def test_an_unpublished_entry_says_what_to_run_in_the_app(sandbox):
    env = subprocess_env(SUITE_REGISTRY=str(DEFAULT_REGISTRY))
    done = subprocess.run([sys.executable, "spaces/digits/app.py"], cwd=REPO_ROOT, env=env, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == f"error: {NOT_PUBLISHED}"


def test_an_unpublished_entry_is_a_deploy_refusal(sandbox, monkeypatch):
    from scripts.deploy import deploy

    monkeypatch.setenv("SUITE_REGISTRY", str(DEFAULT_REGISTRY))
    [result] = deploy(["digits"], namespace=NS, token=sandbox.token, dry_run=True)

    # The first unpublished entry the app uses, in name order.
    assert (result.status, result.error) == ("refused", NOT_PUBLISHED.replace("digits-model", "digits-data"))


def test_a_retrained_model_is_published_as_the_candidate_and_adopted_by_publishing_it_again(
    published, registry_copy, monkeypatch, capsys
):
    api, _, _ = published
    monkeypatch.setenv("HF_TOKEN", api.token)
    baseline = load_registry(registry_copy)["digits-model"]
    args = ["digits-model", "--namespace", NS, "--registry", str(registry_copy)]

    assert main([*args, "--candidate", "--train-seed", "1"]) == 0

    out = capsys.readouterr().out
    pins = load_registry(registry_copy)["digits-model"]
    candidate = pins.as_candidate()
    assert (pins.repo_id, pins.revision) == (baseline.repo_id, baseline.revision)  # the pin stays
    assert candidate.repo_id == baseline.repo_id and candidate.revision != baseline.revision
    assert f"registry: pinned digits-model's candidate to {NS}/digits-classifier@{candidate.revision}" in out
    tags = {t.name: t.target_commit for t in api.list_repo_refs(baseline.repo_id).tags}
    assert tags["v1.1.0"] == candidate.revision
    assert (
        card(api, baseline.repo_id, "model", candidate.revision)["model-index"][0]["results"][0]["metrics"][0]["value"]
        >= 0.9
    )
    assert "seed 1" in api.list_repo_commits(baseline.repo_id)[0].title

    # The pinned recipe again, as the candidate: nothing to compare, said in one line.
    assert main([*args, "--candidate"]) == 1
    assert "identical to the pinned revision" in capsys.readouterr().err
    assert load_registry(registry_copy)["digits-model"].candidate == f"{baseline.repo_id}@{candidate.revision}"

    # Publishing the candidate's content without --candidate adopts it: pinned, no longer a candidate.
    assert main([*args, "--train-seed", "1"]) == 0
    adopted = load_registry(registry_copy)["digits-model"]
    assert (adopted.revision, adopted.candidate) == (candidate.revision, None)
    assert "candidate:" not in registry_copy.read_text().split("digits-model:")[1].split("\n\n")[0]


def test_train_seed_and_candidate_are_refused_where_they_mean_nothing(sandbox, registry_copy, capsys, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", sandbox.token)
    assert main(["all", "--namespace", NS, "--candidate"]) == 2
    assert main(["sample-media", "--namespace", NS, "--registry", str(registry_copy), "--train-seed", "3"]) == 1
    err = capsys.readouterr().err
    assert "--candidate and --train-seed apply to one artifact, not 'all'" in err
    assert "sample-media is not trained: --train-seed applies to digits-model only" in err
