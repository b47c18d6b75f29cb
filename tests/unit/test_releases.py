"""Every message written under a released schema still decodes with today's schemas, read as its
event's current version (a renamed event through its aliases); the ``Step`` enum the groups
assemble is the one released; a rename is checked and read through its aliases."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
from avro_strategies import records
from fastavro import parse_schema, schemaless_writer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lienthong.contracts.catalogue import (
    RELEASED_DIR,
    SchemaCatalogue,
    SchemaEntry,
    default_catalogue,
    joined,
)
from lienthong.contracts.codec import MARKER, AvroCodec
from lienthong.contracts.governance import check_compatibility, release
from lienthong.settings import SOURCE_ROOT

CODEC = AvroCodec()
CATALOGUE = default_catalogue()
STEP = "vn.lienthong.v1.common.Step"
#: One released schema per distinct writer fingerprint (most did not change between releases).
WRITERS = list(
    {
        e.fingerprint: e for _, entries in sorted(CATALOGUE.releases().items()) for e in entries
    }.values()
)
META = {
    "event_id": uuid.UUID("00000000-0000-4000-8000-000000000002"),
    "dossier_id": "DVC-2026-000002",
    "occurred_at": dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC),
    "producer": "civil-registry",
    "causation_id": None,
}


def written_under(entry: SchemaEntry, record: dict[str, Any]) -> bytes:
    """What a producer of ``entry``'s release wrote: the marker, its fingerprint, the body."""
    buffer = io.BytesIO(MARKER + entry.fingerprint)
    buffer.seek(0, io.SEEK_END)
    schemaless_writer(buffer, parse_schema(entry.expanded), record)
    return buffer.getvalue()


def released(version: str, name: str) -> SchemaEntry:
    (entry,) = (e for e in CATALOGUE.releases()[version] if e.name == name)
    return entry


@pytest.mark.parametrize("writer", WRITERS, ids=lambda e: f"{e.name}-{e.release}")
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_released_message_decodes_as_its_current_event(
    writer: SchemaEntry, data: st.DataObject
) -> None:
    record = data.draw(records(writer.expanded))
    decoded = CODEC.decode(written_under(writer, record))
    assert decoded.writer_fingerprint == writer.fingerprint
    assert decoded.schema is CATALOGUE.successor(writer.full_name) is not None
    # what was read fits today's schema: a decision can send it on as it is
    assert CODEC.decode(CODEC.encode(decoded.name, decoded.record)).record == decoded.record


def test_a_retry_written_as_personal_id_retry_reads_as_a_waiting_retry() -> None:
    old = released("0.4.0", "PersonalIdRetry")
    decoded = CODEC.decode(written_under(old, {"meta": META, "birth_certificate_code": "K/x"}))
    assert decoded.name == "WaitingRetry"
    assert decoded.record == {"meta": META, "register_key": "K/x"}


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_group_records_written_under_their_common_names_keep_their_values(
    data: st.DataObject,
) -> None:
    for name, field in (
        ("BirthRegistered", "child"),
        ("CivilRegistryHandoff", "mother"),
        ("CivilRegistryHandoff", "father"),
        ("DeathRegistered", "deceased"),
    ):
        record = data.draw(records(released("0.4.0", name).expanded))
        decoded = CODEC.decode(written_under(released("0.4.0", name), record))
        assert decoded.schema is CATALOGUE.get(name)
        assert decoded.record[field] == record[field]


def test_the_groups_assemble_the_step_enum_as_released() -> None:
    # 0.6.0: the birth group's child_id_card joined the enum (the groups' steps before 'other');
    # the release keeps the building blocks, so the enum as released is read from an event.
    (step,) = (
        f for f in released("0.6.0", "StepRejected").expanded["fields"] if f["name"] == "step"
    )
    before = step["type"]
    path = SOURCE_ROOT / "schemas" / RELEASED_DIR / "0.4.0" / "common" / "Step.avsc"
    older = json.loads(path.read_text(encoding="utf-8"))["symbols"]
    assert [s for s in before["symbols"] if s in older] == older, "no step lost or reordered"
    assert CATALOGUE.types[STEP]["symbols"] == before["symbols"]
    assert CATALOGUE.types[STEP]["default"] == before["default"] == "other"
    # the same canonical form: the events that carry a step kept their fingerprints
    for name in ("StepRejected", "StepFinished", "HandoffCancelled", "DeathDossierSubmitted"):
        assert CATALOGUE.get(name).fingerprint == released("0.6.0", name).fingerprint, name


def test_a_group_joins_its_steps_before_the_fallback() -> None:
    common = {"type": "enum", "name": STEP, "symbols": ["other"], "default": "other"}
    first = joined(common, {"type": "enum", "name": STEP, "symbols": ["a", "b"]})
    assert first["symbols"] == ["a", "b", "other"]
    second = joined(first, {"type": "enum", "name": STEP, "symbols": ["b", "c"]})
    assert second["symbols"] == ["a", "b", "c", "other"]
    assert second["default"] == "other"
    plain = {"type": "enum", "name": "E", "symbols": ["x"]}
    assert joined(plain, {"type": "enum", "name": "E", "symbols": ["y"]})["symbols"] == ["x", "y"]


def _rename(root: Path, aliases: bool) -> None:
    """DossierWithdrawn becomes WithdrawalFiled, its ``reason`` becomes ``grounds``."""
    old = root / "intake" / "DossierWithdrawn.avsc"
    schema = json.loads(old.read_text(encoding="utf-8"))
    schema["name"] = "WithdrawalFiled"
    (field,) = (f for f in schema["fields"] if f["name"] == "reason")
    field["name"] = "grounds"
    if aliases:
        schema["aliases"] = ["vn.lienthong.v1.intake.DossierWithdrawn"]
        field["aliases"] = ["reason"]
    old.unlink()
    (root / "intake" / "WithdrawalFiled.avsc").write_text(json.dumps(schema), encoding="utf-8")


@pytest.mark.parametrize("aliases", [True, False])
def test_a_renamed_event_is_read_and_checked_through_its_aliases(
    tmp_path: Path, aliases: bool
) -> None:
    root = tmp_path / "schemas"
    shutil.copytree(SOURCE_ROOT / "schemas", root, ignore=shutil.ignore_patterns(RELEASED_DIR))
    before = SchemaCatalogue(root)
    written = AvroCodec(before).encode("DossierWithdrawn", {"meta": META, "reason": "Nộp lại"})
    release(before, "0.1.0")
    _rename(root, aliases)
    after = SchemaCatalogue(root)
    broken = {(f.name, f.direction) for f in check_compatibility(after) if not f.compatible}
    decoded = AvroCodec(after).decode(written)
    if aliases:
        # new readers read the old name; readers of the release cannot read the new one
        assert broken == {("vn.lienthong.v1.intake.DossierWithdrawn", "forward")}
        assert decoded.name == "WithdrawalFiled"
        assert decoded.record["grounds"] == "Nộp lại"
    else:
        assert broken == {("vn.lienthong.v1.intake.DossierWithdrawn", "removed")}
        assert decoded.name == "DossierWithdrawn"  # read as written: nothing reads it any more
