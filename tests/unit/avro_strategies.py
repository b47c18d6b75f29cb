"""Hypothesis strategies that build records fitting any expanded Avro schema."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

_TS_MIN = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
_TS_MAX = dt.datetime(2200, 1, 1, tzinfo=dt.UTC)


def _timestamps() -> st.SearchStrategy[dt.datetime]:
    return st.integers(0, int((_TS_MAX - _TS_MIN).total_seconds() * 1000)).map(
        lambda ms: _TS_MIN + dt.timedelta(milliseconds=ms)
    )


def records(schema: Any, named: dict[str, Any] | None = None) -> st.SearchStrategy[Any]:
    """A strategy for values of ``schema`` (references resolve to earlier definitions)."""
    named = {} if named is None else named
    if isinstance(schema, list):
        return st.one_of([records(branch, named) for branch in schema])
    if isinstance(schema, str):
        if schema in named:
            return st.deferred(lambda: records(named[schema], named))
        return _primitive(schema)
    logical = schema.get("logicalType")
    if logical == "timestamp-millis":
        return _timestamps()
    if logical == "date":
        return st.dates(dt.date(1900, 1, 1), dt.date(2199, 12, 31))
    if logical == "uuid":
        return st.uuids().map(str)
    kind = schema["type"]
    if kind in ("record", "enum", "fixed"):
        named[schema["name"]] = schema
    if kind == "record":
        return st.fixed_dictionaries(
            {f["name"]: records(f["type"], named) for f in schema["fields"]}
        )
    if kind == "enum":
        return st.sampled_from(schema["symbols"])
    if kind == "array":
        return st.lists(records(schema["items"], named), max_size=3)
    if kind == "map":
        return st.dictionaries(st.text(max_size=5), records(schema["values"], named), max_size=3)
    if isinstance(kind, (dict, list)):
        return records(kind, named)
    return _primitive(kind)


def _primitive(kind: str) -> st.SearchStrategy[Any]:
    return {
        "null": st.none(),
        "boolean": st.booleans(),
        "int": st.integers(-(2**31), 2**31 - 1),
        "long": st.integers(-(2**63), 2**63 - 1),
        "float": st.floats(width=32, allow_nan=False),
        "double": st.floats(allow_nan=False),
        "bytes": st.binary(max_size=20),
        "string": st.text(max_size=20),
    }[kind]
