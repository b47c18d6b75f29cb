"""What every command prints: safe lines on stdout, one-line errors on stderr."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from lienthong import __version__
from lienthong.client.terminal import safe

console = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def say(line: str) -> None:
    """One line of output; anything in it that came from a message is made safe."""
    console.print(escape(safe(line)), soft_wrap=True)


def warn(line: str) -> None:
    err.print(f"[bold yellow]warning:[/] {escape(safe(line))}", soft_wrap=True)


def fail(message: str, code: int = 1) -> NoReturn:
    """Say what failed in one line on stderr and exit with ``code``."""
    err.print(f"[bold red]error:[/] {escape(safe(message))}", soft_wrap=True)
    raise typer.Exit(code)


def say_version(asked: bool) -> None:
    """``lienthong --version``: the package version, then exit."""
    if asked:
        console.print(f"lienthong {__version__}")
        raise typer.Exit()
