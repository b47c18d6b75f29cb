"""The birth submission's typed model (one pydantic model per Avro record), parsed with
reasons that name the field and the rule; and the models' parity with the Avro schema."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from lienthong import limits
from lienthong.contracts import records
from lienthong.domain.screening import LIMIT_CODES, normalised
from lienthong.errors import Reason, ValidationFailed
from lienthong.limits import clip
from lienthong.places import shipped

#: The combinations a citizen may tick on the form (birth registration is always first).
COMBINATIONS: tuple[frozenset[str], ...] = (
    frozenset({"civil_registry", "residence", "health_insurance"}),
    frozenset({"civil_registry", "residence"}),
    frozenset({"civil_registry", "health_insurance"}),
)
#: From the date the child's identity card joins the group, each combination with the card too.
WITH_ID_CARD: tuple[frozenset[str], ...] = tuple(c | {"child_id_card"} for c in COMBINATIONS)

# -- The declaration's shape: one model per Avro record type -------------------------------------

#: Dates and times outside these years are typing mistakes (and overflow timezone arithmetic).
YEARS = range(1900, 2200)


def _no_numbers(kind: str) -> Callable[[object], object]:
    # Avro's raw date is days since 1970 but pydantic would read a number as seconds: refuse both.
    def reject(value: object) -> object:
        if isinstance(value, int | float):
            raise PydanticCustomError(kind, "numbers are not accepted")
        return value

    return reject


def _date_in_range(value: date) -> date:
    if value.year not in YEARS:
        raise PydanticCustomError("date_range", "year out of range")
    return value


def _utc_millis(value: datetime) -> datetime:
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        raise PydanticCustomError("datetime_range", "year out of range") from None
    if utc.year not in YEARS:
        raise PydanticCustomError("datetime_range", "year out of range")
    return utc.replace(microsecond=utc.microsecond // 1000 * 1000)


Day = Annotated[date, BeforeValidator(_no_numbers("date_type")), AfterValidator(_date_in_range)]
#: An instant, stored as Avro timestamp-millis: timezone-aware, normalised to UTC milliseconds.
Instant = Annotated[
    AwareDatetime, BeforeValidator(_no_numbers("datetime_type")), AfterValidator(_utc_millis)
]
Step = Literal["civil_registry", "residence", "health_insurance", "child_id_card"]


def _limited(rule: limits.Text) -> AfterValidator:
    return AfterValidator(lambda value: normalised(value, rule))


#: Text as the boundary accepts it: NFC, bounded, no control or invisible characters (limits).
DossierIdText = Annotated[StrictStr, _limited(limits.DOSSIER_ID)]
CodeText = Annotated[StrictStr, _limited(limits.CODE)]
NameText = Annotated[StrictStr, _limited(limits.NAME)]
AddressText = Annotated[StrictStr, _limited(limits.ADDRESS)]
EmailText = Annotated[StrictStr, _limited(limits.EMAIL)]
Procedures = Annotated[list[Step], Field(max_length=limits.MAX_PROCEDURES)]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Address(_Record):
    province_code: CodeText
    commune_code: CodeText
    street: AddressText


class Meta(_Record):
    event_id: uuid.UUID
    dossier_id: DossierIdText
    occurred_at: Instant
    producer: CodeText
    causation_id: uuid.UUID | None = None


class Applicant(_Record):
    full_name: NameText
    personal_id: CodeText
    relationship: Literal["MOTHER", "FATHER", "GRANDPARENT", "SIBLING", "RELATIVE", "OTHER"]
    phone: CodeText
    email: EmailText | None = None


class Child(_Record):
    family_name: NameText
    middle_name: NameText = ""
    given_name: NameText
    born_at: Instant
    sex: Literal["MALE", "FEMALE"]
    ethnicity: NameText
    nationality: CodeText
    birth_facility: AddressText
    birth_place: Address
    hometown: AddressText
    babies_in_birth: StrictInt = 1
    birth_order: StrictInt = 1


class Parent(_Record):
    full_name: NameText
    date_of_birth: Day
    ethnicity: NameText
    nationality: CodeText
    personal_id: CodeText
    permanent_address: Address


class BirthCertificate(_Record):
    code: CodeText
    facility: AddressText
    issued_on: Day
    replaced_by: AddressText | None = None


class ResidenceRequest(_Record):
    parent: Literal["MOTHER", "FATHER"]
    address: Address
    head_of_household: NameText
    head_personal_id: CodeText
    relationship_to_head: NameText
    head_consent: StrictBool = False


class HealthInsuranceRequest(_Record):
    clinic_code: CodeText
    clinic_name: AddressText


class IdentityCardRequest(_Record):
    photo_ref: CodeText


class DossierSubmission(_Record):
    """A DossierSubmitted event, from its Avro-shaped dict or from a citizen's JSON file."""

    meta: Meta
    channel: Literal["PORTAL", "VNEID"]
    submitted_at: Instant
    group: CodeText = "birth"
    procedures: Procedures
    registering_commune: CodeText
    verification_needed: StrictBool = False
    applicant: Applicant
    child: Child
    mother: Parent
    father: Parent | None = None
    birth_certificate: BirthCertificate
    residence: ResidenceRequest | None = None
    health_insurance: HealthInsuranceRequest | None = None
    delivery: Literal["PORTAL", "VNEID", "POST"] = "PORTAL"
    child_id_card: IdentityCardRequest | None = None

    def to_record(self) -> records.DossierSubmitted:
        """The Avro-shaped record: UTC datetimes, dates, UUIDs, enum symbols (the model
        validates; the record is what the contract carries and the hub keeps)."""
        d = self.model_dump()
        return records.DossierSubmitted(
            meta=d["meta"],
            channel=d["channel"],
            submitted_at=d["submitted_at"],
            group=d["group"],
            procedures=d["procedures"],
            registering_commune=d["registering_commune"],
            verification_needed=d["verification_needed"],
            applicant=d["applicant"],
            child=d["child"],
            mother=d["mother"],
            father=d["father"],
            birth_certificate=d["birth_certificate"],
            residence=d["residence"],
            health_insurance=d["health_insurance"],
            delivery=d["delivery"],
            child_id_card=d["child_id_card"],
        )

    def to_json(self) -> dict[str, object]:
        """The JSON document: ISO 8601 strings for dates and times, UUIDs as text."""
        return self.model_dump(mode="json")


