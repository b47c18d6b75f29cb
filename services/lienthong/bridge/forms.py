"""JSON forms of the Avro contracts, written once: JSON Schema from a schema, JSON to a record
and back. The completion API's forms, the OpenAPI document and the webhook bodies use these.

JSON carries Avro's logical types as text: a ``date`` as ``YYYY-MM-DD``, a ``timestamp-millis``
as an ISO 8601 time with its offset, ``bytes`` as base64; a union with null as the value or null.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from lienthong.errors import CompletionRefused

Json = Any
#: Avro primitives and the JSON Schema types that carry them.
PRIMITIVES: dict[str, dict[str, Json]] = {
    "null": {"type": "null"},
    "boolean": {"type": "boolean"},
    "int": {"type": "integer", "minimum": -(2**31), "maximum": 2**31 - 1},
    "long": {"type": "integer"},
    "float": {"type": "number"},
    "double": {"type": "number"},
    "string": {"type": "string"},
    "bytes": {"type": "string", "contentEncoding": "base64"},
}
LOGICAL: dict[str, dict[str, Json]] = {
    "date": {"type": "string", "format": "date"},
    "timestamp-millis": {"type": "string", "format": "date-time"},
    "uuid": {"type": "string", "format": "uuid"},
}


def json_schema(schema: Json, named: dict[str, Json] | None = None) -> dict[str, Json]:
    """The JSON Schema of values of the Avro ``schema`` (an expanded one: references inlined)."""
    named = {} if named is None else named
    if isinstance(schema, str):
        return dict(named.get(schema) or PRIMITIVES[schema])
    if isinstance(schema, list):
        return {"anyOf": [json_schema(branch, named) for branch in schema]}
    logical = schema.get("logicalType")
    if logical in LOGICAL:
        return dict(LOGICAL[logical])
    kind = schema["type"]
    out: dict[str, Json]
    if kind == "record":
        out = {
            "type": "object",
            "properties": {
                f["name"]: _described(json_schema(f["type"], named), f) for f in schema["fields"]
            },
            "required": [f["name"] for f in schema["fields"] if "default" not in f],
            "additionalProperties": False,
        }
    elif kind == "enum":
        out = {"type": "string", "enum": list(schema["symbols"])}
    elif kind == "array":
        out = {"type": "array", "items": json_schema(schema["items"], named)}
    elif kind == "map":
        out = {"type": "object", "additionalProperties": json_schema(schema["values"], named)}
    elif kind == "fixed":
        out = {"type": "string", "contentEncoding": "base64"}
    else:
        return json_schema(kind, named)
    if "name" in schema:
        named[schema["name"]] = out
        named[schema["name"].rsplit(".", 1)[-1]] = out
    return out


def _described(node: dict[str, Json], field: Mapping[str, Json]) -> dict[str, Json]:
    if field.get("doc"):
        node = {**node, "description": field["doc"]}
    if "default" in field:
        node = {**node, "default": field["default"]}
    return node


def to_record(
    schema: Json, value: Json, where: str = "", named: dict[str, Json] | None = None
) -> Json:
    """``value`` (JSON) as the Avro record fastavro writes; logical types parsed from text.
    What it cannot read raises CompletionRefused (422) naming the field and the rule; the
    codec checks everything else against the schema when it encodes the record."""
    named = {} if named is None else named
    if isinstance(schema, str):
        return to_record(named[schema], value, where, named) if schema in named else value
    if isinstance(schema, list):
        if value is None:
            return None
        branches = [b for b in schema if b != "null"]
        return to_record(branches[0], value, where, named) if len(branches) == 1 else value
    if "name" in schema:
        named[schema["name"]] = schema
        named[schema["name"].rsplit(".", 1)[-1]] = schema
    logical = schema.get("logicalType")
    if logical in ("date", "timestamp-millis") and isinstance(value, str):
        return _time(logical, value, where)
    kind = schema["type"]
    if kind == "record" and isinstance(value, dict):
        fields = {f["name"]: f for f in schema["fields"]}
        extra = sorted(set(value) - set(fields))
        if extra:
            raise CompletionRefused(422, _at(where, extra[0]), "not a field of the form")
        return {
            n: to_record(f["type"], value[n], _at(where, n), named)
            for n, f in fields.items()
            if n in value
        }
    if kind == "array" and isinstance(value, list):
        return [to_record(schema["items"], v, f"{where}[{i}]", named) for i, v in enumerate(value)]
    if kind in ("bytes", "fixed") and isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except binascii.Error:
            raise CompletionRefused(422, where, "must be base64") from None
    return value


def _time(logical: str, text: str, where: str) -> Json:
    try:
        if logical == "date":
            return dt.date.fromisoformat(text)
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        rule = "a date YYYY-MM-DD" if logical == "date" else "an ISO 8601 time with its offset"
        raise CompletionRefused(422, where, f"must be {rule}") from None
    if moment.tzinfo is None:
        raise CompletionRefused(422, where, "must carry its UTC offset")
    return moment


def _at(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def to_json(value: Json) -> Json:
    """A decoded Avro record as JSON (the webhook bodies): the reverse of :func:`to_record`."""
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value
