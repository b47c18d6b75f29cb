"""The report's counting, events in and figures out, on hand-made status events."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from typing import Any

from lienthong.report.figures import Period, build_report

Record = dict[str, Any]
HANOI_COMMUNE, HCMC_COMMUNE = "00004", "26506"
_ids = itertools.count()


def event(dossier: str, **fields: Any) -> Record:
    return {"meta": {"event_id": f"e{next(_ids)}", "dossier_id": dossier}, **fields}


def received(dossier: str, day: dt.date, commune: str = HANOI_COMMUNE, **more: Any) -> Record:
    return event(dossier, received_on=day, registering_commune=commune, **more)


def story() -> list[tuple[str, Record]]:
    may, june = dt.date(2026, 5, 4), dt.date(2026, 6, 1)
    return [
        ("DossierReceived", received("a", may, statutory_days=3, deadline_days=3)),
        ("DossierFinished", event("a", outcome="COMPLETED", on_time=True)),
        ("SatisfactionRecorded", event("a", satisfied=True, reason=None)),
        (
            "DossierReceived",
            received("b", june, statutory_days=3, deadline_days=2, deadline_decision="Q1"),
        ),
        ("DossierOverdue", event("b", step="residence")),
        ("DossierFinished", event("b", outcome="PARTLY_COMPLETED", on_time=False)),
        ("SatisfactionRecorded", event("b", satisfied=False, reason="TOO_SLOW")),
        ("DossierReceived", received("c", june)),  # still open, from an older hub: no days
        ("DossierReceived", received("d", june)),
        ("DossierFinished", event("d", outcome="WITHDRAWN", on_time=True)),
        ("DossierReceived", received("e", june, commune=HCMC_COMMUNE)),  # another province
        ("DossierReceived", received("f", dt.date(2025, 12, 31))),  # another year
        ("DossierReceived", event("g", received_on=june)),  # an older hub: no commune at all
        ("StepFinished", event("a", step="civil_registry")),  # not read by the report
    ]


def test_every_figure_of_a_small_story() -> None:
    report = build_report(story(), Period("01", 2026))
    t = report.totals
    assert (t.received, t.settled, t.on_time, t.overdue) == (4, 2, 1, 1)
    assert (report.still_open, report.withdrawn, t.on_time_share) == (1, 1, 0.5)
    assert report.overdue_by_agency == {"Commune police (residence)": 1}
    assert (report.answers, report.satisfied, report.reasons) == (2, 1, {"TOO_SLOW": 1})
    assert (report.statutory_days, report.deadline_days) == (6, 5)
    assert [
        (d.decision, d.dossiers, d.statutory_days, d.deadline_days) for d in report.decisions
    ] == [("Q1", 1, 3, 2)]
    assert [(m.month, m.figures.received) for m in report.months if m.figures.received] == [
        (5, 1),
        (6, 3),
    ]
    (commune,) = report.communes
    assert (commune.code, commune.figures.received) == (HANOI_COMMUNE, 4)


def test_order_and_redelivery_do_not_change_the_figures() -> None:
    events = story()
    shuffled = [*events, *events[:5]]
    random.Random(4).shuffle(shuffled)
    period = Period("01", 2026)
    assert build_report(shuffled, period) == build_report(events, period)


def test_a_month_and_an_empty_period() -> None:
    june = build_report(story(), Period("01", 2026, 6))
    assert (june.totals.received, [m.month for m in june.months]) == (3, [6])
    empty = build_report([], Period("01", 2026))
    assert (empty.totals.on_time_share, empty.satisfied_share, empty.cut_share) == (
        None,
        None,
        None,
    )
