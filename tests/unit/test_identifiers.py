"""Identifiers: personal ID, health-insurance code, card validity, birth certificate code."""

from __future__ import annotations

from datetime import date

import pytest

from lienthong.domain import identifiers as ids
from lienthong.domain import units


@pytest.mark.parametrize(
    ("province", "sex", "year", "serial", "expected"),
    [
        ("01", "MALE", 1985, 123, "001085000123"),
        ("01", "FEMALE", 1985, 123, "001185000123"),
        ("79", "MALE", 2026, 999999, "079226999999"),
        ("79", "FEMALE", 2000, 0, "079300000000"),
        ("96", "MALE", 2100, 42, "096400000042"),
        ("96", "FEMALE", 2199, 42, "096599000042"),
        ("02", "FEMALE", 1900, 1, "002100000001"),
    ],
)
def test_personal_id_layout(province: str, sex: str, year: int, serial: int, expected: str) -> None:
    value = ids.personal_id(province, sex, year, serial)
    assert value == expected
    assert ids.check_personal_id(value) is None
    assert ids.personal_id_sex(value) == sex
    assert ids.personal_id_birth_year(value) == year


@pytest.mark.parametrize(
    ("province", "sex", "year", "serial"),
    [
        ("03", "MALE", 2026, 1),  # not a province code, before or after 2025
        ("1", "MALE", 2026, 1),
        ("01", "M", 2026, 1),
        ("01", "MALE", 1899, 1),
        ("01", "MALE", 2200, 1),
        ("01", "MALE", 2026, 1_000_000),
        ("01", "MALE", 2026, -1),
    ],
)
def test_personal_id_refuses_impossible_parts(
    province: str, sex: str, year: int, serial: int
) -> None:
    with pytest.raises(ValueError):
        ids.personal_id(province, sex, year, serial)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("00108500012", "12 digits"),
        ("0010850001234", "12 digits"),
        ("00108500012a", "12 digits"),
        ("００１０８５０００１２３", "12 digits"),  # full-width digits are not ASCII digits
        ("000085000123", "not a province code"),
        ("097085000123", "not a province code"),
        ("003085000123", "not a province code"),
        ("101085000123", "not a province code"),
        ("001685000123", "century digit"),
        ("001985000123", "century digit"),
    ],
)
def test_check_personal_id_says_what_is_wrong(value: str, problem: str) -> None:
    found = ids.check_personal_id(value)
    assert found is not None
    assert problem in found


def test_every_current_province_code_opens_a_valid_personal_id() -> None:
    assert set(units.province_codes()) <= ids.OLD_PROVINCE_CODES
    assert len(ids.OLD_PROVINCE_CODES) == 63
    assert min(ids.OLD_PROVINCE_CODES) == "01"
    assert max(ids.OLD_PROVINCE_CODES) == "96"


def test_card_code_of_a_child_under_six() -> None:
    code = ids.card_code("79", "7912345678")
    assert code == "TE1797912345678"
    assert len(code) == 15
    assert ids.check_card_code(code) is None


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("TE1797912345678", True),
        ("DN4010123456789", True),
        ("TE179791234567", False),
        ("TE0797912345678", False),
        ("TE6797912345678", False),
        ("te1797912345678", False),
        ("TE17979123456A8", False),
    ],
)
def test_check_card_code(value: str, valid: bool) -> None:
    assert (ids.check_card_code(value) is None) is valid


@pytest.mark.parametrize(
    ("province", "number"), [("7", "7912345678"), ("79", "791234567"), ("79", "79123456789")]
)
def test_card_code_refuses_bad_parts(province: str, number: str) -> None:
    with pytest.raises(ValueError):
        ids.card_code(province, number)


@pytest.mark.parametrize(
    ("value", "valid"),
    [("0123456789", True), ("012345678", False), ("01234567890", False), ("01234S6789", False)],
)
def test_check_social_insurance_number(value: str, valid: bool) -> None:
    assert (ids.check_social_insurance_number(value) is None) is valid


@pytest.mark.parametrize(
    ("born", "until"),
    [
        (date(2026, 1, 15), date(2032, 9, 30)),  # turns 6 in January, before school: September
        (date(2026, 9, 30), date(2032, 9, 30)),  # turns 6 on 30 September itself
        (date(2026, 10, 1), date(2032, 10, 1)),  # turns 6 after school opened: the birthday
        (date(2026, 12, 31), date(2032, 12, 31)),
        (date(2024, 2, 29), date(2030, 9, 30)),  # leap day: 28 February 2030, then September
    ],
)
def test_card_valid_until(born: date, until: date) -> None:
    assert ids.card_valid_until(born) == until


def test_birth_certificate_code_layout() -> None:
    code = ids.birth_certificate_code(123, "01001", 2026)
    assert code == "00123.GCS.01001.26"
    assert len(code) == 18
    assert ids.check_birth_certificate_code(code) is None
    assert ids.birth_certificate_year(code) == 26


@pytest.mark.parametrize(
    ("sequence", "facility", "year"),
    [(0, "01001", 2026), (100_000, "01001", 2026), (1, "0100", 2026), (1, "0100A", 2026)],
)
def test_birth_certificate_code_refuses_bad_parts(sequence: int, facility: str, year: int) -> None:
    with pytest.raises(ValueError):
        ids.birth_certificate_code(sequence, facility, year)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("00123.GCS.01001.2", "18 characters"),
        ("00123.GSC.01001.26", "NNNNN.GCS.FFFFF.YY"),
        ("00123-GCS-01001-26", "NNNNN.GCS.FFFFF.YY"),
        ("0012A.GCS.01001.26", "NNNNN.GCS.FFFFF.YY"),
        ("00000.GCS.01001.26", "00000"),
    ],
)
def test_check_birth_certificate_code(value: str, problem: str) -> None:
    found = ids.check_birth_certificate_code(value)
    assert found is not None
    assert problem in found
