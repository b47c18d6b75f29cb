"""The boundary in process: each topic's contract, the inbox's origin, permanent refusals."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from aiokafka.errors import KafkaConnectionError, MessageSizeTooLargeError
from aiokafka.partitioner import DefaultPartitioner
from faust.exceptions import ProducerSendError

from lienthong import topics
from lienthong.contracts.codec import AvroCodec, Decoded
from lienthong.contracts.events import Envelope, metadata
from lienthong.domain.calendar import ManualClock
from lienthong.errors import MessageTooLarge, WrongEventType
from lienthong.limits import MAX_MESSAGE_BYTES
from lienthong.metrics import Metrics
from lienthong.runtime import pipeline as pipeline_module
from lienthong.runtime.boundary import ORIGIN_HEADER, Boundary, partition_for
from lienthong.runtime.pipeline import Pipeline
from lienthong.runtime.types import Outcome, Received

AT = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
CODEC = AvroCodec()
BOUNDARY = Boundary("lienthong", MAX_MESSAGE_BYTES, 4)


def rejected(step: str, dossier_id: str = "D-1") -> Decoded:
    record = {
        "meta": metadata("StepRejected", dossier_id, "residence", AT, None),
        "step": step,
        "reason_code": "x",
        "reason": "y",
    }
    return CODEC.decode(CODEC.encode("StepRejected", record))


def withdrawn(dossier_id: str = "D-1") -> bytes:
    record = {"meta": metadata("DossierWithdrawn", dossier_id, "portal", AT, None), "reason": ""}
    return CODEC.encode("DossierWithdrawn", record)


def test_every_topic_the_deployables_read_has_a_contract() -> None:
    read = {*topics.HUB_READS, topics.DEADLINES, topics.by_register_key("civil-registry")}
    read |= {role for access in topics.ACCESS.values() for role in access.reads}
    read -= {topics.STATUS, topics.DEADLETTER}  # read by people and subscribers, not decided on
    assert read <= set(topics.CARRIES)


def test_a_type_the_topic_does_not_carry_is_refused() -> None:
    decoded = CODEC.decode(withdrawn())
    BOUNDARY.check("lienthong.intake", decoded)
    with pytest.raises(WrongEventType, match="not DossierWithdrawn"):
        BOUNDARY.check("lienthong.completion.residence", decoded)


def test_an_answer_counts_only_for_its_topics_step() -> None:
    BOUNDARY.check("lienthong.completion.residence", rejected("residence"))
    with pytest.raises(WrongEventType, match="answers only for the step residence"):
        BOUNDARY.check("lienthong.completion.residence", rejected("civil_registry"))


def test_another_prefix_is_not_ours_to_judge() -> None:
    BOUNDARY.check("other.completion.residence", CODEC.decode(withdrawn()))


def test_size_is_checked_before_decoding() -> None:
    big = Received("lienthong.intake", 0, 1, b"k", b"\xc3\x01" + b"x" * MAX_MESSAGE_BYTES, {})
    with pytest.raises(MessageTooLarge, match="at most 65,536 bytes"):
        BOUNDARY.check_size(big)


def test_the_inbox_gives_back_the_origin_and_refuses_forgeries() -> None:
    origin = Received("lienthong.intake", 2, 15, b"D-1", withdrawn(), {})
    name, value = BOUNDARY.origin_header(origin)
    forwarded = Received("lienthong.hub.inbox", 1, 7, b"D-1", withdrawn(), {name: value})
    unwrapped = BOUNDARY.unwrap(forwarded)
    assert unwrapped.coordinates == "lienthong.intake[2]@15"
    assert str(unwrapped) == "lienthong.intake[2]@15 via lienthong.hub.inbox[1]@7"
    assert not BOUNDARY.misplaced(unwrapped, "D-1")  # never forwarded twice
    for header in ({}, {ORIGIN_HEADER: b"lienthong.status[0]@1"}, {ORIGIN_HEADER: b"\xff"}):
        with pytest.raises(WrongEventType, match="only messages the hub forwarded"):
            BOUNDARY.unwrap(Received("lienthong.hub.inbox", 1, 7, b"D-1", withdrawn(), header))


def test_the_hubs_partition_is_its_producers_partition() -> None:
    java = DefaultPartitioner()
    for n in range(200):
        key = f"DVC-2026-{n:06d}-0000"
        assert partition_for(key, 4) == java(key.encode(), [0, 1, 2, 3], [0, 1, 2, 3])


def test_only_outside_messages_off_their_partition_are_misplaced() -> None:
    dossier = "DVC-2026-000001-0000"
    home = partition_for(dossier, 4)
    away = (home + 1) % 4
    assert BOUNDARY.misplaced(Received("lienthong.intake", away, 0, None, b"", {}), dossier)
    assert not BOUNDARY.misplaced(Received("lienthong.intake", home, 0, None, b"", {}), dossier)
    status = Received("lienthong.hub.deadlines", away, 0, None, b"", {})
    assert not BOUNDARY.misplaced(status, dossier)


class Topic:
    """A topic whose sends fail with the given errors, in order, then succeed."""

    def __init__(self, name: str, errors: list[BaseException] | None = None) -> None:
        self.name = name
        self.errors = list(errors or [])
        self.sent: list[tuple[bytes, bytes]] = []
        self.attempts = 0

    def get_topic_name(self) -> str:
        return self.name

    async def send(self, *, key: bytes, value: bytes, **_: Any) -> Any:
        self.attempts += 1
        if self.errors:
            raise self.errors.pop(0)
        self.sent.append((key, value))

        async def done() -> None:
            return None

        return done()


def make(status: Topic) -> tuple[Pipeline, Topic]:
    dead = Topic("lienthong.deadletter")
    stages: Any = {"status": status}
    pipe = Pipeline("hub", CODEC, stages, dead, Metrics.create(), ManualClock(AT), BOUNDARY)  # type: ignore[arg-type]
    return pipe, dead


def deadline_check() -> dict[str, Any]:
    return {"meta": metadata("DeadlineCheck", "D-1", "hub", AT, None, 1)}


def incoming() -> Received:
    value = CODEC.encode("DeadlineCheck", deadline_check())
    return Received("lienthong.hub.deadlines", 0, 3, b"D-1", value, {})


async def answer(decoded: Decoded, got: Received) -> Outcome:
    return Outcome([Envelope("status", "DeadlineCheck", deadline_check())])


async def test_a_refusal_no_retry_can_change_dead_letters_the_cause() -> None:
    too_large = ProducerSendError("Error while sending")
    too_large.__cause__ = MessageSizeTooLargeError("1,200,000 bytes")
    status = Topic("lienthong.status", [too_large])
    pipe, dead = make(status)
    await pipe.process(incoming(), answer)
    assert status.attempts == 1 and status.sent == []
    (letter,) = [CODEC.decode(value).record for _, value in dead.sent]
    assert letter["error_kind"] == "PublishRefused"
    assert "MessageSizeTooLargeError" in letter["reason"]
    assert (letter["topic"], letter["offset"]) == ("lienthong.hub.deadlines", 3)


async def test_a_transient_failure_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline_module, "SEND_RETRY_SECONDS", (0.0,))
    status = Topic("lienthong.status", [KafkaConnectionError("broker restarting")] * 2)
    pipe, dead = make(status)
    await pipe.process(incoming(), answer)
    assert status.attempts == 3 and len(status.sent) == 1
    assert dead.sent == []


async def test_an_output_too_large_is_never_sent() -> None:
    status = Topic("lienthong.status")
    pipe, dead = make(status)
    pipe.max_output_bytes = 20
    await pipe.process(incoming(), answer)
    assert status.sent == []
    (letter,) = [CODEC.decode(value).record for _, value in dead.sent]
    assert "more than the 20 bytes any output may have" in letter["reason"]


async def test_a_dead_letter_keeps_a_bounded_part_of_a_huge_message() -> None:
    status = Topic("lienthong.status")
    pipe, dead = make(status)
    huge = Received("lienthong.intake", 1, 9, b"D-1", b"\xc3\x01" + b"x" * 900_000, {})
    await pipe.process(huge, answer)
    (letter,) = [CODEC.decode(value).record for _, value in dead.sent]
    assert letter["error_kind"] == "MessageTooLarge"
    assert len(letter["value"]) == MAX_MESSAGE_BYTES
    assert "the whole message stays at lienthong.intake[1]@9" in letter["reason"]
    assert len(letter["reason"]) < 1200


async def test_a_type_off_its_topic_is_a_dead_letter_and_decides_nothing() -> None:
    status = Topic("lienthong.status")
    pipe, dead = make(status)
    decided: list[str] = []

    async def handler(decoded: Decoded, got: Received) -> Outcome:
        decided.append(decoded.name)
        return Outcome()

    value = CODEC.encode("DeadlineCheck", deadline_check())
    await pipe.process(Received("lienthong.intake", 0, 1, b"D-1", value, {}), handler)
    assert decided == []
    (letter,) = [CODEC.decode(value).record for _, value in dead.sent]
    assert letter["error_kind"] == "WrongEventType"
