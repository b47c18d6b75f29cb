"""The topics and events reference: the topic table (who writes, who reads, what it carries) and
every event type's schema (its fingerprint, its fields), from ``topics`` and the schemas."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from lienthong import topics
from lienthong.contracts.catalogue import SchemaCatalogue, SchemaEntry
from lienthong.docsgen.markdown import cell, code, header, value


def principals(role: str, access: Mapping[str, topics.Access], side: str) -> str:
    names = [name for name, grant in access.items() if role in getattr(grant, side)]
    return ", ".join(names) or "–"


#: Topics the boundary does not check (only the project writes them): what they carry, by the
#: schemas' folder (``schemas/status/``) or by name; the inbox holds what intake and completions do.
WRITTEN_ONLY_BY_US: dict[str, str] = {
    topics.STATUS: "every event of `schemas/status/`",
    topics.DEADLETTER: "[DeadLetter](events.md#deadletter)",
    topics.AUDIT: "[DossierViewed](events.md#dossierviewed)",
    topics.INBOX: "what `intake` and the `completion.*` topics carry, forwarded",
}


def carried(role: str, carries: Mapping[str, Iterable[str]], catalogue: SchemaCatalogue) -> str:
    if role == topics.STATUS:
        names = sorted(e.name for e in catalogue if e.path.parent.name == topics.STATUS)
    else:
        names = sorted(carries.get(role, ()))
    return ", ".join(f"[{t}](events.md#{t.lower()})" for t in names) or WRITTEN_ONLY_BY_US[role]


def topic_rows(
    carries: Mapping[str, Iterable[str]],
    access: Mapping[str, topics.Access],
    catalogue: SchemaCatalogue,
) -> list[str]:
    rows = ["| topic (after the prefix) | written by | read by | event types |", "|---" * 4 + "|"]
    for role in (*topics.ALL_ROLES, *topics.INTERNAL_ROLES):
        owner = next((o for o, roles in topics.INTERNAL.items() if role in roles), None)
        writers = owner or principals(role, access, "writes")
        readers = owner or principals(role, access, "reads")
        rows.append(f"| `{role}` | {writers} | {readers} | {carried(role, carries, catalogue)} |")
    return rows


def render_topics(
    catalogue: SchemaCatalogue,
    carries: Mapping[str, Iterable[str]] | None = None,
    access: Mapping[str, topics.Access] | None = None,
) -> str:
    """The topic table: every contract and internal topic role."""
    out = [
        header("lienthong.topics (the topic table and the ACLs)"),
        "# Topics\n",
        "Every topic is `<prefix>.<role>` (the prefix is `LIENTHONG_TOPIC_PREFIX`, `lienthong` by "
        "default). A message of a type its topic does not carry is a dead letter. Internal "
        "topics are read and written by their owner alone.\n",
        *topic_rows(carries or topics.CARRIES, access or topics.ACCESS, catalogue),
        "",
    ]
    return "\n".join(out)


def type_of(node: Any) -> str:
    """An Avro type, short: a named type by its name, unions joined with "or"."""
    if isinstance(node, list):
        return " or ".join(type_of(n) for n in node)
    if isinstance(node, dict):
        kind = node.get("type")
        if kind == "array":
            return f"array of {type_of(node['items'])}"
        if kind == "map":
            return f"map of {type_of(node['values'])}"
        if "name" in node:
            return str(node["name"]).rsplit(".", 1)[-1]
        return str(node.get("logicalType") or type_of(kind))
    return str(node)


def field_rows(entry: SchemaEntry) -> list[str]:
    rows = ["| field | type | default | meaning |", "|---|---|---|---|"]
    for field in entry.parsed.get("fields", []):
        default = code(value(field["default"])) if "default" in field else "(required)"
        rows.append(
            f"| `{field['name']}` | {code(type_of(field['type']))} | {default} "
            f"| {cell(field.get('doc', ''))} |"
        )
    return rows


def event_section(entry: SchemaEntry, carried_on: list[str]) -> list[str]:
    where = ", ".join(f"`{role}`" for role in carried_on) or "none of the contract topics"
    return [
        f"## {entry.name}\n",
        f"`{entry.full_name}`, fingerprint `{entry.fingerprint.hex()}` (CRC-64-AVRO), "
        f"on {where}.\n",
        cell(entry.parsed.get("doc", "")) + "\n",
        *field_rows(entry),
        "",
    ]


def render_events(
    catalogue: SchemaCatalogue, carries: Mapping[str, Iterable[str]] | None = None
) -> str:
    """Every current event type: where it travels, its fingerprint and its fields."""
    table = carries or topics.CARRIES
    out = [
        header("the Avro schemas (schemas/) and lienthong.topics.CARRIES"),
        "# Event types\n",
        "Every message is Avro single-object encoding: `C3 01`, the 8-byte fingerprint of the "
        "writer's schema (shown here byte by byte, as `lienthong schemas list` prints it), then "
        "the body.\n",
    ]
    for entry in sorted(catalogue, key=lambda e: e.name):
        roles = [role for role, names in table.items() if entry.name in names]
        if entry.path.parent.name == topics.STATUS:
            roles.append(topics.STATUS)
        out += event_section(entry, sorted(roles))
    return "\n".join(out)
