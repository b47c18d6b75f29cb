"""The benchmark's status follower on the real broker: each dossier's first final status only."""

from __future__ import annotations

import datetime as dt

import pytest
from kafka import KafkaProducer

from lienthong import topics
from lienthong.bench.follow import FinalTimes
from lienthong.contracts.codec import AvroCodec
from lienthong.contracts.events import Envelope
from lienthong.domain.calendar import WorkingCalendar
from lienthong.groups.birth.synthetic import generate
from lienthong.hub.steps import Context
from lienthong.hub.transitions import decide
from lienthong.lookup import Keyring
from lienthong.runtime.app import ensure_topics
from lienthong.settings import Settings

pytestmark = pytest.mark.broker
CODEC = AvroCodec()


def status_events(at: dt.datetime) -> list[Envelope]:
    """What the hub publishes on the status topic for eight dossiers, half of them invalid."""
    ctx = Context(
        at, WorkingCalendar(), Keyring.single(b"bench-secret"), "https://status.example.test"
    )
    items = generate(8, seed=13, invalid_share=0.5, start=at - dt.timedelta(minutes=5), live=True)
    out: list[Envelope] = []
    for item in items:
        record = CODEC.decode(CODEC.encode("DossierSubmitted", item.record)).record
        _, outputs = decide(None, "DossierSubmitted", record, ctx)
        out += [e for e in outputs if e.topic == topics.STATUS]
    return out


def test_final_times_keeps_the_first_final_event_of_each_dossier(isolated: Settings) -> None:
    ensure_topics(isolated, (topics.STATUS,))
    first = dt.datetime.now(dt.UTC).replace(microsecond=0)
    events = status_events(first)
    rejected = {e.record["meta"]["dossier_id"] for e in events if e.schema == "DossierRejected"}
    received = {e.record["meta"]["dossier_id"] for e in events if e.schema == "DossierReceived"}
    assert rejected and received  # the invalid half is refused at once, the rest only received
    again = [
        e for e in status_events(first + dt.timedelta(seconds=90)) if e.schema != "DossierReceived"
    ]
    producer = KafkaProducer(**isolated.kafka_client_options())
    with FinalTimes(isolated) as finals:
        for env in (*events, *again):
            value = CODEC.encode(env.schema, env.record)
            producer.send(
                isolated.topic(topics.STATUS),
                key=env.record["meta"]["dossier_id"].encode(),
                value=value,
            )
        final_fingerprint = CODEC.catalogue.get("DossierRejected").fingerprint
        garbage = b"\xc3\x01" + final_fingerprint + b"\xff\xff not avro"
        producer.send(isolated.topic(topics.STATUS), key=b"garbage", value=garbage)
        producer.flush()
        producer.close()
        assert finals.wait(rejected, timeout=30)
        assert not finals.wait(received, timeout=1)  # a receipt is not a final status
        assert finals.wait([], timeout=0)
    assert finals.at == {dossier_id: first.timestamp() for dossier_id in rejected}
    assert finals.undecodable == 1  # the broken message with a final fingerprint, counted
