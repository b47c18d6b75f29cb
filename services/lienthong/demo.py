"""``make demo``: broker, four deployables, a few hundred synthetic dossiers, a summary."""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from lienthong.broker.local import LocalBroker
from lienthong.client import IntakePublisher, StatusFollower
from lienthong.client.publisher import RESUBMIT_AFTER_SECONDS, resubmit_unreceived
from lienthong.client.status import Timeline
from lienthong.procedures import BIRTH
from lienthong.runtime.stack import LocalStack
from lienthong.settings import SOURCE_ROOT, Settings
from lienthong.synthetic import Synthetic, generate
from lienthong.worker import prepare_topics

#: Share of valid dossiers whose residence request names an address that is not the parent's:
#: the police refuse that step, so the dossier ends partly completed (a real, visible outcome).
ADDRESS_MISMATCH_SHARE = 0.04


def with_agency_refusals(items: list[Synthetic], share: float, seed: int) -> list[str]:
    """Make ``share`` of the valid residence dossiers refusable by the police; their ids."""
    candidates = [i for i in items if not i.invalid and i.record.get("residence") is not None]
    chosen = random.Random(seed).sample(candidates, round(share * len(candidates)))
    for item in chosen:
        residence = item.record["residence"]
        residence["address"] = {**residence["address"], "street": "Số 1 đường Không Có Thật"}
    return [str(item.record["meta"]["dossier_id"]) for item in chosen]


@dataclass
class RunResult:
    """What the demo (and the end-to-end test) observed."""

    items: list[Synthetic]
    published_at: dict[str, float]
    timelines: dict[str, Timeline]
    refused_by_police: list[str] = field(default_factory=list)

    @property
    def ids(self) -> list[str]:
        return [str(i.record["meta"]["dossier_id"]) for i in self.items]

    def still_open(self) -> list[str]:
        return [i for i in self.ids if i not in self.timelines or self.timelines[i].final is None]

    def seconds_to_finish(self, dossier_id: str) -> float | None:
        timeline = self.timelines.get(dossier_id)
        if timeline is None or timeline.final is None:
            return None
        finished: dt.datetime = timeline.final[1]["meta"]["occurred_at"]
        return finished.timestamp() - self.published_at[dossier_id]


def push_through(
    settings: Settings, items: list[Synthetic], timeout: float, console: Console | None = None
) -> RunResult:
    """Publish the dossiers and follow them until each has a final status (or time runs out)."""
    ids = [str(i.record["meta"]["dossier_id"]) for i in items]
    published: dict[str, float] = {}
    follower = StatusFollower(settings)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, disable=console is None) as progress:
        sending = progress.add_task("publishing dossiers", total=len(items))
        publisher = IntakePublisher(settings)
        for item in items:
            publisher.submit(item.record, validate=False)
            published[str(item.record["meta"]["dossier_id"])] = time.time()
            progress.advance(sending)
        publisher.flush()
        finishing = progress.add_task("dossiers finished ", total=len(items))
        records = {str(i.record["meta"]["dossier_id"]): i.record for i in items}
        last_try = [time.monotonic()]

        def show(_: object) -> None:
            progress.update(finishing, completed=len(follower.finished(ids)))
            if time.monotonic() - last_try[0] > RESUBMIT_AFTER_SECONDS:
                resubmit_unreceived(publisher, records, set(follower.timelines))
                last_try[0] = time.monotonic()

        follower.wait_until(lambda _: len(follower.finished(ids)) == len(ids), timeout, show)
        publisher.close()
    follower.close()
    return RunResult(items, published, follower.timelines)


def summary_table(result: RunResult) -> Table:
    """Per combination: submitted, completed, partly, rejected, p50/p95 time to finish."""
    rows: dict[str, Counter[str]] = defaultdict(Counter)
    times: dict[str, list[float]] = defaultdict(list)
    for item in result.items:
        dossier_id = str(item.record["meta"]["dossier_id"])
        chosen = item.record["procedures"]
        combo = BIRTH.combination_label(chosen) if BIRTH.allows(chosen) else "(not allowed)"
        rows[combo]["submitted"] += 1
        timeline = result.timelines.get(dossier_id)
        final = timeline.final if timeline else None
        if final is None:
            rows[combo]["open"] += 1
            continue
        name, record = final
        outcome = record["outcome"] if name == "DossierFinished" else "REJECTED_AT_INTAKE"
        rows[combo][outcome] += 1
        seconds = result.seconds_to_finish(dossier_id)
        if seconds is not None:
            times[combo].append(seconds)
    table = Table(
        title="Dossiers by combination",
        caption="done: every chosen procedure completed; partly: birth registered, another "
        "step refused; p50/p95: seconds from publishing to the final status",
    )
    table.add_column("combination", no_wrap=True)
    for column in ("sent", "done", "partly", "refused", "open", "p50 s", "p95 s"):
        table.add_column(column, justify="right")
    for combo in sorted(rows):
        row = rows[combo]
        rejected = row["REJECTED"] + row["REJECTED_AT_INTAKE"]
        table.add_row(
            combo,
            str(row["submitted"]),
            str(row["COMPLETED"]),
            str(row["PARTLY_COMPLETED"]),
            str(rejected),
            str(row["open"]),
            *_percentiles(times[combo]),
        )
    return table


