"""The guarded consumer commits a partition only over offsets its handlers finished, in order."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from faust.transport.consumer import Consumer as FaustConsumer
from faust.types import TP
from faust.types.tuples import ConsumerMessage

from lienthong.runtime.faust.app import GuardedApp
from lienthong.runtime.faust.offsets import BUSY_STALLS, GuardedConsumer

TOPIC = "lienthong.intake"
TP0 = TP(TOPIC, 0)


@pytest.fixture
def consumer() -> Iterator[GuardedConsumer]:
    app = GuardedApp("offsets-test", broker="kafka://127.0.0.1:1", web_enabled=False)
    app.topics.acks_enabled_for = lambda topic: topic == TOPIC  # type: ignore[method-assign]
    app.consumer_generation_id = 7
    made = app.consumer
    assert isinstance(made, GuardedConsumer)
    yield made


def message(offset: int, generation: int = 7) -> ConsumerMessage:
    return ConsumerMessage(
        TOPIC, 0, offset, 0.0, 0, None, b"k", b"v", None, tp=TP0, generation_id=generation
    )


def handle(consumer: GuardedConsumer, *offsets: int, generation: int = 7) -> None:
    """What the pipeline and the stream do: mark the message handled, then acknowledge it."""
    for offset in offsets:
        msg = message(offset, generation)
        consumer.app.handled(msg)  # type: ignore[attr-defined]
        assert consumer.ack(msg) is (generation == consumer.app.consumer_generation_id)


def test_a_run_from_the_committed_offset_is_committed(consumer: GuardedConsumer) -> None:
    consumer._committed_offset[TP0] = 10
    handle(consumer, 10, 11, 12)
    assert consumer._new_offset(TP0) == 13


def test_a_run_that_starts_past_the_committed_offset_waits(consumer: GuardedConsumer) -> None:
    consumer._committed_offset[TP0] = 10
    handle(consumer, 11, 12)
    assert consumer._new_offset(TP0) is None, "offset 10 was never handled"
    handle(consumer, 10)
    assert consumer._new_offset(TP0) == 13


def test_faust_alone_would_commit_past_the_missing_offset() -> None:
    """Why the guard exists: the same state, through Faust's own bookkeeping."""
    app = GuardedApp("offsets-faust", broker="kafka://127.0.0.1:1", web_enabled=False)
    consumer = app.consumer
    consumer._committed_offset[TP0] = 10  # type: ignore[attr-defined]
    consumer._acked[TP0] = [11, 12]  # type: ignore[attr-defined]
    consumer._acked_index[TP0] = {11, 12}  # type: ignore[attr-defined]
    assert FaustConsumer._new_offset(consumer, TP0) == 13  # type: ignore[arg-type]


def test_without_a_known_floor_nothing_is_committed(consumer: GuardedConsumer) -> None:
    handle(consumer, 40, 41)
    assert consumer._new_offset(TP0) is None
    consumer._log_start[TP0] = 0
    assert consumer._new_offset(TP0) is None, "offsets 0 to 39 were never handled"
    handle(consumer, *range(40))
    assert consumer._new_offset(TP0) == 42


def test_an_acknowledged_but_unhandled_message_does_not_count(consumer: GuardedConsumer) -> None:
    """Faust acknowledges the messages a stream skips during a rebalance."""
    consumer._committed_offset[TP0] = 5
    skipped = message(5)
    assert consumer.ack(skipped) is False
    assert skipped.acked, "nothing waits for it any more"
    handle(consumer, 6, 7)
    assert consumer._new_offset(TP0) is None


def test_a_message_handled_in_an_earlier_generation_does_not_count(
    consumer: GuardedConsumer,
) -> None:
    consumer._committed_offset[TP0] = 5
    handle(consumer, 5, generation=6)
    handle(consumer, 6)
    assert consumer._new_offset(TP0) is None


