"""``lienthong docs generate``: write the reference pages from the code (``make docs`` runs it)."""

from __future__ import annotations

from typing import Annotated

import typer

from lienthong.cli_output import console

docs_app = typer.Typer(help="The documentation site's generated pages", no_args_is_help=True)


@docs_app.command()
def generate(
    ctx: typer.Context,
    check: Annotated[bool, typer.Option(help="Only list stale pages; exit 1 if any")] = False,
) -> None:
    """Write docs/reference/{settings,cli,topics,events,groups}.md from the code."""
    from lienthong.docsgen.pages import stale, write

    root = ctx.find_root().command
    changed = stale(root) if check else write(root)
    verb = "stale" if check else "written"
    console.print(f"{verb}: {', '.join(map(str, changed))}" if changed else "pages up to date")
    raise typer.Exit(1 if check and changed else 0)
