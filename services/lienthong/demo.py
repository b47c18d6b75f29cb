"""``make demo``: broker, four deployables, a few hundred synthetic dossiers of both groups (birth
and death), a summary per group."""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from lienthong.broker.local import LocalBroker
from lienthong.client.batch import Item, RunResult, percentile, push_through
from lienthong.client.terminal import safe
from lienthong.contracts.records import DeathDossierSubmitted
from lienthong.demo_desk import Official, explain, on_desks, with_review
from lienthong.demo_notices import facility_path
from lienthong.domain.declaration import ProcedureGroup
from lienthong.groups.birth.breakers import with_agency_refusals
from lienthong.groups.birth.declaration import GROUP as BIRTH
from lienthong.groups.birth.synthetic import generate
from lienthong.groups.death.synthetic import COMBINATIONS as DEATH_COMBINATIONS
from lienthong.groups.death.synthetic import death_dossier
from lienthong.groups.registry import GROUPS
from lienthong.passwords import hash_password
from lienthong.runtime import detached
from lienthong.runtime.stack import LocalStack
from lienthong.settings import Settings
from lienthong.worker import prepare_topics

#: Share of valid dossiers whose residence request names an address that is not the parent's:
#: the police refuse that step, so the dossier ends partly completed (a real, visible outcome).
ADDRESS_MISMATCH_SHARE = 0.04
#: One death dossier for this many birth dossiers; every seventh deceased is not eligible for
#: the funeral allowance (the dossier ends partly completed).
BIRTHS_PER_DEATH = 5
#: One birth in this many is notified by its facility (the law's path), besides the families' own.
NOTICES_PER_BIRTHS = 20
INELIGIBLE_EVERY = 7


@dataclass(frozen=True)
class DeathItem:
    """A generated death dossier, published with the birth ones."""

    record: DeathDossierSubmitted


def death_items(count: int, seed: int, at: dt.datetime) -> list[DeathItem]:
    """Death dossiers cycling through the three combinations, a few of them not eligible."""
    return [
        DeathItem(
            death_dossier(
                index,
                procedures=DEATH_COMBINATIONS[index % len(DEATH_COMBINATIONS)],
                submitted_at=at,
                seed=seed,
                eligible=index % INELIGIBLE_EVERY != INELIGIBLE_EVERY - 1,
            )
        )
        for index in range(count)
    ]


def summary_table(result: RunResult, group: ProcedureGroup[Any] = BIRTH) -> Table:
    """Per combination of ``group``: submitted, completed, partly, rejected, p50/p95 time to
    finish."""
    rows: dict[str, Counter[str]] = defaultdict(Counter)
    times: dict[str, list[float]] = defaultdict(list)
    for item in result.items:
        if (item.record.get("group") or BIRTH.name) != group.name:
            continue
        dossier_id = str(item.record["meta"]["dossier_id"])
        chosen = item.record["procedures"]
        combo = group.combination_label(chosen) if group.allows(chosen) else "(not allowed)"
        rows[combo]["submitted"] += 1
        timeline = result.timelines.get(dossier_id)
        final = timeline.final if timeline else None
        if final is None:
            rows[combo]["open"] += 1
            continue
        name, record = final
        fields: Mapping[str, object] = record  # a DossierFinished or a DossierRejected
        outcome = str(fields["outcome"]) if name == "DossierFinished" else "REJECTED_AT_INTAKE"
        rows[combo][outcome] += 1
        seconds = result.seconds_to_finish(dossier_id)
        if seconds is not None:
            times[combo].append(seconds)
    first = group.steps[group.first].label_en.lower()
    table = Table(
        title=f"{group.name.capitalize()} dossiers by combination",
        caption=f"done: every chosen procedure completed; partly: {first} done, another "
        "step refused; p50/p95: seconds from publishing to the final status",
        box=box.SIMPLE_HEAD,
        padding=(0, 0),
    )
    table.add_column("combination", overflow="fold")
    for column in ("sent", "done", "partly", "refused", "open", "p50", "p95"):
        table.add_column(column, justify="right", no_wrap=True)
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
    if not values:
        return "-", "-"
    return f"{percentile(values, 50):.2f}", f"{percentile(values, 95):.2f}"


def top_reasons(result: RunResult, limit: int = 6) -> list[tuple[str, int]]:
    """The most frequent refusal reasons, at intake and by agencies."""
    counts: Counter[str] = Counter()
    for timeline in result.timelines.values():
        for name, record in timeline.events:
            fields: Mapping[str, object] = record  # read by name: the schema ``name``'s fields
            reasons = fields.get("reasons")
            if name == "DossierRejected" and isinstance(reasons, list):
                counts.update(f"intake: {r['message']}" for r in reasons)
            elif name == "StepFinished" and fields.get("outcome") == "REJECTED":
                counts[f"{fields['step']}: {fields['reason']}"] += 1
    return counts.most_common(limit)


