"""Group commit: the order of staging, publishing, saving and committing a batch."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from lienthong.contracts.codec import AvroCodec, Decoded
from lienthong.contracts.events import Envelope, metadata
from lienthong.domain.calendar import ManualClock
from lienthong.errors import PublishRefused
from lienthong.metrics import Metrics
from lienthong.runtime.checkpoint import Checkpoint
from lienthong.runtime.pipeline import Pipeline
from lienthong.runtime.types import Outcome, Received

AT = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
CODEC = AvroCodec()


def check(dossier_id: str, tick: int = 1) -> dict[str, Any]:
    return {"meta": metadata("DeadlineCheck", dossier_id, "hub", AT, None, tick)}


@dataclass
class Message:
    topic: str
    partition: int
    offset: int
    key: bytes
    value: bytes
    headers: Any = None


@dataclass
class Event:
    message: Message


class Topic:
    """Records sends in the shared log; fails the first ``fail`` sends' acknowledgements."""

    def __init__(self, name: str, log: list[str], fail: int = 0) -> None:
        self.name, self.log, self.fail = name, log, fail

    def get_topic_name(self) -> str:
        return self.name

    async def send(self, *, key: bytes, value: bytes, **_: Any) -> Any:
        self.log.append(f"send {self.name} {key.decode()}")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.fail:
            self.fail -= 1
            future.set_exception(TimeoutError("no acknowledgement"))
        else:
            future.set_result(None)
        return future


class Table(dict[str, Any]):
    """A table that logs its writes; as Faust's, each write returns its changelog future.

    The broker acknowledges a write after ``ack_delay`` seconds (Faust's producer buffer and
    the network), and refuses the first ``refuse`` writes.
    """

    def __init__(self, log: list[str], ack_delay: float = 0.0, refuse: int = 0) -> None:
        super().__init__()
        self.log, self.ack_delay, self.refuse = log, ack_delay, refuse
        self.listener: Any = None

    def track_changelog(self, listener: Any) -> None:
        """As ``runtime.faust.tables.TrackedTable``: tell the staged view of each write."""
        self.listener = listener

    def __setitem__(self, key: str, value: Any) -> None:
        self.log.append(f"write {key}={value}")
        super().__setitem__(key, value)
        self.send_changelog(key, value)

    def send_changelog(self, key: str, value: Any) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        refused, self.refuse = self.refuse > 0, max(0, self.refuse - 1)

        def acknowledge() -> None:
            if refused:
                self.log.append(f"refused {key}={value}")
                future.set_exception(TimeoutError("changelog write expired"))
            else:
                self.log.append(f"acked {key}={value}")
                future.set_result(None)

        asyncio.get_running_loop().call_later(self.ack_delay, acknowledge)
        if self.listener is not None:
            self.listener(future)
        return future


def setup(
    fail: int = 0, ack_delay: float = 0.0, refuse: int = 0
) -> tuple[Pipeline, Table, list[str]]:
    log: list[str] = []
    topics: Any = {"status": Topic("status", log, fail)}
    dead: Any = Topic("deadletter", log)
    pipeline = Pipeline("hub", CODEC, topics, dead, Metrics.create(), ManualClock(AT))
    table = Table(log, ack_delay, refuse)
    pipeline.producing = lambda: True
    pipeline.on_handled = lambda message: log.append(f"handled {message.offset}")
    return pipeline, table, log


def events(*ids: str) -> list[Event]:
    topic = "lienthong.hub.deadlines"
    values = [CODEC.encode("DeadlineCheck", check(d)) for d in ids]
    return [
        Event(Message(topic, 0, n, d.encode(), v))
        for n, (d, v) in enumerate(zip(ids, values, strict=True))
    ]


