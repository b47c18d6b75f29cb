"""The Faust agents through ``agent.test_context()``: no broker, a recorder in place of sends."""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from lienthong.agencies import builder as agencies
from lienthong.contracts.codec import AvroCodec, Decoded
from lienthong.contracts.events import metadata
from lienthong.domain import identifiers, units
from lienthong.domain.agency import AgencyContext
from lienthong.domain.allocation import BufferedCounters
from lienthong.domain.calendar import ManualClock, WorkingCalendar
from lienthong.groups.birth.projections import civil_registry_part, residence_part
from lienthong.groups.birth.registration import register_birth
from lienthong.groups.birth.synthetic import generate
from lienthong.hub import app as hub_app
from lienthong.hub.projections import handoff_record
from lienthong.hub.state import DossierState
from lienthong.runtime.deployable import Deployable
from lienthong.runtime.staged import KeptTable
from lienthong.settings import Settings

Record = dict[str, Any]
#: Monday 2 March 2026, 08:00 in Hanoi.
START = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
CALENDAR = WorkingCalendar()
CODEC = AvroCodec()
PREFIX = "unit"
DOSSIERS = [
    d.record
    for d in generate(12, seed=77, start=START, twins_share=0.0)
    if "residence" in d.record["procedures"]
]
GARBAGE = b"this is not Avro"


@dataclass
class Recorder:
    """Stands in for the producer (``Pipeline.send``, ``send_forward``, ``publish``): keeps
    what would have gone to the broker."""

    sent: list[tuple[str, bytes, bytes]] = field(default_factory=list)

    async def __call__(self, topic: Any, key: bytes, value: bytes, **_: Any) -> None:
        self.sent.append((topic.get_topic_name(), key, value))

    def on(self, topic: str) -> list[tuple[bytes, Decoded]]:
        return [
            (k, d) for t, k, v in self.sent if t == f"{PREFIX}.{topic}" for d in CODEC.decode_all(v)
        ]

    #: Whether no checkpoint is under way (``prepare`` ties it to the deployable's pipeline).
    idle: Callable[[], bool] = lambda: True

    def settled(self) -> int:
        """Events sent by checkpoints that have ended (each item of a ``DossierEvents``
        counted), -1 while one is under way: its outputs go before its state is saved."""
        return len(self.names()) if self.idle() else -1

    def names(self) -> list[str]:
        return [d.name for _, _, v in self.sent for d in CODEC.decode_all(v)]


