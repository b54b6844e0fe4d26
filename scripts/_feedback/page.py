"""The report as a page: Markdown tables and the charts, for a person to look at."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from scripts._feedback.charts import rate_chart
from scripts._feedback.stats import Approval, Comparison, approvals, comparisons

CHART_FOLDER = "report"


@dataclass
class Report:
    """The report of a set of records: its Markdown page and its charts (path → PNG bytes)."""

    markdown: str
    charts: dict[str, bytes] = field(default_factory=dict)
    approvals: list[Approval] = field(default_factory=list)
    comparisons: list[Comparison] = field(default_factory=list)


def build_report(records: Sequence[dict], *, repo_id: str, revision: str, since: str | None = None) -> Report:
    """Count, estimate and draw; `records` are the dataset's rows (already filtered by `since`)."""
    found_approvals, found_comparisons = approvals(records), comparisons(records)
    report = Report("", approvals=found_approvals, comparisons=found_comparisons)
    read = f"Read from `{repo_id}` at commit `{revision}`: {len(records):,} record(s)"
    lines = ["# Feedback report", "", read + (f" given since {since}." if since else "."), ""]
    lines += ["## Approval per demo and pinned revision", ""]
    if found_approvals:
        path = f"{CHART_FOLDER}/approval.png"
        rows = [(f"{a.demo}: {a.pins}", a.interval) for a in found_approvals]
        report.charts[path] = rate_chart("Approval (share of thumbs up), with 95% intervals", rows)
        lines += [f"![Approval per demo and pinned revision]({path})", ""]
        lines += ["| demo | pinned revisions | 👍 | 👎 | approval | 95% interval |", "|---|---|---|---|---|---|"]
        lines += [
            f"| {a.demo} | {a.pins} | {a.up} | {a.down} | {a.interval.rate:.0%} | "
            f"{a.interval.low:.0%}–{a.interval.high:.0%} |"
            for a in found_approvals
        ]
    else:
        lines.append("No verdicts yet.")
    lines += ["", "## Comparisons of two revisions", ""]
    if found_comparisons:
        path = f"{CHART_FOLDER}/comparisons.png"
        rows = [(f"{c.demo}: {c.candidate} vs @{c.baseline.rpartition('@')[2]}", c.interval) for c in found_comparisons]
        report.charts[path] = rate_chart("Candidate's win rate (decisive choices), 95% intervals", rows,
                                         reference=0.5)  # fmt: skip
        lines += [f"![Candidate win rate per comparison]({path})", ""]
        lines += [
            "| demo | baseline | candidate | candidate wins | baseline wins | same | both bad | candidate win rate "
            "| 95% interval | p (exact binomial) | difference |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {c.demo} | {c.baseline} | {c.candidate} | {c.candidate_wins} | {c.baseline_wins} | {c.same} | "
            f"{c.both_bad} | {c.interval.rate:.0%} | {c.interval.low:.0%}–{c.interval.high:.0%} | {c.p_value:.3f} | "
            f"{'real (p < 0.05)' if c.real else 'not shown'} |"
            for c in found_comparisons
        ]
        lines += ["", "A difference is *real* when a split at least this uneven would happen less than 5% of the "
                      "time if both revisions were equally good (ties and \"both bad\" left out)."]  # fmt: skip
    else:
        lines.append("No comparisons yet.")
    report.markdown = "\n".join(lines) + "\n"
    return report
