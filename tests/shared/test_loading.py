"""Loading by logical name: pinned revision only, cache first, safetensors only, one-line errors."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import shared
from shared import (
    ArtifactNotFoundError,
    HubAccessError,
    HubUnreachableError,
    RegistryError,
    StaleArtifactError,
    UnsafeArtifactError,
)

import pytest

from tests.shared.conftest import MODEL_FILES, model_entry


def sha() -> str:
    return secrets.token_hex(20)


def hub_unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the Hub client at a port nothing listens on (as if the Hub were down)."""
    from huggingface_hub import constants

    dead = "http://127.0.0.1:9"
    monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE", dead + "/{repo_id}/resolve/{revision}/{filename}")
    monkeypatch.setattr(constants, "ENDPOINT", dead)


@pytest.fixture
def published(local_hub, repo_id, tiny_model_folder) -> tuple[str, str]:
    """A public model repo with two commits; returns (repo id, the pinned first commit)."""
    first = local_hub.publish_snapshot(repo_id, tiny_model_folder, commit_id=sha())
    config = json.loads((tiny_model_folder / "config.json").read_text())
    changed = {**{f: tiny_model_folder / f for f in MODEL_FILES}, "config.json": json.dumps({**config, "dim": 32})}
    local_hub.publish_snapshot(repo_id, changed)
    return repo_id, first


def test_loads_the_pinned_revision_not_main(published, use_registry, fresh_hf_cache):
    repo_id, first = published
    use_registry({"tiny-model": model_entry(repo_id, first)})

    model = shared.load_model("tiny-model")

    assert model.config.dim == 16  # main has dim 32
    assert f"snapshots/{first}" in str(shared.fetch("tiny-model"))
    assert not model.training and str(model.device) == "cpu"


def test_a_warm_cache_sends_zero_requests(published, use_registry, fresh_hf_cache, local_hub):
    repo_id, first = published
    use_registry({"tiny-model": model_entry(repo_id, first)})
    shared.load_model("tiny-model")

    with local_hub.record() as log:
        shared.load_model("tiny-model")
        shared.load_tokenizer("tiny-model")
        shared.load_pipeline("tiny-model")("good")
        shared.is_stand_in("tiny-model")
    assert log.paths() == []


def test_every_demo_starts_with_zero_requests_once_cached(sandbox):
    from tests.harness.apps import load_app

    for name in ("sentiment", "semantic-search", "image-classification"):
        load_app(name)  # warms the cache (a no-op when other tests did)
        with sandbox.record() as log:
            load_app(name)
        assert log.paths() == [], name


def test_hub_unreachable_with_a_warm_cache_still_loads(published, use_registry, fresh_hf_cache, monkeypatch):
    repo_id, first = published
    use_registry({"tiny-model": model_entry(repo_id, first)})
    shared.load_model("tiny-model")

    hub_unreachable(monkeypatch)
    assert shared.load_model("tiny-model").config.dim == 16


def test_hub_unreachable_with_a_cold_cache_is_one_line(published, use_registry, fresh_hf_cache, monkeypatch):
    repo_id, first = published
    use_registry({"tiny-model": model_entry(repo_id, first)})
    hub_unreachable(monkeypatch)

    with pytest.raises(HubUnreachableError) as error:
        shared.load_model("tiny-model")

    message = str(error.value)
    assert "\n" not in message
    assert repo_id in message and first in message
    assert "cannot be reached" in message and "HF_ENDPOINT" in message


def test_offline_mode_with_a_cold_cache_says_so(published, use_registry, fresh_hf_cache, monkeypatch):
    from huggingface_hub import constants

    repo_id, first = published
    use_registry({"tiny-model": model_entry(repo_id, first)})
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)

    with pytest.raises(HubUnreachableError, match="HF_HUB_OFFLINE=1 forbids downloading"):
        shared.fetch("tiny-model")


def test_a_private_repo_without_token_is_one_line_about_the_token(
    local_hub, repo_id, tiny_model_folder, use_registry, fresh_hf_cache
):
    first = local_hub.publish_snapshot(repo_id, tiny_model_folder, commit_id=sha(), private=True)
    use_registry({"tiny-model": model_entry(repo_id, first)})

    with pytest.raises(HubAccessError, match="set HF_TOKEN to a token that can read it") as error:
        shared.load_model("tiny-model")
    assert "\n" not in str(error.value)


def test_an_invalid_token_is_one_line_about_the_token(published, use_registry, fresh_hf_cache, monkeypatch):
    repo_id, first = published
    use_registry({"tiny-model": model_entry(repo_id, first)})
    monkeypatch.setenv("HF_TOKEN", "hf_not_a_valid_token")

    with pytest.raises(HubAccessError, match="HF_TOKEN"):
        shared.fetch("tiny-model")


def test_a_gated_repo_is_one_line_about_accepting_its_terms(
    published, use_registry, fresh_hf_cache, hf_api, other_user_token, monkeypatch
):
    repo_id, first = published
    hf_api.update_repo_settings(repo_id, gated="manual")
    use_registry({"tiny-model": model_entry(repo_id, first)})
    monkeypatch.setenv("HF_TOKEN", other_user_token)

    with pytest.raises(HubAccessError, match="is gated: accept its terms"):
        shared.fetch("tiny-model")


def test_an_unknown_revision_is_one_line(published, use_registry, fresh_hf_cache):
    repo_id, _ = published
    use_registry({"tiny-model": model_entry(repo_id, sha())})

    with pytest.raises(ArtifactNotFoundError, match="no such commit; fix the pin"):
        shared.fetch("tiny-model")