# -- Translating pydantic's errors into reasons ---------------------------------------------------

#: The rule each pydantic error type stands for, in words; looked up by exact type, then prefix.
_RULES = {
    "missing": "is required",
    "extra_forbidden": "is not a field of the declaration",
    "string": "must be text",
    "int": "must be a whole number",
    "bool": "must be true or false",
    "date_range": f"must be a date between {YEARS[0]} and {YEARS[-1]}",
    "datetime_range": f"must be a date and time between {YEARS[0]} and {YEARS[-1]}",
    "date": "must be a date (YYYY-MM-DD)",
    "datetime": "must be a date and time with a time zone (e.g. 2026-03-02T08:15:00+07:00)",
    "timezone": "must include a time zone (e.g. +07:00)",
    "uuid": "must be a UUID",
    "model": "must be an object (a group of fields)",
    "dict": "must be an object (a group of fields)",
    "list": "must be a list",
}


#: Reason codes by pydantic error type; the limits' own types are their codes, any other type
#: is ``invalid_value``.
_CODES = {
    "missing": "missing_field",
    "extra_forbidden": "unknown_field",
    "too_long": "too_many_entries",
    **{code: code for code in LIMIT_CODES},
}


def _path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:  # a field's name, or an unknown one the sender made up
            part = clip(part)
            path += f".{part}" if path else part
    return path


