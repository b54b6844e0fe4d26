"""Deploying fixture demos to the local Hub: first deploy, no-op, changes, LFS, rollback, dry run."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import yaml
from huggingface_hub import HfApi

from scripts.deploy import deploy, format_plan
from tests.scripts.deploy.conftest import commits, git_commit, space_files

pytestmark = pytest.mark.usefixtures("sandbox")
NS = "local-user"


@pytest.fixture
def api(hf_api) -> HfApi:
    return hf_api


def front_matter(readme: bytes) -> dict:
    return yaml.safe_load(readme.decode().split("---")[1])


def test_first_deploy_creates_the_space_with_a_complete_bundle(api, hub_token, suite, make_demo, spaces_dir):
    name = make_demo(files={"__pycache__/app.cpython-311.pyc": b"\0", "notes/.DS_Store": b"x", "assets/a.txt": "a"})
    sha = git_commit(spaces_dir.parent)
    when = dt.datetime(2026, 11, 23, 10, 15, tzinfo=dt.timezone.utc)

    [result] = deploy([name], namespace=NS, token=hub_token, suite=suite, now=when)

    repo_id = f"{NS}/{name}"
    assert (result.status, result.repo_id, result.error) == ("created", repo_id, None)
    assert result.tag == f"deploy-20261123T101500Z-{sha[:7]}"
    files = space_files(api, repo_id)
    shared_files = {p for p in files if p.startswith("shared/")}
    assert set(files) - shared_files == {".gitattributes", "README.md", "app.py", "requirements.txt", "assets/a.txt"}
    assert "shared/__init__.py" in shared_files and "shared/registry.yaml" in shared_files
    assert not any("__pycache__" in p or p.endswith(".pyc") for p in files)

    card = front_matter(files["README.md"])
    assert card["sdk"] == "gradio" and card["sdk_version"] == "6.31.0" and card["app_file"] == "app.py"
    assert card["python_version"] == "3.12" and card["license"] == "apache-2.0"
    assert card["datasets"] == ["stanfordnlp/sst2"] and "models" not in card
    requirements = files["requirements.txt"].decode().splitlines()
    assert "torch==2.11.0" in requirements  # ZeroGPU's newest supported torch, not the suite's 2.13
    assert "huggingface_hub==2.4.0" in requirements and not any(r.startswith("gradio") for r in requirements)

    info = api.space_info(repo_id)
    assert info.runtime.requested_hardware == "zero-a10g"
    [last, *_] = commits(api, repo_id)
    assert last.title == f"Deploy {name} from git {sha[:7]}"
    assert sha in last.message
    refs = api.list_repo_refs(repo_id, repo_type="space")
    assert [(t.name, t.target_commit) for t in refs.tags] == [(result.tag, result.commit)]


def test_models_are_preloaded_at_their_pinned_commit(api, hub_token):
    [result] = deploy(["sentiment"], namespace="test-org", token=hub_token, dry_run=True)

    card = front_matter(result.plan.files["README.md"])
    assert card["models"] == ["distilbert/distilbert-base-uncased-finetuned-sst-2-english"]
    assert card["preload_from_hub"] == [
        "distilbert/distilbert-base-uncased-finetuned-sst-2-english "
        "config.json,model.safetensors,tokenizer_config.json,vocab.txt,README.md "
        "714eb0fa89d2f80546fda750413ed43d93601a13"
    ]
    assert card["datasets"] == ["stanfordnlp/sst2"]


def test_a_candidate_is_checked_and_preloaded_beside_its_entry_once_per_commit(api, hub_token):
    import shared

    digits, chat = deploy(["digits", "chat"], namespace="test-org", token=hub_token, dry_run=True)

    assert digits.ok and chat.ok, (digits.error, chat.error)
    baseline, candidate = shared.entry("digits-model"), shared.entry("digits-model@candidate")
    preloaded = front_matter(digits.plan.files["README.md"])["preload_from_hub"]
    assert [line.split()[-1] for line in preloaded] == [baseline.revision, candidate.revision]
    chat_lines = front_matter(chat.plan.files["README.md"])["preload_from_hub"]
    # chat-model (on a GPU) and chat-model-small's candidate are one commit: preloaded once.
    assert sorted(line.split()[0] for line in chat_lines) == [
        "HuggingFaceTB/SmolLM2-135M-Instruct", "HuggingFaceTB/SmolLM2-360M-Instruct"
    ]  # fmt: skip


def test_a_redeploy_of_an_unchanged_space_makes_no_commit_and_writes_nothing(
    api, hub_token, suite, make_demo, local_hub
):
    name = make_demo()
    deploy([name], namespace=NS, token=hub_token, suite=suite)
    before = commits(api, f"{NS}/{name}")

    with local_hub.record() as log:
        [result] = deploy([name], namespace=NS, token=hub_token, suite=suite)

    assert (result.status, result.tag, result.commit) == ("unchanged", None, before[0].commit_id)
    assert commits(api, f"{NS}/{name}") == before
    assert {p.split()[0] for p in log.paths()} == {"GET"}


def test_changed_renamed_and_deleted_files_go_in_one_commit(api, hub_token, suite, make_demo, spaces_dir):
    name = make_demo(files={"notes/old.md": "old", "keep.txt": "same", "gone.txt": "bye"})
    deploy([name], namespace=NS, token=hub_token, suite=suite)
    folder = spaces_dir / name
    (folder / "notes" / "old.md").rename(folder / "notes" / "new.md")
    (folder / "gone.txt").unlink()
    (folder / "app.py").write_text((folder / "app.py").read_text() + "\n# changed\n")
    count = len(commits(api, f"{NS}/{name}"))

    [result] = deploy([name], namespace=NS, token=hub_token, suite=suite)

    assert (result.status, result.error) == ("updated", None)
    assert [(c.kind, c.path) for c in result.plan.changes] == [
        ("changed", "app.py"),
        ("deleted", "gone.txt"),
        ("added", "notes/new.md"),
        ("deleted", "notes/old.md"),
    ]
    assert len(commits(api, f"{NS}/{name}")) == count + 1
    files = space_files(api, f"{NS}/{name}")
    assert {"notes/new.md", "keep.txt", ".gitattributes"} <= set(files)
    assert "gone.txt" not in files and "notes/old.md" not in files
    assert files["app.py"].endswith(b"# changed\n")


def test_binary_files_go_through_lfs(api, hub_token, suite, make_demo):
    from PIL import Image

    png = io.BytesIO()
    Image.new("RGB", (64, 64), "teal").save(png, format="PNG")
    name = make_demo(files={"examples/teal.png": png.getvalue()})

    deploy([name], namespace=NS, token=hub_token, suite=suite)

    [entry] = [e for e in api.list_repo_tree(f"{NS}/{name}", repo_type="space", path_in_repo="examples")]
    assert entry.lfs is not None and entry.lfs.size == len(png.getvalue())
    assert space_files(api, f"{NS}/{name}")["examples/teal.png"] == png.getvalue()
    # Unchanged LFS files are recognised by their sha256: no second commit.
    [again] = deploy([name], namespace=NS, token=hub_token, suite=suite)
    assert again.status == "unchanged"


def test_rollback_restores_a_tagged_deploy_in_one_new_commit(api, hub_token, suite, make_demo, spaces_dir):
    name = make_demo(files={"v1.txt": "one"})
    repo_id = f"{NS}/{name}"
    [first] = deploy([name], namespace=NS, token=hub_token, suite=suite)
    v1 = space_files(api, repo_id)
    (spaces_dir / name / "v1.txt").unlink()
    (spaces_dir / name / "v2.txt").write_text("two")
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=5)
    [second] = deploy([name], namespace=NS, token=hub_token, suite=suite, now=later)
    assert second.tag != first.tag and "v2.txt" in space_files(api, repo_id)
    count = len(commits(api, repo_id))

    [back] = deploy([name], namespace=NS, token=hub_token, suite=suite, rollback=first.tag)

    assert back.status == "rolled back"
    assert back.plan.notes == [  # only an automatic rollback is limited to deploys that passed
        f"{first.tag} was never seen passing its smoke tests (no passed-{first.tag} tag): "
        "use --wait to smoke-test the Space after the rollback"
    ]
    assert space_files(api, repo_id) == v1
    history = commits(api, repo_id)
    assert len(history) == count + 1 and history[0].title == f"Roll back {name} to {first.tag}"


def test_rollback_to_an_unknown_tag_fails_cleanly(api, hub_token, suite, make_demo):
    name = make_demo()
    deploy([name], namespace=NS, token=hub_token, suite=suite)
    count = len(commits(api, f"{NS}/{name}"))

    [result] = deploy([name], namespace=NS, token=hub_token, suite=suite, rollback="deploy-19990101T000000Z-nope")

    assert result.status == "failed"
    assert result.error == f"{NS}/{name} has no revision 'deploy-19990101T000000Z-nope': list its tags on the Hub"
    assert len(commits(api, f"{NS}/{name}")) == count


def test_a_dry_run_shows_the_diff_and_settings_and_writes_nothing(api, hub_token, suite, make_demo, local_hub):
    name = make_demo()

    with local_hub.record() as log:
        [result] = deploy([name], namespace=NS, token=hub_token, suite=suite, dry_run=True)

    # Reads, and the Hub's front-matter check (which writes nothing).
    assert {p for p in log.paths() if not p.startswith("GET ")} == {"POST /api/validate-yaml"}
    assert not api.repo_exists(f"{NS}/{name}", repo_type="space")
    report = format_plan(result)
    assert report.splitlines()[0] == f"{NS}/{name} (would create)"
    assert "  + app.py" in report and "  + requirements.txt" in report and "  + shared/loading.py" in report
    assert "  setting: create the Space (gradio, zero-a10g, public)" in report


def test_a_dry_run_of_a_changed_space_lists_each_file_once(api, hub_token, suite, make_demo, spaces_dir):
    name = make_demo(files={"gone.txt": "bye"})
    deploy([name], namespace=NS, token=hub_token, suite=suite)
    (spaces_dir / name / "gone.txt").unlink()
    (spaces_dir / name / "new.txt").write_text("hi")

    [result] = deploy([name], namespace=NS, token=hub_token, suite=suite, dry_run=True)

    assert format_plan(result) == f"{NS}/{name} (would update)\n  - gone.txt\n  + new.txt"
    assert "new.txt" not in space_files(api, f"{NS}/{name}")


def test_one_failing_space_does_not_stop_the_others(api, hub_token, suite, make_demo):
    good = make_demo()
    bad = make_demo(files={".env": "SECRET=1"})

    results = deploy([good, bad], namespace=NS, token=hub_token, suite=suite)

    assert [(r.name, r.status) for r in results] == [(good, "created"), (bad, "refused")]
    assert api.repo_exists(f"{NS}/{good}", repo_type="space")
    assert not api.repo_exists(f"{NS}/{bad}", repo_type="space")


def test_a_candidate_that_is_not_on_the_hub_is_a_refusal(hub_token, tmp_path, monkeypatch):
    import shared

    registry = tmp_path / "registry.yaml"
    missing = "f" * 40
    text = shared.get_registry().path.read_text()
    registry.write_text(text.replace("@a10cc1512eabd3dde888204e902eca88bddb4951", f"@{missing}"))
    monkeypatch.setenv("SUITE_REGISTRY", str(registry))

    [result] = deploy(["chat"], namespace="test-org", token=hub_token, dry_run=True)

    assert result.status == "refused"
    assert result.error.startswith("chat-model-small@candidate is not published: model HuggingFaceTB/SmolLM2-360M")
    assert f"has no commit {missing[:12]} on this Hub" in result.error