async def test_a_jump_in_offsets_is_not_a_gap_to_commit(
    consumer: GuardedConsumer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(consumer, "assignment", lambda: {TP0})
    monkeypatch.setattr(consumer, "highwater", lambda tp: 11)
    consumer._committed_offset[TP0] = 0
    handle(consumer, 0)
    await consumer._add_gap(TP0, 1, 9)
    handle(consumer, 10)
    assert consumer._new_offset(TP0) == 1
    assert consumer._new_offset(TP0) is None
    consumer._committed_offset[TP0] = 1  # what a commit of 1 leaves
    assert consumer.to_reread(0.0) == {TP0: 1}, "read again at once, not after a stall"
    assert consumer.to_reread(1.0) == {}


def test_stale_acknowledgements_below_the_floor_are_dropped(consumer: GuardedConsumer) -> None:
    handle(consumer, 3)  # acknowledged before the group's committed offset was known
    consumer._committed_offset[TP0] = 20
    handle(consumer, 20, 21)
    assert consumer._new_offset(TP0) == 22
    assert consumer._acked[TP0] == []


def test_a_partition_stuck_at_its_floor_is_read_again(
    consumer: GuardedConsumer, monkeypatch: pytest.MonkeyPatch
) -> None:
    changelog = TP("offsets-test-dossiers-changelog", 0)
    monkeypatch.setattr(consumer, "assignment", lambda: {TP0, changelog})
    monkeypatch.setattr(consumer, "highwater", lambda tp: 50)
    consumer._committed_offset[TP0] = 10
    consumer._log_start[changelog] = 0  # read by table recovery, never by a stream
    handle(consumer, 11, 12)
    assert consumer.to_reread(100.0) == {}
    wait = consumer.app.stall_seconds
    assert consumer.to_reread(100.0 + wait - 1) == {}
    assert consumer.to_reread(100.0 + wait) == {TP0: 10}
    assert consumer.to_reread(100.0 + wait + 1) == {}, "the clock starts again"


def test_a_moving_or_idle_partition_is_left_alone(
    consumer: GuardedConsumer, monkeypatch: pytest.MonkeyPatch
) -> None:
    end = {"offset": 10}
    monkeypatch.setattr(consumer, "assignment", lambda: {TP0})
    monkeypatch.setattr(consumer, "highwater", lambda tp: end["offset"])
    consumer._committed_offset[TP0] = 10
    assert consumer.to_reread(0.0) == {}
    assert consumer.to_reread(1000.0) == {}, "caught up: nothing to do"
    end["offset"] = 30
    for step in range(1, 10):
        consumer._committed_offset[TP0] = 10 + step
        assert consumer.to_reread(step * consumer.app.stall_seconds) == {}, "the floor moves"


async def test_reading_again_seeks_to_the_floor_and_is_counted(
    consumer: GuardedConsumer, monkeypatch: pytest.MonkeyPatch
) -> None:
    sought: list[dict[TP, int]] = []
    counted: list[str] = []

    async def seek_wait(partitions: dict[TP, int]) -> None:
        sought.append(partitions)

    monkeypatch.setattr(consumer._thread, "seek_wait", seek_wait)
    consumer.app.on_reread = lambda: counted.append("reread")  # type: ignore[attr-defined]
    await consumer.reread({TP0: 10})
    assert sought == [{TP0: 10}] and counted == ["reread"] and consumer.rereads == 1


async def test_reading_again_while_the_broker_is_away_is_tried_later(
    consumer: GuardedConsumer, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def seek_wait(partitions: dict[TP, int]) -> None:
        raise TimeoutError

    monkeypatch.setattr(consumer._thread, "seek_wait", seek_wait)
    await consumer.reread({TP0: 10})  # logged, not raised: the check runs again


def test_a_partition_with_messages_waiting_in_its_stream_is_busy_not_stalled(
    consumer: GuardedConsumer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A backlog: offsets 10 to 40 were handed to the stream (read offset 40), none handled
    # yet. Seeking back every stall period fetched them again behind themselves; under a
    # sustained overload the hub spent its time on reads again (hundreds a minute).
    monkeypatch.setattr(consumer, "assignment", lambda: {TP0})
    monkeypatch.setattr(consumer, "highwater", lambda tp: 50)
    consumer._committed_offset[TP0] = 10
    consumer._read_offset[TP0] = 40
    wait = consumer.app.stall_seconds
    assert consumer.to_reread(0.0) == {}
    assert consumer.to_reread(wait * 2) == {}, "busy: its messages wait behind others"
    assert consumer.to_reread(wait * BUSY_STALLS) == {TP0: 10}, "but not for ever"
    handle(consumer, 11, 12)
    consumer._read_offset[TP0] = 12  # all it was handed is acknowledged: 10 was skipped
    assert consumer.to_reread(wait * BUSY_STALLS + 1) == {}
    assert consumer.to_reread(wait * (BUSY_STALLS + 1)) == {TP0: 10}


async def test_the_jump_that_follows_our_own_seek_is_not_read_again_for(
    consumer: GuardedConsumer, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def seek_wait(partitions: dict[TP, int]) -> None:
        for tp, offset in partitions.items():
            consumer._read_offset[tp] = offset

    monkeypatch.setattr(consumer._thread, "seek_wait", seek_wait)
    monkeypatch.setattr(consumer, "assignment", lambda: {TP0})
    monkeypatch.setattr(consumer, "highwater", lambda tp: 50)
    consumer._committed_offset[TP0] = 10
    await consumer.reread({TP0: 10})
    # The rest of a batch fetched before the seek arrives first: 31, after the floor 10.
    await consumer._add_gap(TP0, 11, 31)
    assert consumer.to_reread(0.0) == {}, "our own seek's jump"
    await consumer._add_gap(TP0, 33, 35)  # a real jump later still counts
    assert consumer.to_reread(1.0) == {TP0: 10}
