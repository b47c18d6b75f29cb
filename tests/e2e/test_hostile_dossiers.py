"""Hostile dossiers from a producer that is not ours (plain kafka-python, no client-side checks)
against the real broker and the hub as a process: each is refused with a short answer, a
rejection of bounded reasons or a dead letter with a bounded reason, the hub keeps running, and
the valid dossier published behind them is received (issue 11, findings 3, 4 and 8).
"""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaProducer

from lienthong import topics
from lienthong.client import StatusFollower
from lienthong.client.deadletters import read_dead_letters
from lienthong.contracts.codec import AvroCodec
from lienthong.groups.birth.synthetic import generate
from lienthong.limits import MAX_REASONS
from lienthong.runtime.stack import LocalStack
from lienthong.settings import Settings
from lienthong.worker import prepare_topics

pytestmark = [pytest.mark.broker, pytest.mark.e2e]
CODEC = AvroCodec()
Record = dict[str, Any]
WAIT = 120.0


def changed(record: Record, path: str, value: Any) -> Record:
    record = copy.deepcopy(record)
    *parents, last = path.split(".")
    target = record
    for part in parents:
        target = target[part]
    target[last] = value
    return record


def test_hostile_dossiers_get_short_answers_and_the_partition_flows(
    isolated: Settings, tmp_path: Path
) -> None:
    prepare_topics(isolated)
    now = dt.datetime.now(dt.UTC)
    base = [
        item.record
        for item in generate(
            6, seed=1111, twins_share=0.0, start=now - dt.timedelta(minutes=6), live=True
        )
    ]
    #: label -> (dossier, the (field, code) a rejection must name)
    hostile = {
        "procedures 5,000 times": (
            changed(base[0], "procedures", ["civil_registry"] * 5_000),
            ("procedures", "too_many_entries"),
        ),
        "NUL and a right-to-left override": (
            changed(base[1], "child.given_name", "An\u202e\x00"),
            ("child.given_name", "forbidden_character"),
        ),
        "dossier id of 30,000 characters": (
            changed(base[2], "meta.dossier_id", "H" * 30_000),
            ("meta.dossier_id", "text_too_long"),
        ),
        "given name of 900,000 characters": (
            changed(base[3], "child.given_name", "a" * 900_000),
            ("child.given_name", "text_too_long"),
        ),
        "2,000 combining marks": (
            changed(base[4], "child.given_name", "A" + "\u0301\u0323" * 1_000),
            ("child.given_name", "text_too_long"),
        ),
    }
    valid = base[5]
    producer = KafkaProducer(**isolated.kafka_client_options(), max_request_size=1_048_576)
    intake = isolated.topic(topics.INTAKE)
    for record in [*(dossier for dossier, _ in hostile.values()), valid]:
        key = str(record["meta"]["dossier_id"]).encode()
        producer.send(intake, key=key, value=CODEC.encode("DossierSubmitted", record))
    producer.flush()
    producer.close()
    ids = {label: str(dossier["meta"]["dossier_id"]) for label, (dossier, _) in hostile.items()}
    valid_id = str(valid["meta"]["dossier_id"])

    with LocalStack(isolated, tmp_path / "logs", names=("hub",)) as stack:
        follower = StatusFollower(isolated)
        letters: dict[str, Record] = {}

        def answered(timelines: dict[str, Any]) -> bool:
            """The valid dossier received; every hostile one rejected or dead-lettered."""
            for entry in read_dead_letters(isolated):
                letters[(entry.record["key"] or b"").decode(errors="replace")] = entry.record
            received = valid_id in timelines and timelines[valid_id].of("DossierReceived")
            rejected = {i for i in ids.values() if i in timelines and timelines[i].final}
            return bool(received) and set(ids.values()) <= rejected | set(letters)

        try:
            assert follower.wait_until(answered, WAIT), (
                sorted(letters),
                sorted(follower.timelines),
            )
        finally:
            follower.close()
        assert all(worker.process.poll() is None for worker in stack.workers), "the hub runs on"

    for label, dossier_id in ids.items():
        timeline = follower.timelines.get(dossier_id)
        if timeline is not None and timeline.final is not None:
            assert timeline.of("DossierReceived") == [], label
            name, final = timeline.final
            assert name == "DossierRejected", label
            reasons = final["reasons"]
            assert 1 <= len(reasons) <= MAX_REASONS, label
            assert all(len(r["message"]) <= 300 for r in reasons), label
            assert hostile[label][1] in {(r["field"], r["code"]) for r in reasons}, label
            size = len(CODEC.encode("DossierRejected", final))
            assert size < 4_000 + 2 * len(dossier_id.encode()), (label, size)
        else:  # refused unread (too large to open): a dead letter with a short reason
            assert len(letters[dossier_id]["reason"]) < 1_000, label
