"""The replay decision, without a broker: where each dead letter may go, and what it skips."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from lienthong import topics
from lienthong.client.deadletters import DeadLetterEntry
from lienthong.client.replay import plan_replay, replayable_roles
from lienthong.contracts.codec import AvroCodec
from lienthong.contracts.events import metadata
from lienthong.settings import Settings

CODEC = AvroCodec()
SETTINGS = Settings(topic_prefix="prod")


def _withdrawal(dossier_id: str = "DVC-1") -> bytes:
    meta = metadata("DossierWithdrawn", dossier_id, "portal", dt.datetime.now(dt.UTC), None)
    return CODEC.encode("DossierWithdrawn", {"meta": meta, "reason": ""})


def _refusal(dossier_id: str = "DVC-1") -> bytes:
    """The police's answer: what their completion topic carries."""
    meta = metadata("StepRejected", dossier_id, "residence", dt.datetime.now(dt.UTC), None)
    record = {"meta": meta, "step": "residence", "reason_code": "x", "reason": "y"}
    return CODEC.encode("StepRejected", record)


def _entry(topic: str, deployable: str = "hub", kind: str = "X", value: bytes | None = None) -> Any:
    record = {
        "event_id": uuid.uuid4(),
        "topic": topic,
        "partition": 0,
        "offset": 0,
        "key": b"k",
        "value": _withdrawal() if value is None else value,
        "headers": {},
        "deployable": deployable,
        "error_kind": kind,
        "reason": "r",
        "failed_at": dt.datetime.now(dt.UTC),
    }
    return DeadLetterEntry(0, 0, record)


def test_a_type_its_topic_does_not_carry_would_fail_again() -> None:
    misplaced = _entry("prod.completion.residence", kind="WrongEventType")
    plan = plan_replay([misplaced], SETTINGS, set())
    assert not plan.send
    assert "completion.residence does not carry DossierWithdrawn" in str(plan.skipped)


def test_only_topics_a_deployable_consumes_can_be_replayed_to() -> None:
    roles = replayable_roles()
    assert topics.DEADLETTER not in roles and topics.STATUS not in roles
    assert roles[topics.INTAKE] == {"hub"}
    assert roles[topics.handoff("residence")] == {"residence"}
    assert roles[topics.completion("residence")] == {"hub"}


@pytest.mark.parametrize(
    ("topic", "deployable", "why"),
    [
        ("prod.made-up", "hub", "'prod.made-up' is not a topic"),
        ("staging.intake", "hub", "'staging.intake' is not a topic"),
        ("prod.status", "hub", "'prod.status' is not a topic"),
        ("prod.deadletter", "hub", "'prod.deadletter' is not a topic"),
        ("prod.handoff.residence", "hub", "'hub' does not read prod.handoff.residence"),
        ("prod.intake", "residence", "'residence' does not read prod.intake"),
    ],
)
def test_a_forged_destination_is_refused_even_when_forced(
    topic: str, deployable: str, why: str
) -> None:
    plan = plan_replay([_entry(topic, deployable)], SETTINGS, set(), force=True)
    assert not plan.send
    (skipped,) = plan.skipped
    assert why in skipped.why and not skipped.forcible


def test_what_would_fail_again_is_skipped_unless_forced() -> None:
    undecodable = _entry("prod.intake", value=b"\x00junk")
    unknown = _entry("prod.intake", kind="UnknownDossier")
    plan = plan_replay([undecodable, unknown], SETTINGS, set())
    assert not plan.send
    assert [s.forcible for s in plan.skipped] == [True, True]
    assert "the original does not decode" in plan.skipped[0].why
    assert "has still not received dossier DVC-1" in plan.skipped[1].why
    forced = plan_replay([undecodable, unknown], SETTINGS, set(), force=True)
    assert [topic for _, topic in forced.send] == ["prod.intake", "prod.intake"]


def test_one_about_an_unknown_dossier_goes_back_once_it_is_received() -> None:
    unknown = _entry("prod.completion.residence", kind="UnknownDossier", value=_refusal())
    plan = plan_replay([unknown], SETTINGS, {"DVC-1"})
    assert plan.send == [(unknown, "prod.completion.residence")] and not plan.skipped
