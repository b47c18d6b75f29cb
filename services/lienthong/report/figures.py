"""The province's measures, counted from status events alone: events in, figures out.

A dossier belongs to the period of the day it counts as received, and to the province of the
commune that registers the birth (2025 map). Every figure is about the dossiers of the period,
whenever their later events happened. Each event sets a fact about its dossier (received on,
finished on time, overdue at a step, satisfied), so a replay that reads an event twice changes
nothing and the order of events does not matter; memory grows with dossiers, not events.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar, cast

from lienthong.contracts import records
from lienthong.domain import units
from lienthong.groups.registry import GROUPS
from lienthong.report.paths import PathRow, by_path
from lienthong.report.shares import DecidedRow, VersionRow, by_version, decided_by

T = TypeVar("T")
#: A status event as the report reads it: decoded by the schema it names, read by field.
Status = Mapping[str, object]


@dataclass(frozen=True)
class Period:
    """A province and a year, or one month of it."""

    province: str
    year: int
    month: int | None = None

    def contains(self, day: dt.date) -> bool:
        return day.year == self.year and self.month in (None, day.month)

    @property
    def label(self) -> str:
        return f"{self.year}" if self.month is None else f"{self.year}-{self.month:02d}"


@dataclass
class _Seen:
    """What the status topic says about one dossier."""

    received_on: dt.date | None = None
    group: str = "birth"
    commune: str = ""
    statutory_days: int | None = None
    deadline_days: int | None = None
    decision: str | None = None
    outcome: str | None = None
    on_time: bool | None = None
    overdue_steps: set[str] = field(default_factory=set)
    satisfied: bool | None = None
    reason: str | None = None
    #: How it began, when the reported event happened, when its first step registered it.
    path: str = "family"
    happened_at: dt.datetime | None = None
    completed_at: dict[str, dt.datetime] = field(default_factory=dict)
    #: The group's version it follows; its steps answered, and those that waited for review.
    version: str = ""
    decided: set[str] = field(default_factory=set)
    reviewed: set[str] = field(default_factory=set)

    @property
    def registered_at(self) -> dt.datetime | None:
        """When the group's first step completed (the birth registered)."""
        return self.completed_at.get(GROUPS[self.group].first) if self.group in GROUPS else None

    @property
    def settled(self) -> bool:
        return self.outcome is not None and self.outcome != "WITHDRAWN"

    @property
    def overdue(self) -> bool:
        """Passed its due date: a step was announced overdue, or it finished late."""
        return bool(self.overdue_steps) or (self.settled and self.on_time is False)


def _received(seen: _Seen, r: records.DossierReceived) -> None:
    seen.received_on = r["received_on"]
    seen.group = r.get("group") or "birth"
    seen.commune = r.get("registering_commune") or ""
    seen.statutory_days = r.get("statutory_days")
    seen.deadline_days = r.get("deadline_days")
    seen.decision = r.get("deadline_decision")
    seen.path, seen.happened_at = r.get("path", "family"), r.get("happened_at")
    seen.version = r.get("version", "")


def _step_finished(seen: _Seen, r: records.StepFinished) -> None:
    if r.get("outcome") == "COMPLETED":
        seen.completed_at[r["step"]] = r["meta"]["occurred_at"]
    if r.get("outcome") in ("COMPLETED", "REJECTED"):
        seen.decided.add(r["step"])


def _waiting(seen: _Seen, r: records.StepWaiting) -> None:
    if r["waiting_for"] == "REVIEW":
        seen.reviewed.add(r["step"])


def _finished(seen: _Seen, r: records.DossierFinished) -> None:
    seen.outcome, seen.on_time = r["outcome"], bool(r["on_time"])


def _overdue(seen: _Seen, r: records.DossierOverdue) -> None:
    seen.overdue_steps.add(r["step"])


def _rated(seen: _Seen, r: records.SatisfactionRecorded) -> None:
    seen.satisfied, seen.reason = bool(r["satisfied"]), r.get("reason")


Reader = Callable[[_Seen, records.Event], None]


def _reads(read: Callable[[_Seen, T], None]) -> Reader:
    def reading(seen: _Seen, record: records.Event) -> None:
        # The dispatch point: the codec decoded ``record`` with the schema this reader is
        # registered under (``READERS``), whose record type ``read`` reads.
        read(seen, cast(T, record))

    return reading


#: The status events the report reads, and what each tells it; the rest it skips.
READERS: dict[str, Reader] = {
    "DossierReceived": _reads(_received),
    "DossierFinished": _reads(_finished),
    "DossierOverdue": _reads(_overdue),
    "SatisfactionRecorded": _reads(_rated),
    "StepFinished": _reads(_step_finished),
    "StepWaiting": _reads(_waiting),
}


def collect(events: Iterable[tuple[str, records.Event]]) -> dict[str, _Seen]:
    """One picture per dossier from its status events (a stream is read once)."""
    dossiers: dict[str, _Seen] = {}
    for name, record in events:
        read = READERS.get(name)
        if read is not None:
            read(dossiers.setdefault(record["meta"]["dossier_id"], _Seen()), record)
    return dossiers


