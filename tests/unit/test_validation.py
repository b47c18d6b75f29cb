"""Boundary validation of DossierSubmitted: shape, failure table, model-schema parity."""

from __future__ import annotations

import copy
import json
import shutil
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lienthong.domain import identifiers, units
from lienthong.errors import ValidationFailed
from lienthong.groups.birth.breakers import INVALID_KINDS
from lienthong.groups.birth.model import DossierSubmission, assert_field_parity, parse_submission
from lienthong.groups.birth.submission import (
    REASON_CODES,
    RULE_CODES,
    SHAPE_CODES,
    check_submission,
    validate_submission,
)
from lienthong.groups.birth.synthetic import generate
from lienthong.limits import MAX_REASONS
from lienthong.settings import SOURCE_ROOT

SUBMITTED = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # Tuesday 09:00 in Hanoi
NOW = SUBMITTED + timedelta(seconds=30)
HOME_COMMUNE, BIRTH_COMMUNE = (c.code for c in units.communes_of("01")[:2])
ELSEWHERE = units.communes_of("79")[0].code
MOTHER_ID = identifiers.personal_id("01", "FEMALE", 1995, 123456)
FATHER_ID = identifiers.personal_id("01", "MALE", 1992, 654321)


def home() -> dict[str, Any]:
    return {"province_code": "01", "commune_code": HOME_COMMUNE, "street": "12 Hàng Bài"}


def valid() -> dict[str, Any]:
    """A complete, valid dossier for the full group, written out by hand."""
    return {
        "meta": {
            "event_id": uuid.UUID("00000000-0000-5000-8000-000000000001"),
            "dossier_id": "DVC-2026-000001-ab12",
            "occurred_at": SUBMITTED,
            "producer": "portal",
            "causation_id": None,
        },
        "channel": "PORTAL",
        "submitted_at": SUBMITTED,
        "group": "birth",
        "procedures": ["civil_registry", "residence", "health_insurance"],
        "registering_commune": HOME_COMMUNE,
        "verification_needed": False,
        "applicant": {
            "full_name": "Nguyễn Thị Lan",
            "personal_id": MOTHER_ID,
            "relationship": "MOTHER",
            "phone": "0912345678",
            "email": "lan@example.vn",
        },
        "child": {
            "family_name": "Trần",
            "middle_name": "Minh",
            "given_name": "An",
            "born_at": datetime(2026, 3, 5, 20, 30, tzinfo=UTC),  # 6 March, 03:30 in Hanoi
            "sex": "MALE",
            "ethnicity": "Kinh",
            "nationality": "VN",
            "birth_facility": "Bệnh viện Phụ sản Hà Nội",
            "birth_place": {
                "province_code": "01",
                "commune_code": BIRTH_COMMUNE,
                "street": "929 La Thành",
            },
            "hometown": "Nam Định",
            "babies_in_birth": 1,
            "birth_order": 1,
        },
        "mother": {
            "full_name": "Nguyễn Thị Lan",
            "date_of_birth": date(1995, 4, 12),
            "ethnicity": "Kinh",
            "nationality": "VN",
            "personal_id": MOTHER_ID,
            "permanent_address": home(),
        },
        "father": {
            "full_name": "Trần Văn Hùng",
            "date_of_birth": date(1992, 11, 2),
            "ethnicity": "Kinh",
            "nationality": "VN",
            "personal_id": FATHER_ID,
            "permanent_address": home(),
        },
        "birth_certificate": {
            "code": identifiers.birth_certificate_code(42, "01001", 2026),
            "facility": "Bệnh viện Phụ sản Hà Nội",
            "issued_on": date(2026, 3, 6),
            "replaced_by": None,
        },
        "residence": {
            "parent": "FATHER",
            "address": home(),
            "head_of_household": "Trần Văn Hùng",
            "head_personal_id": FATHER_ID,
            "relationship_to_head": "Con",
            "head_consent": True,
        },
        "health_insurance": {"clinic_code": "01123", "clinic_name": "Trạm Y tế Phường Hoàn Kiếm"},
        "delivery": "VNEID",
        "child_id_card": None,
    }


