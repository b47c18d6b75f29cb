"""Dossiers by the group's version they follow (the law as it changes, by date), and each step's
answers decided by the rules alone or by an official on the agency's desk."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from lienthong.limits import clip


@dataclass(frozen=True)
class VersionRow:
    """Dossiers of one group that follow one of its versions."""

    group: str
    version: str
    dossiers: int


@dataclass(frozen=True)
class DecidedRow:
    """One step's answers (completed or refused): decided automatically, or reviewed."""

    step: str
    automatic: int
    reviewed: int

    @property
    def reviewed_share(self) -> float | None:
        decided = self.automatic + self.reviewed
        return self.reviewed / decided if decided else None


def by_version(seen: Iterable[tuple[str, str]]) -> list[VersionRow]:
    """One row per (group, version) from each dossier's pair; "" (an older hub) as "unknown"."""
    counted = Counter((group, version or "unknown") for group, version in seen)
    return [VersionRow(g, v, n) for (g, v), n in sorted(counted.items())]


def decided_by(seen: Iterable[tuple[set[str], set[str]]]) -> list[DecidedRow]:
    """One row per step from each dossier's (steps decided, steps that waited for review)."""
    automatic: Counter[str] = Counter()
    reviewed: Counter[str] = Counter()
    for decided, waited in seen:
        for step in decided:
            (reviewed if step in waited else automatic)[step] += 1
    steps = sorted(set(automatic) | set(reviewed))
    return [DecidedRow(s, automatic[s], reviewed[s]) for s in steps]


def measures(versions: list[VersionRow], decided: list[DecidedRow]) -> list[tuple[str, str, str]]:
    """(measure, count, share) rows of the report's table."""
    rows = [
        (f"Version {clip(v.version, 24)} of the {v.group} group", f"{v.dossiers:,}", "")
        for v in versions
    ]
    for d in decided:
        share = d.reviewed_share
        rows.append(
            (
                f"{d.step}: automatic / reviewed by an official",
                f"{d.automatic:,} / {d.reviewed:,}",
                "" if share is None else f"{100 * share:.1f}% reviewed",
            )
        )
    return rows