def share(part: int, whole: int) -> float | None:
    """``part / whole``, or None when there is nothing to divide."""
    return part / whole if whole else None


@dataclass(frozen=True)
class Punctuality:
    """Dossiers received, settled, settled on time (or early), and overdue."""

    received: int
    settled: int
    on_time: int
    overdue: int

    @property
    def on_time_share(self) -> float | None:
        return share(self.on_time, self.settled)

    @classmethod
    def of(cls, dossiers: list[_Seen]) -> Punctuality:
        settled = [d for d in dossiers if d.settled]
        return cls(
            received=len(dossiers),
            settled=len(settled),
            on_time=sum(1 for d in settled if d.on_time),
            overdue=sum(1 for d in dossiers if d.overdue),
        )


@dataclass(frozen=True)
class CommuneRow:
    code: str
    name: str
    figures: Punctuality


@dataclass(frozen=True)
class MonthRow:
    month: int
    figures: Punctuality


@dataclass(frozen=True)
class DecisionRow:
    """Dossiers held to a province's cut deadline, by decision."""

    decision: str
    dossiers: int
    statutory_days: int
    deadline_days: int


@dataclass(frozen=True)
class ProvinceReport:
    """The table a provincial office publishes for one period."""

    period: Period
    province_name: str
    totals: Punctuality
    withdrawn: int
    still_open: int
    overdue_by_agency: dict[str, int]
    answers: int
    satisfied: int
    reasons: dict[str, int]
    statutory_days: int
    deadline_days: int
    decisions: list[DecisionRow]
    communes: list[CommuneRow]
    months: list[MonthRow]
    #: Dossiers by path and the time from birth to registration (``report.paths``).
    paths: list[PathRow] = field(default_factory=list)
    #: Dossiers by group version, and each step's answers automatic or reviewed (``shares``).
    versions: list[VersionRow] = field(default_factory=list)
    decided: list[DecidedRow] = field(default_factory=list)

    @property
    def satisfied_share(self) -> float | None:
        return share(self.satisfied, self.answers)

    @property
    def cut_share(self) -> float | None:
        """Share of the statutory working days the province's cuts removed (Σ over dossiers)."""
        return share(self.statutory_days - self.deadline_days, self.statutory_days)


def _agency(group: str, step: str) -> str:
    spec = GROUPS[group].steps.get(step) if group in GROUPS else None
    return spec.agency if spec else step


def build_report(events: Iterable[tuple[str, records.Event]], period: Period) -> ProvinceReport:
    """The province's figures for ``period`` from its status events."""
    mine = [
        d
        for d in collect(events).values()
        if d.received_on is not None
        and period.contains(d.received_on)
        and (c := units.commune(d.commune)) is not None
        and c.province_code == period.province
    ]
    agencies: Counter[str] = Counter(
        _agency(d.group, step) for d in mine for step in d.overdue_steps
    )
    rated = [d for d in mine if d.satisfied is not None]
    reasons = Counter(d.reason or "NONE" for d in rated if not d.satisfied)
    timed = [d for d in mine if d.statutory_days is not None and d.deadline_days is not None]
    decisions: Counter[tuple[str, int, int]] = Counter()
    for d in timed:
        if d.decision and d.statutory_days is not None and d.deadline_days is not None:
            decisions[d.decision, d.statutory_days, d.deadline_days] += 1
    months = range(1, 13) if period.month is None else [period.month]
    return ProvinceReport(
        period=period,
        province_name=units.province_name(period.province) or period.province,
        totals=Punctuality.of(mine),
        withdrawn=sum(1 for d in mine if d.outcome == "WITHDRAWN"),
        still_open=sum(1 for d in mine if d.outcome is None),
        overdue_by_agency=dict(sorted(agencies.items())),
        answers=len(rated),
        satisfied=sum(1 for d in rated if d.satisfied),
        reasons=dict(reasons.most_common()),
        statutory_days=sum(d.statutory_days or 0 for d in timed),
        deadline_days=sum(d.deadline_days or 0 for d in timed),
        decisions=[DecisionRow(k[0], n, k[1], k[2]) for k, n in sorted(decisions.items())],
        communes=_ranked(mine),
        paths=by_path((d.path, d.happened_at, d.registered_at) for d in mine),
        versions=by_version((d.group, d.version) for d in mine),
        decided=decided_by((d.decided, d.reviewed) for d in mine),
        months=[
            MonthRow(
                m, Punctuality.of([d for d in mine if d.received_on and d.received_on.month == m])
            )
            for m in months
        ],
    )


def _ranked(dossiers: list[_Seen]) -> list[CommuneRow]:
    """Communes by on-time share (best first), then by dossiers settled, then by code."""
    by_commune: dict[str, list[_Seen]] = {}
    for d in dossiers:
        by_commune.setdefault(d.commune, []).append(d)
    rows = [
        CommuneRow(code, getattr(units.commune(code), "name", code), Punctuality.of(ds))
        for code, ds in by_commune.items()
    ]
    return sorted(
        rows,
        key=lambda r: (-(r.figures.on_time_share or 0.0), -r.figures.settled, r.code),
    )
