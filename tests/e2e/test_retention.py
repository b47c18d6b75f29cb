"""Bounded state: a finished dossier leaves the hub's working table, its page still answers.

Run with both stores (memory and RocksDB): the same pipeline, the same promises.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from kafka import KafkaConsumer, TopicPartition

from lienthong.client import IntakePublisher, StatusFollower
from lienthong.groups.birth.synthetic import generate
from lienthong.runtime.app import app_id
from lienthong.runtime.stack import LocalStack
from lienthong.settings import Settings
from lienthong.worker import prepare_topics
from netports import fresh_settings

pytestmark = [pytest.mark.broker, pytest.mark.e2e]


def _changelog(settings: Settings, table: str) -> dict[bytes, bytes | None]:
    """The newest value of each key in a hub table's changelog (None: removed)."""
    name = f"{app_id('hub', settings)}-{table}-changelog"
    consumer = KafkaConsumer(**settings.kafka_client_options(), enable_auto_commit=False)
    try:
        parts = [TopicPartition(name, p) for p in sorted(consumer.partitions_for_topic(name) or ())]
        consumer.assign(parts)
        consumer.seek_to_beginning()
        ends = consumer.end_offsets(parts)
        latest: dict[bytes, bytes | None] = {}
        deadline = time.monotonic() + 30
        while any(consumer.position(tp) < ends[tp] for tp in parts):
            for messages in consumer.poll(timeout_ms=500).values():
                for message in messages:
                    latest[message.key] = message.value
            assert time.monotonic() < deadline
        return latest
    finally:
        consumer.close()


def _key(dossier_id: str) -> bytes:
    """A table key as Faust writes it to the changelog (JSON)."""
    return json.dumps(dossier_id).encode()


@pytest.mark.parametrize("store", ["memory://", "rocksdb://"])
def test_finished_dossiers_move_to_the_archive(
    broker: Settings, tmp_path: Path, store: str
) -> None:
    settings = fresh_settings(
        broker,
        tmp_path / "state",
        "rt",
        store=store,
        deadline_check_seconds=0.5,
        finished_retention_seconds=3.0,
        # the legal clock's safety net (its index rebuilt from the table) within the wait: one
        # dossier in a CI run stayed in the working table for over 60 s without it
        deadline_rescan_seconds=10.0,
    )
    prepare_topics(settings)
    records = [
        item.record
        for item in generate(
            6,
            seed=11,
            twins_share=0.0,
            start=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5),
            live=True,
            combinations={("civil_registry", "residence"): 1.0},
        )
    ]
    ids = [str(r["meta"]["dossier_id"]) for r in records]
    names = ("hub", "civil-registry", "residence")
    with LocalStack(settings, tmp_path / "logs", names=names):
        with IntakePublisher(settings) as publisher:
            for record in records:
                publisher.submit(record, validate=False)
            publisher.flush()
        follower = StatusFollower(settings)
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                follower.poll()
                if all((t := follower.timelines.get(i)) and t.final for i in ids):
                    break
                time.sleep(0.3)
            links = {i: follower.timelines[i].of("DossierReceived")[0]["status_url"] for i in ids}
        finally:
            follower.close()

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            working, archive = _changelog(settings, "dossiers"), _changelog(settings, "archive")
            gone = [i for i in ids if working.get(_key(i), b"") is None]
            if len(gone) == len(ids):
                break
            time.sleep(1)
        assert gone == ids, f"still in the working table: {set(ids) - set(gone)}"
        assert all(archive.get(_key(i)) for i in ids)
        for dossier_id, link in links.items():
            with urllib.request.urlopen(link, timeout=10) as page:
                assert page.status == 200
                assert dossier_id.split("-")[2] in page.read().decode()

        # The citizen answers the satisfaction question of a dossier already archived: the
        # answer is kept in the archive (its page then says it was answered), not lost.
        answered = ids[0]
        link = links[answered]
        receipt, code = link.split("/status/")[1].split("?code=")
        form = urllib.parse.urlencode({"code": code, "satisfied": "yes", "lang": "en"}).encode()
        answer = f"{settings.public_base_url}/satisfaction/{receipt}"
        with urllib.request.urlopen(answer, data=form, timeout=10) as page:
            assert page.status == 200
        deadline = time.monotonic() + 30
        kept: dict[str, object] = {}
        while time.monotonic() < deadline:
            kept = json.loads(_changelog(settings, "archive").get(_key(answered)) or b"{}")
            if kept.get("satisfied") is not None:
                break
            time.sleep(0.5)
        assert kept.get("satisfied") is True, "the answer on an archived dossier was lost"
        assert _changelog(settings, "dossiers").get(_key(answered)) is None  # still archived only
