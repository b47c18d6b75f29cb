"""The ``lienthong`` command: broker, topics, deployables, integrator client, demo, benchmark."""

from __future__ import annotations

import datetime as dt
import os
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from lienthong import topics as roles
from lienthong.cli_admin import broker_app, manifests, schemas_app, topics
from lienthong.cli_desk import desk_app
from lienthong.cli_facility import facility_command
from lienthong.cli_ops import deadletters_app, env_command, stack_app
from lienthong.cli_output import console, err, fail, say, say_version, warn
from lienthong.cli_webhooks import webhooks_app
from lienthong.client import connect
from lienthong.client.terminal import safe
from lienthong.docsgen.command import docs_app
from lienthong.errors import ValidationFailed
from lienthong.report.command import demo_year, report
from lienthong.settings import Settings, secure_environment

if TYPE_CHECKING:
    from lienthong.client.status import Timeline

app = typer.Typer(
    help=__doc__, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False
)
app.add_typer(broker_app, name="broker")
app.add_typer(schemas_app, name="schemas")
app.add_typer(deadletters_app, name="deadletters")
app.add_typer(stack_app, name="stack")
app.add_typer(docs_app, name="docs")
app.command("facility")(facility_command)
app.add_typer(webhooks_app, name="webhooks")
app.add_typer(desk_app, name="desk")
app.command("env")(env_command)
app.command()(topics)
app.command()(manifests)
ID_HELP = "A dossier id (DVC-...), a receipt number (TN-DVC-...) or a file of dossiers"


def resolve_ids(given: list[str]) -> list[str]:
    """Dossier ids from ids, receipt numbers (``TN-<dossier id>``) and dossier files."""
    from lienthong.client.documents import dossier_ids, read
    from lienthong.hub.steps import dossier_id_of_receipt

    found: list[str] = []
    for item in given:
        path = Path(item)
        if item.endswith((".json", ".jsonl")) or path.is_file():
            found += dossier_ids(read(path), item)
        else:
            found.append(dossier_id_of_receipt(item.strip()))
    return list(dict.fromkeys(found))


def one_id(given: str) -> str:
    """The one dossier ``given`` names; a file of several is refused (name one of them)."""
    found = resolve_ids([given])
    if len(found) != 1:
        fail(f"{given} holds {len(found)} dossiers; name one: {', '.join(found[:3])}...", 2)
    return found[0]


def warn_when_nobody_reads(settings: Settings) -> None:
    from lienthong.client.readers import nobody_reads_intake

    warning = nobody_reads_intake(settings)
    if warning:
        warn(warning)


@app.callback()
def options(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the traceback when a command fails")
    ] = False,
    secure: Annotated[
        bool,
        typer.Option(
            "--secure",
            help="Reach a secured cluster: SASL/SCRAM over TLS as LIENTHONG_SASL_USERNAME "
            "(default: operator) with the password in LIENTHONG_SASL_PASSWORD",
        ),
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=say_version, is_eager=True, help="The version")
    ] = False,
) -> None:
    """Broker, topics, deployables, integrator client, demo, benchmark."""
    if secure:
        secure_environment(os.environ)


@app.command()
def run(
    name: Annotated[
        str, typer.Argument(help="hub, civil-registry, residence, health-insurance, bridge")
    ],
    loglevel: str = "warning",
    worker_index: Annotated[int, typer.Option(help="Nth worker of this deployable here")] = 0,
) -> None:
    """Run one deployable as a Faust worker until SIGTERM."""
    from lienthong.worker import run as run_worker

    settings = Settings(worker_index=worker_index) if worker_index else Settings()
    sys.argv = [sys.argv[0]]  # the Faust worker reads the command line itself
    run_worker(name, settings, loglevel)


@app.command()
def submit(
    file: Annotated[Path, typer.Argument(help="Dossiers as `lienthong generate` writes them")],
    dry_run: Annotated[bool, typer.Option(help="Validate only; send nothing")] = False,
) -> None:
    """Validate dossiers (a JSON list, JSON Lines or one object) and publish them.

    Every problem of every dossier is named before anything is sent; nothing is sent unless all
    of them are valid.
    """
    from lienthong.client import IntakePublisher
    from lienthong.client.documents import read
    from lienthong.contracts.events import meta_of

    checked, refused = [], 0
    for number, data in enumerate(read(file), 1):
        try:
            checked.append(IntakePublisher.check(data))
        except ValidationFailed as exc:
            refused += 1
            err.print(f"[bold red]dossier {number} in {escape(safe(str(file)))} is not valid:[/]")
            for reason in exc.reasons:
                err.print(
                    f"  • [bold]{escape(safe(reason.field))}[/]: {escape(safe(reason.message))} "
                    f"[dim]({reason.code})[/]"
                )
    if refused:
        fail(f"nothing was sent: {refused} of {refused + len(checked)} dossiers are not valid", 2)
    ids = [str(meta_of(record)["dossier_id"]) for record in checked]
    if dry_run:
        for dossier_id in ids:
            say(f"{dossier_id}: valid (not sent)")
        return
    settings = Settings()
    warn_when_nobody_reads(settings)
    with IntakePublisher(settings, patience=connect.QUICK) as publisher:
        for record in checked:
            publisher.submit(record, validate=False)
    for dossier_id in ids:
        say(f"submitted {dossier_id}")
    say(f"follow them with: lienthong status {ids[0] if len(ids) == 1 else file}")


