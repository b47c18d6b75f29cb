"""Burst mode: N dossiers published at once, end to end, against the raw broker side by side."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from rich.console import Console
from rich.table import Table

from lienthong.bench import env, results
from lienthong.client.batch import RunResult, percentile, push_through
from lienthong.groups.birth.synthetic import generate
from lienthong.runtime.app import ensure_topics
from lienthong.settings import Settings
from lienthong.topics import ALL_ROLES
from lienthong.worker import INTERNAL_ROLES


@dataclass
class Figures:
    """One benchmark run's figures (written as JSON for later comparison)."""

    dossiers: int
    finished: int
    pipeline_seconds: float
    dossiers_per_second: float
    latency_p50: float
    latency_p95: float
    latency_p99: float
    messages: int
    message_bytes: int
    raw_seconds: float
    raw_messages_per_second: float
    pipeline_over_raw: float
    peak_rss_mib: dict[str, float]


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident memory (VmHWM) in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _messages(settings: Settings) -> list[bytes]:
    """Every message the pipeline wrote or read, from all its topics."""
    consumer = KafkaConsumer(**settings.kafka_client_options(), enable_auto_commit=False)
    try:
        names = [settings.topic(r) for r in (*ALL_ROLES, *INTERNAL_ROLES)]
        parts = [TopicPartition(n, p) for n in names for p in consumer.partitions_for_topic(n)]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        ends = consumer.end_offsets(parts)
        out: list[bytes] = []
        while any(consumer.position(tp) < ends[tp] for tp in parts):
            for batch in consumer.poll(timeout_ms=1000).values():
                out.extend(m.value for m in batch)
        return out
    finally:
        consumer.close()


def raw_baseline(settings: Settings, payloads: list[bytes]) -> float:
    """Seconds to produce the same messages (same sizes) and consume them back, no processing."""
    raw = settings.model_copy(update={"topic_prefix": f"{settings.topic_prefix}-raw"})
    ensure_topics(raw, ("intake",))
    topic = raw.topic("intake")
    consumer = KafkaConsumer(
        **settings.kafka_client_options(), enable_auto_commit=False, auto_offset_reset="earliest"
    )
    parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or {0}]
    consumer.assign(parts)
    consumer.seek_to_beginning(*parts)
    producer = KafkaProducer(**settings.kafka_client_options(), linger_ms=5)
    start = time.perf_counter()
    for i, value in enumerate(payloads):
        producer.send(topic, key=str(i % 997).encode(), value=value)
    producer.flush()
    received = 0
    while received < len(payloads):
        received += sum(len(b) for b in consumer.poll(timeout_ms=1000).values())
    elapsed = time.perf_counter() - start
    producer.close()
    consumer.close()
    return elapsed


def measure(settings: Settings, dossiers: int, console: Console | None) -> Figures:
    with env.stack(settings) as stack:
        now = dt.datetime.now(dt.UTC)
        items = generate(
            dossiers,
            seed=dossiers,
            invalid_share=0.05,
            start=now - dt.timedelta(seconds=dossiers + 60),
            live=True,
        )
        t0 = time.time()
        result: RunResult = push_through(
            settings, items, timeout=max(120.0, dossiers), console=console
        )
        finals = [result.timelines[i].final for i in result.ids if i not in result.still_open()]
        last = max(f[1]["meta"]["occurred_at"].timestamp() for f in finals if f)
        pipeline_seconds = last - t0
        latencies = [s for i in result.ids if (s := result.seconds_to_finish(i)) is not None]
        memory = {w.label: peak_rss_mib(w.process.pid) for w in stack.workers}
    payloads = _messages(settings)
    raw_seconds = raw_baseline(settings, payloads)
    return Figures(
        dossiers=dossiers,
        finished=len(latencies),
        pipeline_seconds=round(pipeline_seconds, 3),
        dossiers_per_second=round(len(latencies) / pipeline_seconds, 2),
        latency_p50=round(percentile(latencies, 50), 3),
        latency_p95=round(percentile(latencies, 95), 3),
        latency_p99=round(percentile(latencies, 99), 3),
        messages=len(payloads),
        message_bytes=sum(len(p) for p in payloads),
        raw_seconds=round(raw_seconds, 3),
        raw_messages_per_second=round(len(payloads) / raw_seconds, 1),
        pipeline_over_raw=round(pipeline_seconds / raw_seconds, 1),
        peak_rss_mib={k: round(v, 1) for k, v in memory.items()},
    )


def report(figures: Figures) -> Table:
    table = Table(title=f"Benchmark: {figures.dossiers} dossiers, pipeline vs. raw broker")
    table.add_column("measure")
    table.add_column("value", justify="right")
    rows = [
        ("dossiers finished", f"{figures.finished} / {figures.dossiers}"),
        ("pipeline wall time", f"{figures.pipeline_seconds:.2f} s"),
        ("dossiers per second (end to end)", f"{figures.dossiers_per_second:.1f}"),
        (
            "publish-to-final latency p50 / p95 / p99",
            f"{figures.latency_p50:.2f} / {figures.latency_p95:.2f} / {figures.latency_p99:.2f} s",
        ),
        ("messages on all topics (bytes)", f"{figures.messages} ({figures.message_bytes:,})"),
        ("raw: same messages produced + consumed", f"{figures.raw_seconds:.2f} s"),
        ("pipeline / raw (wall time ratio)", f"{figures.pipeline_over_raw:.1f}x"),
        *((f"peak RSS {name}", f"{mib:.0f} MiB") for name, mib in figures.peak_rss_mib.items()),
    ]
    for row in rows:
        table.add_row(*row)
    return table


def run_burst(base: Settings, *, dossiers: int, out_dir: Path, console: Console) -> int:
    """Measure one burst, print its table, write its JSON; 0 when every dossier finished."""
    stamp = results.stamp()  # the commit that runs, even if the checkout moves on meanwhile
    with env.own_topics(base, console) as settings:
        figures = measure(settings, dossiers, console)
    console.print(report(figures))
    written = results.write("burst", {**stamp, **asdict(figures)}, out_dir)
    console.print(f"figures written to {written}")
    return 0 if figures.finished == dossiers else 1
