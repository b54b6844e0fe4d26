"""`transformers` and `datasets`, unmodified, load pinned revisions from the local Hub."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.harness.builders import parquet_bytes, tiny_sentiment_model

SST2_PIN = "714eb0fa89d2f80546fda750413ed43d93601a13"


@pytest.fixture(scope="session")
def tiny_sentiment(tmp_path_factory) -> Path:
    return tiny_sentiment_model(tmp_path_factory.mktemp("tiny-sentiment"))


@pytest.fixture
def pinned_model(local_hub, repo_id, tiny_sentiment) -> tuple[str, str]:
    local_hub.publish_snapshot(repo_id, tiny_sentiment, commit_id=SST2_PIN)
    # A later commit on main that must not leak into loads of the pinned revision.
    local_hub.publish_snapshot(repo_id, {**{p.name: p for p in tiny_sentiment.iterdir()}, "config.json": "{broken"})
    return repo_id, SST2_PIN


def test_from_pretrained_at_a_pinned_revision(pinned_model, fresh_hf_cache):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    repo_id, sha = pinned_model

    model = AutoModelForSequenceClassification.from_pretrained(repo_id, revision=sha, use_safetensors=True)
    tokenizer = AutoTokenizer.from_pretrained(repo_id, revision=sha)

    assert model.config.id2label == {0: "NEGATIVE", 1: "POSITIVE"}
    assert tokenizer("good movie")["input_ids"][0] == tokenizer.cls_token_id


def test_pipeline_at_a_pinned_revision(pinned_model, fresh_hf_cache, local_hub):
    from transformers import pipeline

    repo_id, sha = pinned_model

    with local_hub.record() as log:
        classifier = pipeline("text-classification", model=repo_id, revision=sha, top_k=None)
    scores = classifier("a great film")[0]

    assert {s["label"] for s in scores} == {"NEGATIVE", "POSITIVE"}
    assert sum(s["score"] for s in scores) == pytest.approx(1.0)
    assert all(f"/{sha}/" in e["path"] or e["path"].endswith(sha) or "agent-harnesses" in e["path"] for e in log)


def test_a_repo_without_safetensors_is_refused_when_safetensors_are_required(
    local_hub, repo_id, tiny_sentiment, tmp_path, fresh_hf_cache
):
    import torch
    from transformers import AutoModelForSequenceClassification

    model = AutoModelForSequenceClassification.from_pretrained(tiny_sentiment)
    torch.save(model.state_dict(), tmp_path / "pytorch_model.bin")
    local_hub.publish_snapshot(
        repo_id, {"config.json": tiny_sentiment / "config.json", "pytorch_model.bin": tmp_path / "pytorch_model.bin"}
    )

    with pytest.raises(OSError, match="safetensors"):
        AutoModelForSequenceClassification.from_pretrained(repo_id, use_safetensors=True)


def test_load_dataset_parquet_at_a_pinned_revision(local_hub, repo_id, fresh_hf_cache):
    import datasets

    old = local_hub.publish_snapshot(
        repo_id,
        {"data/validation-00000-of-00001.parquet": parquet_bytes({"sentence": ["old"], "label": [0]})},
        repo_type="dataset",
        commit_id="8d51e7e4887a4caaa95b3fbebbf53c0490b58bbb",
    )
    new = local_hub.publish_snapshot(
        repo_id,
        {"data/validation-00000-of-00001.parquet": parquet_bytes({"sentence": ["new", "newer"], "label": [1, 1]})},
        repo_type="dataset",
    )

    # By sha, as the suite always loads (a branch makes datasets ask the dataset viewer, another host).
    pinned = datasets.load_dataset(repo_id, revision=old, split="validation")
    latest = datasets.load_dataset(repo_id, revision=new, split="validation")

    assert pinned["sentence"] == ["old"]
    assert latest["sentence"] == ["new", "newer"]


def test_load_dataset_jsonl_at_a_pinned_revision(local_hub, repo_id, fresh_hf_cache):
    import datasets

    rows = [{"text": "a", "label": 0}, {"text": "b", "label": 1}]
    sha = local_hub.publish_snapshot(
        repo_id,
        {"train.jsonl": "".join(json.dumps(r) + "\n" for r in rows), "README.md": "---\nlicense: cc0-1.0\n---\n"},
        repo_type="dataset",
    )

    dataset = datasets.load_dataset(repo_id, revision=sha, split="train")

    assert dataset.to_list() == rows


def test_streaming_a_dataset_at_a_pinned_revision(local_hub, repo_id):
    import datasets

    sha = local_hub.publish_snapshot(
        repo_id,
        {"data/test-00000-of-00001.parquet": parquet_bytes({"text": [f"row {i}" for i in range(50)]})},
        repo_type="dataset",
    )

    stream = datasets.load_dataset(repo_id, revision=sha, split="test", streaming=True)

    assert [row["text"] for row in stream.take(3)] == ["row 0", "row 1", "row 2"]
