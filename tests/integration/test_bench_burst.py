"""A tiny burst on the real broker: every topic counted, each process's CPU, both raw baselines."""

from __future__ import annotations

import io
import time

import pytest
from kafka import KafkaConsumer
from kafka.admin import KafkaAdminClient
from rich.console import Console

from lienthong.bench.burst import measure
from lienthong.bench.env import delete_topics, own_topics
from lienthong.bench.tally import CONSUMER_OFFSETS, OFFSET_COMMIT, tally_table
from lienthong.runtime.app import ensure_topics
from lienthong.settings import Settings
from lienthong.topics import ALL_ROLES, DEPLOYABLES, INTAKE, STATUS
from lienthong.worker import INTERNAL_ROLES, changelog_topics

pytestmark = [pytest.mark.broker, pytest.mark.e2e]
DOSSIERS = 20


def rows_of(console: Console) -> dict[str, tuple[int, float]]:
    """The table's rows as printed: what -> (messages, per dossier)."""
    rows: dict[str, tuple[int, float]] = {}
    for line in console.export_text().splitlines():
        cells = [c.strip() for c in line.strip("│").split("│")]
        if len(cells) == 3 and cells[1].isdigit():
            rows[cells[0]] = (int(cells[1]), float(cells[2]))
    return rows


def test_a_burst_counts_every_topic_and_the_cpu_of_every_process(isolated: Settings) -> None:
    figures = measure(isolated, DOSSIERS, None)
    assert figures.finished == DOSSIERS
    counted = figures.messages_by_topic

    # every topic of the run is a row (all named by its prefix but the raw baselines' own),
    # changelogs and offset commits included
    consumer = KafkaConsumer(**isolated.kafka_client_options())
    try:
        present = {
            topic
            for topic in consumer.topics()
            if topic.startswith(isolated.topic_prefix)
            and not topic.startswith(f"{isolated.topic_prefix}-raw-")
        }
    finally:
        consumer.close()
    assert set(counted.topics) == present
    assert set(changelog_topics(isolated)) <= set(counted.topics)
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(tally_table(counted))
    rows = rows_of(console)
    shown = {counted.shown(t) for t in counted.topics}
    commits = f"{CONSUMER_OFFSETS}: {OFFSET_COMMIT}"
    assert shown | {commits, "total", "bench's own count"} <= set(rows)

    # the rows add up to the total; the contract and internal topics to the bench's own count
    total = rows.pop("total")
    own = rows.pop("bench's own count")
    assert sum(messages for messages, _ in rows.values()) == total[0] == counted.total
    assert figures.messages_all_topics == counted.total
    assert total[1] == pytest.approx(total[0] / DOSSIERS, abs=0.005)
    mine = {isolated.topic(role) for role in (*ALL_ROLES, *INTERNAL_ROLES)}
    assert sum(n for t, n in counted.topics.items() if t in mine) == own[0] == figures.messages
    assert rows[counted.shown(isolated.topic(INTAKE))][0] == DOSSIERS  # what the bench published
    assert rows[counted.shown(isolated.topic(STATUS))][0] >= DOSSIERS  # one final status each
    assert rows[commits][0] > 0
    assert counted.total > own[0]  # the changelogs and commits the bench's own count misses

    # CPU of each worker and of the broker; both raw baselines timed
    use = figures.cpu_use
    workers = {f"{name}#0" for name in DEPLOYABLES}
    assert workers < set(use.seconds)
    assert [label for label in use.seconds if label.startswith("broker ")] == [
        f"broker {isolated.bootstrap_servers}"
    ]
    assert use.seconds["hub#0"] > 0 and use.seconds[f"broker {isolated.bootstrap_servers}"] > 0
    assert use.total == pytest.approx(sum(use.seconds.values()))
    assert figures.cpu_per_1000_dossiers == pytest.approx(use.total * 1000 / DOSSIERS, abs=0.01)
    assert figures.raw_seconds > 0 and figures.raw_librdkafka_seconds > 0
    assert figures.pipeline_over_librdkafka > 0


@pytest.mark.parametrize("keep", [False, True])
def test_a_runs_topics_are_deleted_after_it_unless_kept(isolated: Settings, keep: bool) -> None:
    console = Console(width=200, record=True, file=io.StringIO())
    with own_topics(isolated, console, keep=keep) as settings:
        created = ensure_topics(settings, (INTAKE, STATUS))
        assert len(created) == 2
    admin = KafkaAdminClient(**isolated.kafka_client_options())

    def left() -> set[str]:
        """The prefix's topics, once a deletion has reached the broker's metadata."""
        for _ in range(50):
            found = {t for t in admin.list_topics() if t.startswith(settings.topic_prefix)}
            if keep or not found:
                return found
            time.sleep(0.2)
        return found

    try:
        if keep:
            assert left() == set(created)
            assert delete_topics(settings, settings.topic_prefix) == 2
        else:
            assert left() == set()
            assert "deleted the run's 2 topics" in console.export_text()
    finally:
        admin.close()
