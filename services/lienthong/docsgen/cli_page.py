"""The command-line reference: every command of the ``lienthong`` typer app, with its options."""

from __future__ import annotations

from typing import Any

from lienthong.docsgen.markdown import cell, code, header, value

#: Typer carries its own copy of click, so commands and parameters are read by what they have
#: (``commands``, ``param_type_name``), not by the class of one click or the other.
Command = Any


def subcommands(command: Command) -> dict[str, Command]:
    found: dict[str, Command] = getattr(command, "commands", None) or {}
    return found


def is_option(param: Any) -> bool:
    return getattr(param, "param_type_name", "") == "option"


def walk(command: Command, path: str) -> list[tuple[str, Command]]:
    """Every command under ``command``, groups first, in the order a reader meets them."""
    found = [(path, command)]
    for name, sub in subcommands(command).items():
        if not sub.hidden:
            found += walk(sub, f"{path} {name}")
    return found


def usage(path: str, command: Command) -> str:
    pieces = [path]
    for param in command.params:
        if not is_option(param):
            name = (param.name or "").upper()
            shown = f"{name}..." if param.nargs == -1 else name
            pieces.append(shown if param.required else f"[{shown}]")
    if any(is_option(p) for p in command.params):
        pieces.append("[OPTIONS]")
    if subcommands(command):
        pieces.append("COMMAND")
    return " ".join(pieces)


def option_row(param: Any) -> str:
    if is_option(param):
        names = ", ".join([*param.opts, *param.secondary_opts])
        default = "–" if param.is_flag and not param.default else code(value(param.default))
        default = "(required)" if param.required else default
    else:
        names, default = (param.name or "").upper(), "(required)" if param.required else "–"
    help_text = getattr(param, "help", None) or ""
    return f"| {code(names)} | {default} | {cell(help_text)} |"


def section(path: str, command: Command) -> list[str]:
    level = "##" if path.count(" ") <= 1 else "###"
    out = [f"{level} `{path}`\n", f"```\n{usage(path, command)}\n```\n"]
    if command.help:
        out.append(command.help.strip() + "\n")
    params = [p for p in command.params if p.name != "help"]
    if params:
        out += ["| argument or option | default | meaning |", "|---|---|---|"]
        out += [option_row(p) for p in params] + [""]
    if subcommands(command):
        out.append("Commands: " + ", ".join(f"`{name}`" for name in subcommands(command)) + ".\n")
    return out


def render(root: Command, name: str = "lienthong") -> str:
    """The page: the global options, then one section per command and subcommand."""
    out = [
        header("the typer app (services/lienthong/cli.py)"),
        "# Command line\n",
        f"`{name} --help` prints the same, command by command; every command reads the "
        "`LIENTHONG_*` settings (see [Settings](settings.md)).\n",
    ]
    for path, command in walk(root, name):
        out += section(path, command)
    return "\n".join(out)