async def settle(done: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait until the agent has acted (``put`` returns when the event is taken, not handled)."""
    async with asyncio.timeout(timeout):
        while not done():
            await asyncio.sleep(0.005)


def settings(tmp_path: Path) -> Settings:
    # One message at a time: the recorder stands in for the careful path's publish.
    return Settings(state_dir=tmp_path, topic_prefix=PREFIX, partitions=4, batch_messages=1)


def prepare(dep: Deployable) -> Recorder:
    """The field-notes recipe: this loop, finalized, memory store, flow resumed, no broker."""
    app = dep.app
    app.loop = asyncio.get_running_loop()
    app.finalize()
    app.conf.store = "memory://"  # type: ignore[assignment]  # the setter parses the URL
    app.flow_control.resume()
    recorder = Recorder()
    recorder.idle = lambda: not dep.pipeline.turn.locked()
    topics = dep.pipeline.topics

    async def send(role: str, key: bytes, value: bytes) -> Any:
        """Handed to the producer and acknowledged at once (the checkpoint's first try)."""
        await recorder(topics[role], key, value)
        return asyncio.sleep(0)

    async def send_forward(forward: Any) -> Any:
        await recorder(topics[forward.topic], forward.key, forward.value)
        return asyncio.sleep(0)

    dep.pipeline.send = send  # type: ignore[method-assign]
    dep.pipeline.send_forward = send_forward  # type: ignore[method-assign]
    dep.pipeline.publish = recorder  # type: ignore[method-assign]
    return recorder


def child_identity(record: Record) -> Record:
    child = record["child"]
    commune = units.commune(record["registering_commune"])
    assert commune is not None
    born = CALENDAR.local_date(child["born_at"])
    return {
        "full_name": f"{child['family_name']} {child['given_name']}",
        "born_at": child["born_at"].isoformat(),
        "sex": child["sex"],
        "personal_id": identifiers.personal_id(commune.province_code, child["sex"], born.year, 1),
    }


def residence_handoff(record: Record, street: str | None = None) -> tuple[bytes, bytes]:
    """Key and value of the ResidenceHandoff the hub would publish for ``record``."""
    part = residence_part(record)
    if street is not None:
        part["request"]["address"]["street"] = street
    submitted = record["submitted_at"]
    built = handoff_record(
        "residence",
        record["meta"]["dossier_id"],
        part,
        subject=child_identity(record),
        dossier_date=CALENDAR.received_on(submitted),
        due_at=CALENDAR.due_at(submitted, 2),
        at=submitted + dt.timedelta(hours=1),
        cause=str(record["meta"]["event_id"]),
    )
    return record["meta"]["dossier_id"].encode(), CODEC.encode("ResidenceHandoff", built)


# -- residence ----------------------------------------------------------------------------------


@pytest.fixture
async def residence(tmp_path: Path) -> AsyncIterator[tuple[Deployable, Recorder]]:
    clock = ManualClock(START + dt.timedelta(hours=2))
    dep = agencies.create("residence", settings(tmp_path), clock=clock, with_web_metrics=False)
    yield dep, prepare(dep)


async def test_residence_registers_a_handoff_and_keeps_the_entry(
    residence: tuple[Deployable, Recorder],
) -> None:
    dep, sent = residence
    record = DOSSIERS[0]
    key, value = residence_handoff(record)
    async with dep.agents["decide"].test_context() as agent:
        await agent.put(value=value, key=key)
        await settle(lambda: bool(sent.sent))

    ((out_key, event),) = sent.on("completion.residence")
    assert (event.name, out_key) == ("ResidenceRegistered", key)
    assert event.record["address"] == record["residence"]["address"]
    assert sent.names() == ["ResidenceRegistered"]
    entry = dep.tables["register"].get(record["meta"]["dossier_id"])
    assert entry is not None and entry["outcome"] == "registered"
    assert entry["confirmation_ref"] == event.record["confirmation_ref"]


async def test_garbage_is_dead_lettered_and_the_partition_keeps_flowing(
    residence: tuple[Deployable, Recorder],
) -> None:
    dep, sent = residence
    key, value = residence_handoff(DOSSIERS[1])
    async with dep.agents["decide"].test_context() as agent:
        await agent.put(value=GARBAGE, key=b"bad-key")
        await settle(lambda: sent.settled() == 1)
        await agent.put(value=value, key=key)
        await settle(lambda: sent.settled() == 2)

    assert sent.names() == ["DeadLetter", "ResidenceRegistered"]
    ((dl_key, dead),) = sent.on("deadletter")
    letter = dead.record
    assert dl_key == b"bad-key"
    assert (letter["key"], letter["value"]) == (b"bad-key", GARBAGE)
    assert letter["error_kind"] == "NotSingleObjectEncoded"
    assert "not an Avro single-object message" in letter["reason"]
    assert letter["deployable"] == "residence"
    assert letter["topic"] == f"{PREFIX}.handoff.residence"
    assert dep.tables["register"].get(DOSSIERS[1]["meta"]["dossier_id"]) is not None


async def test_an_event_of_the_wrong_type_is_dead_lettered(
    residence: tuple[Deployable, Recorder],
) -> None:
    dep, sent = residence
    intake = CODEC.encode("DossierSubmitted", DOSSIERS[2])
    async with dep.agents["decide"].test_context() as agent:
        await agent.put(value=intake, key=b"k")
        await settle(lambda: bool(sent.sent))

    ((_, dead),) = sent.on("deadletter")
    assert dead.record["error_kind"] == "WrongEventType"
    assert "DossierSubmitted" in dead.record["reason"]
    assert dead.record["value"] == intake


async def test_a_redelivered_refusal_is_answered_the_same_way(
    residence: tuple[Deployable, Recorder],
) -> None:
    dep, sent = residence
    key, value = residence_handoff(DOSSIERS[3], street="Số 1 Đường Khác")
    async with dep.agents["decide"].test_context() as agent:
        await agent.put(value=value, key=key)
        await settle(lambda: sent.settled() == 1)
        await agent.put(value=value, key=key)
        await settle(lambda: sent.settled() == 2)

    assert sent.names() == ["StepRejected", "StepRejected"]
    (_, _, first), (_, _, again) = sent.sent
    assert first == again
    assert CODEC.decode(first).record["reason_code"] == "address_mismatch"


# -- hub ----------------------------------------------------------------------------------------


@pytest.fixture
async def hub(tmp_path: Path) -> AsyncIterator[tuple[Deployable, Recorder, ManualClock]]:
    clock = ManualClock(START)
    dep = hub_app.create(settings(tmp_path), clock=clock, with_web_metrics=False)
    yield dep, prepare(dep), clock


async def test_the_hub_receives_a_submission_and_hands_it_off(
    hub: tuple[Deployable, Recorder, ManualClock],
) -> None:
    dep, sent, clock = hub
    record = DOSSIERS[0]
    dossier_id = record["meta"]["dossier_id"]
    clock.set(record["submitted_at"] + dt.timedelta(minutes=5))
    value = CODEC.encode("DossierSubmitted", record)
    async with dep.agents["route"].test_context() as agent:
        await agent.put(value=value, key=dossier_id.encode())
        await settle(lambda: sent.settled() == 3)

    assert [(t, d.name) for t, _, v in sent.sent for d in CODEC.decode_all(v)] == [
        (f"{PREFIX}.status", "DossierReceived"),
        (f"{PREFIX}.status", "StepHandedOff"),
        (f"{PREFIX}.handoff.civil-registry", "CivilRegistryHandoff"),
    ]
    # The two status events of one input go as one message.
    assert [CODEC.decode(v).name for t, _, v in sent.sent if t.endswith(".status")] == [
        "DossierEvents"
    ]
    assert {k for _, k, _ in sent.sent} == {dossier_id.encode()}
    state = DossierState.from_table(dep.tables["dossiers"].get(dossier_id))
    assert state is not None and state.phase == "open"
    assert state.steps["civil_registry"].phase == "handed_off"


async def test_the_hub_ignores_a_redelivered_submission(
    hub: tuple[Deployable, Recorder, ManualClock],
) -> None:
    dep, sent, clock = hub
    record = DOSSIERS[1]
    clock.set(record["submitted_at"] + dt.timedelta(minutes=5))
    key, value = record["meta"]["dossier_id"].encode(), CODEC.encode("DossierSubmitted", record)
    async with dep.agents["route"].test_context() as agent:
        await agent.put(value=value, key=key)
        await settle(lambda: sent.settled() == 3)
        await agent.put(value=value, key=key)
        # a garbage message after it is a barrier: once it is dead-lettered, the copy was handled
        await agent.put(value=GARBAGE, key=b"barrier")
        await settle(lambda: sent.settled() == 4)

    assert sent.names() == [
        "DossierReceived",
        "StepHandedOff",
        "CivilRegistryHandoff",
        "DeadLetter",
    ]


async def submitted_and_registered(
    agent: Any, sent: Recorder, record: Record, clock: ManualClock
) -> Any:
    """Submit ``record`` to the hub; the civil registry's own answer to the handoff it made."""
    clock.set(record["submitted_at"] + dt.timedelta(minutes=5))
    await agent.put(
        value=CODEC.encode("DossierSubmitted", record), key=record["meta"]["dossier_id"].encode()
    )
    await settle(lambda: sent.settled() == 3)
    ((_, handoff),) = sent.on("handoff.civil-registry")
    ctx = AgencyContext(clock.advance(dt.timedelta(minutes=30)), CALENDAR, 0, 4)
    (registered,) = register_birth(handoff.record, None, BufferedCounters({}), ctx).outputs
    return registered


async def test_the_hub_splits_the_dossier_once_the_birth_is_registered(
    hub: tuple[Deployable, Recorder, ManualClock],
) -> None:
    dep, sent, clock = hub
    record = copy.deepcopy(DOSSIERS[2])
    dossier_id = record["meta"]["dossier_id"]
    async with dep.agents["route"].test_context() as agent:
        registered = await submitted_and_registered(agent, sent, record, clock)
        key = dossier_id.encode()
        await agent.put(value=CODEC.encode(registered.schema, registered.record), key=key)
        later = len(record["procedures"]) - 1
        await settle(lambda: sent.settled() == 3 + 1 + 2 * later)

    names = sent.names()[3:]
    assert names[0] == "StepFinished"
    handoffs = [n for n in names if n.endswith("Handoff")]
    expected = {"residence": "ResidenceHandoff", "health_insurance": "HealthInsuranceHandoff"}
    assert handoffs == [expected[s] for s in record["procedures"][1:]]
    pid = registered.record["child"]["personal_id"]
    for topic in ("handoff.residence", "handoff.health-insurance"):
        for _, event in sent.on(topic):
            assert event.record["child"]["personal_id"] == pid
    state = DossierState.from_table(dep.tables["dossiers"].get(dossier_id))
    assert state is not None and state.steps["civil_registry"].phase == "completed"


def early_answer(record: Record, clock: ManualClock) -> tuple[bytes, bytes]:
    """Residence's answer to the handoff the hub would make for ``record``."""
    key, value = residence_handoff(record)
    handoff = CODEC.decode(value).record
    ctx = AgencyContext(clock.now(), CALENDAR, 0, 4)
    (registered,) = agencies.addressed(
        agencies.Decisions.decision_in_force("residence", handoff)(handoff, None, {}, ctx).outputs,
        "residence",
    )
    return key, CODEC.encode(registered.schema, registered.record)


def deadline_check(dossier_id: str, clock: ManualClock) -> bytes:
    meta = metadata("DeadlineCheck", dossier_id, "hub", clock.now(), None, 1)
    return CODEC.encode("DeadlineCheck", {"meta": meta})


async def test_an_answer_for_an_unknown_dossier_waits_then_is_dead_lettered(
    hub: tuple[Deployable, Recorder, ManualClock],
) -> None:
    dep, sent, clock = hub
    record = DOSSIERS[3]
    dossier_id = record["meta"]["dossier_id"]
    clock.set(record["submitted_at"] + dt.timedelta(minutes=5))
    key, completion = early_answer(record, clock)
    wait = dt.timedelta(seconds=dep.settings.unknown_dossier_wait_seconds)
    async with dep.agents["route"].test_context() as agent:
        await agent.put(value=completion, key=key)
        await agent.put(value=completion, key=key)  # a resend: parked once
        await agent.put(value=deadline_check(dossier_id, clock), key=key)  # too soon
        await agent.put(value=GARBAGE, key=b"barrier")
        await settle(lambda: sent.settled() == 1)
        assert sent.names() == ["DeadLetter"], "only the barrier: the answer waits"
        assert len(dep.tables["early"][dossier_id]) == 1
        clock.advance(wait)
        await agent.put(value=deadline_check(dossier_id, clock), key=key)
        await settle(lambda: sent.settled() == 2)
        # the next dossier is still received
        clock.set(DOSSIERS[4]["submitted_at"] + dt.timedelta(minutes=5))
        await agent.put(value=CODEC.encode("DossierSubmitted", DOSSIERS[4]), key=b"next")
        await settle(lambda: sent.settled() == 5)

    (_, dead) = sent.on("deadletter")[1]
    assert dead.record["error_kind"] == "UnknownDossier"
    assert dossier_id in dead.record["reason"] and "waited" in dead.record["reason"]
    assert dead.record["value"] == completion and dead.record["key"] == key
    assert dossier_id not in dep.tables["early"]
    assert sent.names()[2:] == ["DossierReceived", "StepHandedOff", "CivilRegistryHandoff"]
    parked = dep.registry.get_sample_value(
        "lienthong_answers_parked_total", {"event_type": "ResidenceRegistered"}
    )
    assert parked == 1, "kept once, though it came twice"


async def test_an_answer_that_came_first_is_applied_when_the_submission_arrives(
    hub: tuple[Deployable, Recorder, ManualClock],
) -> None:
    dep, sent, clock = hub
    record = copy.deepcopy(DOSSIERS[2])
    dossier_id = record["meta"]["dossier_id"]
    key = dossier_id.encode()
    async with dep.agents["route"].test_context() as agent:
        # the hub's first life: it handed off, then died before its state was saved
        registered = await submitted_and_registered(agent, sent, record, clock)
        dep.tables["dossiers"].data.clear()  # the state the crash took,
        for view in dep.pipeline.staged:  # and what the worker kept parsed in memory
            if isinstance(view, KeptTable):
                view.forget()
        sent.sent.clear()
        # its second life reads the answer before the submission again
        await agent.put(value=CODEC.encode(registered.schema, registered.record), key=key)
        await agent.put(value=CODEC.encode("DossierSubmitted", record), key=key)
        later = len(record["procedures"]) - 1
        await settle(lambda: sent.settled() == 3 + 1 + 2 * later)

    names = sent.names()
    # One input: its status events in order, in one message, then the handoffs it made.
    assert names[:3] == ["DossierReceived", "StepHandedOff", "StepFinished"]
    assert names[5] == "CivilRegistryHandoff"
    assert "DeadLetter" not in names
    state = DossierState.from_table(dep.tables["dossiers"].get(dossier_id))
    assert state is not None and state.steps["civil_registry"].phase == "completed"
    assert dossier_id not in dep.tables["early"]


def test_rocksdb_tables_open_with_small_buffers_and_caches(tmp_path: Path) -> None:
    # Faust's RocksDB defaults (64 MiB write buffers, a 2 GiB block cache) apply per table and
    # partition: 12 databases in the hub. Ours keep a worker flat however much is on disk.
    rocks = Settings(state_dir=tmp_path, topic_prefix=PREFIX, partitions=4, store="rocksdb://")
    dep = hub_app.create(rocks, with_web_metrics=False)
    for name in ("dossiers", "early", "archive"):
        options = dep.tables[name].data.rocksdb_options
        assert options.write_buffer_size == 2 * 1024 * 1024, name
        assert options.block_cache_size == 2 * 1024 * 1024, name
        assert options.max_write_buffer_number == 2, name
    memory = agencies.create("residence", settings(tmp_path), with_web_metrics=False)
    assert not hasattr(memory.tables["register"].data, "rocksdb_options")


# -- civil registry: ID numbers asked again -------------------------------------------------------


async def test_a_pending_id_is_asked_again_from_the_index_not_a_walk_of_the_register(
    tmp_path: Path,
) -> None:
    plan = tmp_path / "population.json"
    plan.write_text(json.dumps({"unavailable_until": "2099-01-01T00:00:00+00:00"}))
    base = settings(tmp_path)
    base = base.model_copy(update={"population_db_plan": plan})
    record = DOSSIERS[2]
    clock = ManualClock(record["submitted_at"] + dt.timedelta(hours=1))
    dep = agencies.create("civil-registry", base, clock=clock, with_web_metrics=False)
    sent = prepare(dep)
    tick = dep.ticks["retry_waiting"]
    register = dep.tables["register"]
    await tick()  # the first tick indexes the (empty) register
    walks = 0
    items = register.items

    def walked() -> Any:
        nonlocal walks
        walks += 1
        return items()

    register.items = walked
    built = handoff_record(
        "civil_registry",
        record["meta"]["dossier_id"],
        civil_registry_part(record),
        subject=None,
        dossier_date=CALENDAR.received_on(record["submitted_at"]),
        due_at=CALENDAR.due_at(record["submitted_at"], 1),
        at=record["submitted_at"] + dt.timedelta(minutes=5),
        cause=str(record["meta"]["event_id"]),
    )
    code = record["birth_certificate"]["code"]
    async with dep.agents["decide"].test_context() as agent:
        await agent.put(value=CODEC.encode("CivilRegistryHandoff", built), key=code.encode())
        await settle(lambda: bool(sent.sent))
    entry = register.get(code)
    assert entry["pending"] and sent.names() == ["BirthRegistered"]
    await tick()
    assert sent.names() == ["BirthRegistered"]  # not due yet
    clock.advance(dt.timedelta(seconds=base.id_retry_max_seconds + 1))
    await tick()
    assert sent.names() == ["BirthRegistered", "WaitingRetry"]
    assert sent.sent[-1][0] == f"{PREFIX}.civil-registry.by-register-key"
    assert walks == 0  # found through the index
    await tick()
    assert sent.settled() == 2  # taken out of the index until the retry's answer puts it back