def changed(changes: dict[str, Any]) -> dict[str, Any]:
    """The valid dossier with dotted paths replaced (a value of ``DELETE`` removes the field)."""
    record = valid()
    for path, value in changes.items():
        *parents, last = path.split(".")
        target = record
        for part in parents:
            target = target[part]
        if value is DELETE:
            del target[last]
        else:
            target[last] = value
    return record


DELETE = object()
BORN_ON = date(2026, 3, 6)

#: One row per rule: the change, then every (field, code) the hub must give for it.
FAILURES: list[tuple[str, dict[str, Any], list[tuple[str, str]]]] = [
    (
        "submitted an hour after it was received",
        {"submitted_at": NOW + timedelta(hours=1)},
        [("submitted_at", "submitted_in_future")],
    ),
    ("other group", {"group": "death"}, [("group", "unknown_group")]),
    (
        "birth alone",
        {"procedures": ["civil_registry"], "residence": None, "health_insurance": None},
        [("procedures", "combination_not_allowed")],
    ),
    (
        "no birth registration",
        {"procedures": ["residence", "health_insurance"]},
        [("procedures", "combination_not_allowed")],
    ),
    (
        "a step twice",
        {"procedures": ["civil_registry", "residence", "residence", "health_insurance"]},
        [("procedures", "combination_not_allowed")],
    ),
    ("residence part missing", {"residence": None}, [("residence", "missing_section")]),
    (
        "insurance part not chosen",
        {"procedures": ["civil_registry", "residence"]},
        [("health_insurance", "unexpected_section")],
    ),
    (
        "identity card part missing",
        {"procedures": ["civil_registry", "residence", "health_insurance", "child_id_card"]},
        [("child_id_card", "missing_section")],
    ),
    (
        "photo reference with spaces",
        {
            "procedures": ["civil_registry", "residence", "health_insurance", "child_id_card"],
            "child_id_card": {"photo_ref": "my photo.jpg"},
        },
        [("child_id_card.photo_ref", "invalid_photo_ref")],
    ),
    ("blank given name", {"child.given_name": "  "}, [("child.given_name", "blank_field")]),
    (
        "nationality spelt out",
        {"mother.nationality": "Vietnam"},
        [("mother.nationality", "invalid_nationality")],
    ),
    (
        "applicant ID too short",
        {"applicant.personal_id": "0010951234"},
        [("applicant.personal_id", "invalid_personal_id")],
    ),
    (
        "mother ID with an unknown province",
        {"mother.personal_id": "003195123456", "applicant.personal_id": "003195123456"},
        [
            ("applicant.personal_id", "invalid_personal_id"),
            ("mother.personal_id", "invalid_personal_id"),
        ],
    ),
    (
        "father ID with century digit 7",
        {"father.personal_id": "001792654321"},
        [("father.personal_id", "invalid_personal_id")],
    ),
    (
        "head of household ID",
        {"residence.head_personal_id": "ABC"},
        [("residence.head_personal_id", "invalid_personal_id")],
    ),
    (
        "mother ID of another year",
        {"mother.personal_id": identifiers.personal_id("01", "FEMALE", 1996, 1)},
        [("mother.personal_id", "personal_id_mismatch")],
    ),
    (
        "father ID of a woman",
        {"father.personal_id": identifiers.personal_id("01", "FEMALE", 1992, 1)},
        [("father.personal_id", "personal_id_mismatch")],
    ),
    (
        "certificate code misspelt",
        {"birth_certificate.code": "00042.GSC.01001.26"},
        [("birth_certificate.code", "invalid_birth_certificate_code")],
    ),
    (
        "certificate code of another year",
        {"birth_certificate.code": "00042.GCS.01001.25"},
        [("birth_certificate.code", "invalid_birth_certificate_code")],
    ),
    (
        "born in the future",
        {"child.born_at": NOW + timedelta(hours=2)},
        [("child.born_at", "date_in_future")],
    ),
    (
        "born after the submission",
        {"child.born_at": SUBMITTED + timedelta(seconds=10)},
        [("child.born_at", "date_in_future")],
    ),
    (
        "certificate issued in the future",
        {"birth_certificate.issued_on": date(2026, 3, 11)},
        [("birth_certificate.issued_on", "date_in_future")],
    ),
    (
        "father born the same day",
        {
            "father.date_of_birth": BORN_ON,
            "father.personal_id": identifiers.personal_id("01", "MALE", 2026, 1),
        },
        [("father.date_of_birth", "parent_born_after_child")],
    ),
    (
        "unknown province",
        {"mother.permanent_address.province_code": "99"},
        [("mother.permanent_address.province_code", "unknown_province")],
    ),
    (
        "unknown registering commune",
        {"registering_commune": "99999"},
        [("registering_commune", "unknown_commune")],
    ),
    (
        "unknown commune of birth",
        {"child.birth_place.commune_code": "00000"},
        [("child.birth_place.commune_code", "unknown_commune")],
    ),
    (
        "commune of another province",
        {"child.birth_place.commune_code": ELSEWHERE},
        [("child.birth_place.commune_code", "commune_not_in_province")],
    ),
    (
        "no babies",
        {"child.babies_in_birth": 0},
        [("child.babies_in_birth", "invalid_birth_order")],
    ),
    (
        "six babies",
        {"child.babies_in_birth": 6, "child.birth_order": 1},
        [("child.babies_in_birth", "invalid_birth_order")],
    ),
    (
        "second of one",
        {"child.birth_order": 2},
        [("child.birth_order", "invalid_birth_order")],
    ),
    (
        "born 61 days before",
        {"child.born_at": SUBMITTED - timedelta(days=61)},
        [("child.born_at", "late_registration")],
    ),
    (
        "six years old",
        {"child.born_at": datetime(2020, 3, 1, tzinfo=UTC)},
        [("child.born_at", "late_registration"), ("child.born_at", "child_not_under_six")],
    ),
    (
        "collective household",
        {"residence.relationship_to_head": " Tập thể "},
        [("residence.relationship_to_head", "collective_household")],
    ),
    (
        "residence at an absent father's",
        {"father": None},
        [("residence.parent", "residence_parent_absent")],
    ),
    (
        "residence elsewhere",
        {"residence.address.commune_code": BIRTH_COMMUNE},
        [("residence.address", "residence_address_mismatch")],
    ),
    ("landline", {"applicant.phone": "02438251234"}, [("applicant.phone", "invalid_phone")]),
    ("nine digits", {"applicant.phone": "091234567"}, [("applicant.phone", "invalid_phone")]),
    ("+84 prefix", {"applicant.phone": "+84912345678"}, [("applicant.phone", "invalid_phone")]),
    (
        "trailing newline",
        {"applicant.phone": "0912345678\n"},
        [("applicant.phone", "forbidden_character")],
    ),
    ("bad email", {"applicant.email": "lan at example"}, [("applicant.email", "invalid_email")]),
    ("no date of birth", {"child.born_at": DELETE}, [("child.born_at", "missing_field")]),
    ("unknown field", {"child.nickname": "Bin"}, [("child.nickname", "unknown_field")]),
    ("date as words", {"child.born_at": "yesterday"}, [("child.born_at", "invalid_value")]),
    (
        "time without zone",
        {"child.born_at": "2026-03-06T03:30:00"},
        [("child.born_at", "invalid_value")],
    ),
    (
        "date as a number",
        {"mother.date_of_birth": 9232},
        [("mother.date_of_birth", "invalid_value")],
    ),
    (
        "unknown step",
        {"procedures": ["civil_registry", "birth"]},
        [("procedures[1]", "invalid_value")],
    ),
    ("count as text", {"child.babies_in_birth": "1"}, [("child.babies_in_birth", "invalid_value")]),
    ("father not an object", {"father": "Hùng"}, [("father", "invalid_value")]),
    # the limits (lienthong.limits): issue 11's findings 3, 4 and 8
    (
        "a 900,000-character given name",
        {"child.given_name": "a" * 900_000},
        [("child.given_name", "text_too_long")],
    ),
    (
        "a 100,000-character dossier id",
        {"meta.dossier_id": "D" * 100_000},
        [("meta.dossier_id", "text_too_long")],
    ),
    (
        "a dossier id the status page cannot carry",
        {"meta.dossier_id": "DVC/2026 #1"},
        [("meta.dossier_id", "forbidden_character")],
    ),
    (
        "NUL in a name",
        {"child.given_name": "An\x00"},
        [("child.given_name", "forbidden_character")],
    ),
    (
        "right-to-left override in a name",
        {"mother.full_name": "Nguyễn \u202eLan"},
        [("mother.full_name", "forbidden_character")],
    ),
    (
        "zero-width space in an ID number",
        {"father.personal_id": FATHER_ID[:6] + "\u200b" + FATHER_ID[6:]},
        [("father.personal_id", "forbidden_character")],
    ),
    (
        "50,000 combining marks in a name",
        {"child.given_name": "A" + "\u0301\u0323" * 25_000},
        [("child.given_name", "text_too_long")],
    ),
    (
        "marks stacked on one letter",
        {"child.given_name": "An" + "\u0336" * 4},
        [("child.given_name", "too_many_marks")],
    ),
    (
        "a street of 201 characters",
        {"child.birth_place.street": "x" * 201},
        [("child.birth_place.street", "text_too_long")],
    ),
    (
        "procedures repeated 70,000 times",
        {"procedures": ["civil_registry"] * 70_000},
        [("procedures", "too_many_entries")],
    ),
    (
        "thirty unknown fields",
        {f"child.extra_{n:02d}": "x" for n in range(30)},
        [(f"child.extra_{n:02d}", "unknown_field") for n in range(MAX_REASONS - 1)]
        + [("dossier", "too_many_reasons")],
    ),
]


