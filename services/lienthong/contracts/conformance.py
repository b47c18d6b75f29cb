"""Check a record against an Avro schema and say, per field, which rule it breaks."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from itertools import islice
from typing import Any

from lienthong.limits import MAX_REASONS, clip, excerpt

Json = Any

_INT_RANGE = (-(2**31), 2**31 - 1)
_LONG_RANGE = (-(2**63), 2**63 - 1)


def _describe(schema: Json) -> str:
    if isinstance(schema, str):
        return str(schema)
    if isinstance(schema, list):
        return " or ".join(_describe(s) for s in schema)
    logical = schema.get("logicalType")
    if logical:
        return str(
            {
                "timestamp-millis": "a date and time",
                "timestamp-micros": "a date and time",
                "date": "a date",
                "uuid": "a UUID",
            }.get(logical, logical)
        )
    kind = schema.get("type")
    if kind in ("record", "enum", "fixed"):
        return f"{kind} {schema['name'].rsplit('.', 1)[-1]}"
    return str(kind)


def _int_ok(value: Json, bounds: tuple[int, int]) -> bool:
    return (
        isinstance(value, int) and not isinstance(value, bool) and bounds[0] <= value <= bounds[1]
    )


def _logical_problem(schema: dict[str, Json], value: Json) -> str | None:
    logical = schema.get("logicalType")
    if logical in ("timestamp-millis", "timestamp-micros"):
        if isinstance(value, dt.datetime) or _int_ok(value, _LONG_RANGE):
            return None
        return f"must be a date and time, got {excerpt(value)}"
    if logical == "date":
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return None
        return None if _int_ok(value, _INT_RANGE) else f"must be a date, got {excerpt(value)}"
    if logical == "uuid":
        if isinstance(value, uuid.UUID):
            return None
        try:  # text only: str() of anything else may be huge
            uuid.UUID(value if isinstance(value, str) else "")
        except ValueError:
            return f"must be a UUID, got {excerpt(value)}"
        return None
    return "unsupported"


def _first(found: Iterator[str]) -> list[str]:
    """The first problems of a list or map: one more than a refusal lists, to say there are more."""
    return list(islice(found, MAX_REASONS + 1))


def problems(
    schema: Json, value: Json, path: str = "", named: dict[str, Json] | None = None
) -> list[str]:
    """The ways ``value`` breaks ``schema`` (empty when it fits), each naming the field; of a
    list's or a map's items, only the first (checking 70,000 wrong items would take seconds)."""
    named = {} if named is None else named
    where = path or "record"
    if isinstance(schema, str) and schema in named:
        schema = named[schema]
    if isinstance(schema, list):
        for branch in schema:
            if not problems(branch, value, path, named):
                return []
        if value is None:
            return [f"{where}: is required"]
        shown = f"{type(value).__name__} {excerpt(value)}"
        return [f"{where}: must be {_describe(schema)}, got {shown}"]
    if isinstance(schema, str):
        return _primitive(schema, value, where)
    if "logicalType" in schema:
        issue = _logical_problem(schema, value)
        if issue != "unsupported":
            return [f"{where}: {issue}"] if issue else []
    kind = schema["type"]
    if kind in ("record", "enum", "fixed"):
        named[schema["name"]] = schema
    if kind == "record":
        if not isinstance(value, dict):
            return [f"{where}: must be a {_describe(schema)} (an object), got {excerpt(value)}"]
        found: list[str] = []
        for field in schema["fields"]:
            name = field["name"]
            sub = f"{path}.{name}" if path else name
            if name not in value:
                if "default" not in field:
                    found.append(f"{sub}: is required")
                continue
            found.extend(problems(field["type"], value[name], sub, named))
        return found
    if kind == "enum":
        if value in schema["symbols"]:
            return []
        return [f"{where}: must be one of {_choices(schema['symbols'])}, got {excerpt(value)}"]
    if kind == "array":
        if not isinstance(value, (list, tuple)):
            return [f"{where}: must be a list, got {excerpt(value)}"]
        items = schema["items"]
        return _first(
            p for i, item in enumerate(value) for p in problems(items, item, f"{where}[{i}]", named)
        )
    if kind == "map":
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            return [f"{where}: must be a map with text keys, got {excerpt(value)}"]
        values = schema["values"]
        return _first(
            p
            for k, item in value.items()
            for p in problems(values, item, f"{where}[{clip(k)}]", named)
        )
    if kind == "fixed":
        ok = isinstance(value, (bytes, bytearray)) and len(value) == schema["size"]
        return [] if ok else [f"{where}: must be exactly {schema['size']} bytes"]
    return _primitive(kind, value, where)


def _primitive(kind: str, value: Json, where: str) -> list[str]:
    ok = {
        "null": value is None,
        "boolean": isinstance(value, bool),
        "int": _int_ok(value, _INT_RANGE),
        "long": _int_ok(value, _LONG_RANGE),
        "float": isinstance(value, (int, float)) and not isinstance(value, bool),
        "double": isinstance(value, (int, float)) and not isinstance(value, bool),
        "bytes": isinstance(value, (bytes, bytearray)),
        "string": isinstance(value, str),
    }.get(kind)
    if ok is None:
        return [f"{where}: unknown type {kind}"]
    if ok:
        return []
    if value is None:
        return [f"{where}: is required"]
    names = {"int": "a whole number (32-bit)", "long": "a whole number (64-bit)", "string": "text"}
    shown = f"{type(value).__name__} {excerpt(value)}"
    return [f"{where}: must be {names.get(kind, kind)}, got {shown}"]


#: Symbols an error names in full; a longer enum (the steps of every group) is cut short, so a
#: message about many wrong values stays readable.
MAX_SYMBOLS_SHOWN = 6


def _choices(symbols: list[str]) -> str:
    if len(symbols) <= MAX_SYMBOLS_SHOWN:
        return ", ".join(symbols)
    return f"{', '.join(symbols[:3])}, … ({len(symbols)} in all)"


Check = Callable[[Json], bool]


def compile_fits(schema: Json) -> Check:
    """A yes/no form of :func:`problems` built once per schema: the same rules, no messages.

    Encoding asks it first; only a record it refuses is walked again by :func:`problems` for
    the reasons. A schema is a tree of plain dicts, so the walk is paid per record; the closures
    pay it once.
    """
    named: dict[str, Check] = {}
    return _compile(schema, named)


def _compile(schema: Json, named: dict[str, Check]) -> Check:
    if isinstance(schema, str) and schema in named:
        return lambda value: named[schema](value)  # defined above; may be recursive
    if isinstance(schema, list):
        branches = [_compile(branch, named) for branch in schema]
        return lambda value: any(fits(value) for fits in branches)
    if isinstance(schema, str):
        return _primitive_check(schema)
    if "logicalType" in schema:
        logical = _logical_check(schema)
        if logical is not None:
            return logical
    kind = schema["type"]
    if kind == "record":
        return _record_check(schema, named)
    if kind == "enum":
        symbols = frozenset(schema["symbols"])
        check: Check = lambda value: isinstance(value, str) and value in symbols  # noqa: E731
    elif kind == "fixed":
        size = schema["size"]
        check = lambda value: isinstance(value, (bytes, bytearray)) and len(value) == size  # noqa: E731
    elif kind == "array":
        item = _compile(schema["items"], named)
        check = lambda value: isinstance(value, (list, tuple)) and all(map(item, value))  # noqa: E731
    elif kind == "map":
        of = _compile(schema["values"], named)
        check = lambda value: (  # noqa: E731
            isinstance(value, dict)
            and all(isinstance(k, str) for k in value)
            and all(map(of, value.values()))
        )
    else:
        return _primitive_check(kind)
    if kind in ("enum", "fixed"):
        named[schema["name"]] = check
    return check


def _record_check(schema: dict[str, Json], named: dict[str, Check]) -> Check:
    fields: list[tuple[str, bool, Check]] = []

    def check(value: Json) -> bool:
        if not isinstance(value, dict):
            return False
        for name, optional, fits in fields:
            if name in value:
                if not fits(value[name]):
                    return False
            elif not optional:
                return False
        return True

    named[schema["name"]] = check  # before the fields: a field may name its own record
    fields.extend(
        (field["name"], "default" in field, _compile(field["type"], named))
        for field in schema["fields"]
    )
    return check


def _logical_check(schema: dict[str, Json]) -> Check | None:
    logical = schema.get("logicalType")
    if logical in ("timestamp-millis", "timestamp-micros"):
        return lambda value: isinstance(value, dt.datetime) or _int_ok(value, _LONG_RANGE)
    if logical == "date":
        return lambda value: (
            (isinstance(value, dt.date) and not isinstance(value, dt.datetime))
            or _int_ok(value, _INT_RANGE)
        )
    if logical == "uuid":
        return _uuid_ok
    return None


def _uuid_ok(value: Json) -> bool:
    if isinstance(value, uuid.UUID):
        return True
    try:
        uuid.UUID(value if isinstance(value, str) else "")
    except ValueError:
        return False
    return True


_PRIMITIVE_CHECKS: dict[str, Check] = {
    "null": lambda value: value is None,
    "boolean": lambda value: isinstance(value, bool),
    "int": lambda value: _int_ok(value, _INT_RANGE),
    "long": lambda value: _int_ok(value, _LONG_RANGE),
    "float": lambda value: isinstance(value, (int, float)) and not isinstance(value, bool),
    "double": lambda value: isinstance(value, (int, float)) and not isinstance(value, bool),
    "bytes": lambda value: isinstance(value, (bytes, bytearray)),
    "string": lambda value: isinstance(value, str),
}


def _primitive_check(kind: str) -> Check:
    return _PRIMITIVE_CHECKS.get(kind, lambda value: False)
