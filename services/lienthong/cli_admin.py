"""``lienthong broker``, ``schemas``, ``topics`` and ``manifests``: the local broker, the Avro
contracts, the topics and the cluster manifests."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lienthong.cli_output import console, err
from lienthong.client import connect
from lienthong.settings import Settings

broker_app = typer.Typer(help="The local Apache Kafka broker (jars fetched into the user cache).")
schemas_app = typer.Typer(
    help="The Avro contracts: list, check compatibility and release, export by fingerprint."
)


@broker_app.command("start")
def broker_start() -> None:
    """Start a single-node KRaft broker (formats storage once; waits until it answers)."""
    from lienthong.broker.local import LocalBroker

    console.print(LocalBroker(Settings()).start().message)


@broker_app.command("jars")
def broker_jars() -> None:
    """Fetch the broker's jars into the user cache now (start does it on first use)."""
    from lienthong.broker.jars import fetch, jars_dir

    settings = Settings()
    fetched = fetch(settings)
    console.print(f"{fetched} jars fetched; the broker's classpath is {jars_dir(settings)}")


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


@schemas_app.command("list")
def schemas_list() -> None:
    """Every event schema with its fingerprint."""
    from lienthong.contracts.catalogue import default_catalogue

    for entry in default_catalogue():
        console.print(f"{entry.fingerprint.hex()}  {entry.full_name}")


@schemas_app.command("check")
def schemas_check() -> None:
    """Fail when a schema breaks compatibility with its released version (same major), or is
    not part of the newest release (a subscriber could not resolve its fingerprint)."""
    from lienthong.contracts.catalogue import default_catalogue
    from lienthong.contracts.governance import check_compatibility, newest_release, unreleased

    catalogue = default_catalogue()
    findings = check_compatibility(catalogue)
    broken = [f for f in findings if not f.compatible]
    for f in broken:
        err.print(
            f"[red]INCOMPATIBLE[/] {f.name} ({f.direction} vs release {f.release}): {f.detail}"
        )
    console.print(f"{len(findings) - len(broken)} of {len(findings)} checks compatible")
    missing = unreleased(catalogue)
    for entry in missing:
        err.print(
            f"[red]UNRELEASED[/] {entry.full_name} ({entry.fingerprint.hex()}) is not in release "
            f"{newest_release(catalogue)}: cut a release (lienthong schemas release VERSION)"
        )
    if broken or missing:
        raise typer.Exit(1)


@schemas_app.command("release")
def schemas_release(version: str) -> None:
    """Freeze the current schemas as a release to check later changes against."""
    from lienthong.contracts.catalogue import default_catalogue
    from lienthong.contracts.governance import release

    console.print(f"released {version} to {release(default_catalogue(), version)}")


@schemas_app.command("export")
def schemas_export(
    folder: Path = typer.Argument(..., help="Where to write <fingerprint>.json and index.json"),
    check: bool = typer.Option(False, help="Only say whether FOLDER holds what would be written"),
) -> None:
    """Write every released and current writer schema as FOLDER/<fingerprint>.json."""
    from lienthong.contracts.catalogue import default_catalogue
    from lienthong.contracts.published import export, stale

    if check:
        differ = stale(default_catalogue(), folder)
        for name in differ:
            err.print(f"[red]STALE[/] {folder / name}")
        console.print(f"{folder} is stale" if differ else f"{folder} matches the schemas")
        raise typer.Exit(1 if differ else 0)
    written = export(default_catalogue(), folder)
    console.print(f"wrote {len(written) - 1} schemas and their index to {folder}")


@schemas_app.command("types")
def schemas_types(
    check: bool = typer.Option(
        False, help="Only say whether contracts/records/ is what the schemas make"
    ),
) -> None:
    """Write the record types of every contract (``contracts/records/``) for mypy."""
    from lienthong.contracts.catalogue import SchemaCatalogue, schema_root
    from lienthong.contracts.typed import render, write, written

    made = render(SchemaCatalogue(schema_root()))
    if check:
        same = written() == made
        console.print("contracts/records/ matches the schemas" if same else "records are stale")
        raise typer.Exit(0 if same else 1)
    write(made)
    count = sum(text.count("(TypedDict)") for text in made.values())
    console.print(f"wrote contracts/records/: {count} record types in {len(made) - 1} modules")


def topics() -> None:
    """Create every contract topic that is missing."""
    from lienthong.worker import prepare_topics

    settings = Settings()
    connect.admin(settings, "lienthong-topics").close()  # says quickly when nothing answers
    created = prepare_topics(settings)
    console.print(f"created {len(created)} topics" + (": " + ", ".join(created) if created else ""))


def manifests(
    check: Annotated[bool, typer.Option(help="Only list stale files; exit 1 if any")] = False,
) -> None:
    """Write the cluster manifests the code's tables decide (KafkaUsers, PrometheusRule)."""
    from lienthong.manifests import stale, write

    changed = stale() if check else write()
    verb = "stale" if check else "written"
    console.print(f"{verb}: {', '.join(map(str, changed))}" if changed else "manifests up to date")
    raise typer.Exit(1 if check and changed else 0)