def test_the_hand_written_dossier_is_valid() -> None:
    assert check_submission(valid(), NOW) == []


@pytest.mark.parametrize(
    ("changes", "expected"), [row[1:] for row in FAILURES], ids=[row[0] for row in FAILURES]
)
def test_failure_table(changes: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    reasons = check_submission(changed(changes), NOW)
    assert sorted((r.field, r.code) for r in reasons) == sorted(expected)
    assert all(r.message and r.message[-1] == "." for r in reasons)


def test_every_rule_has_a_row() -> None:
    covered = {code for *_, expected in FAILURES for _, code in expected}
    assert covered == set(REASON_CODES)
    assert set(REASON_CODES) == set(RULE_CODES) | set(SHAPE_CODES)
    assert len(REASON_CODES) == len(set(REASON_CODES))


@pytest.mark.parametrize(
    "changes",
    [
        {"father": None, "residence.parent": "MOTHER", "residence.head_personal_id": MOTHER_ID},
        {"birth_certificate.code": "", "birth_certificate.replaced_by": "Giấy xác nhận"},
        {"child.middle_name": DELETE, "applicant.email": DELETE, "delivery": DELETE},
        {"child.born_at": SUBMITTED - timedelta(days=60)},  # day 60 is still on time
        {"residence.relationship_to_head": "Cháu", "residence.head_consent": False},
    ],
)
def test_valid_variants(changes: dict[str, Any]) -> None:
    assert check_submission(changed(changes), NOW) == []


def test_citizen_messages() -> None:
    [reason] = check_submission(changed({"child.born_at": NOW + timedelta(days=1)}), NOW)
    assert reason.message == "The child's date of birth is in the future."
    [reason] = check_submission(changed({"child.born_at": "soon"}), NOW)
    assert reason.message.startswith("child.born_at must be a date and time with a time zone")
    [reason] = check_submission(changed({"channel": "SMS"}), NOW)
    assert reason.message == "channel must be one of 'PORTAL' or 'VNEID'."


def test_parse_reads_json_and_avro_shapes_alike() -> None:
    record = valid()
    document = json.loads(json.dumps(DossierSubmission.model_validate(record).to_json()))
    assert document["child"]["born_at"] == "2026-03-05T20:30:00Z"
    assert document["mother"]["date_of_birth"] == "1995-04-12"
    assert parse_submission(document).to_record() == record
    assert parse_submission(record).to_record() == record


def test_parse_normalises_times_to_utc_milliseconds() -> None:
    document = DossierSubmission.model_validate(valid()).to_json()
    document["child"]["born_at"] = "2026-03-06T03:30:00.123456+07:00"
    born = parse_submission(document).to_record()["child"]["born_at"]
    assert born == datetime(2026, 3, 5, 20, 30, 0, 123000, tzinfo=UTC)
    assert born.tzinfo == UTC


def test_parse_fills_avro_defaults() -> None:
    record = valid()
    for section, field in [("child", "middle_name"), ("child", "babies_in_birth")]:
        del record[section][field]
    for field in ("group", "verification_needed", "father", "delivery"):
        del record[field]
    record["residence"]["parent"] = "MOTHER"
    parsed = parse_submission(record).to_record()
    assert (parsed["group"], parsed["delivery"], parsed["father"]) == ("birth", "PORTAL", None)
    assert (parsed["child"]["middle_name"], parsed["child"]["babies_in_birth"]) == ("", 1)


@pytest.mark.parametrize("data", [None, [], "dossier", 42, {}])
def test_parse_refuses_what_is_not_a_dossier(data: object) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_submission(data)
    assert caught.value.reasons


def test_validate_submission_raises_with_every_reason() -> None:
    assert validate_submission(valid(), NOW).meta.dossier_id == "DVC-2026-000001-ab12"
    with pytest.raises(ValidationFailed) as caught:
        validate_submission(changed({"group": "death", "applicant.phone": "1"}), NOW)
    assert {r.code for r in caught.value.reasons} == {"unknown_group", "invalid_phone"}


def test_now_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError):
        check_submission(valid(), datetime(2026, 3, 10, 9, 0))


