"""The single-object codec: golden bytes, spec vectors, round trips, every error, evolution."""

from __future__ import annotations

import copy
import datetime as dt
import json
import uuid
from pathlib import Path

import pytest
from avro_strategies import records
from fastavro.schema import fingerprint
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lienthong.contracts.catalogue import SchemaCatalogue, default_catalogue
from lienthong.contracts.codec import MARKER, AvroCodec
from lienthong.contracts.governance import check_compatibility, release
from lienthong.errors import (
    CorruptBody,
    NotSingleObjectEncoded,
    RecordMismatch,
    SchemaError,
    UnknownFingerprint,
)
from lienthong.settings import SOURCE_ROOT

CODEC = AvroCodec()
WITHDRAWN = {
    "meta": {
        "event_id": uuid.UUID("00000000-0000-4000-8000-000000000001"),
        "dossier_id": "DVC-2026-000001",
        "occurred_at": dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC),
        "producer": "portal",
        "causation_id": None,
    },
    "reason": "Gia đình nộp lại",
}

# The Avro specification's CRC-64-AVRO test vectors (share/test/data/schema-tests.txt),
# published as signed 64-bit integers of the little-endian fingerprint bytes.
SPEC_VECTORS = [
    ('"null"', 7195948357588979594),
    ('"boolean"', -6970731678124411036),
    ('"int"', 8247732601305521295),
    ('"long"', -3434872931120570953),
    ('"float"', 5583340709985441680),
    ('"double"', -8181574048448539266),
    ('"bytes"', 5746618253357095269),
    ('"string"', -8142146995180207161),
    ('{"name":"foo","type":"fixed","size":15}', 1756455273707447556),
    (
        '{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"}]}',
        7843277075252814651,
    ),
]


@pytest.mark.parametrize(("canonical", "signed"), SPEC_VECTORS)
def test_fingerprint_matches_the_avro_specification(canonical: str, signed: int) -> None:
    expected = signed.to_bytes(8, "little", signed=True)
    assert bytes.fromhex(fingerprint(canonical, "CRC-64-AVRO")) == expected


def test_null_fingerprint_bytes() -> None:
    assert fingerprint('"null"', "CRC-64-AVRO") == "8a8f25cce724dd63"


def test_golden_bytes_pin_the_wire_format() -> None:
    data = CODEC.encode("DossierWithdrawn", WITHDRAWN)
    golden = (Path(__file__).parent / "golden" / "DossierWithdrawn.hex").read_text().strip()
    assert data.hex() == golden
    assert data[:2] == MARKER
    assert data[2:10] == CODEC.catalogue.get("DossierWithdrawn").fingerprint


def test_decode_gives_back_the_record() -> None:
    decoded = CODEC.decode(CODEC.encode("DossierWithdrawn", WITHDRAWN))
    assert decoded.name == "DossierWithdrawn"
    assert decoded.record["reason"] == WITHDRAWN["reason"]
    assert decoded.record["meta"]["occurred_at"] == WITHDRAWN["meta"]["occurred_at"]


@pytest.mark.parametrize("entry", list(default_catalogue()), ids=lambda e: e.name)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_schema_round_trips(entry, data) -> None:  # type: ignore[no-untyped-def]
    record = data.draw(records(entry.expanded))
    decoded = CODEC.decode(CODEC.encode(entry.full_name, record))
    assert CODEC.encode(entry.full_name, decoded.record) == CODEC.encode(entry.full_name, record)


def test_every_field_has_a_doc() -> None:
    def walk(node: object, path: str) -> list[str]:
        missing = []
        if isinstance(node, dict):
            for field in node.get("fields", []):
                if not field.get("doc"):
                    missing.append(f"{path}.{field['name']}")
                missing += walk(field["type"], f"{path}.{field['name']}")
            for key in ("items", "values"):
                missing += walk(node.get(key), path)
        elif isinstance(node, list):
            for branch in node:
                missing += walk(branch, path)
        return missing

    for path in (SOURCE_ROOT / "schemas").rglob("*.avsc"):
        assert walk(json.loads(path.read_text()), path.stem) == []


def test_namespaces_carry_a_major_version() -> None:
    assert all(entry.major == "v1" for entry in default_catalogue())


ERRORS = [
    (b"", NotSingleObjectEncoded, "must start with C3 01"),
    (b'{"json": true}', NotSingleObjectEncoded, "not an Avro single-object"),
    (MARKER + b"\x01\x02", NotSingleObjectEncoded, "8-byte"),
    (MARKER + bytes(8) + b"\x00", UnknownFingerprint, "unknown schema fingerprint 0000"),
]


@pytest.mark.parametrize(("data", "error", "words"), ERRORS)
def test_malformed_bytes_raise_our_errors(data: bytes, error: type, words: str) -> None:
    with pytest.raises(error, match=words):
        CODEC.decode(data)


def test_truncated_body() -> None:
    data = CODEC.encode("DossierWithdrawn", WITHDRAWN)
    with pytest.raises(CorruptBody, match="truncated"):
        CODEC.decode(data[:-8])


def test_trailing_garbage_is_corrupt() -> None:
    data = CODEC.encode("DossierWithdrawn", WITHDRAWN)
    with pytest.raises(CorruptBody, match="unexpected bytes"):
        CODEC.decode(data + b"\x00\x01")


