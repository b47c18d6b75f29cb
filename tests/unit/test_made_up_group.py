"""A third group costs a declaration (and its contracts): a made-up group with fake agencies runs
through the hub's ``decide`` with no change to the hub's code."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from lienthong import topics
from lienthong.contracts.catalogue import RELEASED_DIR, SchemaCatalogue, schema_root
from lienthong.contracts.codec import AvroCodec
from lienthong.contracts.events import Envelope, metadata
from lienthong.domain.agency import COMPLETION, Decision
from lienthong.domain.calendar import WorkingCalendar
from lienthong.domain.declaration import ProcedureGroup, StepSpec
from lienthong.groups.registry import GROUPS
from lienthong.hub import steps as hub_steps
from lienthong.hub.state import DossierState
from lienthong.hub.transitions import Context, decide
from lienthong.lookup import Keyring

Record = dict[str, Any]
NOW = dt.datetime(2026, 3, 3, 2, 0, tzinfo=dt.UTC)
CTX = Context(NOW, WorkingCalendar(), Keyring((("A", b"secret"),)), "https://status.test")


def fake_land(handoff: Record) -> tuple[str, Record]:
    """The fake land office registers the request and names the parcel."""
    meta = metadata("ParcelRequested", handoff["meta"]["dossier_id"], "fake-land", NOW, "h")
    parcel = {"lot": handoff["note"], "registered_at": NOW}
    return "ParcelRequested", {"meta": meta, "request_ref": "PR-1", "parcel": parcel}


def fake_review(handoff: Record, *, refuse: bool) -> tuple[str, Record]:
    """The fake board reviews the parcel it was handed, or refuses."""
    assert handoff["parcel"]["lot"] == "Lot 42"
    dossier_id = handoff["meta"]["dossier_id"]
    if refuse:
        meta = metadata("StepRejected", dossier_id, "fake-review", NOW, "r")
        return "StepRejected", {
            "meta": meta,
            "step": "parcel_review",
            "reason_code": "not_buildable",
            "reason": "The parcel is not buildable.",
            "duplicate_of": None,
        }
    meta = metadata("ParcelReviewed", dossier_id, "fake-review", NOW, "r")
    return "ParcelReviewed", {"meta": meta, "review_ref": "RV-9"}


def land_office(handoff: Record, entry: Record | None, counters: Any, ctx: Any) -> Decision:
    """The fake land office's decision as its agency deployable runs it."""
    return Decision([Envelope(COMPLETION, *fake_land(handoff))])


def review_board(handoff: Record, entry: Record | None, counters: Any, ctx: Any) -> Decision:
    """The fake review board's decision as its agency deployable runs it."""
    return Decision([Envelope(COMPLETION, *fake_review(handoff, refuse=False))])


PARCEL = ProcedureGroup(
    name="parcel",
    label_en="Parcel request and review",
    label_vi="Yêu cầu và thẩm định thửa đất",
    submission="ParcelSubmitted",
    validate=lambda event, now: event,
    subject="parcel",
    steps={
        "parcel_request": StepSpec(
            agency="Fake land office",
            agency_vi="Văn phòng đất đai (giả)",
            deployable="fake-land",
            label_en="Parcel request",
            label_vi="Yêu cầu thửa đất",
            projection=lambda submission: {"note": submission["note"]},
            result_ref="request_ref",
            target_days=1,
            results=("ParcelRequested",),
            handoff="ParcelRequestHandoff",
            decide=land_office,
        ),
        "parcel_review": StepSpec(
            agency="Fake review board",
            agency_vi="Hội đồng thẩm định (giả)",
            deployable="fake-review",
            label_en="Parcel review",
            label_vi="Thẩm định thửa đất",
            projection=lambda submission: {},
            result_ref="review_ref",
            requires=("parcel_request",),
            target_days=2,
            results=("ParcelReviewed",),
            handoff="ParcelReviewHandoff",
            decide=review_board,
        ),
    },
    combinations=(frozenset({"parcel_request", "parcel_review"}),),
    deadline_days=3,
    deadline_days_verification=5,
)


@pytest.fixture
def parcel_group(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The group declared, and its contracts: the submission schema and its steps' symbols."""
    root = tmp_path / "schemas"
    shutil.copytree(schema_root(), root, ignore=shutil.ignore_patterns(RELEASED_DIR))
    step = {"type": "enum", "name": "vn.lienthong.v1.common.Step", "symbols": [*PARCEL.steps]}
    (root / "groups" / "parcel").mkdir()
    (root / "groups" / "parcel" / "Step.avsc").write_text(json.dumps(step))
    submitted = {
        "type": "record",
        "name": "ParcelSubmitted",
        "namespace": "vn.lienthong.v1.intake",
        "doc": "A made-up group's submission.",
        "fields": [
            {"name": "meta", "type": "vn.lienthong.v1.common.EventMetadata", "doc": "Meta."},
            {"name": "channel", "type": "string", "doc": "Channel."},
            {
                "name": "submitted_at",
                "type": {"type": "long", "logicalType": "timestamp-millis"},
                "doc": "When.",
            },
            {"name": "group", "type": "string", "doc": "Group."},
            {
                "name": "procedures",
                "type": {"type": "array", "items": "vn.lienthong.v1.common.Step"},
                "doc": "Steps.",
            },
            {"name": "note", "type": "string", "doc": "What is asked."},
        ],
    }
    (root / "intake" / "ParcelSubmitted.avsc").write_text(json.dumps(submitted))
    codec = AvroCodec(SchemaCatalogue(root))
    monkeypatch.setattr(hub_steps, "_codec", lambda: codec)
    monkeypatch.setitem(GROUPS, PARCEL.name, PARCEL)


def submission(dossier_id: str) -> Record:
    return {
        "meta": metadata("ParcelSubmitted", dossier_id, "portal", NOW, None),
        "channel": "PORTAL",
        "submitted_at": NOW,
        "group": "parcel",
        "procedures": ["parcel_review", "parcel_request"],
        "note": "Lot 42",
    }


def handoffs(outputs: list[Envelope]) -> list[Envelope]:
    return [env for env in outputs if env.topic.startswith("handoff.")]


@pytest.mark.parametrize(("refuse", "outcome"), [(False, "COMPLETED"), (True, "PARTLY_COMPLETED")])
def test_a_made_up_group_runs_through_the_hub(
    parcel_group: None, refuse: bool, outcome: str
) -> None:
    state: DossierState | None
    state, outputs = decide(None, "ParcelSubmitted", submission("P-1"), CTX)
    assert state is not None and state.phase == "open"
    assert state.procedures == ["parcel_request", "parcel_review"]
    assert state.combination == "parcel+parcel_review"
    [first] = handoffs(outputs)
    assert (first.topic, first.schema) == ("handoff.fake-land", "ParcelRequestHandoff")
    assert first.record["note"] == "Lot 42"
    assert topics.completion("parcel_review") == "completion.fake-review"

    state, outputs = decide(state, *fake_land(first.record), CTX)
    [second] = handoffs(outputs)
    assert (second.topic, second.schema) == ("handoff.fake-review", "ParcelReviewHandoff")

    state, outputs = decide(state, *fake_review(second.record, refuse=refuse), CTX)
    [finished] = [env.record for env in outputs if env.schema == "DossierFinished"]
    assert finished["outcome"] == outcome
    results = {p["step"]: p["result_ref"] for p in finished["procedures"]}
    assert results == {"parcel_request": "PR-1", "parcel_review": None if refuse else "RV-9"}
