"""The ``lienthong`` command: broker, topics, deployables, integrator client, demo, benchmark."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from lienthong.cli_ops import deadletters_app
from lienthong.errors import LienthongError, ValidationFailed
from lienthong.settings import Settings

app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False)
broker_app = typer.Typer(help="The local Apache Kafka broker (jars from Maven Central).")
schemas_app = typer.Typer(help="The Avro contracts: list, check compatibility, release.")
app.add_typer(broker_app, name="broker")
app.add_typer(schemas_app, name="schemas")
app.add_typer(deadletters_app, name="deadletters")
console = Console()
err = Console(stderr=True)


def fail(message: str, code: int = 1) -> None:
    err.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


@broker_app.command("start")
def broker_start() -> None:
    """Start a single-node KRaft broker (formats storage once; waits until it answers)."""
    from lienthong.broker.local import LocalBroker

    console.print(LocalBroker(Settings()).start().message)


@broker_app.command("stop")
def broker_stop() -> None:
    """Stop the broker this checkout started (SIGTERM, then wait)."""
    from lienthong.broker.local import LocalBroker

    console.print(LocalBroker(Settings()).stop().message)


@broker_app.command("status")
def broker_status() -> None:
    """Say whether the broker runs and answers."""
    from lienthong.broker.local import LocalBroker

    status = LocalBroker(Settings()).status()
    console.print(status.message)
    raise typer.Exit(0 if status.answering else 1)


@app.command()
def topics() -> None:
    """Create every contract topic that is missing."""
    from lienthong.worker import prepare_topics

    created = prepare_topics(Settings())
    console.print(f"created {len(created)} topics" + (": " + ", ".join(created) if created else ""))


@app.command()
def run(
    name: Annotated[str, typer.Argument(help="hub, civil-registry, residence, health-insurance")],
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
    file: Annotated[Path, typer.Argument(help="A dossier as JSON (see `lienthong generate`)")],
    dry_run: Annotated[bool, typer.Option(help="Validate only; send nothing")] = False,
) -> None:
    """Validate a dossier and publish it; says what is wrong before anything is sent."""
    from lienthong.client import IntakePublisher

    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        fail(f"cannot read {file}: {exc}")
    try:
        record = IntakePublisher.check(data)
    except ValidationFailed as exc:
        err.print(f"[bold red]The dossier in {file} was not sent:[/]")
        for reason in exc.reasons:
            err.print(f"  • [bold]{reason.field}[/]: {reason.message} [dim]({reason.code})[/]")
        raise typer.Exit(2) from None
    if dry_run:
        console.print(f"{record['meta']['dossier_id']}: valid (not sent)")
        return
    with IntakePublisher(Settings()) as publisher:
        dossier_id = publisher.submit(record, validate=False)
    console.print(f"submitted {dossier_id}; follow it with: lienthong status {dossier_id}")


@app.command()
def status(
    dossier_id: str,
    wait: Annotated[float, typer.Option(help="Seconds to wait for the final status")] = 0.0,
) -> None:
    """The timeline of one dossier, step by step."""
    from lienthong.client.status import StatusFollower, describe

    follower = StatusFollower(Settings()).only(dossier_id)
    try:
        follower.wait_until(
            lambda t: dossier_id in t and t[dossier_id].final is not None, max(wait, 1.5)
        )
    finally:
        follower.close()
    timeline = follower.timelines.get(dossier_id)
    if timeline is None:
        fail(f"no status events for dossier {dossier_id} (yet)")
        return
    for name, record in timeline.events:
        console.print(describe(name, record))


@app.command()
def generate(
    count: Annotated[int, typer.Argument(help="How many dossiers")] = 10,
    seed: int = 1,
    invalid_share: float = 0.0,
    out: Annotated[Path | None, typer.Option(help="Write a JSON list here")] = None,
) -> None:
    """Synthetic dossiers as JSON (realistic names, real commune codes, valid certificates)."""
    from lienthong.synthetic import generate as make
    from lienthong.synthetic import to_json

    items = [to_json(s.record) for s in make(count, seed=seed, invalid_share=invalid_share)]
    text = json.dumps(items if count != 1 else items[0], ensure_ascii=False, indent=2, default=str)
    if out:
        out.write_text(text, encoding="utf-8")
        console.print(f"wrote {count} dossiers to {out}")
    else:
        sys.stdout.write(text + "\n")


@schemas_app.command("list")
def schemas_list() -> None:
    """Every event schema with its fingerprint."""
    from lienthong.contracts.catalogue import default_catalogue

    for entry in default_catalogue():
        console.print(f"{entry.fingerprint.hex()}  {entry.full_name}")


@schemas_app.command("check")
def schemas_check() -> None:
    """Fail when a schema breaks compatibility with its released version (same major)."""
    from lienthong.contracts.catalogue import default_catalogue
    from lienthong.contracts.governance import check_compatibility

    findings = check_compatibility(default_catalogue())
    broken = [f for f in findings if not f.compatible]
    for f in broken:
        err.print(
            f"[red]INCOMPATIBLE[/] {f.name} ({f.direction} vs release {f.release}): {f.detail}"
        )
    console.print(f"{len(findings) - len(broken)} of {len(findings)} checks compatible")
    if broken:
        raise typer.Exit(1)


@schemas_app.command("release")
def schemas_release(version: str) -> None:
    """Freeze the current schemas as a release to check later changes against."""
    from lienthong.contracts.catalogue import default_catalogue
    from lienthong.contracts.governance import release

    console.print(f"released {version} to {release(default_catalogue(), version)}")


@app.command()
def demo(
    dossiers: int = 300,
    seed: Annotated[int | None, typer.Option(help="Random seed (printed when not given)")] = None,
    keep_running: Annotated[bool, typer.Option(help="Leave everything running")] = False,
    timeout: float = 150.0,
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
) -> None:
    """Burst (default), paced (--rate/--rates) or soak (--soak) benchmark of the pipeline."""
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
    )
    raise typer.Exit(run(Settings(), request, console))


def main() -> None:
    try:
        app()
    except LienthongError as exc:
        err.print(f"[bold red]error:[/] {exc}")
        sys.exit(1)
