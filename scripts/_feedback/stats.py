"""The numbers of the report: approval per demo and pinned revision, win rate per comparison, each
with a 95% interval, and whether a comparison's difference is real."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

Z95 = 1.959963984540054  # the normal quantile of a two-sided 95% interval
SIGNIFICANCE = 0.05


@dataclass(frozen=True)
class Interval:
    """A proportion with its Wilson score interval (95%)."""

    successes: int
    trials: int
    low: float
    high: float

    @property
    def rate(self) -> float:
        return self.successes / self.trials if self.trials else float("nan")


@dataclass(frozen=True)
class Approval:
    """Verdicts on one demo at one set of pins."""

    demo: str
    pins: str  # "name@revision12, …": what the app ran
    up: int
    down: int
    interval: Interval


@dataclass(frozen=True)
class Comparison:
    """Blind choices between two revisions of one registry name, in one demo."""

    demo: str
    baseline: str  # "repo@revision12"
    candidate: str
    candidate_wins: int
    baseline_wins: int
    same: int
    both_bad: int
    interval: Interval  # the candidate's win rate among the decisive choices
    p_value: float  # exact two-sided binomial test of "both win as often"

    @property
    def real(self) -> bool:
        return self.p_value < SIGNIFICANCE


def wilson(successes: int, trials: int, *, z: float = Z95) -> Interval:
    """The Wilson score interval: sound at small counts and at 0% or 100%, unlike p ± z·se."""
    if trials == 0:
        return Interval(0, 0, 0.0, 1.0)
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    spread = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    return Interval(successes, trials, max(0.0, centre - spread), min(1.0, centre + spread))


def binomial_p_value(successes: int, trials: int) -> float:
    """Exact two-sided binomial test against a rate of 1/2: the chance of a split at least this
    uneven if both sides were equally good."""
    if trials == 0:
        return 1.0
    extreme = max(successes, trials - successes)
    tail = sum(math.comb(trials, k) for k in range(extreme, trials + 1)) / 2**trials
    return min(1.0, 2 * tail) if extreme * 2 != trials else 1.0


def pin_label(pins: Iterable[Mapping[str, str]]) -> str:
    """The pins of a record, as one label."""
    return ", ".join(f"{p['name']}@{p['revision'][:12]}" for p in sorted(pins, key=lambda p: p["name"])) or "no pins"


def approvals(records: Sequence[Mapping]) -> list[Approval]:
    """Per demo and per set of pins: 👍 and 👎, and the approval rate with its interval."""
    counts: dict[tuple[str, str], list[int]] = {}
    for record in records:
        if record["kind"] != "verdict":
            continue
        tally = counts.setdefault((record["demo"], pin_label(record["pins"])), [0, 0])
        tally[0 if record["verdict"] == "up" else 1] += 1
    return [
        Approval(demo, pins, up, down, wilson(up, up + down)) for (demo, pins), (up, down) in sorted(counts.items())
    ]


def comparisons(records: Sequence[Mapping]) -> list[Comparison]:
    """Per demo and pair of revisions: the choices, the candidate's win rate among decisive ones
    (its interval), and the exact binomial test of the difference."""
    counts: dict[tuple[str, str, str], dict[str, int]] = {}
    for record in records:
        if record["kind"] != "comparison":
            continue
        # By repo: a candidate may be another repo (a model that would replace the pinned one).
        baseline, candidate = (f"{p['repo']}@{p['revision'][:12]}" for p in record["compared"])
        tally = counts.setdefault((record["demo"], baseline, candidate), dict.fromkeys(
            ("candidate", "baseline", "same", "both bad"), 0))  # fmt: skip
        tally[record["verdict"]] += 1
    found = []
    for (demo, baseline, candidate), tally in sorted(counts.items()):
        decisive = tally["candidate"] + tally["baseline"]
        found.append(
            Comparison(
                demo=demo,
                baseline=baseline,
                candidate=candidate,
                candidate_wins=tally["candidate"],
                baseline_wins=tally["baseline"],
                same=tally["same"],
                both_bad=tally["both bad"],
                interval=wilson(tally["candidate"], decisive),
                p_value=binomial_p_value(tally["candidate"], decisive),
            )
        )
    return found
