"""Typed records from the Avro contracts: one ``TypedDict`` per record type, written as Python.

The code handles events as the dictionaries fastavro reads and writes (no conversion on the hot
path); these types let mypy check every field the code reads or builds against the contract.
``lienthong schemas types`` writes them to the package ``contracts/records/``, one module per
namespace (``common``, ``intake``, ``status``, a group's own, ...) and an ``__init__`` that names
them all, and a test fails when that package is not what the current schemas make, so a field
renamed in a schema is a type error in every module that still uses the old name.

Mapping (Avro to Python): records are ``TypedDict`` classes named by their short name (with the
last part of the namespace first when two records share one); a field with a default is
``NotRequired`` (the writer fills it in); ``["null", X]`` is ``X | None``; enums are ``str`` (a
group outside the package adds steps to the ``Step`` enum); ``timestamp-*`` is ``datetime``,
``date`` is ``date``, ``uuid`` is ``UUID | str`` (read as a UUID, written as either).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lienthong.contracts.catalogue import SchemaCatalogue

Json = Any
#: Where ``lienthong schemas types`` writes the record types (one module per namespace).
RECORDS_PACKAGE = Path(__file__).with_name("records")
PRIMITIVE = {
    "null": "None",
    "boolean": "bool",
    "int": "int",
    "long": "int",
    "float": "float",
    "double": "float",
    "bytes": "bytes",
    "string": "str",
}
LOGICAL = {
    "timestamp-millis": "dt.datetime",
    "timestamp-micros": "dt.datetime",
    "date": "dt.date",
    "uuid": "UUID | str",
}
HEADER = '''"""{what}, for mypy: written by ``lienthong schemas types``.

Do not edit: change the schema and run the command again (a test compares this package with what
the current schemas make). See ``lienthong.contracts.typed`` for the mapping.
"""'''


#: The type of any event (every record type above with ``meta``): what generic code handles.
EVENT = [
    "class Event(TypedDict):",
    '    """Any event: what each has, its metadata (every record type with ``meta`` is one)."""',
    "",
    "    meta: EventMetadata",
]


@dataclass
class Records:
    """The record types met so far, by full name, in the order they must be written."""

    names: dict[str, str] = field(default_factory=dict)
    bodies: dict[str, list[str]] = field(default_factory=dict)
    docs: dict[str, str] = field(default_factory=dict)


def _class_name(full: str, taken: dict[str, str]) -> str:
    short = full.rsplit(".", 1)[-1]
    if short not in taken.values():
        return short
    space = full.rsplit(".", 2)[-2] if full.count(".") >= 2 else "x"
    return space.title().replace("_", "") + short


def _type(node: Json, records: Records) -> str:
    """The Python type of a schema node (records met are added to ``records``)."""
    if isinstance(node, str):
        if node in PRIMITIVE:
            return PRIMITIVE[node]
        return records.names[node]  # a named type met before (the expanded form inlines once)
    if isinstance(node, list):  # a union: None last, as Python writes an optional type
        branches = dict.fromkeys(_type(branch, records) for branch in node)
        return " | ".join(sorted(branches, key=lambda b: b == "None"))
    kind = node.get("type")
    if node.get("logicalType") in LOGICAL:
        return LOGICAL[node["logicalType"]]
    if kind == "record":
        return _record(node, records)
    if kind == "enum":
        records.names.setdefault(node["name"], "str")
        return "str"
    if kind == "fixed":
        records.names.setdefault(node["name"], "bytes")
        return "bytes"
    if kind == "array":
        return f"list[{_type(node['items'], records)}]"
    if kind == "map":
        return f"dict[str, {_type(node['values'], records)}]"
    return _type(kind, records)


def _record(node: Json, records: Records) -> str:
    full = node["name"]
    if full in records.names:
        return records.names[full]
    name = _class_name(full, records.names)
    records.names[full] = name
    lines = []
    for f in node["fields"]:
        typed = _type(f["type"], records)
        lines.append(f"    {f['name']}: {f'NotRequired[{typed}]' if 'default' in f else typed}")
    records.bodies[full] = lines
    records.docs[full] = " ".join(str(node.get("doc") or full).split())
    return name


def _doc_lines(doc: str, width: int = 88) -> Iterator[str]:
    words, line = doc.replace('"""', "'''").split(), ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            yield line
            line = word
        else:
            line = f"{line} {word}".strip()
    yield line


