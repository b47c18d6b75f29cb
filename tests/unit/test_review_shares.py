"""Automatic vs reviewed, and the group's version, where operators and the province read them:
the hub marks a step an official decided, the board shows each step's shares, the report counts
them (and the dossiers by version) from the status topic alone."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from test_hub_detours import CR, FULL, desk, only
from test_report_paths import MAY, event

from lienthong.hub.pages.board import board_view, merge, part
from lienthong.report.figures import Period, build_report
from lienthong.report.render import measures

NOW = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC)
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


def test_a_step_an_official_reviews_is_marked_and_announced_as_waiting_for_review() -> None:
    hub = desk(FULL)
    received = only(hub.log, "DossierReceived")
    assert received["version"] == hub.st.version != ""
    deferred = hub.agency_event(
        CR, "StepDeferred", step=CR, waiting_for="review", message="Đang xem xét."
    )
    outputs = hub.apply("StepDeferred", deferred)
    assert only(outputs, "StepWaiting")["waiting_for"] == "REVIEW"
    assert hub.st.steps[CR].reviewed
    hub.register("012345678901")
    assert hub.st.steps[CR].phase == "completed" and hub.st.steps[CR].reviewed


def test_a_step_deferred_for_an_outside_system_is_not_reviewed() -> None:
    hub = desk(FULL)
    deferred = hub.agency_event(
        CR, "StepDeferred", step=CR, waiting_for="population_database", message="Đang chờ."
    )
    outputs = hub.apply("StepDeferred", deferred)
    assert only(outputs, "StepWaiting")["waiting_for"] == "POPULATION_DATABASE"
    assert not hub.st.steps[CR].reviewed


def stored(steps: dict[str, dict[str, Any]], phase: str = "finished") -> dict[str, Any]:
    return {"phase": phase, "receipt_number": "TN-1", "steps": steps}


def test_the_board_shows_each_steps_answers_automatic_and_reviewed() -> None:
    done = {"phase": "completed", "finished_at": NOW.isoformat()}
    parts = [
        part([stored({CR: {**done, "reviewed": True}, "residence": done})], NOW, ZONE),
        part(
            [
                stored({CR: done}),
                stored({CR: {**done, "phase": "rejected", "reviewed": True}}),
                stored({CR: {"phase": "handed_off", "reviewed": True}}, phase="open"),
            ],
            NOW,
            ZONE,
        ),
    ]
    view = board_view(merge(parts), {"rows": []}, NOW)
    rows = {r["step"]: r for r in view["steps"]}
    assert (rows[CR]["automatic"], rows[CR]["reviewed"]) == (1, 2)
    assert rows[CR]["reviewed_share"] == round(2 / 3, 4)
    assert (rows["residence"]["automatic"], rows["residence"]["reviewed"]) == (1, 0)
    assert rows["residence"]["reviewed_share"] == 0.0
    assert rows["health_insurance"]["reviewed_share"] is None


def finished(dossier: str, step: str, outcome: str = "COMPLETED") -> tuple[str, dict[str, Any]]:
    meta = {"event_id": f"{dossier}{step}f", "dossier_id": dossier, "occurred_at": NOW}
    return "StepFinished", {"meta": meta, "step": step, "outcome": outcome}


def waited(dossier: str, step: str, waiting_for: str) -> tuple[str, dict[str, Any]]:
    return "StepWaiting", event(dossier, 5, step=step, waiting_for=waiting_for, message="")


def received(dossier: str, version: str | None) -> tuple[str, dict[str, Any]]:
    extra = {} if version is None else {"version": version}
    return "DossierReceived", event(
        dossier, 0, received_on=MAY, registering_commune="00004", **extra
    )


def test_the_report_counts_dossiers_by_version_and_steps_automatic_or_reviewed() -> None:
    events = [
        received("a", "301/2026"),
        waited("a", CR, "REVIEW"),
        finished("a", CR),
        finished("a", "residence"),
        received("b", "301/2026"),
        waited("b", CR, "POPULATION_DATABASE"),
        finished("b", CR, "REJECTED"),
        received("c", "2026-07-01"),
        finished("c", CR),
        waited("c", "residence", "REVIEW"),  # still on the desk: not decided yet
        received("d", None),  # from a hub older than versions
    ]
    report = build_report(events, Period("01", 2027))
    assert [(v.version, v.dossiers) for v in report.versions] == [
        ("2026-07-01", 1),
        ("301/2026", 2),
        ("unknown", 1),
    ]
    decided = {d.step: (d.automatic, d.reviewed) for d in report.decided}
    assert decided == {CR: (2, 1), "residence": (1, 0)}
    rows = {m[0]: m[1:] for m in measures(report)}
    assert rows["civil_registry: automatic / reviewed by an official"] == (
        "2 / 1",
        "33.3% reviewed",
    )
    assert rows["Version 301/2026 of the birth group"] == ("2", "")