def test_generated_valid_dossiers_pass() -> None:
    for dossier in generate(300, seed=11, twins_share=0.1):
        assert check_submission(dossier.record, dossier.record["submitted_at"]) == []


@pytest.mark.parametrize("kind", INVALID_KINDS)
def test_each_invalid_kind_yields_exactly_its_code(kind: str) -> None:
    dossiers = generate(40, seed=5, invalid_share=1.0, twins_share=0.0, invalid_kinds=[kind])
    broken = [d for d in dossiers if d.invalid is not None]
    assert len(broken) >= 20
    for dossier in broken:
        assert dossier.invalid == kind
        reasons = check_submission(dossier.record, dossier.record["submitted_at"])
        assert [r.code for r in reasons] == [kind]


# -- parity of the models with the Avro schema ----------------------------------------------------


def test_models_have_exactly_the_schema_fields() -> None:
    assert_field_parity()


def test_parity_check_notices_a_new_schema_field(tmp_path: Path) -> None:
    schemas = tmp_path / "schemas"
    shutil.copytree(SOURCE_ROOT / "schemas", schemas)
    address = schemas / "common" / "Address.avsc"
    schema = json.loads(address.read_text(encoding="utf-8"))
    schema["fields"].append({"name": "postcode", "type": "string", "default": ""})
    address.write_text(json.dumps(schema), encoding="utf-8")
    with pytest.raises(AssertionError, match="Address"):
        assert_field_parity(schemas)


