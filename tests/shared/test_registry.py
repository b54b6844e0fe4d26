"""The registry file: validated as a whole on load, overridable with SUITE_REGISTRY."""

from __future__ import annotations

import re

import shared
from shared import RegistryError, UnknownNameError
from shared.registry import DEFAULT_REGISTRY, SHA_PATTERN, get_registry, load_registry

import pytest

SHA = "714eb0fa89d2f80546fda750413ed43d93601a13"
GOOD = f"""
sentiment-model:
  type: model
  repo: distilbert/distilbert-base-uncased-finetuned-sst-2-english
  revision: {SHA}
  files: [config.json, model.safetensors]
"""


def write(tmp_path, text):
    path = tmp_path / "registry.yaml"
    path.write_text(text)
    return path


def test_the_suite_registry_is_valid_and_fully_pinned():
    registry = load_registry(DEFAULT_REGISTRY)
    assert len(registry) >= 7
    for entry in registry:
        # Pinned to a full sha, or one of our own artifacts waiting for `scripts/publish.py`.
        assert SHA_PATTERN.match(entry.revision or "") or (entry.publish and not entry.published), entry.name
        if entry.repo_type == "model":
            assert any(f.endswith(".safetensors") for f in entry.files), entry.name


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("revision: " + SHA, "revision: main"), "revision 'main' is a branch or tag name, which moves; pin the full 40-hex commit sha"),
        (("revision: " + SHA, "revision: v1.0"), "revision 'v1.0' is a branch or tag name"),
        (("revision: " + SHA, "revision: 714eb0f"), "revision '714eb0f' is a short sha; write the full 40-hex commit sha"),
        (("revision: " + SHA, "revision: " + SHA.upper()), "must be lowercase"),
        (("revision: " + SHA, "revision: 1234567"), "revision must be a quoted 40-hex commit sha, not 1234567"),
        (("files: [config.json, model.safetensors]", "files: [config.json, pytorch_model.bin]"), "pytorch_model.bin: the suite loads safetensors weights only"),
        (("files: [config.json, model.safetensors]", "files: [config.json]"), "a model must list its .safetensors weights"),
        (("files: [config.json, model.safetensors]", "files: []"), "files must be a non-empty list"),
        (("files: [config.json, model.safetensors]", "files: [../x.safetensors]"), "must be a path inside the repo"),
        (("type: model", "type: space"), "type must be one of model, dataset"),
        (("repo: distilbert/", "repo: not-a-repo-id-"), "repo must be a Hub repo id"),
        (("sentiment-model:", "Sentiment_Model:"), "names are lowercase kebab-case"),
        (("  files:", "  revison: x\n  files:"), "unknown key(s) revison"),
    ],
)  # fmt: skip
def test_rule_breaks_are_one_line_errors_naming_file_and_entry(tmp_path, change, message):
    path = write(tmp_path, GOOD.replace(*change, 1))
    with pytest.raises(RegistryError) as error:
        load_registry(path)
    assert message in str(error.value)
    assert str(path) in str(error.value) and "\n" not in str(error.value)


def test_a_duplicate_name_is_an_error(tmp_path):
    path = write(tmp_path, GOOD + GOOD)
    with pytest.raises(RegistryError, match=r"line 8: 'sentiment-model' is defined twice"):
        load_registry(path)


def test_invalid_yaml_names_the_line(tmp_path):
    with pytest.raises(RegistryError, match=r"is not valid YAML at line \d+"):
        load_registry(write(tmp_path, GOOD + "  files: [unclosed\n"))


def test_an_unknown_name_suggests_the_closest(monkeypatch, tmp_path):
    monkeypatch.setenv("SUITE_REGISTRY", str(write(tmp_path, GOOD)))
    with pytest.raises(UnknownNameError, match=re.escape("'sentiment-modle' is not in the registry")) as error:
        shared.entry("sentiment-modle")
    assert "did you mean 'sentiment-model'?" in str(error.value)


