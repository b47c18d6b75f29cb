"""The record types mypy checks the code against are the contracts' own, field for field."""

from __future__ import annotations

import copy
import datetime as dt
import typing

from lienthong.contracts import records
from lienthong.contracts.catalogue import SchemaCatalogue, schema_root
from lienthong.contracts.typed import render, written


def test_the_record_types_are_what_the_current_schemas_make() -> None:
    made = render(SchemaCatalogue(schema_root()))
    assert written() == made, "contracts/records/ is stale: run `lienthong schemas types`"


def test_each_namespace_is_a_module_of_its_own_and_the_package_names_every_type() -> None:
    made = render(SchemaCatalogue(schema_root()))
    assert {"common.py", "intake.py", "status.py", "birth.py", "death.py"} <= set(made)
    assert "class DossierSubmitted(TypedDict)" in made["intake.py"]
    assert "class ChildIdentity(TypedDict)" in made["birth.py"]
    assert "from lienthong.contracts.records.common import" in made["status.py"]
    for name in ("DossierSubmitted", "ChildIdentity", "Event", "EventMetadata"):
        assert f'"{name}",' in made["__init__.py"]
        assert getattr(records, name).__module__.startswith("lienthong.contracts.records.")


def test_every_event_schema_has_its_type_with_its_fields() -> None:
    catalogue = SchemaCatalogue(schema_root())
    for entry in catalogue:
        typed = getattr(records, entry.name)
        hints = typing.get_type_hints(typed)
        assert list(hints) == [f["name"] for f in entry.expanded["fields"]], entry.name
        defaulted = {f["name"] for f in entry.expanded["fields"] if "default" in f}
        assert set(typed.__optional_keys__) == defaulted, entry.name


def test_a_renamed_field_makes_another_type() -> None:
    catalogue = SchemaCatalogue(schema_root())
    entry = catalogue.get("StepRejected")
    renamed = copy.deepcopy(entry.expanded)
    renamed["fields"][1]["name"] = "the_step"
    catalogue.current[entry.full_name] = type(entry)(
        entry.full_name, renamed, entry.parsed, entry.fingerprint, entry.path, entry.release
    )
    assert render(catalogue) != written()
    assert "    the_step: str" in render(catalogue)["completion.py"]


def test_logical_types_map_to_python_types() -> None:
    hints = typing.get_type_hints(records.EventMetadata)
    assert hints["occurred_at"] is dt.datetime
    assert typing.get_type_hints(records.BirthRegistered)["registered_on"] is dt.date


def test_any_event_type_is_an_event_for_mypy() -> None:
    # mypy reads a TypedDict with more keys as one with fewer (structural); the keys they share
    # must have the same types, which the generated ``meta`` fields do.
    hints = typing.get_type_hints(records.Event)
    assert hints == {"meta": records.EventMetadata}
    for entry in SchemaCatalogue(schema_root()):
        if any(f["name"] == "meta" for f in entry.expanded["fields"]):
            assert typing.get_type_hints(getattr(records, entry.name))["meta"] is hints["meta"]
