"""Burst mode: N dossiers published at once, end to end, against the raw broker side by side.

Besides the wall time, a burst counts what it cost: the messages it added to every topic
(tally.py) and the CPU seconds of each process, the broker's included (cpu.py); the raw round
trip is timed with two stock clients (raw.py).
"""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from kafka import KafkaConsumer, TopicPartition
from rich.console import Console
from rich.table import Table

from lienthong.bench import cpu, env, raw, results, tally
from lienthong.client.batch import RunResult, percentile, push_through
from lienthong.groups.birth.synthetic import generate
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
    #: kafka-python's round trip of the same messages (the name kept for older runs' JSON).
    raw_seconds: float
    raw_messages_per_second: float
    pipeline_over_raw: float
    raw_librdkafka_seconds: float
    pipeline_over_librdkafka: float
    peak_rss_mib: dict[str, float]
    messages_by_topic: tally.Tally
    #: Every topic's messages and the run's group records: ``messages`` counts fewer topics.
    messages_all_topics: int
    messages_per_dossier: float
    cpu_use: cpu.CpuUse
    cpu_per_1000_dossiers: float
    bench_cpu_seconds: float | None


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


@dataclass(frozen=True)
class Burst:
    """What the burst itself gave: its timings, memory and CPU, read while the stack ran."""

    result: RunResult
    started: float
    memory: dict[str, float]
    cpu_use: cpu.CpuUse
    own_cpu: float | None
    #: End offsets of the run's topics and of ``__consumer_offsets`` before the first dossier.
    offsets: tuple[tally.Offsets, tally.Offsets]


def _burst(settings: Settings, dossiers: int, console: Console | None) -> Burst:
    """Start the stack, publish the dossiers at once, follow them until they are final."""
    with env.stack(settings) as stack:
        pids = {w.label: w.process.pid for w in stack.workers}
        brokers = cpu.broker_pids(settings.bootstrap_servers)
        if not brokers and console is not None:
            console.print("no broker listens on this machine: its CPU is not measured")
        now = dt.datetime.now(dt.UTC)
        items = generate(
            dossiers,
            seed=dossiers,
            invalid_share=0.05,
            start=now - dt.timedelta(seconds=dossiers + 60),
            live=True,
        )
        offsets = tally.end_offsets(settings)
        before, own_before = cpu.readings(pids | brokers), cpu.process_cpu(os.getpid())
        t0 = time.time()
        result: RunResult = push_through(
            settings, items, timeout=max(120.0, dossiers), console=console
        )
        after, own_after = cpu.readings(pids | brokers), cpu.process_cpu(os.getpid())
        memory = {w.label: peak_rss_mib(w.process.pid) for w in stack.workers}
    own = None if own_before is None or own_after is None else own_after - own_before
    use = cpu.CpuUse.between(before, after, dossiers)
    return Burst(result, t0, memory, use, own, offsets)


def measure(settings: Settings, dossiers: int, console: Console | None) -> Figures:
    """One burst, its messages counted on every topic, then both raw baselines."""
    burst = _burst(settings, dossiers, console)
    topics_before, commits_before = burst.offsets
    # read after the workers stopped: the commits they make on leaving are the run's too
    topics_after, commits_after = tally.end_offsets(settings)
    result = burst.result
    finals = [result.timelines[i].final for i in result.ids if i not in result.still_open()]
    last = max(f[1]["meta"]["occurred_at"].timestamp() for f in finals if f)
    pipeline_seconds = last - burst.started
    latencies = [s for i in result.ids if (s := result.seconds_to_finish(i)) is not None]
    payloads = _messages(settings)
    counted = tally.Tally(
        dossiers,
        settings.topic_prefix,
        tally.added(topics_before, topics_after),
        tally.group_records(settings, commits_before, commits_after, tally.groups(settings)),
        len(payloads),
    )
    raw_seconds = raw.kafka_python(settings, payloads)
    librdkafka_seconds = raw.librdkafka(settings, payloads)
    use = burst.cpu_use
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
        raw_librdkafka_seconds=round(librdkafka_seconds, 3),
        pipeline_over_librdkafka=round(pipeline_seconds / librdkafka_seconds, 1),
        peak_rss_mib={k: round(v, 1) for k, v in burst.memory.items()},
        messages_by_topic=counted,
        messages_all_topics=counted.total,
        messages_per_dossier=round(counted.per_dossier(counted.total), 2),
        cpu_use=use,
        cpu_per_1000_dossiers=round(use.per_thousand(use.total), 2),
        bench_cpu_seconds=None if burst.own_cpu is None else round(burst.own_cpu, 2),
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
        ("raw kafka-python: same messages produced + consumed", f"{figures.raw_seconds:.2f} s"),
        (
            "raw librdkafka: same messages produced + consumed",
            f"{figures.raw_librdkafka_seconds:.2f} s",
        ),
        ("pipeline / raw kafka-python (wall time ratio)", f"{figures.pipeline_over_raw:.1f}x"),
        ("pipeline / raw librdkafka (wall time ratio)", f"{figures.pipeline_over_librdkafka:.1f}x"),
        *((f"peak RSS {name}", f"{mib:.0f} MiB") for name, mib in figures.peak_rss_mib.items()),
    ]
    for row in rows:
        table.add_row(*row)
    return table


def run_burst(
    base: Settings, *, dossiers: int, out_dir: Path, console: Console, keep_topics: bool = False
) -> int:
    """Measure one burst, print its table, write its JSON; 0 when every dossier finished."""
    stamp = results.stamp()  # the commit that runs, even if the checkout moves on meanwhile
    with env.own_topics(base, console, keep=keep_topics) as settings:
        figures = measure(settings, dossiers, console)
    console.print(report(figures))
    console.print(tally.tally_table(figures.messages_by_topic))
    console.print(cpu.cpu_table(figures.cpu_use, figures.bench_cpu_seconds))
    written = results.write("burst", {**stamp, **asdict(figures)}, out_dir)
    console.print(f"figures written to {written}")
    return 0 if figures.finished == dossiers else 1