def _module_of(full: str) -> str:
    """The module a record type is written in: the last part of its namespace."""
    parts = full.split(".")
    return parts[-2] if len(parts) >= 2 else "common"


def _class_text(records: Records, full: str) -> list[str]:
    doc = list(_doc_lines(records.docs[full]))
    quoted = (
        [f'    """{doc[0]}"""']
        if len(doc) == 1 and len(doc[0]) <= 92
        else ['    """' + doc[0], *(f"    {d}" for d in doc[1:]), '    """']
    )
    return ["", "", f"class {records.names[full]}(TypedDict):", *quoted, "", *records.bodies[full]]


def _from_import(module: str, names: list[str], width: int = 100) -> list[str]:
    """``from module import names`` as the formatter writes it (wrapped when too long)."""
    line = f"from {module} import {', '.join(names)}"
    if len(line) <= width:
        return [line]
    return [f"from {module} import (", *(f"    {n}," for n in names), ")"]


def _module_text(module: str, classes: list[str], home: dict[str, str]) -> str:
    """One module: its header, the standard imports it uses, its siblings' types it uses."""
    body = "\n".join(classes)
    used = set(re.findall(r"\b[A-Za-z_]\w*\b", body))
    typing = ", ".join(n for n in ("NotRequired", "TypedDict") if n in used)
    imports = [
        *(["import datetime as dt"] if "dt" in used else []),
        f"from typing import {typing}",
        *(["from uuid import UUID"] if "UUID" in used else []),
    ]
    siblings: dict[str, list[str]] = {}
    for name in sorted(used & set(home)):
        if home[name] != module:
            siblings.setdefault(home[name], []).append(name)
    ours = [
        line
        for other, names in sorted(siblings.items())
        for line in _from_import(f"lienthong.contracts.records.{other}", names)
    ]
    head = HEADER.format(what=f"Record types of the ``{module}`` contracts")
    return "\n".join([head, "", *imports, *([""] if ours else []), *ours, body]) + "\n"


def render(catalogue: SchemaCatalogue) -> dict[str, str]:
    """The package's files, by name: one module per namespace with its record types (nested
    ones before their users), and the ``__init__`` that names every type."""
    records = Records()
    for entry in catalogue:
        _record(entry.expanded, records)
    modules: dict[str, list[str]] = {}
    home: dict[str, str] = {}
    for full in records.bodies:
        module = _module_of(full)
        modules.setdefault(module, []).extend(_class_text(records, full))
        home[records.names[full]] = module
    modules["common"] = [*modules.get("common", []), "", "", *EVENT]
    home["Event"] = "common"
    files = {f"{m}.py": _module_text(m, classes, home) for m, classes in sorted(modules.items())}
    by_module: dict[str, list[str]] = {}
    for name in sorted(home):
        by_module.setdefault(home[name], []).append(name)
    init = [HEADER.format(what="The Avro contracts' record types"), ""]
    for module, names in sorted(by_module.items()):
        init += _from_import(f"lienthong.contracts.records.{module}", names)
    init += ["", "__all__ = [", *(f'    "{n}",' for n in sorted(home)), "]"]
    files["__init__.py"] = "\n".join(init) + "\n"
    return files


def written(package: Path = RECORDS_PACKAGE) -> dict[str, str]:
    """The package's files as they are on disk, by name."""
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(package.glob("*.py"))}


def write(files: dict[str, str], package: Path = RECORDS_PACKAGE) -> None:
    """Write ``files`` as the package, removing modules the schemas no longer make."""
    package.mkdir(exist_ok=True)
    for stale in set(written(package)) - set(files):
        (package / stale).unlink()
    for name, text in files.items():
        (package / name).write_text(text, encoding="utf-8")
