"""The settings reference: every field of the Settings model with its variable, type and default."""

from __future__ import annotations

import inspect
import re
import textwrap
import types
import typing
from typing import Any, Literal

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo

from lienthong.docsgen.markdown import code, header, value

#: ``# -- The legal clock ---`` in the model's body opens a section of the page.
SECTION = re.compile(r"^\s*# -- (?P<title>.+?) -+\s*$")
#: ``#: a note`` above a field documents a field that has no description.
NOTE = re.compile(r"^\s*#: ?(?P<text>.*)$")
TABLE_RULE = "|---|---|---|---|"
FIELD = re.compile(r"^    (?P<name>[a-z_][a-z0-9_]*)\s*:")


def type_name(annotation: Any) -> str:
    """A field's type as a reader writes it: ``int``, ``str or None``."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is Literal:
        return " or ".join(repr(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(type_name(a) for a in args)
    if origin is not None:
        inner = ", ".join("..." if a is Ellipsis else type_name(a) for a in args)
        return f"{getattr(origin, '__name__', str(origin))}[{inner}]"
    if annotation is type(None):
        return "None"
    return getattr(annotation, "__name__", str(annotation))


def source_notes(model: type[BaseModel]) -> tuple[dict[str, str], dict[str, str]]:
    """From the model's source (its own and its bases'): each field's section, its ``#:`` note."""
    sections: dict[str, str] = {}
    notes: dict[str, str] = {}
    for cls in reversed(model.__mro__):
        if not (isinstance(cls, type) and issubclass(cls, BaseModel)) or cls is BaseModel:
            continue
        try:
            lines = textwrap.dedent(inspect.getsource(cls)).splitlines()
        except (OSError, TypeError):
            continue
        section, pending = "General", list[str]()
        for line in lines:
            if found := SECTION.match(line):
                section, pending = found["title"], []
            elif found := NOTE.match(line):
                pending.append(found["text"])
            elif found := FIELD.match(line):
                sections.setdefault(found["name"], section)
                if pending:
                    notes.setdefault(found["name"], " ".join(pending))
                pending = []
    return sections, notes


def default_of(field: FieldInfo) -> str:
    if field.default_factory is not None:
        return code(value(field.default_factory()))  # type: ignore[call-arg]
    if isinstance(field.default, SecretStr):
        return "(a secret; see the description)"
    return code(value(field.default))


def render(model: type[BaseModel], prefix: str) -> str:
    """The page: one table per section of the model, one row per setting."""
    sections, notes = source_notes(model)
    rows: dict[str, list[str]] = {}
    for name, field in model.model_fields.items():
        doc = field.description or notes.get(name, "")
        row = (
            f"| {code(prefix + name.upper())} | {code(type_name(field.annotation))} "
            f"| {default_of(field)} | {' '.join(doc.split()) or '–'} |"
        )
        rows.setdefault(sections.get(name, "General"), []).append(row)
    out = [
        header("the Settings model (services/lienthong/settings.py)"),
        "# Settings\n",
        f"Every setting is read from an environment variable `{prefix}<NAME>`; the model is "
        "frozen, so a process reads them once at start. Lists and tables are written as JSON.\n",
    ]
    for title, lines in rows.items():
        out += [f"## {title}\n", "| variable | type | default | what it does |", TABLE_RULE]
        out += [*lines, ""]
    return "\n".join(out)
