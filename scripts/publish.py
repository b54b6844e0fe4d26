"""Publish the suite's own models and data to the Hub, each in one commit, versioned and pinned.

    python scripts/publish.py digits-data  --namespace my-org     the digits, train/test parquet
    python scripts/publish.py digits-model --namespace my-org     train the classifier, publish it
    python scripts/publish.py sample-media --namespace my-org     CC0 photos + espeak-ng speech
    python scripts/publish.py sample-images --namespace my-org    public-domain photos (image examples)
    python scripts/publish.py search-index --namespace my-org     the pinned news corpus, embedded once
    python scripts/publish.py all --namespace my-org [--dry-run] [--bump major|minor|patch]
    python scripts/publish.py digits-model --namespace my-org --candidate --train-seed 1
                                            retrain, publish as the candidate (the Compare tab)

Each command builds its artifact (deterministically), compares it with the repo's head, and when
something changed commits it in one commit, tags it with the next semantic version (`v1.0.0`
first; `--bump` says which part grows; a tag is never moved) and writes the repo id and commit
into the registry, the one place pins live. Identical content makes no commit and no tag.
`--dry-run` shows what would change and writes nothing. The namespace comes from `--namespace`
or `$SUITE_ARTIFACTS_NAMESPACE`; the token from `HF_TOKEN` or `hf auth login` (never printed);
`HF_ENDPOINT` picks the Hub. `--candidate` pins the new version as the entry's `candidate:`
instead of its `revision:`, so that demos show both side by side (a Compare tab) until one is
chosen; publishing the same content again without `--candidate` adopts it.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shared.errors import SuiteError
from shared.registry import Entry, Registry, load_registry, registry_path

from scripts._publish import artifacts
from scripts._publish.errors import PublishError
from scripts._publish.flow import BUMPS, Published, publish

__all__ = ["ARTIFACTS", "NAMESPACE_ENV", "PublishError", "Published", "main", "publish_artifact"]

NAMESPACE_ENV = "SUITE_ARTIFACTS_NAMESPACE"


@dataclass(frozen=True)
class Artifact:
    """One publishable artifact.

    Attributes:
        command: Its `publish.py` command, also the registry entry's `publish` value.
        repo_name: The repo's name under the namespace.
        needs: Registry entries it is built from, read at their pins (ours must be published first).
    """

    command: str
    repo_name: str
    needs: tuple[str, ...] = ()


ARTIFACTS = {
    "digits-data": Artifact("digits-data", "digits"),
    "digits-model": Artifact("digits-model", "digits-classifier", needs=("digits-data",)),
    "sample-media": Artifact("sample-media", "sample-media"),
    "sample-images": Artifact("sample-images", "sample-images"),
    "search-index": Artifact("search-index", "ag-news-minilm-index", needs=("news-corpus", "news-embedder")),
}


def publish_artifact(
    command: str,
    *,
    namespace: str,
    api: Any,
    registry_file: Path | None = None,
    bump: str = "minor",
    dry_run: bool = False,
    candidate: bool = False,
    train_seed: int | None = None,
) -> Published:
    """Build and publish one artifact, and pin it in the registry.

    Args:
        command: A key of `ARTIFACTS`.
        namespace: The user or organisation the repo belongs to.
        api: An `HfApi` (with a write token unless `dry_run`).
        registry_file: The registry to pin it in (default: the one in use).
        bump: `major`, `minor` or `patch`: which part of the version grows on a change.
        dry_run: Build and compare; write nothing.
        candidate: Pin it as the entry's candidate, keeping the pinned revision.
        train_seed: For a trained artifact (the digits model), the training seed (default: the
            recipe's).

    Returns:
        What happened (or would).

    Raises:
        PublishError: one line saying what failed and what to do.
    """
    registry_file = Path(registry_file or registry_path())
    try:
        registry = load_registry(registry_file)
    except SuiteError as exc:
        raise PublishError(str(exc)) from None
    artifact = ARTIFACTS[command]
    entry = _entry_of(registry, command)
    if train_seed is not None and command != "digits-model":
        raise PublishError(f"{command} is not trained: --train-seed applies to digits-model only")
    build = _builder(artifact, registry, api, train_seed=artifacts.TRAIN_SEED if train_seed is None else train_seed)
    return publish(
        entry.name,
        build,
        api=api,
        repo_id=f"{namespace}/{artifact.repo_name}",
        repo_type=entry.repo_type,
        registry_file=registry_file,
        bump=bump,
        dry_run=dry_run,
        candidate=candidate,
    )


def _entry_of(registry: Registry, command: str) -> Any:
    entries = [e for e in registry if e.publish == command]
    if len(entries) != 1:
        raise PublishError(f"the registry {registry.path} needs exactly one entry with 'publish: {command}'")
    return entries[0]


def _builder(artifact: Artifact, registry: Registry, api: Any, *, train_seed: int) -> Callable[[Path], str]:
    for need in artifact.needs:
        pinned = registry[need]
        if not pinned.published:
            raise PublishError(
                f"{artifact.command} is built from {pinned.name}, which is not published yet: "
                f"run `{pinned.publish_command}`"
            )
    if artifact.command == "digits-data":
        return artifacts.digits_data
    if artifact.command == "sample-media":
        return artifacts.sample_media
    if artifact.command == "sample-images":
        return artifacts.sample_images
    if artifact.command == "search-index":
        corpus, embedder = (registry[need] for need in artifact.needs)
        return lambda folder: artifacts.search_index(
            folder, corpus=_files_at_pin(api, corpus), embedder=_files_at_pin(api, embedder),
            corpus_entry=corpus, embedder_entry=embedder,
        )  # fmt: skip
    data = registry["digits-data"]
    return lambda folder: artifacts.digits_model(
        folder, data_repo=data.repo_id, data_revision=data.revision, data=_digits_at_pin(api, data), seed=train_seed
    )


def _files_at_pin(api: Any, pinned: Entry) -> Path:
    """The entry's files (and card, when it has one) at its pinned commit, in the Hub cache."""
    from huggingface_hub.errors import HfHubHTTPError

    try:
        folder = api.snapshot_download(
            pinned.repo_id, repo_type=pinned.repo_type, revision=pinned.revision,
            allow_patterns=[*pinned.files, "README.md"],
        )  # fmt: skip
    except HfHubHTTPError as exc:
        raise PublishError(f"cannot read {pinned.name} ({pinned.pin}): {exc}") from None
    return Path(folder)


def _digits_at_pin(api: Any, pinned: Entry) -> dict[str, tuple[Any, Any]]:
    """The published digits, read back at their pinned commit: the model trains on what is pinned."""
    import datasets
    import numpy as np

    folder = _files_at_pin(api, pinned)
    data = {}
    for split in artifacts.DIGITS_SPLITS:
        [filename] = [f for f in pinned.files if Path(f).name.startswith(f"{split}-")]
        rows = datasets.Dataset.from_parquet(str(folder / filename), keep_in_memory=True)
        data[split] = (np.asarray(rows["pixels"], dtype=np.float32), np.asarray(rows["label"]))
    return data


def report(result: Published) -> str:
    """One artifact's outcome, with its per-file changes."""
    where = f"{result.repo_type} {result.repo_id}"
    at = f" @ {result.commit[:12]}" if result.commit else ""
    tag = f" {result.tag}" if result.tag else ""
    lines = [f"{result.name}: {result.status} {where}{tag}{at}" + (f" ({result.summary})" if result.summary else "")]
    lines += [f"  {c.mark} {c.path}" for c in result.changes]
    if result.registry_changed:
        verb = "would pin" if result.status.startswith("would") else "pinned"
        what = f"{result.name}'s candidate" if result.candidate else result.name
        lines.append(f"  registry: {verb} {what} to {result.repo_id}" + (f"@{result.commit}" if result.commit else ""))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = argparse.ArgumentParser(prog="publish.py", description=__doc__.splitlines()[0])
    parser.add_argument("artifact", choices=[*ARTIFACTS, "all"], help="what to publish ('all': each, in order)")
    parser.add_argument("--namespace", default=os.environ.get(NAMESPACE_ENV) or None,
                        help=f"user or organisation of the repos (default: ${NAMESPACE_ENV})")  # fmt: skip
    parser.add_argument("--bump", choices=BUMPS, default="minor", help="version part to grow on a change")
    parser.add_argument("--dry-run", action="store_true", help="show what would change; write nothing")
    parser.add_argument("--registry", type=Path, help="registry file to pin in (default: the one in use)")
    parser.add_argument(
        "--candidate",
        action="store_true",
        help="pin it as the entry's candidate (compared with the pinned revision), not its revision",
    )
    parser.add_argument("--train-seed", type=int, help="digits-model: the training seed (default: the recipe's)")
    args = parser.parse_args(argv)
    if args.artifact == "all" and (args.candidate or args.train_seed is not None):
        print("error: --candidate and --train-seed apply to one artifact, not 'all'", file=sys.stderr)
        return 2
    if not args.namespace:
        print(f"error: pass --namespace NAME (or set {NAMESPACE_ENV})", file=sys.stderr)
        return 2
    from huggingface_hub import HfApi, get_token

    token = get_token()
    if not token and not args.dry_run:
        print("error: no Hub token: set HF_TOKEN (a write token) or run 'hf auth login'", file=sys.stderr)
        return 2
    api = HfApi(token=token or False)
    commands = list(ARTIFACTS) if args.artifact == "all" else [args.artifact]
    for command in commands:
        try:
            result = publish_artifact(
                command, namespace=args.namespace, api=api, registry_file=args.registry, bump=args.bump,
                dry_run=args.dry_run, candidate=args.candidate, train_seed=args.train_seed,
            )  # fmt: skip
        except PublishError as exc:
            print(f"error: {command}: {exc}", file=sys.stderr)
            return 1
        print(report(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