def _percentiles(values: list[float]) -> tuple[str, str]:
    if len(values) < 2:
        return ("-", "-") if not values else (f"{values[0]:.2f}", f"{values[0]:.2f}")
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return f"{cuts[49]:.2f}", f"{cuts[94]:.2f}"


def top_reasons(result: RunResult, limit: int = 6) -> list[tuple[str, int]]:
    """The most frequent refusal reasons, at intake and by agencies."""
    counts: Counter[str] = Counter()
    for timeline in result.timelines.values():
        for name, record in timeline.events:
            if name == "DossierRejected":
                counts.update(f"intake: {r['message']}" for r in record["reasons"])
            elif name == "StepFinished" and record["outcome"] == "REJECTED":
                counts[f"{record['step']}: {record['reason']}"] += 1
    return counts.most_common(limit)


def run_demo(
    base: Settings,
    *,
    dossiers: int,
    seed: int | None,
    keep_running: bool,
    timeout: float,
    console: Console,
) -> int:
    """The whole demo; returns the exit code (1 when a dossier stayed open)."""
    seed = seed if seed is not None else int(time.time()) % 100_000
    prefix = f"lienthong-demo-{dt.datetime.now(dt.UTC):%Y%m%d%H%M%S}"
    settings = base.model_copy(update={"topic_prefix": prefix})
    console.rule("[bold]Lienthong demo")
    console.print(f"seed {seed}, topic prefix {prefix}, {dossiers} dossiers")
    broker = LocalBroker(settings)
    started = broker.start()
    console.print(started.message)
    prepare_topics(settings)
    stack = LocalStack(settings, SOURCE_ROOT / "var" / "logs" / prefix)
    try:
        with console.status("starting hub, civil-registry, residence, health-insurance..."):
            t0 = time.monotonic()
            stack.start()
        console.print(
            f"4 deployables consuming after {time.monotonic() - t0:.1f} s "
            f"(logs in {stack.log_dir.relative_to(SOURCE_ROOT)})"
        )
        now = dt.datetime.now(dt.UTC)
        items = generate(
            dossiers,
            seed=seed,
            invalid_share=0.08,
            twins_share=0.06,
            start=now - dt.timedelta(seconds=dossiers + 60),
            live=True,
        )
        refused = with_agency_refusals(items, ADDRESS_MISMATCH_SHARE, seed)
        result = push_through(settings, items, timeout, console)
        result.refused_by_police = refused
        console.print(summary_table(result))
        reasons = Table(title="Top reasons for refusal")
        reasons.add_column("count", justify="right")
        reasons.add_column("reason")
        for reason, count in top_reasons(result):
            reasons.add_row(str(count), reason)
        console.print(reasons)
        still_open = result.still_open()
        verdict = "[green]none" if not still_open else f"[red]{', '.join(still_open[:10])}"
        console.print(f"dossiers still open: {verdict}")
        if keep_running:
            _explain_running(console, settings, result.ids[0])
            return 0 if not still_open else 1
        return 0 if not still_open else 1
    finally:
        if not keep_running:
            with console.status("stopping deployables..."):
                stack.stop()
            if started.started:
                console.print(broker.stop().message)


def _explain_running(console: Console, settings: Settings, example: str) -> None:
    console.print("[bold]Still running.[/] Metrics:")
    for name in ("hub", "civil-registry", "residence", "health-insurance"):
        console.print(f"  {name:17} http://{settings.web_host}:{settings.web_port(name)}/metrics")
    console.print(
        f"A dossier's timeline: LIENTHONG_TOPIC_PREFIX={settings.topic_prefix} "
        f"lienthong status {example}"
    )
    console.print("Stop with: pkill -f 'lienthong run' && lienthong broker stop")