def test_a_repo_without_safetensors_is_refused(local_hub, repo_id, tiny_model_folder, use_registry, fresh_hf_cache):
    files = {f: tiny_model_folder / f for f in MODEL_FILES if f != "model.safetensors"}
    first = local_hub.publish_snapshot(repo_id, {**files, "pytorch_model.bin": b"pickle"}, commit_id=sha())
    use_registry({"tiny-model": model_entry(repo_id, first)})

    with pytest.raises(
        UnsafeArtifactError, match=r"has no model\.safetensors; the suite loads safetensors weights only"
    ):
        shared.load_model("tiny-model")


def test_remote_code_is_refused_before_loading(local_hub, repo_id, tiny_model_folder, use_registry, fresh_hf_cache):
    config = json.loads((tiny_model_folder / "config.json").read_text())
    config["auto_map"] = {"AutoModel": "modeling_evil.EvilModel"}
    files = {**{f: tiny_model_folder / f for f in MODEL_FILES}, "config.json": json.dumps(config)}
    first = local_hub.publish_snapshot(repo_id, files, commit_id=sha())
    use_registry({"tiny-model": model_entry(repo_id, first)})

    with pytest.raises(UnsafeArtifactError, match="needs remote code"):
        shared.load_model("tiny-model")


def test_a_missing_file_is_one_line(published, use_registry, fresh_hf_cache):
    repo_id, first = published
    use_registry({"tiny-model": model_entry(repo_id, first, files=[*MODEL_FILES, "vocab.txt"])})

    with pytest.raises(ArtifactNotFoundError, match=r"has no file vocab\.txt; fix 'files' in the registry"):
        shared.fetch("tiny-model")


def test_a_dataset_is_loaded_at_its_pin_and_sampled(local_hub, repo_id, use_registry, fresh_hf_cache):
    from tests.harness.builders import parquet_bytes

    first = local_hub.publish_snapshot(
        repo_id, {"data/train.parquet": parquet_bytes({"text": [f"row {i}" for i in range(50)]})},
        commit_id=sha(), repo_type="dataset",
    )  # fmt: skip
    local_hub.publish_snapshot(repo_id, {"data/train.parquet": parquet_bytes({"text": ["moved"]})}, repo_type="dataset")
    entry = {"type": "dataset", "repo": repo_id, "revision": first, "files": ["data/train.parquet"], "rows": 10}
    use_registry({"tiny-data": entry})

    rows = shared.load_dataset("tiny-data")

    assert rows["text"][:] == [f"row {i}" for i in range(10)]
    with local_hub.record() as log:
        shared.load_dataset("tiny-data")
    assert log.paths() == []


def test_loaders_check_the_kind_of_entry(sandbox):
    with pytest.raises(RegistryError, match="sentiment-examples is a dataset, not a model"):
        shared.load_model("sentiment-examples")
    with pytest.raises(RegistryError, match="sentiment-model is a model, not a dataset"):
        shared.load_dataset("sentiment-model")
    with pytest.raises(RegistryError, match="not an embedding model"):
        shared.load_embedder("sentiment-model")


def test_embedding_conventions_come_from_the_registry(sandbox, use_registry):
    from shared.registry import DEFAULT_REGISTRY, load_registry

    minilm = load_registry(DEFAULT_REGISTRY)["news-embedder"]
    base = {"type": "model", "repo": minilm.repo_id, "revision": minilm.revision, "files": list(minilm.files)}
    use_registry({
        "plain-embedder": {**base, "embedding": {"pooling": "mean", "normalize": True}},
        "e5-style-embedder": {**base, "embedding": {"query_prefix": "query: ", "passage_prefix": "passage: "}},
        "raw-embedder": {**base, "embedding": {"pooling": "cls", "normalize": False}},
    })  # fmt: skip
    plain, e5, raw = (shared.load_embedder(n) for n in ("plain-embedder", "e5-style-embedder", "raw-embedder"))

    query, passage = e5.embed_queries(["cats"])[0], e5.embed_passages(["cats"])[0]
    assert query.tolist() == pytest.approx(plain.embed_passages(["query: cats"])[0].tolist(), abs=1e-5)
    assert passage.tolist() == pytest.approx(plain.embed_passages(["passage: cats"])[0].tolist(), abs=1e-5)
    assert float(query.norm()) == pytest.approx(1.0, abs=1e-4)
    assert float(raw.embed_queries(["cats"])[0].norm()) != pytest.approx(1.0, abs=1e-2)
    assert plain.dimension == 384


def test_an_index_built_with_another_embedder_revision_is_refused(sandbox, use_registry, tmp_path):
    from shared.registry import registry_path

    text = registry_path().read_text().replace("1110a243fdf4706b3f48f1d95db1a4f5529b4d41", "f" * 40)
    use_registry({})
    Path(tmp_path / "registry.yaml").write_text(text)
    embedder = type("FakeEmbedder", (), {"name": "news-embedder"})()

    with pytest.raises(StaleArtifactError, match="was built with sentence-transformers/all-MiniLM-L6-v2@1110a243fdf4"):
        shared.load_vector_index("news-index", embedder=embedder)
    with pytest.raises(StaleArtifactError, match=r"publish it again with 'python scripts/publish\.py search-index'"):
        shared.load_vector_index("news-index", embedder=embedder)


def test_one_line_errors_at_start_up_instead_of_a_traceback(tmp_path):
    import subprocess
    import sys

    from tests.harness.hub import REPO_ROOT, subprocess_env

    registry = tmp_path / "registry.yaml"
    registry.write_text(
        "sentiment-model:\n  type: model\n  repo: a/b\n  revision: main\n  files: [model.safetensors]\n"
    )
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "spaces" / "sentiment" / "app.py")],
        env=subprocess_env(SUITE_REGISTRY=str(registry)), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("error: registry ")
    assert "Traceback" not in result.stderr
