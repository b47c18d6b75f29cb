"""The report's dossiers by path (family-filed, facility-initiated) and the time from the birth
to its registration on each, from hand-made status events."""

from __future__ import annotations

import datetime as dt
from typing import Any

from lienthong.report.figures import Period, build_report
from lienthong.report.render import measures

Record = dict[str, Any]
MAY = dt.date(2027, 5, 4)
BORN = dt.datetime(2027, 5, 1, 3, tzinfo=dt.UTC)


def event(dossier: str, n: int, **fields: Any) -> Record:
    return {"meta": {"event_id": f"{dossier}{n}", "dossier_id": dossier}, **fields}


def registered(dossier: str, days: float, step: str = "civil_registry") -> tuple[str, Record]:
    meta = {"event_id": f"{dossier}r", "dossier_id": dossier}
    at = BORN + dt.timedelta(days=days)
    return "StepFinished", {
        "meta": {**meta, "occurred_at": at},
        "step": step,
        "outcome": "COMPLETED",
    }


def received(dossier: str, path: str) -> tuple[str, Record]:
    return "DossierReceived", event(
        dossier, 0, received_on=MAY, registering_commune="00004", path=path, happened_at=BORN
    )


def test_dossiers_by_path_and_days_from_birth_to_registration() -> None:
    events = [
        registered("f1", 2.0),  # read before its receipt: the order does not matter
        received("f1", "facility"),
        received("f2", "facility"),
        registered("f2", 4.0),
        received("p1", "family"),
        registered("p1", 9.0),
        received("p2", "family"),
        registered("p2", 1.0, step="residence"),  # not the registration
        ("DossierReceived", event("old", 0, received_on=MAY, registering_commune="00004")),
    ]
    report = build_report(events, Period("01", 2027))
    rows = {row.path: (row.dossiers, row.registered, row.median_days) for row in report.paths}
    assert rows == {"family": (3, 1, 9.0), "facility": (2, 2, 3.0)}
    shown = [m for m in measures(report) if "registered" in m[0]]
    assert shown[1] == (
        "Opened from a facility's notice (cơ sở y tế thông báo), registered",
        "2 / 2",
        "3.0 days from birth",
    )