# -- parse_submission never fails with anything but ValidationFailed ------------------------------

FIELD_NAMES = sorted(
    {"meta", "child", "mother", "father", "born_at", "procedures", "birth_place", "residence"}
    | set(valid())
    | set(valid()["child"])
    | set(valid()["mother"])
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(["2026-03-06", "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+14:00"])
    | st.sampled_from(["civil_registry", "MALE", "PORTAL", "MOTHER", "01", "00070"])
)
json_ish = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=8), inner, max_size=6)
    ),
    max_leaves=30,
)


def _paths(node: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    return found


JSON_DOSSIER = DossierSubmission.model_validate(valid()).to_json()
PATHS = _paths(JSON_DOSSIER)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(json_ish)
def test_parse_of_anything_fails_only_with_validation_failed(data: Any) -> None:
    try:
        parse_submission(data)
    except ValidationFailed as exc:
        assert exc.reasons


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(PATHS), json_ish)
def test_a_dossier_with_one_random_value_fails_only_with_validation_failed(
    path: tuple[str, ...], value: Any
) -> None:
    document = copy.deepcopy(JSON_DOSSIER)
    target = document
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    try:
        dossier = parse_submission(document)
    except ValidationFailed as exc:
        assert all(r.field and r.code in REASON_CODES for r in exc.reasons)
    else:
        for reason in check_submission(dossier.to_record(), NOW):
            assert reason.code in REASON_CODES
