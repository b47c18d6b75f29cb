"""Province-approved deadline cuts: the declaration's rules, and the hub's clock applying them."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from test_hub_transitions import BASE_URL, CALENDAR, SECRET, Hub

from lienthong.domain import units
from lienthong.domain.deadline_cuts import load_cuts, parse_cuts
from lienthong.errors import DeclarationInvalid
from lienthong.groups.birth.synthetic import generate
from lienthong.hub.pages.status import dossier_view
from lienthong.hub.transitions import Context
from lienthong.metrics import Metrics

ROOT = Path(__file__).resolve().parents[2]
DECISION = "77/QĐ-UBND"
#: Wednesday 1 July 2026, the cut's effective date, and the Tuesday before it (Hanoi, 09:00).
EFFECTIVE = dt.date(2026, 7, 1)
BEFORE = dt.datetime(2026, 6, 30, 2, 0, tzinfo=dt.UTC)
ON = dt.datetime(2026, 7, 1, 2, 0, tzinfo=dt.UTC)


def declaration(**change: Any) -> dict[str, Any]:
    decision = {
        "province": "01",
        "group": "birth",
        "step": "whole",
        "decision": DECISION,
        "effective": EFFECTIVE,
        "days": 2,
    }
    return {"decisions": [{**decision, **change}]}


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"province": "99"}, "decisions.0.province", "no province with code '99'"),
        ({"group": "marriage"}, "decisions.0.group", "unknown procedure group"),
        ({"step": "passport"}, "decisions.0.step", "is not a step of birth"),
        ({"days": 4}, "decisions.0.days", "longer than the law's 3"),
        ({"days_verification": 6}, "decisions.0.days_verification", "longer than the law's 5"),
        ({"days": -1}, "decisions.0.days", "greater than or equal to 0"),
        ({"effective": "1 July"}, "decisions.0.effective", "valid date"),
        ({"decision": ""}, "decisions.0.decision", "at least 1 character"),
        ({"signed_by": "x"}, "decisions.0.signed_by", "Extra inputs are not permitted"),
    ],
)
def test_a_bad_declaration_names_the_field_and_the_rule(
    change: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(DeclarationInvalid) as caught:
        parse_cuts(declaration(**change), "cuts.yaml")
    assert f"cuts.yaml: {field}: " in str(caught.value) and words in str(caught.value)


def test_two_decisions_on_one_day_for_one_procedure_are_refused() -> None:
    twice = declaration()
    twice["decisions"] *= 2
    with pytest.raises(DeclarationInvalid, match="take effect on 2026-07-01; keep one"):
        parse_cuts(twice)


def test_the_shipped_example_declaration_is_valid() -> None:
    cuts = load_cuts(ROOT / "deploy" / "deadline-cuts.yaml")
    assert {c.step for c in cuts.cuts} == {"whole", "residence"}


def test_the_newest_decision_in_force_on_the_received_day_applies() -> None:
    later = declaration(effective=dt.date(2026, 9, 1), days=1, decision="90/QĐ-UBND")
    cuts = parse_cuts({"decisions": declaration()["decisions"] + later["decisions"]})

    def days(on: dt.date, verification: bool = False) -> tuple[int, int, str | None]:
        a = cuts.applied("birth", "whole", verification=verification, province="01", received_on=on)
        return a.statutory_days, a.days, a.decision

    assert days(dt.date(2026, 6, 30)) == (3, 3, None)
    assert days(EFFECTIVE) == (3, 2, DECISION)
    assert days(dt.date(2026, 9, 1)) == (3, 1, "90/QĐ-UBND")
    # No verification figure declared: the statutory 5 days stay.
    assert days(EFFECTIVE, verification=True) == (5, 5, None)


class CutHub(Hub):
    cuts = parse_cuts(declaration())

    def context(self) -> Context:
        return Context(self.now, CALENDAR, SECRET, BASE_URL, cuts=self.cuts)


def dossier_in(province: str, at: dt.datetime) -> dict[str, Any]:
    pool = [d.record for d in generate(60, seed=5, start=at, twins_share=0.0)]
    found = next(
        r
        for r in pool
        if units.commune(r["registering_commune"]).province_code == province  # type: ignore[union-attr]
        and not r.get("verification_needed")
    )
    return copy.deepcopy(found | {"submitted_at": at})


@pytest.mark.parametrize(
    ("province", "at", "days", "decision"),
    [
        pytest.param("01", ON, 2, DECISION, id="in-province-on-the-effective-day"),
        pytest.param("01", BEFORE, 3, None, id="in-province-the-day-before"),
        pytest.param("79", ON, 3, None, id="another-province"),
    ],
)
def test_the_hub_applies_a_cut_from_its_effective_date_in_its_province(
    province: str, at: dt.datetime, days: int, decision: str | None
) -> None:
    hub = CutHub(dossier_in(province, at))
    received = next(e for e in hub.submit() if e.schema == "DossierReceived").record
    assert hub.state is not None
    expected_due = CALENDAR.due_at(at, days)
    assert received["due_at"] == hub.state.due_at == expected_due
    assert (received["statutory_days"], received["deadline_days"]) == (3, days)
    assert received["deadline_decision"] == decision
    view = dossier_view(hub.state, at)
    assert view["deadline"] == {"statutory_days": 3, "days": days, "decision": decision}


def test_the_metric_adds_statutory_and_applied_days() -> None:
    registry = CollectorRegistry()
    metrics = Metrics.create(registry)
    metrics.deadline_days(3, 2)
    metrics.deadline_days(5, 5)
    metrics.deadline_days(None, None)  # from an older hub: nothing known
    value = registry.get_sample_value
    assert value("lienthong_deadline_days_total", {"kind": "statutory"}) == 8
    assert value("lienthong_deadline_days_total", {"kind": "applied"}) == 7