def _rule(error: ErrorDetails) -> str:
    kind, ctx = error["type"], error.get("ctx", {})
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected', 'the allowed values')}"
    if kind == "too_long":
        return f"must have at most {ctx['max_length']} entries (it has {ctx['actual_length']:,})"
    if kind in LIMIT_CODES:
        return error["msg"]
    found = _RULES.get(kind) or _RULES.get(kind.split("_")[0])
    return found or clip(error["msg"].lower(), 200)


def _reason(error: ErrorDetails) -> Reason:
    path = _path(error["loc"]) or "dossier"
    return Reason(path, _CODES.get(error["type"], "invalid_value"), f"{path} {_rule(error)}.")


def parse_submission(data: object) -> DossierSubmission:
    """The typed dossier; ``ValidationFailed`` names every field that does not fit, and why."""
    if not isinstance(data, dict):
        raise ValidationFailed(
            [Reason("dossier", "invalid_value", "The dossier must be an object.")]
        )
    try:
        return DossierSubmission.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed([_reason(e) for e in exc.errors(include_input=False)]) from exc


def to_json(record: Mapping[str, object]) -> dict[str, object]:
    """The JSON document of a record (ISO 8601 dates, UUIDs as text), as a citizen file has it."""
    return DossierSubmission.model_validate(record).to_json()


def from_json(data: Mapping[str, object]) -> records.DossierSubmitted:
    """The Avro-shaped record of a JSON document; ``ValidationFailed`` when it does not fit."""
    return parse_submission(data).to_record()


# -- Parity of the models with the Avro schema ----------------------------------------------------

#: The model of each record type in DossierSubmitted, by the record's short Avro name.
MODELS: dict[str, type[BaseModel]] = {
    "DossierSubmitted": DossierSubmission,
    "EventMetadata": Meta,
    "Applicant": Applicant,
    "Child": Child,
    "Address": Address,
    "Parent": Parent,
    "BirthCertificate": BirthCertificate,
    "ResidenceRequest": ResidenceRequest,
    "HealthInsuranceRequest": HealthInsuranceRequest,
    "IdentityCardRequest": IdentityCardRequest,
}
#: Where the named types a submission refers to are kept, by namespace: the shared ones, the
#: birth group's own.
FOLDERS = {"vn.lienthong.v1.common.": "common", "vn.lienthong.v1.birth.": "groups/birth"}


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _collect(node: Any, root: Path, found: dict[str, list[str]]) -> None:
    if isinstance(node, list):
        for member in node:
            _collect(member, root, found)
    elif isinstance(node, str) and "." in node:
        namespace, name = node.rsplit(".", 1)
        folder = FOLDERS.get(f"{namespace}.")
        if folder is not None and name not in found:
            _collect(_load(root / folder / f"{name}.avsc"), root, found)
    elif isinstance(node, dict):
        if node.get("type") == "record":
            found[node["name"]] = [field["name"] for field in node["fields"]]
            for field in node["fields"]:
                _collect(field["type"], root, found)
        elif node.get("type") == "array":
            _collect(node["items"], root, found)


def schema_record_fields(root: Path | None = None) -> dict[str, list[str]]:
    """The field names of every record type a DossierSubmitted holds, by short name."""
    root = root or shipped("schemas")
    found: dict[str, list[str]] = {}
    _collect(_load(root / "intake" / "DossierSubmitted.avsc"), root, found)
    return found


def assert_field_parity(root: Path | None = None) -> None:
    """Raise AssertionError unless every model has exactly its Avro record's fields, in order."""
    schema = schema_record_fields(root)
    problems = [f"no model for record {name}" for name in schema.keys() - MODELS.keys()]
    problems += [f"model {name} has no record" for name in MODELS.keys() - schema.keys()]
    for name in schema.keys() & MODELS.keys():
        fields = list(MODELS[name].model_fields)
        if fields != schema[name]:
            problems.append(f"{name}: model {fields} != schema {schema[name]}")
    if problems:
        raise AssertionError("; ".join(sorted(problems)))
