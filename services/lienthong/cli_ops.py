"""Operator commands: ``lienthong deadletters list|show|replay``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from lienthong.settings import Settings

deadletters_app = typer.Typer(
    help="Messages that could not be processed: list them, show one, replay after a fix.",
    no_args_is_help=True,
)
console = Console(highlight=False)
err = Console(stderr=True, highlight=False)

IdsArgument = Annotated[
    list[str] | None,
    typer.Argument(
        help="partition:offset in the dead-letter topic, topic\\[partition]@offset of the "
        "original, or an event id (or its first characters)",
        metavar="ID",
        show_default=False,
    ),
]


@deadletters_app.command("list")
def list_command() -> None:
    """Every dead letter: id, when, which deployable, where it was read, what, why."""
    from lienthong.client.deadletters import list_lines, read_dead_letters

    settings = Settings()
    entries = read_dead_letters(settings)
    for line in list_lines(entries):
        console.print(escape(line), soft_wrap=True)
    console.print(f"{len(entries)} dead letters in {settings.topic('deadletter')}")


@deadletters_app.command("show")
def show_command(
    dead_letter: Annotated[str, typer.Argument(metavar="ID", help="One dead letter")],
) -> None:
    """One dead letter in full, with its original event decoded where possible."""
    from lienthong.client.deadletters import describe, read_dead_letters, select

    (entry,) = select(read_dead_letters(Settings()), [dead_letter])
    for line in describe(entry):
        console.print(escape(line), soft_wrap=True)


@deadletters_app.command("replay")
def replay_command(
    ids: IdsArgument = None,
    all_: Annotated[bool, typer.Option("--all", help="Replay every dead letter")] = False,
) -> None:
    """Publish the originals again to their topics (same key and headers); safe to repeat."""
    from lienthong.client.deadletters import read_dead_letters, replay, select

    if bool(ids) == all_:
        err.print("[bold red]error:[/] name dead letters to replay, or give --all (not both)")
        raise typer.Exit(2)
    settings = Settings()
    entries = read_dead_letters(settings)
    chosen = entries if all_ else select(entries, ids or [])
    for done in replay(settings, chosen):
        where = f"{done.topic}[{done.partition}]@{done.offset}"
        console.print(escape(f"{done.entry.position} -> {where}"))
    console.print(f"replayed {len(chosen)} dead letters")