@app.command()
def status(
    ids: Annotated[list[str], typer.Argument(help=ID_HELP, metavar="ID...", show_default=False)],
    wait: Annotated[float, typer.Option(help="Seconds to wait for the final status")] = 0.0,
    link: Annotated[bool, typer.Option(help="Print only the status page's link")] = False,
) -> None:
    """Receipt number, lookup code, status link and the timeline of dossiers, step by step."""
    from lienthong.client.status import StatusFollower, describe, receipt_lines

    settings = Settings()
    wanted = resolve_ids(ids)
    warn_when_nobody_reads(settings)
    follower = StatusFollower(settings, must_exist=True, patience=connect.QUICK).only(*wanted)
    try:
        follower.read_to_end()
        follower.wait_until(lambda t: all(d in t and t[d].final is not None for d in wanted), wait)
    finally:
        follower.close()
    missing = [d for d in wanted if d not in follower.timelines]
    if link:
        print_links(wanted, follower.timelines)
        return
    for dossier_id in wanted:
        timeline = follower.timelines.get(dossier_id)
        if timeline is not None:
            say(f"dossier {dossier_id}")
            for line in receipt_lines(timeline) + [describe(n, r) for n, r in timeline.events]:
                say(f"  {line}")
    if missing:
        fail(
            f"no status events for {', '.join(missing)} on {settings.topic(roles.STATUS)} yet; "
            "a dossier just sent gets its receipt within seconds (try --wait 30)"
        )


def print_links(wanted: list[str], timelines: dict[str, Timeline]) -> None:
    """The status page link of each dossier, one a line; fails when one has no receipt yet."""
    links = {d: timelines[d].receipts() for d in wanted if d in timelines}
    lacking = [d for d in wanted if not links.get(d)]
    if lacking:
        fail(f"no receipt yet for {', '.join(lacking)} (the hub has not received it; try --wait)")
    for dossier_id in wanted:
        say(links[dossier_id][-1]["status_url"])


@app.command()
def receipt(
    dossier: Annotated[str, typer.Argument(help=ID_HELP, metavar="ID", show_default=False)],
    fmt: Annotated[
        str, typer.Option("--format", help="svg (the card) or png (its QR code)")
    ] = "svg",
    out: Annotated[Path | None, typer.Option(help="Default: RECEIPT_NUMBER.FORMAT")] = None,
    lang: Annotated[str, typer.Option(help="vi or en")] = "vi",
) -> None:
    """Write a dossier's receipt, fetched from the hub with its receipt number and lookup code."""
    from lienthong.client.receipt import fetch_receipt
    from lienthong.client.status import received_event

    if fmt not in ("svg", "png"):
        fail(f"--format is svg or png, not {fmt!r}", 2)
    settings = Settings()
    dossier_id = one_id(dossier)
    received = received_event(settings, dossier_id)
    if received is None:
        fail(f"dossier {dossier_id} has no receipt: the hub has not received it (yet)")
    number, code = received["receipt_number"], received["lookup_code"]
    body = fetch_receipt(settings, number, code, "png" if fmt == "png" else "svg", lang)
    target = out or Path(f"{number}.{fmt}")
    target.write_bytes(body)
    say(f"wrote the receipt {number} to {target} ({len(body)} bytes)")


@app.command()
def withdraw(
    dossier: Annotated[str, typer.Argument(help=ID_HELP, metavar="ID", show_default=False)],
    reason: Annotated[str, typer.Option(help="Why the citizen withdraws it")] = "",
) -> None:
    """Ask the hub to withdraw a dossier (accepted until its first step finishes)."""
    from lienthong.client import IntakePublisher

    settings = Settings()
    dossier_id = one_id(dossier)
    warn_when_nobody_reads(settings)
    with IntakePublisher(settings, patience=connect.QUICK) as publisher:
        publisher.withdraw(dossier_id, reason)
    say(f"asked to withdraw {dossier_id}; follow it with: lienthong status {dossier_id}")


