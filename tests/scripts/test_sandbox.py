"""The offline sandbox: every registry entry at its pinned revision, and demos on it with no internet."""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import sys
from pathlib import Path

from shared.registry import DEFAULT_REGISTRY, load_registry

import pytest
from huggingface_hub import hf_hub_download

from scripts.sandbox import SandboxError, sandbox_registry, seed
from tests.harness.apps import free_port, wait_for_client
from tests.harness.hub import REPO_ROOT, subprocess_env
from tests.scripts.hub_double.test_cli import serve

REGISTRY = load_registry(DEFAULT_REGISTRY)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    from scripts.hub_double import LocalHub

    hub = LocalHub(root=tmp_path_factory.mktemp("sandbox-hub"))
    first = seed(hub)
    again = seed(hub)
    return hub, first, again


def test_every_entry_is_published_at_its_pinned_revision(seeded):
    hub, first, _ = seeded
    with_candidates = ("chat-model-small", "digits-model")  # the registry's, and ours in the sandbox
    assert [s.name for s in first] == [
        name
        for e in REGISTRY
        for name in (e.name, f"{e.name}@candidate")
        if name == e.name or e.name in with_candidates
    ]
    pinned = load_registry(sandbox_registry(hub))
    for entry in [*pinned, *(pinned[f"{name}@candidate"] for name in with_candidates)]:
        assert hub.has_commit(entry.repo_id, entry.revision, repo_type=entry.repo_type), entry.name
    # The registry's own pins, and those our publish flow wrote for what it published.
    assert [(e.repo_id, e.revision) for e in pinned if not e.publish] == [
        (e.repo_id, e.revision) for e in REGISTRY if not e.publish
    ]
    assert {e.repo_id for e in pinned if e.publish} == {
        "local-user/digits",
        "local-user/digits-classifier",
        "local-user/sample-media",
        "local-user/sample-images",
        "local-user/ag-news-minilm-index",
    }


def test_genuine_where_a_wheel_carries_the_files_else_labelled_stand_ins(seeded):
    _, first, _ = seeded
    how = {s.name: s.how for s in first}
    assert how["news-embedder"] == "genuine"
    assert how["sentiment-model"] == how["image-classifier"] == how["sentiment-examples"] == "stand-in"
    own = ("digits-data", "digits-model", "digits-model@candidate", "sample-media", "image-examples", "news-index")
    assert {how[name] for name in own} == {"published"}
    assert how["chat-model-small@candidate"] == "present"  # chat-model's pin: seeded once


def test_seeding_again_keeps_what_is_there(seeded):
    _, _, again = seeded
    assert {s.how for s in again} == {"present"}


def test_the_genuine_minilm_matches_the_pinned_sha256(sandbox):
    entry = REGISTRY["news-embedder"]
    path = hf_hub_download(entry.repo_id, "model.safetensors", revision=entry.revision)
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    assert digest == "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


def test_stand_in_cards_say_so_and_keep_the_real_layout_and_labels(sandbox):
    import shared

    for name in ("sentiment-model", "image-classifier", "sentiment-examples", "news-corpus", "news-index"):
        assert shared.is_stand_in(name), name
    assert not shared.is_stand_in("news-embedder") and not shared.is_stand_in("image-examples")
    card = Path(hf_hub_download(REGISTRY["sentiment-model"].repo_id, "README.md",
                                revision=REGISTRY["sentiment-model"].revision)).read_text()  # fmt: skip
    assert "This is **not** distilbert/distilbert-base-uncased-finetuned-sst-2-english" in card
    config = json.loads((shared.fetch("image-classifier") / "config.json").read_text())
    assert config["architectures"] == ["ViTForImageClassification"] and len(config["id2label"]) == 1000
    assert config["id2label"]["281"] == "tabby, tabby cat"


def test_the_index_records_the_revisions_it_was_built_from(sandbox):
    import shared

    meta = json.loads((shared.fetch("news-index") / "index.json").read_text())
    assert meta["embedder"]["revision"] == REGISTRY["news-embedder"].revision
    assert meta["corpus"]["revision"] == REGISTRY["news-corpus"].revision
    assert meta["dimension"] == 384