def test_corrupt_body() -> None:
    data = CODEC.encode("DossierWithdrawn", WITHDRAWN)
    header = data[:10]
    with pytest.raises(CorruptBody):
        CODEC.decode(header + b"\xff" * 12)


MISMATCHES = [
    ("meta.dossier_id", None, "meta.dossier_id: is required"),
    ("meta.occurred_at", "yesterday", "meta.occurred_at: must be a date and time"),
    ("meta.event_id", "not-a-uuid", "meta.event_id: must be a UUID"),
    ("reason", 42, "reason: must be text"),
]


@pytest.mark.parametrize(("field", "value", "message"), MISMATCHES)
def test_record_mismatch_names_field_and_rule(field: str, value: object, message: str) -> None:
    record = copy.deepcopy(WITHDRAWN)
    target = record
    *parents, leaf = field.split(".")
    for part in parents:
        target = target[part]
    target[leaf] = value
    with pytest.raises(RecordMismatch, match=message):
        CODEC.encode("DossierWithdrawn", record)


def test_missing_required_field_is_named() -> None:
    record = copy.deepcopy(WITHDRAWN)
    del record["meta"]["producer"]
    with pytest.raises(RecordMismatch, match=r"meta\.producer: is required"):
        CODEC.encode("DossierWithdrawn", record)


def test_unknown_schema_name() -> None:
    with pytest.raises(SchemaError, match="no schema named 'Nope'"):
        CODEC.encode("Nope", {})


def _copy_schemas(tmp_path: Path) -> Path:
    root = tmp_path / "schemas"
    for path in (SOURCE_ROOT / "schemas").rglob("*.avsc"):
        rel = path.relative_to(SOURCE_ROOT / "schemas")
        if rel.parts[0] == "released":
            continue
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(path.read_text())
    return root


def _edit(root: Path, rel: str, change: object) -> None:
    path = root / rel
    schema = json.loads(path.read_text())
    change(schema)  # type: ignore[operator]
    path.write_text(json.dumps(schema))


def test_bytes_from_an_older_version_read_with_the_newer(tmp_path: Path) -> None:
    root = _copy_schemas(tmp_path)
    old = SchemaCatalogue(root)
    old_bytes = AvroCodec(old).encode("DossierWithdrawn", WITHDRAWN)
    release(old, "0.1.0")
    new_field = {"name": "channel_note", "type": "string", "default": "none", "doc": "New."}
    _edit(root, "intake/DossierWithdrawn.avsc", lambda s: s["fields"].append(new_field))
    new = SchemaCatalogue(root)
    assert new.get("DossierWithdrawn").fingerprint != old.get("DossierWithdrawn").fingerprint
    decoded = AvroCodec(new).decode(old_bytes)
    assert decoded.record["channel_note"] == "none"
    assert decoded.record["reason"] == WITHDRAWN["reason"]
    assert all(f.compatible for f in check_compatibility(new))


def test_governance_flags_a_breaking_change(tmp_path: Path) -> None:
    root = _copy_schemas(tmp_path)
    release(SchemaCatalogue(root), "0.1.0")
    required = {"name": "mandatory", "type": "string", "doc": "No default: breaks old data."}
    _edit(root, "intake/DossierWithdrawn.avsc", lambda s: s["fields"].append(required))
    broken = [f for f in check_compatibility(SchemaCatalogue(root)) if not f.compatible]
    assert [(f.name, f.direction) for f in broken] == [
        ("vn.lienthong.v1.intake.DossierWithdrawn", "backward")
    ]
    assert "mandatory" in broken[0].detail


def test_shipped_schemas_are_compatible_with_their_releases() -> None:
    findings = check_compatibility(default_catalogue())
    assert findings, "there must be a released version to check against"
    assert [f for f in findings if not f.compatible] == []


def _meta(dossier_id: str, n: int) -> dict[str, object]:
    return {**WITHDRAWN["meta"], "dossier_id": dossier_id, "event_id": uuid.UUID(int=n)}


def test_a_message_of_several_events_decodes_to_each_event_in_order() -> None:
    first = CODEC.encode("DossierWithdrawn", {**WITHDRAWN, "meta": _meta("D-1", 1)})
    second = CODEC.encode("DossierWithdrawn", {**WITHDRAWN, "meta": _meta("D-1", 2)})
    events = CODEC.decode_all(CODEC.together("D-1", [first, second]))
    assert [e.record["meta"]["event_id"] for e in events] == [uuid.UUID(int=1), uuid.UUID(int=2)]
    assert [e.name for e in CODEC.decode_all(first)] == ["DossierWithdrawn"], "a lone event"


def test_a_message_of_several_events_refuses_an_item_of_another_dossier_or_nested() -> None:
    other = CODEC.encode("DossierWithdrawn", {**WITHDRAWN, "meta": _meta("D-2", 1)})
    with pytest.raises(CorruptBody, match="item 1 is about dossier D-2, not D-1"):
        CODEC.decode_all(CODEC.together("D-1", [other]))
    nested = CODEC.together("D-2", [other])
    with pytest.raises(CorruptBody, match="item 1 is a DossierEvents, not one event"):
        CODEC.decode_all(CODEC.together("D-2", [nested]))
    with pytest.raises(NotSingleObjectEncoded):
        CODEC.decode_all(CODEC.together("D-1", [b"not an event"]))
