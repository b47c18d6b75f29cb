"""Counting a run's messages: end-offset growth by topic, group records, the table's rows."""

from __future__ import annotations

import io
import struct

import pytest
from rich.console import Console

from lienthong.bench.tally import (
    CONSUMER_OFFSETS,
    GROUP_METADATA,
    OFFSET_COMMIT,
    Tally,
    added,
    groups,
    record_kind,
    run_topics,
    tally_table,
)
from lienthong.settings import Settings

PREFIX = "lienthong-bench-0123abcd"
SETTINGS = Settings(topic_prefix=PREFIX)


def key(version: int, group: str, *rest: bytes) -> bytes:
    """A ``__consumer_offsets`` key as the broker writes it: version, group, then the rest."""
    name = group.encode()
    return struct.pack(">hh", version, len(name)) + name + b"".join(rest)


def offset_commit_key(group: str, topic: str, partition: int) -> bytes:
    topic_bytes = topic.encode()
    return key(
        1, group, struct.pack(">h", len(topic_bytes)), topic_bytes, struct.pack(">i", partition)
    )


def test_the_growth_of_each_partition_is_summed_by_topic() -> None:
    before = {("a.status", 0): 10, ("a.status", 1): 5, ("a.intake", 0): 7}
    after = {
        ("a.status", 0): 25,  # +15
        ("a.status", 1): 9,  # +4
        ("a.intake", 0): 7,  # nothing new: still listed
        ("a-hub-dossiers-changelog", 0): 12,  # created during the run: from 0
    }
    assert added(before, after) == {
        "a-hub-dossiers-changelog": 12,
        "a.intake": 0,
        "a.status": 19,
    }


def test_an_end_offset_that_went_back_is_refused_by_partition() -> None:
    with pytest.raises(ValueError, match=r"a\.status\[1\]: end offset went back from 9 to 2"):
        added({("a.status", 1): 9}, {("a.status", 1): 2})


def test_the_run_topics_are_its_prefix_and_its_groups_and_nothing_else() -> None:
    names = [
        f"{PREFIX}.status",
        f"{PREFIX}.hub.inbox",
        f"{PREFIX}-hub-dossiers-changelog",
        f"{PREFIX}-civil-registry-__assignor-__leader",
        f"{PREFIX}-raw-kafka-python.intake",  # the baseline's, not the pipeline's
        "lienthong-bench-99999999.status",  # another run
        "lienthong.status",
        CONSUMER_OFFSETS,
    ]
    assert run_topics(names, SETTINGS) == sorted(names[:4])
    assert groups(SETTINGS) == {
        f"{PREFIX}-{name}" for name in ("hub", "civil-registry", "residence", "health-insurance")
    }


def test_a_group_record_is_told_by_its_key() -> None:
    commit = offset_commit_key(f"{PREFIX}-hub", f"{PREFIX}.intake", 3)
    assert record_kind(commit) == (f"{PREFIX}-hub", OFFSET_COMMIT)
    assert record_kind(key(0, "g")) == ("g", OFFSET_COMMIT)  # the oldest offset key
    assert record_kind(key(2, "residence")) == ("residence", GROUP_METADATA)
    assert record_kind(key(3, "new-consumer-group")) == ("new-consumer-group", GROUP_METADATA)


@pytest.mark.parametrize(
    ("raw", "rule"),
    [(b"\x00\x01", "at least 4 bytes"), (struct.pack(">hh", 1, 9) + b"short", "cut short")],
)
def test_a_broken_key_is_refused(raw: bytes, rule: str) -> None:
    with pytest.raises(ValueError, match=rule):
        record_kind(raw)


def tally() -> Tally:
    return Tally(
        dossiers=20,
        prefix=PREFIX,
        topics={
            f"{PREFIX}.intake": 20,
            f"{PREFIX}.status": 140,
            f"{PREFIX}-hub-early-changelog": 0,
        },
        commits={OFFSET_COMMIT: 30, GROUP_METADATA: 4},
        own_count=290,
    )


def test_the_rows_are_every_topic_most_first_then_the_group_records() -> None:
    counted = tally()
    assert counted.rows == [
        (f"{PREFIX}.status", 140),
        (f"{PREFIX}.intake", 20),
        (f"{PREFIX}-hub-early-changelog", 0),
        (f"{CONSUMER_OFFSETS}: {OFFSET_COMMIT}", 30),
        (f"{CONSUMER_OFFSETS}: {GROUP_METADATA}", 4),
    ]
    assert counted.total == 194 == sum(n for _, n in counted.rows)
    assert counted.per_dossier(counted.total) == pytest.approx(9.7)
    assert counted.shown(f"{PREFIX}.status") == "status"
    assert counted.shown(f"{PREFIX}-hub-early-changelog") == "hub-early-changelog"
    assert counted.shown("elsewhere") == "elsewhere"


def test_the_table_shows_every_row_the_total_and_the_bench_count() -> None:
    console = Console(width=140, record=True, file=io.StringIO())
    console.print(tally_table(tally()))
    lines = {
        cells[0]: cells[1:]
        for line in console.export_text().splitlines()
        if len(cells := [c.strip() for c in line.strip("│").split("│")]) == 3
    }
    assert lines["status"] == ["140", "7.00"]
    assert lines["intake"] == ["20", "1.00"]
    assert lines["hub-early-changelog"] == ["0", "0.00"]
    assert lines[f"{CONSUMER_OFFSETS}: {OFFSET_COMMIT}"] == ["30", "1.50"]
    assert lines[f"{CONSUMER_OFFSETS}: {GROUP_METADATA}"] == ["4", "0.20"]
    assert lines["total"] == ["194", "9.70"]
    assert lines["bench's own count"] == ["290", "14.50"]
