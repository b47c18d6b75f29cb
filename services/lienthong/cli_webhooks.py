"""Operator commands for the webhook bridge: ``webhooks failed|redeliver``."""

from __future__ import annotations

from typing import Annotated

import typer

from lienthong.cli_output import console, say
from lienthong.settings import Settings

webhooks_app = typer.Typer(
    help="Deliveries to agencies' webhook endpoints: list those given up, send one again.",
    no_args_is_help=True,
)


@webhooks_app.command("failed")
def failed_command() -> None:
    """Every delivery the bridge gave up on: id, when, the handoff, the endpoint's last answer."""
    from lienthong.bridge.redelivery import failed
    from lienthong.client.deadletters import list_lines, read_dead_letters

    entries = failed(read_dead_letters(Settings()))
    for line in list_lines(entries):
        say(line)
    console.print(f"{len(entries)} failed deliveries")


@webhooks_app.command("redeliver")
def redeliver_command(
    failed_id: Annotated[
        str, typer.Argument(metavar="ID", help="partition:offset from `webhooks failed`")
    ],
) -> None:
    """Send a failed delivery's handoff again: the bridge delivers it under its first
    webhook-id, with a fresh give-up horizon."""
    from lienthong.bridge.redelivery import redeliver
    from lienthong.client.deadletters import read_dead_letters

    settings = Settings()
    sent = redeliver(settings, read_dead_letters(settings), failed_id)
    say(f"{failed_id} -> {sent.topic}[{sent.partition}]@{sent.offset}")