def counting(pipeline: Pipeline, table: Table, save_first: bool) -> Any:
    """A handler that counts the events of each dossier in the staged table."""
    view = pipeline.stage(table)

    async def handler(decoded: Decoded, got: Received) -> Outcome:
        key = str(decoded.record["meta"]["dossier_id"])
        seen = (view.get(key) or 0) + 1

        def save() -> None:
            view[key] = seen

        out = Envelope("status", "DeadlineCheck", check(key, seen))
        return Outcome([out], save, save_first=save_first)

    return handler


#: An agency's batch made durable in order: counter, then register entry, then the number out.
REGISTERED_IN_ORDER = [
    "write next=1",
    "acked next=1",
    "write A=issued",
    "acked A=issued",
    "send status A",
    "handled 0",
]


def registering(pipeline: Pipeline, counters: Table, log: list[str]) -> tuple[Any, Table]:
    """An agency's handler: it stages its register entry first, then the counter it used
    (staged tables: counters, then register), and announces after saving."""
    register = Table(log, ack_delay=0.02)
    counter_view, register_view = pipeline.stage(counters), pipeline.stage(register)

    async def handler(decoded: Decoded, got: Received) -> Outcome:
        key = str(decoded.record["meta"]["dossier_id"])

        def save() -> None:
            register_view[key] = "issued"
            counter_view["next"] = 1

        return Outcome([Envelope("status", "DeadlineCheck", check(key))], save, save_first=True)

    return handler, register


async def test_the_hub_publishes_the_whole_batch_then_saves_then_commits() -> None:
    pipeline, table, log = setup()
    handler = counting(pipeline, table, save_first=False)
    await Checkpoint(pipeline, handler).run(events("A", "B", "A"))  # type: ignore[arg-type]
    assert log == [
        "send status A",
        "send status B",
        "send status A",
        "write A=2",  # the second A saw the first one's staged state
        "write B=1",
        "acked A=2",
        "acked B=1",
        "handled 0",
        "handled 1",
        "handled 2",
    ]


async def test_agencies_announce_only_what_the_broker_acknowledged_saving() -> None:
    # The acknowledgement comes late (as when Faust's buffer holds the write): a flush that
    # returned early would let the number out before its counter was durable.
    pipeline, table, log = setup(ack_delay=0.05)
    handler = counting(pipeline, table, save_first=True)
    await Checkpoint(pipeline, handler).run(events("A", "B"))  # type: ignore[arg-type]
    assert log == [
        "write A=1",
        "write B=1",
        "acked A=1",
        "acked B=1",
        "send status A",
        "send status B",
        "handled 0",
        "handled 1",
    ]