def test_an_entry_without_a_builder_is_a_clear_error(tmp_path, monkeypatch):
    from scripts.hub_double import LocalHub

    (tmp_path / "r.yaml").write_text(
        "mystery-model:\n  type: model\n  repo: someone/mystery\n"
        f"  revision: {'a' * 40}\n  files: [model.safetensors]\n"
    )
    monkeypatch.setenv("SUITE_REGISTRY", str(tmp_path / "r.yaml"))
    with pytest.raises(SandboxError, match="no stand-in is known for mystery-model"):
        seed(LocalHub(root=tmp_path / "hub"))


def test_serve_seed_serves_every_entry_at_its_pin(tmp_path):
    with serve("--seed", "--port", str(free_port()), "--root", str(tmp_path / "root")) as (url, lines, _):
        assert any(line.startswith("  news-index") and "published v1.0.0" in line for line in lines)
        entry = REGISTRY["sentiment-examples"]
        path = hf_hub_download(entry.repo_id, entry.files[0], revision=entry.revision, repo_type="dataset",
                               endpoint=url, cache_dir=tmp_path / "cache")  # fmt: skip
        assert path.endswith(".parquet")


def test_the_offline_quick_start_runs_a_demo_on_the_seeded_hub(tmp_path):
    demo_port = free_port()
    env = subprocess_env(HF_HOME=str(tmp_path / "hf-home"))
    for name in ("HF_ENDPOINT", "HF_HUB_DISABLE_XET", "SUITE_REGISTRY"):  # as a user's shell has them
        env.pop(name, None)
    process = subprocess.Popen(
        [sys.executable, str(REPO_ROOT / "scripts" / "sandbox.py"), "digits",
         "--hub-port", str(free_port()), "--port", str(demo_port), "--root", str(tmp_path / "root")],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        client = wait_for_client(f"http://127.0.0.1:{demo_port}/", process)
        result = client.predict(3, api_name="/read_example")
        assert len(result[0]["confidences"]) == 10 and result[1]
        assert client.predict(3, api_name="/example_label").startswith("Labelled ")
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=60)
    assert "Seeding the local Hub" in output and "Starting digits" in output
    assert "  digits-model " in output and "published v1.0.0" in output
    assert process.returncode == 0


def test_the_chat_runs_offline_against_llama_cpps_server(tmp_path):
    import socket

    demo_port, server_port = free_port(), free_port()
    process = subprocess.Popen(
        [sys.executable, str(REPO_ROOT / "scripts" / "sandbox.py"), "chat", "--backend", "server",
         "--server-port", str(server_port), "--hub-port", str(free_port()), "--port", str(demo_port),
         "--root", str(tmp_path / "root")],
        env=subprocess_env(HF_HOME=str(tmp_path / "hf-home")), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    try:
        client = wait_for_client(f"http://127.0.0.1:{demo_port}/", process)
        answer = client.predict("What is the capital of France?", "Be brief.", 0.0, 24, api_name="/chat")
        assert "Paris" in answer
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=60)
    assert f"chat-model-small is answered by llama.cpp's server at http://127.0.0.1:{server_port}" in output
    assert process.returncode == 0
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", server_port), timeout=2):
        pass  # the server stopped with the sandbox


def test_an_unknown_demo_is_one_line(tmp_path):
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "sandbox.py"), "no-such-demo", "--root", str(tmp_path)],
        env=subprocess_env(), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr == (
        "error: no demo 'no-such-demo'; choose one of: chat, digits, gallery, image-classification, "
        "semantic-search, sentiment, speech-to-text\n"
    )


def test_an_own_dataset_is_published_from_the_entries_it_is_built_from(tmp_path):
    from scripts.hub_double import LocalHub

    hub = LocalHub(root=tmp_path / "hub")

    later = {s.name: s.how for s in seed(hub, names=["news-index"])}

    # Nothing of ours is pinned until the publish flow has published it (into this Hub).
    assert not REGISTRY["news-index"].published
    assert later == {"news-embedder": "genuine", "news-corpus": "stand-in", "news-index": "published"}
    pinned = load_registry(sandbox_registry(hub))["news-index"]
    assert pinned.repo_id == "local-user/ag-news-minilm-index"
    meta = json.loads(hub.read_snapshot_file(pinned.repo_id, "index.json", revision=pinned.revision,
                                             repo_type="dataset"))  # fmt: skip
    assert meta["corpus"]["rows"] > 0 and meta["corpus"]["revision"] == REGISTRY["news-corpus"].revision
    card = hub.read_snapshot_file(pinned.repo_id, "README.md", revision=pinned.revision, repo_type="dataset")
    assert b"Built from sandbox stand-ins (news-corpus)" in card
