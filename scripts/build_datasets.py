"""Build the suite's own datasets and publish them to the Hub.

    python scripts/build_datasets.py search-index  --repo-id ORG/NAME [--out DIR] [--dry-run]
    python scripts/build_datasets.py sample-images --repo-id ORG/NAME [--out DIR] [--dry-run]

`search-index` embeds the pinned corpus (`news-corpus`) with the pinned embedder
(`news-embedder`) once, so that no Space embeds it at start-up, and records both revisions in
`index.json`: the semantic-search demo refuses an index built from other revisions.
`sample-images` packs `scripts/sample_images/` (public-domain photos) as a parquet dataset.
Publishing prints the new commit sha; put it in `shared/registry.yaml` (README, "Bumping a pin").
The token comes from `HF_TOKEN` or `hf auth login`, never from the command line.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shared.errors import SuiteError
from shared.registry import Entry

SAMPLE_IMAGES = Path(__file__).resolve().with_name("sample_images")
INDEX_FILE = "data/index-00000-of-00001.parquet"
IMAGES_FILE = "data/train-00000-of-00001.parquet"


def search_index_folder(out: Path, *, embedder: Any, corpus: Any, corpus_entry: Entry, embedder_entry: Entry) -> Path:
    """Write the search index dataset (parquet rows + `index.json` + card) into `out`.

    Args:
        out: Folder to write (created).
        embedder: A `shared.Embedder` of `embedder_entry`.
        corpus: The corpus rows (a `datasets.Dataset` with `text` and a `label` ClassLabel).
        corpus_entry: Registry entry of the corpus (its pin is recorded).
        embedder_entry: Registry entry of the embedder (its pin is recorded).

    Returns:
        `out`.
    """
    import datasets

    texts = list(corpus["text"])
    label_feature = corpus.features["label"]
    topics = [label_feature.int2str(i) for i in corpus["label"]]
    vectors = embedder.embed_passages(texts).numpy()
    rows = datasets.Dataset.from_dict(
        {"text": texts, "topic": topics, "embedding": [v.tolist() for v in vectors]},
        features=datasets.Features({
            "text": datasets.Value("string"),
            "topic": datasets.Value("string"),
            "embedding": datasets.Sequence(datasets.Value("float32"), length=int(vectors.shape[1])),
        }),
    )  # fmt: skip
    (out / "data").mkdir(parents=True, exist_ok=True)
    rows.to_parquet(out / INDEX_FILE)
    meta = {
        "embedder": {"name": embedder_entry.name, "repo": embedder_entry.repo_id, "revision": embedder_entry.revision},
        "corpus": {"name": corpus_entry.name, "repo": corpus_entry.repo_id, "revision": corpus_entry.revision,
                   "files": list(corpus_entry.files), "rows": len(texts)},
        "dimension": int(vectors.shape[1]),
        "conventions": {"pooling": embedder.conventions.pooling, "normalize": embedder.conventions.normalize,
                        "passage_prefix": embedder.conventions.passage_prefix},
    }  # fmt: skip
    (out / "index.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    (out / "README.md").write_text(
        "---\nlicense: unknown\ntags:\n- embeddings\n- semantic-search\n"
        f"datasets:\n- {corpus_entry.repo_id}\n---\n\n"
        f"# {corpus_entry.repo_id} embedded with {embedder_entry.repo_id}\n\n"
        f"{len(texts):,} passages of {corpus_entry.repo_id}@{corpus_entry.revision} embedded with "
        f"{embedder_entry.repo_id}@{embedder_entry.revision} ({meta['dimension']} dimensions), built by the demo "
        "suite's `scripts/build_datasets.py search-index`. `index.json` records both revisions.\n",
        encoding="utf-8",
    )
    return out


def sample_images_folder(out: Path, *, images: Path = SAMPLE_IMAGES, card_extra: str = "") -> Path:
    """Write the sample-images dataset (one parquet file with `image` and `name` + card) into `out`."""
    import datasets

    files = sorted(p for p in images.iterdir() if p.suffix.lower() in {".jpg", ".jpeg", ".png", ".webp"})
    rows = datasets.Dataset.from_dict(
        {"image": [str(p) for p in files], "name": [p.stem for p in files]},
        features=datasets.Features({"image": datasets.Image(), "name": datasets.Value("string")}),
    )
    (out / "data").mkdir(parents=True, exist_ok=True)
    rows.to_parquet(out / IMAGES_FILE)  # embeds the image bytes
    photo_credits = (images / "CREDITS.md").read_text(encoding="utf-8") if (images / "CREDITS.md").is_file() else ""
    (out / "README.md").write_text(
        "---\nlicense: cc0-1.0\ntask_categories:\n- image-classification\n---\n\n"
        f"# Sample images\n\n{len(files)} photos for the demo suite's examples.\n\n{photo_credits}{card_extra}",
        encoding="utf-8",
    )
    return out


def publish(folder: Path, *, repo_id: str, message: str) -> str:
    """Upload `folder` as the whole content of dataset `repo_id` (created if needed); return the commit sha."""
    from huggingface_hub import HfApi

    api = HfApi()
    api.create_repo(repo_id, repo_type="dataset", exist_ok=True)
    commit = api.upload_folder(
        folder_path=folder, repo_id=repo_id, repo_type="dataset", commit_message=message, delete_patterns=["*"]
    )
    return commit.oid


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="build_datasets.py", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (("search-index", "embed the pinned news corpus"), ("sample-images", "pack sample photos")):
        command = commands.add_parser(name, help=text)
        command.add_argument("--repo-id", help="dataset repo to publish to (ORG/NAME)")
        command.add_argument("--out", type=Path, help="also keep the built folder here")
        command.add_argument("--dry-run", action="store_true", help="build only; publish nothing")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    if not args.dry_run and not args.repo_id:
        print("error: give --repo-id ORG/NAME to publish, or --dry-run to only build", file=sys.stderr)
        return 2
    try:
        with tempfile.TemporaryDirectory() as scratch:
            out = args.out or Path(scratch) / "dataset"
            if args.command == "search-index":
                import shared
                from shared.loading import Embedder

                search_index_folder(
                    out,
                    embedder=Embedder("news-embedder"),
                    corpus=shared.load_dataset("news-corpus"),
                    corpus_entry=shared.entry("news-corpus"),
                    embedder_entry=shared.entry("news-embedder"),
                )
                registry_name = "news-index"
            else:
                sample_images_folder(out)
                registry_name = "image-examples"
            print(f"built {args.command} in {out}" if args.out or args.dry_run else f"built {args.command}")
            if args.dry_run:
                return 0
            commit = publish(out, repo_id=args.repo_id, message=f"Build {args.command}")
    except SuiteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # a network or permission failure from the Hub client
        print(f"error: publishing to {args.repo_id} failed: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 1
    print(f"published dataset {args.repo_id} @ {commit}")
    print(f"pin it: in shared/registry.yaml set {registry_name}: repo {args.repo_id}, revision {commit}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