def reasons_table(result: RunResult) -> Table:
    """The most frequent refusal reasons, wrapped to the terminal's width."""
    table = Table(title="Top reasons for refusal", box=box.SIMPLE_HEAD, padding=(0, 0))
    table.add_column("count", justify="right", no_wrap=True)
    table.add_column("reason", overflow="fold")
    for reason, count in top_reasons(result):
        table.add_row(str(count), escape(safe(reason)))
    return table


def run_demo(
    base: Settings,
    *,
    dossiers: int,
    seed: int | None,
    keep_running: bool,
    timeout: float,
    console: Console,
    review: str | None = None,
) -> int:
    """The whole demo; returns the exit code (1 when a dossier stayed open, not counting those
    a ``review`` policy left on an official's desk: the demo then keeps running)."""
    seed = seed if seed is not None else int(time.time()) % 100_000
    prefix = f"lienthong-demo-{dt.datetime.now(dt.UTC):%Y%m%d%H%M%S}"
    #: A local run: the public development lookup secret is allowed; the board gets a one-off
    #: operator unless the environment names operators already.
    settings = base.model_copy(update={"topic_prefix": prefix, "development": True})
    # Both paths of a birth: the Civil Status Law 2026's is previewed from today when its date
    # is still ahead (a setting: LIENTHONG_NOTICE_IN_FORCE).
    today = dt.datetime.now(dt.UTC).date()
    settings = settings.model_copy(update={"notice_in_force": min(today, settings.notice_in_force)})
    sign_in = None
    if settings.operator_credentials is None:
        sign_in = ("demo", secrets.token_urlsafe(12))
        line = SecretStr(f"{sign_in[0]}:{hash_password(sign_in[1])}")
        settings = settings.model_copy(update={"operator_credentials": line})
    officials: list[Official] = []
    if review:
        settings, officials = with_review(settings, review)
        keep_running = True  # the desks are the point: they stay open
    if keep_running:
        detached.refuse_second(settings)
    console.rule("[bold]Lienthong demo")
    console.print(f"seed {seed}, topic prefix {prefix}, {dossiers} dossiers")
    broker = LocalBroker(settings)
    started = broker.start()
    console.print(started.message)
    prepare_topics(settings)
    stack = LocalStack(settings, settings.state_dir.parent / "logs" / prefix)
    #: Kept running only once recorded for ``lienthong stack stop``: a demo that fails before
    #: that stops what it started, as a demo without ``--keep-running`` does.
    handed_over = False
    try:
        with console.status("starting hub, civil-registry, residence, health-insurance..."):
            t0 = time.monotonic()
            stack.start()
        console.print(
            f"4 deployables consuming after {time.monotonic() - t0:.1f} s (logs in {stack.log_dir})"
        )
        now = dt.datetime.now(dt.UTC)
        births = generate(
            dossiers,
            seed=seed,
            invalid_share=0.08,
            twins_share=0.06,
            start=now - dt.timedelta(seconds=dossiers + 60),
            live=True,
        )
        with_agency_refusals(births, ADDRESS_MISMATCH_SHARE, seed)
        deaths = death_items(max(dossiers // BIRTHS_PER_DEATH, 3), seed, now)
        items: list[Item] = [*births, *deaths]
        desks = on_desks(settings, officials) if officials else None
        result = push_through(settings, items, timeout, console, desks)
        for group in GROUPS.values():
            console.print(summary_table(result, group))
        notified = max(dossiers // NOTICES_PER_BIRTHS, 4)
        console.print(facility_path(settings, notified, seed, timeout))
        console.print(reasons_table(result))
        on_desk = desks() if desks else set()
        still_open = [d for d in result.still_open() if d not in on_desk]
        verdict = "[green]none" if not still_open else f"[red]{', '.join(still_open[:10])}"
        console.print(f"dossiers still open: {verdict}")
        if keep_running:
            detached.save(settings, detached.record(stack, started.started))
            handed_over = True
            _explain_running(console, settings, result.ids[0], sign_in)
            if officials:
                explain(console, settings, officials, len(items))
        return 0 if not still_open else 1
    finally:
        if not handed_over:
            with console.status("stopping deployables..."):
                stack.stop()
            if started.started:
                console.print(broker.stop().message)


def _explain_running(
    console: Console, settings: Settings, example: str, sign_in: tuple[str, str] | None
) -> None:
    operators = f"http://{settings.operator_host}:{settings.operator_port()}"
    who = f" (sign in as {sign_in[0]}, password {sign_in[1]})" if sign_in else ""
    lines = [
        f"[bold]Still running[/] (recorded in {detached.stack_file(settings)}). Metrics:",
        *(
            f"  {name:17} http://{settings.web_host}:{settings.metrics_port(name)}/metrics"
            for name in ("hub", "civil-registry", "residence", "health-insurance")
        ),
        f"The operators' board and the hub's metrics: {operators}/board{who}",
        "Talk to it from any shell in this checkout:",
        '  eval "$(lienthong env)"',
        f"  lienthong status {example}",
        "Stop exactly what the demo started: lienthong stack stop",
    ]
    for line in lines:
        console.print(line)
