"""The card every stand-in carries: tagged, so that apps show their stand-in notice."""

from __future__ import annotations

from pathlib import Path

from shared.hub import STAND_IN_TAG
from shared.registry import Entry


def stand_in_card(folder: Path, entry: Entry, *, kind: str, licence: str, extra: str = "") -> None:
    """Write the card of a stand-in: it says which repo it is not, and what it is instead."""
    (folder / "README.md").write_text(
        f"---\nlicense: {licence}\ntags:\n- {STAND_IN_TAG}\n---\n\n"
        f"# Stand-in for {entry.repo_id}\n\n"
        f"This is **not** {entry.repo_id}. The suite's offline sandbox published it at the pinned commit "
        f"{entry.revision} so that demos run with no internet: {kind}.\n{extra}",
        encoding="utf-8",
    )