def test_the_override_replaces_the_registry_and_is_reread_when_edited(monkeypatch, tmp_path):
    path = write(tmp_path, GOOD)
    monkeypatch.setenv("SUITE_REGISTRY", str(path))
    assert list(get_registry().entries) == ["sentiment-model"]

    path.write_text(GOOD.replace("sentiment-model", "other-model") + "\n")
    assert list(get_registry().entries) == ["other-model"]


def test_a_missing_override_file_is_one_line(monkeypatch, tmp_path):
    monkeypatch.setenv("SUITE_REGISTRY", str(tmp_path / "nope.yaml"))
    with pytest.raises(RegistryError, match=r"nope.yaml \(from \$SUITE_REGISTRY\) does not exist"):
        get_registry()


def test_embedding_conventions_are_validated(tmp_path):
    text = GOOD + "  embedding:\n    pooling: max\n"
    with pytest.raises(RegistryError, match="pooling must be one of mean, cls"):
        load_registry(write(tmp_path, text))
    conventions = load_registry(write(tmp_path, GOOD + '  embedding:\n    query_prefix: "query: "\n'))
    assert conventions["sentiment-model"].embedding.query_prefix == "query: "


CANDIDATE_SHA = "af0f99b0" + "1" * 32


def test_a_candidate_is_the_entry_at_another_pin_under_name_at_candidate(tmp_path, monkeypatch):
    path = write(tmp_path, GOOD + f"  candidate: someone/sst2-retrained@{CANDIDATE_SHA}\n")
    monkeypatch.setenv("SUITE_REGISTRY", str(path))
    registry = get_registry()
    candidate = shared.entry("sentiment-model@candidate")

    assert registry.versions("sentiment-model") == ["sentiment-model", "sentiment-model@candidate"]
    assert "sentiment-model@candidate" in registry and "sentiment-model" in registry
    assert (candidate.repo_id, candidate.revision) == ("someone/sst2-retrained", CANDIDATE_SHA)
    assert candidate.files == registry["sentiment-model"].files and candidate.is_candidate
    assert candidate.base_name == "sentiment-model" and candidate.candidate is None
    assert [e.name for e in registry] == ["sentiment-model"]  # iterating gives the entries themselves


def test_without_a_candidate_the_candidate_name_says_how_to_add_one(tmp_path, monkeypatch):
    monkeypatch.setenv("SUITE_REGISTRY", str(write(tmp_path, GOOD)))
    assert shared.versions("sentiment-model") == ["sentiment-model"]
    assert "sentiment-model@candidate" not in get_registry()
    with pytest.raises(UnknownNameError, match=re.escape("sentiment-model has no candidate version: add `candidate:")):
        shared.entry("sentiment-model@candidate")


@pytest.mark.parametrize(
    ("candidate", "message"),
    [
        (f"not-a-repo@{CANDIDATE_SHA}", "candidate: repo must be a Hub repo id"),
        ("someone/x@main", "candidate: revision 'main' is a branch or tag name"),
        ("someone/x@af0f99b", "candidate: revision 'af0f99b' is a short sha"),
        (CANDIDATE_SHA, "candidate must be 'namespace/name@<40-hex commit sha>'"),
        (f"distilbert/distilbert-base-uncased-finetuned-sst-2-english@{SHA}", "the candidate is the pinned revision itself"),
    ],
)  # fmt: skip
def test_bad_candidates_are_one_line_errors(tmp_path, candidate, message):
    with pytest.raises(RegistryError, match=re.escape(message)):
        load_registry(write(tmp_path, GOOD + f"  candidate: {candidate}\n"))


def test_a_candidate_needs_a_pinned_entry(tmp_path):
    text = (
        f"digits-model:\n  type: model\n  publish: digits-model\n  files: [model.safetensors]\n  candidate: a/b@{SHA}\n"
    )
    with pytest.raises(RegistryError, match="a candidate needs the entry pinned first"):
        load_registry(write(tmp_path, text))