async def test_a_failed_batch_is_handled_again_one_by_one_from_the_saved_state(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from lienthong.runtime import pipeline as pipeline_module

    monkeypatch.setattr(pipeline_module, "SEND_RETRY_SECONDS", (0.0,))
    pipeline, table, log = setup(fail=1)
    handler = counting(pipeline, table, save_first=False)
    await Checkpoint(pipeline, handler).run(events("A", "A"))  # type: ignore[arg-type]
    # Nothing of the failed batch was saved; the careful path decides again from the table.
    assert [line for line in log if line.startswith("write")] == ["write A=1", "write A=2"]
    assert log[-2:] == ["handled 0", "handled 1"]
    assert table == {"A": 2}


async def test_a_dead_letter_in_a_batch_stages_nothing_and_the_rest_goes_on() -> None:
    pipeline, table, log = setup()
    handler = counting(pipeline, table, save_first=False)
    batch = events("A", "B")
    batch.insert(1, Event(Message("lienthong.hub.deadlines", 0, 9, b"X", b"not avro")))
    await Checkpoint(pipeline, handler).run(batch)  # type: ignore[arg-type]
    assert "send deadletter X" in log
    assert table == {"A": 1, "B": 1}
    assert log[-3:] == ["handled 0", "handled 9", "handled 1"]


async def test_a_refused_changelog_write_is_written_again_before_anything_is_announced(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from lienthong.runtime import pipeline as pipeline_module

    monkeypatch.setattr(pipeline_module, "SEND_RETRY_SECONDS", (0.0,))
    pipeline, table, log = setup(refuse=1)
    handler = counting(pipeline, table, save_first=True)
    await Checkpoint(pipeline, handler).run(events("A"))  # type: ignore[arg-type]
    assert log == [
        "write A=1",
        "refused A=1",
        "write A=1",
        "acked A=1",
        "send status A",
        "handled 0",
    ]


async def test_the_hub_marks_a_batch_handled_only_once_its_state_is_acknowledged() -> None:
    pipeline, table, log = setup(ack_delay=0.05)
    handler = counting(pipeline, table, save_first=False)
    await Checkpoint(pipeline, handler).run(events("A"))  # type: ignore[arg-type]
    assert log == ["send status A", "write A=1", "acked A=1", "handled 0"]


async def test_without_a_producer_nothing_waits_for_acknowledgements() -> None:
    # Agent test contexts run no producer: a table write is never acknowledged there.
    pipeline, table, log = setup(ack_delay=3600)
    pipeline.producing = lambda: False
    handler = counting(pipeline, table, save_first=True)
    await asyncio.wait_for(Checkpoint(pipeline, handler).run(events("A")), 5)  # type: ignore[arg-type]
    assert log == ["write A=1", "send status A", "handled 0"]


async def test_tables_are_made_durable_in_the_order_they_were_staged() -> None:
    # The register entry is never durable without the counter its number came from: a kill
    # between the two would let a replay announce the number and the next child get it again.
    pipeline, counters, log = setup(ack_delay=0.02)
    handler, _ = registering(pipeline, counters, log)
    await Checkpoint(pipeline, handler).run(events("A"))  # type: ignore[arg-type]
    assert log == REGISTERED_IN_ORDER


@pytest.mark.parametrize("save_first", [True, False])
async def test_a_batch_whose_partition_was_revoked_announces_and_commits_nothing(
    save_first: bool,
) -> None:
    pipeline, table, log = setup()
    handler = counting(pipeline, table, save_first=save_first)
    pipeline.owns = lambda message: False  # a rebalance began while the batch was decided
    await Checkpoint(pipeline, handler).run(events("A", "B"))  # type: ignore[arg-type]
    assert log == []
    assert table == {}


async def test_an_agency_revoked_after_saving_announces_nothing() -> None:
    pipeline, table, log = setup()
    writes = 0

    def counted(key: str, value: Any) -> asyncio.Future[None]:
        nonlocal writes
        writes += 1
        return Table.send_changelog(table, key, value)

    table.send_changelog = counted  # type: ignore[method-assign]
    handler = counting(pipeline, table, save_first=True)
    # The rebalance begins while the state is being made durable.
    pipeline.owns = lambda message: writes == 0
    await Checkpoint(pipeline, handler).run(events("A"))  # type: ignore[arg-type]
    assert log == ["write A=1", "acked A=1"]  # durable, so the new owner replays it


async def test_a_dropped_batch_of_another_agent_never_drops_this_agents_staged_writes() -> None:
    # Civil-registry's two agents once shared one pipeline: a re-keying batch dropped on a
    # rebalance discarded the registration staged meanwhile, while its counter was being saved.
    # The number went out, the register entry never reached its changelog, and a restarted
    # worker gave the child a second number.
    pipeline, counters, log = setup(ack_delay=0.05)
    registration, register = registering(pipeline, counters, log)

    async def rekeying(decoded: Decoded, got: Received) -> Outcome:
        return Outcome([])

    stale = events("B")
    for event in stale:
        event.message.topic = "lienthong.handoff.civil-registry"
    pipeline.owns = lambda message: message.topic != "lienthong.handoff.civil-registry"
    first = asyncio.create_task(pipeline.checkpoint(events("A"), registration))  # type: ignore[arg-type]
    await asyncio.sleep(0.01)  # the counter's write is waiting for its acknowledgement
    await pipeline.checkpoint(stale, rekeying)  # type: ignore[arg-type]
    await asyncio.wait_for(first, 5)
    assert log == REGISTERED_IN_ORDER
    assert register == {"A": "issued"}


async def test_a_stateless_twin_shares_the_topics_but_no_staged_table() -> None:
    pipeline, table, _ = setup()
    pipeline.stage(table)
    twin = pipeline.stateless()
    assert twin.topics is pipeline.topics and twin.codec is pipeline.codec
    assert twin.staged == [] and len(pipeline.staged) == 1
    assert twin.turn is not pipeline.turn


async def test_the_outputs_of_one_input_to_a_together_topic_go_as_one_message_per_dossier() -> None:
    """Status events of one input about one dossier: one ``DossierEvents`` where the first was,
    in order; other topics, other dossiers and a lone event are sent as they are."""
    pipeline, _, _ = setup()
    pipeline.together = frozenset({"status"})
    outputs = [
        Envelope("status", "DeadlineCheck", check("A", 1)),
        Envelope("deadletter", "DeadlineCheck", check("A", 2)),
        Envelope("status", "DeadlineCheck", check("B", 3)),
        Envelope("status", "DeadlineCheck", check("A", 4)),
        Envelope("status", "DeadlineCheck", check("A", 5)),
    ]
    sent, _ = pipeline.encoded(outputs)
    assert [(topic, key) for topic, key, _ in sent] == [
        ("status", b"A"),
        ("deadletter", b"A"),
        ("status", b"B"),
    ]
    together = [d.record["meta"]["event_id"] for d in CODEC.decode_all(sent[0][2])]
    ticks = [1, 4, 5]
    assert together == [check("A", t)["meta"]["event_id"] for t in ticks]
    assert CODEC.decode(sent[0][2]).name == "DossierEvents"
    assert CODEC.decode(sent[2][2]).name == "DeadlineCheck"
    pipeline.together = frozenset()
    assert len(pipeline.encoded(outputs)[0]) == 5, "no together topic: one message per output"


async def test_one_message_carrying_several_events_is_held_to_the_output_size_limit() -> None:
    pipeline, _, _ = setup()
    pipeline.together = frozenset({"status"})
    one = Envelope("status", "DeadlineCheck", check("A"))
    pipeline.max_output_bytes = len(pipeline.encode(one)) + 1
    with pytest.raises(PublishRefused, match="DossierEvents"):
        pipeline.encoded([one, one])


class Kept(Topic):
    """A topic that also keeps what was sent to it."""

    def __init__(self, name: str, log: list[str]) -> None:
        super().__init__(name, log)
        self.sent: list[tuple[bytes, bytes]] = []

    async def send(self, *, key: bytes, value: bytes, **_: Any) -> Any:
        self.sent.append((key, value))
        return await super().send(key=key, value=value)


def ticks_of(value: bytes, dossier_id: str = "A") -> list[int]:
    """The ticks of the DeadlineCheck events about ``dossier_id`` one status message carries."""
    tick = {check(dossier_id, t)["meta"]["event_id"]: t for t in range(1, 10)}
    return [tick[event.record["meta"]["event_id"]] for event in CODEC.decode_all(value)]


async def test_the_events_of_a_batchs_inputs_about_one_dossier_go_as_one_message() -> None:
    """Three inputs about A in one batch: one ``DossierEvents`` where the first was, its events
    in order; B's lone event as it is; the state saved once per dossier, as before."""
    pipeline, table, log = setup()
    status = Kept("status", log)
    pipeline.topics["status"] = status  # type: ignore[assignment]
    pipeline.together = frozenset({"status"})
    handler = counting(pipeline, table, save_first=False)
    await Checkpoint(pipeline, handler).run(events("A", "B", "A", "A"))  # type: ignore[arg-type]
    assert log[:4] == ["send status A", "send status B", "write A=3", "write B=1"]
    (a_key, a_value), (b_key, b_value) = status.sent
    assert (a_key, b_key) == (b"A", b"B")
    assert CODEC.decode(a_value).name == "DossierEvents"
    assert ticks_of(a_value) == [1, 2, 3]
    assert CODEC.decode(b_value).name == "DeadlineCheck" and ticks_of(b_value, "B") == [1]
    assert log[-4:] == ["handled 0", "handled 1", "handled 2", "handled 3"]


async def test_a_joined_message_is_closed_before_it_outgrows_the_output_size_limit() -> None:
    """Room for two events: the third input's event begins a message of its own, after B's."""
    pipeline, table, log = setup()
    status = Kept("status", log)
    pipeline.topics["status"] = status  # type: ignore[assignment]
    pipeline.together = frozenset({"status"})
    one = len(CODEC.encode("DeadlineCheck", check("A", 1)))
    pipeline.max_output_bytes = 10 + 5 + len("A") + 5 + 1 + 2 * (5 + one)
    handler = counting(pipeline, table, save_first=False)
    await Checkpoint(pipeline, handler).run(events("A", "A", "B", "A"))  # type: ignore[arg-type]
    assert [key for key, _ in status.sent] == [b"A", b"B", b"A"]
    assert [ticks_of(value, key.decode()) for key, value in status.sent] == [[1, 2], [1], [3]]
    assert all(len(value) <= pipeline.max_output_bytes for _, value in status.sent)
    assert "handled 3" in log


async def test_a_batch_of_one_and_a_topic_not_together_are_sent_as_encoded() -> None:
    pipeline, table, log = setup()
    status = Kept("status", log)
    pipeline.topics["status"] = status  # type: ignore[assignment]
    handler = counting(pipeline, table, save_first=False)
    await Checkpoint(pipeline, handler).run(events("A", "A"))  # type: ignore[arg-type]
    assert [CODEC.decode(value).name for _, value in status.sent] == ["DeadlineCheck"] * 2
    pipeline.together = frozenset({"status"})
    await Checkpoint(pipeline, handler).run(events("A"))  # type: ignore[arg-type]
    assert CODEC.decode(status.sent[-1][1]).name == "DeadlineCheck"


class LateTopic(Topic):
    """A topic whose acknowledgements come a little later, logged as they come."""

    async def send(self, *, key: bytes, value: bytes, **_: Any) -> Any:
        sent = await super().send(key=key, value=value)
        late: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def acknowledge() -> None:
            self.log.append(f"acked send {key.decode()}")
            if sent.exception() is not None:
                late.set_exception(sent.exception())  # type: ignore[arg-type]
            else:
                late.set_result(None)

        asyncio.get_running_loop().call_later(0.01, acknowledge)
        return late


def twice(pipeline: Pipeline) -> Any:
    """A handler with two outputs per input and no state."""

    async def handler(decoded: Decoded, got: Received) -> Outcome:
        key = str(decoded.record["meta"]["dossier_id"])
        outs = [Envelope("status", "DeadlineCheck", check(key, n)) for n in (1, 2)]
        return Outcome(outs)

    return handler


async def test_a_batch_of_one_hands_its_outputs_over_at_once() -> None:
    pipeline, _, log = setup()
    pipeline.topics["status"] = LateTopic("status", log)
    await Checkpoint(pipeline, twice(pipeline)).run(events("A"))  # type: ignore[arg-type]
    assert log == ["send status A", "send status A", "acked send A", "acked send A", "handled 0"]


async def test_a_batch_of_one_that_fails_at_once_sends_each_output_again_one_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from lienthong.runtime import pipeline as pipeline_module

    monkeypatch.setattr(pipeline_module, "SEND_RETRY_SECONDS", (0.0,))
    pipeline, _, log = setup()
    pipeline.topics["status"] = LateTopic("status", log, fail=1)
    await Checkpoint(pipeline, twice(pipeline)).run(events("A"))  # type: ignore[arg-type]
    assert log == [
        "send status A",  # at once: the first fails
        "send status A",
        "acked send A",
        "acked send A",
        "send status A",  # then one at a time, each acknowledged before the next
        "acked send A",
        "send status A",
        "acked send A",
        "handled 0",
    ]
