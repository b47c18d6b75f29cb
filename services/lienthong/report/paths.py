"""Dossiers by how they began (the family filed, or a health facility's notice opened them, Civil
Status Law 2026) and the time from the birth to its registration on each path: the measure the
law exists to improve."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable
from dataclasses import dataclass

#: The paths in the order the report gives them.
PATHS = ("family", "facility")
LABELS = {
    "family": "Filed by the family (gia đình nộp)",
    "facility": "Opened from a facility's notice (cơ sở y tế thông báo)",
}


@dataclass(frozen=True)
class PathRow:
    """Dossiers of one path, those registered, and the median days from birth to registration."""

    path: str
    dossiers: int
    registered: int
    median_days: float | None


def by_path(seen: Iterable[tuple[str, dt.datetime | None, dt.datetime | None]]) -> list[PathRow]:
    """One row per path from (path, birth, registration) of each dossier."""
    dossiers = list(seen)
    rows: list[PathRow] = []
    for path in PATHS:
        mine = [(born, at) for p, born, at in dossiers if p == path]
        days = [(at - born).total_seconds() / 86400 for born, at in mine if born and at]
        median = statistics.median(days) if days else None
        rows.append(PathRow(path, len(mine), len(days), median))
    return rows


def measures(rows: list[PathRow]) -> list[tuple[str, str, str]]:
    """(measure, count, median days) rows of the report's table."""
    return [
        (
            f"{LABELS[row.path]}, registered",
            f"{row.dossiers:,} / {row.registered:,}",
            "—" if row.median_days is None else f"{row.median_days:.1f} days from birth",
        )
        for row in rows
    ]
