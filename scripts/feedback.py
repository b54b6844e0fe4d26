"""Read stakeholders' verdicts back: the report of the suite's feedback dataset.

    python scripts/feedback.py report --namespace my-org                 print it, write feedback-report/
    python scripts/feedback.py report --namespace my-org --since 2026-12-01 --out DIR
    python scripts/feedback.py report --namespace my-org --publish       and make it the dataset's card

The records are read with `datasets.load_dataset` at the dataset's head commit, which is printed
(the report says what it read). Per demo and pinned revision: 👍, 👎 and the approval rate with a
95% Wilson interval; per comparison of two revisions: each choice, the candidate's win rate with
its interval, and an exact binomial test of whether the difference is real. The page is Markdown
with PNG charts; `--publish` commits it (README.md and report/*.png) to the dataset, next to the
records. The token comes from `HF_TOKEN` or `hf auth login`; `HF_ENDPOINT` picks the Hub.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shared.catalog import NAMESPACE_ENV
from shared.feedback_log import DATASET_NAME, Record

from scripts._feedback.page import Report, build_report
from scripts.hub_client import HubRequestError, commit_changes, diff, hub_failure, read_remote, retrying_requests

__all__ = ["FeedbackError", "Report", "build_report", "load_records", "main", "publish_report", "record_features"]

CARD_HEADER = "---\nconfigs:\n- config_name: default\n  data_files: data/**/*.jsonl\n---\n\n"


class FeedbackError(Exception):
    """The report could not be made (no such dataset, no access, a bad date); one line."""


def record_features() -> Any:
    """The records' schema as `datasets.Features`: pass it to `load_dataset`, so that files whose
    records compared nothing (an empty `compared` everywhere) read like the others."""
    import datasets

    text = datasets.Value("string")
    pin = {"name": text, "repo": text, "revision": text}
    columns = {name: text for name in Record.__dataclass_fields__ if name not in ("pins", "compared")}
    return datasets.Features({**columns, "pins": [pin], "compared": [pin]})


def load_records(api: Any, repo_id: str, *, since: dt.date | None = None) -> tuple[str, list[dict]]:
    """The dataset's head commit and its records (given on or after `since`), read at that commit.

    Raises:
        FeedbackError: the dataset does not exist, or cannot be read with this token.
    """
    import datasets

    try:
        remote = read_remote(api, repo_id, repo_type="dataset")
    except HubRequestError as exc:
        raise FeedbackError(str(exc)) from None
    if not remote.exists:
        raise FeedbackError(f"{repo_id} does not exist (or the token cannot see it): deploy a demo first")
    if not any(path.startswith("data/") and path.endswith(".jsonl") for path in remote.files):
        return str(remote.head), []
    rows = datasets.load_dataset(
        repo_id, revision=remote.head, split="train", token=api.token, features=record_features()
    )
    records = [dict(row) for row in rows]
    if since is not None:
        records = [r for r in records if dt.datetime.fromisoformat(r["time"]).date() >= since]
    return str(remote.head), records


def publish_report(api: Any, repo_id: str, report: Report, *, revision: str) -> str | None:
    """Commit the page as the dataset's card, with its charts, on top of `revision` (the commit the
    report read; a dataset changed since is refused, never overwritten). Returns the commit, or
    None when the published page is already this one.

    Raises:
        FeedbackError: the Hub refused or failed.
    """
    files = {"README.md": (CARD_HEADER + report.markdown).encode(), **report.charts}
    try:
        remote = read_remote(api, repo_id, repo_type="dataset", revision=revision)
        changes = [c for c in diff(files, remote) if c.path in files]
        if not changes:
            return None
        return commit_changes(
            api, repo_id, repo_type="dataset", files=files, changes=changes, parent=revision,
            message="Feedback report", description="Written by scripts/feedback.py report --publish.",
        )  # fmt: skip
    except HubRequestError as exc:
        raise FeedbackError(str(exc)) from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="feedback.py", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    report = commands.add_parser("report", help="approval and comparisons, as text, Markdown and charts")
    report.add_argument("--namespace", default=os.environ.get(NAMESPACE_ENV) or None,
                        help=f"owner of the feedback dataset (default: ${NAMESPACE_ENV})")  # fmt: skip
    report.add_argument("--since", type=dt.date.fromisoformat, metavar="YYYY-MM-DD", help="only verdicts from then on")
    report.add_argument("--out", type=Path, default=Path("feedback-report"), help="folder for the page and charts")
    report.add_argument("--publish", action="store_true", help="also make the page the dataset's card")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    if not args.namespace:
        print(f"error: pass --namespace NAME (or set {NAMESPACE_ENV})", file=sys.stderr)
        return 2
    from huggingface_hub import HfApi, get_token

    api = HfApi(token=get_token() or False)
    repo_id = f"{args.namespace}/{DATASET_NAME}"
    try:
        with retrying_requests():
            revision, records = load_records(api, repo_id, since=args.since)
            report = build_report(records, repo_id=repo_id, revision=revision,
                                  since=args.since.isoformat() if args.since else None)  # fmt: skip
            published = publish_report(api, repo_id, report, revision=revision) if args.publish else None
    except FeedbackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: {hub_failure(exc, f'reading {repo_id}')}", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "README.md").write_text(report.markdown, encoding="utf-8")
    for path, png in report.charts.items():
        (args.out / path).parent.mkdir(parents=True, exist_ok=True)
        (args.out / path).write_bytes(png)
    print(report.markdown)
    print(f"wrote {args.out / 'README.md'} and {len(report.charts)} chart(s)")
    if args.publish:
        print(f"published to {repo_id}" + (f" @ {published}" if published else " (unchanged)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
