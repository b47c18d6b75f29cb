"""A third group costs a package: the made-up parcel group of ``tests/parcel_group`` (its
declaration, rules, agencies' decisions and schemas) runs through the hub's ``decide`` and its
agencies' decisions with no change to the hub's code."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from lienthong import topics
from lienthong.contracts.catalogue import SchemaCatalogue
from lienthong.contracts.codec import AvroCodec
from lienthong.contracts.events import Envelope, metadata
from lienthong.domain.agency import AgencyContext
from lienthong.domain.allocation import BufferedCounters
from lienthong.domain.calendar import WorkingCalendar
from lienthong.groups.registry import GROUPS
from lienthong.hub import steps as hub_steps
from lienthong.hub.state import DossierState
from lienthong.hub.transitions import Context, decide
from lienthong.lookup import Keyring
from parcel_group.declaration import GROUP as PARCEL
from parcel_group.rules import UNBUILDABLE

Record = dict[str, Any]
NOW = dt.datetime(2026, 3, 3, 2, 0, tzinfo=dt.UTC)
CTX = Context(NOW, WorkingCalendar(), Keyring((("A", b"secret"),)), "https://status.test")


def agency(step: str, handoff: Record) -> tuple[str, Record]:
    """The step's agency decides the handoff as its deployable runs it: the one answer."""
    decide_step = PARCEL.steps[step].decide
    assert decide_step is not None
    ctx = AgencyContext(NOW, WorkingCalendar(), partition=0, partitions=1)
    [answer] = decide_step(handoff, None, BufferedCounters({}), ctx).outputs
    return answer.schema, answer.record


@pytest.fixture
def parcel_group_known(monkeypatch: pytest.MonkeyPatch) -> None:
    """The group registered, and its contracts joined to the catalogue (its schemas folder)."""
    monkeypatch.setenv("LIENTHONG_GROUPS", "parcel_group")  # as a province's process is told
    codec = AvroCodec(SchemaCatalogue())
    monkeypatch.setattr(hub_steps, "_codec", lambda: codec)
    monkeypatch.setitem(GROUPS, PARCEL.name, PARCEL)


def submission(dossier_id: str, note: str) -> Record:
    return {
        "meta": metadata("ParcelSubmitted", dossier_id, "portal", NOW, None),
        "channel": "PORTAL",
        "submitted_at": NOW,
        "group": "parcel",
        "procedures": ["parcel_review", "parcel_request"],
        "note": note,
    }


def handoffs(outputs: list[Envelope]) -> list[Envelope]:
    return [env for env in outputs if env.topic.startswith("handoff.")]


@pytest.mark.parametrize(("refuse", "outcome"), [(False, "COMPLETED"), (True, "PARTLY_COMPLETED")])
def test_a_made_up_group_runs_through_the_hub(
    parcel_group_known: None, refuse: bool, outcome: str
) -> None:
    note = f"Lot 42 ({UNBUILDABLE})" if refuse else "Lot 42"
    state: DossierState | None
    state, outputs = decide(None, "ParcelSubmitted", submission("P-000001", note), CTX)
    assert state is not None and state.phase == "open"
    assert state.procedures == ["parcel_request", "parcel_review"]
    assert state.combination == "parcel+parcel_review"
    [first] = handoffs(outputs)
    assert (first.topic, first.schema) == ("handoff.land-office", "ParcelRequestHandoff")
    assert first.record["note"] == note
    assert topics.completion("parcel_review") == "completion.review-board"

    state, outputs = decide(state, *agency("parcel_request", first.record), CTX)
    [second] = handoffs(outputs)
    assert (second.topic, second.schema) == ("handoff.review-board", "ParcelReviewHandoff")
    assert second.record["parcel"]["lot"] == note

    state, outputs = decide(state, *agency("parcel_review", second.record), CTX)
    [finished] = [env.record for env in outputs if env.schema == "DossierFinished"]
    assert finished["outcome"] == outcome
    results = {p["step"]: p["result_ref"] for p in finished["procedures"]}
    assert results == {
        "parcel_request": "PR-000001",
        "parcel_review": None if refuse else "RV-000001",
    }
