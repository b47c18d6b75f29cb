"""A harness for legal-clock scenarios: a stack on a shared, movable clock, and its dossiers."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kafka_reading import read_topic

from lienthong import topics
from lienthong.client import IntakePublisher, StatusFollower
from lienthong.client.status import Timeline
from lienthong.clocks import OffsetFileClock
from lienthong.contracts.codec import Decoded
from lienthong.contracts.events import metadata
from lienthong.groups.birth.synthetic import Synthetic, generate
from lienthong.runtime.stack import LocalStack
from lienthong.settings import Settings
from lienthong.worker import prepare_topics
from netports import free_ports

Record = dict[str, Any]


class Scenario:
    """Deployables as processes on one movable legal clock; helpers to act and to wait."""

    def __init__(self, broker: Settings, tmp: Path) -> None:
        ports = free_ports(5)
        self.settings = broker.model_copy(
            update={
                "topic_prefix": f"s{uuid.uuid4().hex[:10]}",
                "state_dir": tmp / "state",
                "hub_web_port": ports[0],
                "civil_registry_web_port": ports[1],
                "residence_web_port": ports[2],
                "health_insurance_web_port": ports[3],
                "hub_operator_port": ports[4],
                "clock_offset_file": tmp / "clock",
                "population_db_plan": tmp / "population.json",
                "deadline_check_seconds": 0.5,
                "id_retry_base_seconds": 0.5,
                "id_retry_max_seconds": 2.0,
            }
        )
        self.clock = OffsetFileClock(tmp / "clock")
        self.stack = LocalStack(self.settings, tmp / "logs", names=())
        self.publisher = IntakePublisher(self.settings)
        prepare_topics(self.settings)
        self.follower = StatusFollower(self.settings)

    def start(self, *names: str) -> None:
        for name in names:
            self.stack.spawn(name)
        self.stack.wait_ready(90, names)

    def stop(self, name: str, *, kill: bool = False) -> None:
        for worker in [w for w in self.stack.workers if w.name == name]:
            if kill:
                self.stack.kill(worker)
            else:
                self.stack.terminate(worker)

    def close(self) -> None:
        self.stack.stop()
        self.publisher.close()
        self.follower.close()

    def dossiers(self, count: int, seed: int, **kw: Any) -> list[Synthetic]:
        start = kw.pop("start", self.clock.now() - dt.timedelta(minutes=30))
        return generate(count, seed=seed, start=start, live=True, **kw)

    def submit(self, record: Record) -> str:
        dossier_id = self.publisher.submit(record, validate=False)
        self.publisher.flush()
        return dossier_id

    def publish(self, role: str, schema: str, record: Record) -> None:
        """Publish as an integrator or an agency would (the topics are the contract)."""
        data = self.publisher.codec.encode(schema, record)
        key = str(record["meta"]["dossier_id"]).encode()
        self.publisher.producer.send(self.settings.topic(role), key=key, value=data)
        self.publisher.flush()

    def agency_event(self, step: str, schema: str, dossier_id: str, /, **fields: Any) -> None:
        producer = topics.STEP_TOPIC_NAMES[step]
        meta = metadata(schema, dossier_id, producer, self.clock.now(), None, uuid.uuid4())
        self.publish(topics.completion(step), schema, {"meta": meta, **fields})

    def timeline(self, dossier_id: str) -> Timeline:
        self.follower.poll()
        return self.follower.timelines.get(dossier_id) or Timeline(dossier_id)

    def wait(
        self, dossier_id: str, until: Callable[[Timeline], bool], timeout: float = 60
    ) -> Timeline:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            timeline = self.timeline(dossier_id)
            if until(timeline):
                return timeline
            time.sleep(0.2)
        names = [n for n, _ in self.timeline(dossier_id).events]
        raise AssertionError(f"{dossier_id}: condition not met in {timeout} s; events: {names}")

    def wait_for_answers(self, dossier_id: str, role: str, count: int) -> list[Decoded]:
        """The events an agency published for a dossier, once there are ``count`` of them."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            found = _answers(self.settings, dossier_id, role)
            if len(found) >= count:
                return found
            time.sleep(0.5)
        return _answers(self.settings, dossier_id, role)

    def wait_for_event(self, dossier_id: str, name: str, timeout: float = 60) -> Record:
        timeline = self.wait(dossier_id, lambda t: bool(t.of(name)), timeout)
        return timeline.of(name)[-1]


def _answers(settings: Settings, dossier_id: str, role: str) -> list[Decoded]:
    return [d for k, _, d in read_topic(settings, role) if d and k.decode() == dossier_id]


def has(name: str, count: int = 1) -> Callable[[Timeline], bool]:
    return lambda t: len(t.of(name)) >= count


def finished(t: Timeline) -> bool:
    return t.final is not None