@app.command()
def generate(
    count: Annotated[int, typer.Argument(help="How many dossiers")] = 10,
    seed: int = 1,
    invalid_share: float = 0.0,
    out: Annotated[Path | None, typer.Option(help="Write them here (default: print)")] = None,
    jsonl: Annotated[bool, typer.Option(help="JSON Lines (one a line), not a JSON list")] = False,
    start: Annotated[
        dt.datetime | None,
        typer.Option(help="Submitted one a second from then (default: just now)"),
    ] = None,
) -> None:
    """Synthetic dossiers as a JSON list (realistic names, real commune codes), dated today."""
    from lienthong.client.documents import dumps
    from lienthong.groups.birth.model import to_json
    from lienthong.groups.birth.synthetic import generate as make

    if count < 1:
        fail(f"COUNT must be at least 1, not {count}", 2)
    begin = start.replace(tzinfo=start.tzinfo or dt.UTC) if start else None
    now = dt.datetime.now(dt.UTC)
    made = make(
        count,
        seed=seed,
        invalid_share=invalid_share,
        start=begin or now - dt.timedelta(seconds=count + 60),
        live=True,
    )
    text = dumps([to_json(s.record) for s in made], jsonl=jsonl)
    if out:
        out.write_text(text, encoding="utf-8")
        say(f"wrote {count} dossier{'s' if count > 1 else ''} to {out}")
    else:
        sys.stdout.write(text)


@app.command()
def demo(
    dossiers: int = 300,
    seed: Annotated[int | None, typer.Option(help="Random seed (printed when not given)")] = None,
    keep_running: Annotated[bool, typer.Option(help="Leave everything running")] = False,
    timeout: float = 150.0,
    review: Annotated[
        str | None, typer.Option(help="Review policy of every reviewable step (flagged, review)")
    ] = None,
) -> None:
    """Start broker and deployables, push synthetic dossiers through, print a summary."""
    from lienthong.demo import run_demo

    code = run_demo(
        Settings(),
        dossiers=dossiers,
        seed=seed,
        keep_running=keep_running,
        timeout=timeout,
        console=console,
        review=review,
    )
    raise typer.Exit(code)


@app.command()
def bench(
    dossiers: Annotated[int, typer.Option(min=1, help="Burst: dossiers published at once")] = 1000,
    rate: Annotated[float | None, typer.Option(help="Paced or soak: dossiers per second")] = None,
    rates: Annotated[str | None, typer.Option(help="Paced: several rates, e.g. 10,50,100")] = None,
    seconds: Annotated[float, typer.Option(min=1, help="Paced: seconds at each rate")] = 30.0,
    soak: Annotated[bool, typer.Option(help="Soak: --count dossiers at --rate, RSS")] = False,
    count: Annotated[int, typer.Option(min=1, help="Soak: dossiers in all")] = 100_000,
    drain: Annotated[float, typer.Option(min=0, help="Seconds to wait for open ones")] = 60.0,
    seed: Annotated[int, typer.Option(help="Seed of the generated dossiers")] = 1,
    plot: Annotated[bool, typer.Option(help="Draw PNGs of what was measured")] = False,
    replot: Annotated[
        list[Path] | None, typer.Option(help="No run: draw from JSON (repeat)")
    ] = None,
    out_dir: Annotated[Path, typer.Option(help="Where figures and plots go")] = Path(
        "bench-results"
    ),
    restart: Annotated[
        bool, typer.Option(help="Restart: kill each worker under load; time until it is back")
    ] = False,
    keep_topics: Annotated[
        bool, typer.Option(help="Leave the run's topics on the broker (deleted otherwise)")
    ] = False,
) -> None:
    """Burst (default), paced (--rate/--rates), soak (--soak) or restart (--restart) benchmark."""
    from lienthong.bench import Request, parse_rates, run

    request = Request(
        dossiers,
        parse_rates(rate, rates),
        seconds,
        soak,
        count,
        drain,
        seed,
        plot,
        tuple(replot or ()),
        out_dir,
        restart,
        keep_topics,
    )
    raise typer.Exit(run(Settings(), request, console))


def one_line(exc: BaseException) -> str:
    """What failed, in one line (a longer message points to --debug for the rest)."""
    from kafka.errors import KafkaError
    from pydantic import ValidationError

    from lienthong.client.connect import unreachable
    from lienthong.errors import LienthongError

    if isinstance(exc, ValidationError):
        names = ", ".join(f"LIENTHONG_{str(e['loc'][0]).upper()}" for e in exc.errors() if e["loc"])
        return f"invalid setting {names}: {exc.errors()[0]['msg']}"
    if isinstance(exc, KafkaError):
        exc = unreachable(Settings(), exc)
    text = str(exc).strip() or type(exc).__name__
    first, *rest = text.splitlines()
    if not isinstance(exc, (LienthongError, OSError)):
        first = f"{type(exc).__name__}: {first}"
    return first + (f" ({len(rest)} more lines with --debug)" if rest else "")


app.command()(report)
app.command("demo-year")(demo_year)


def main() -> None:
    """Run a command; a failure is one line on stderr and exit code 1 (traceback with --debug)."""
    debug = "--debug" in sys.argv[1:]
    sys.argv = [sys.argv[0], *(a for a in sys.argv[1:] if a != "--debug")]
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as exc:
        if debug:
            traceback.print_exc()
        err.print(f"[bold red]error:[/] {escape(safe(one_line(exc)))}", soft_wrap=True)
        sys.exit(1)
