"""Vietnamese identifiers: personal ID, health-insurance code, card validity, birth certificate."""

from __future__ import annotations

import re
from datetime import date

from lienthong.limits import clip

#: The 63 pre-2025 province codes that open a personal ID (001-096 with gaps). IDs issued before
#: the 2025 mergers keep their old code, and the 34 current province codes are all in this list.
OLD_PROVINCE_CODES = frozenset(
    f"{code:02d}"
    for code in (
        *(1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34),
        *(35, 36, 37, 38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67),
        *(68, 70, 72, 74, 75, 77, 79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96),
    )
)
#: Century and sex digit: the first year of the century -> the digit for a male; +1 for a female.
CENTURY_DIGITS = {1900: 0, 2000: 2, 2100: 4}
SEXES = ("MALE", "FEMALE")
#: The beneficiary code and benefit level of a child under 6 on a health-insurance code.
CHILD_CARD_PREFIX = "TE1"
#: Schools open in September: a child turning 6 by then has not started school before it.
SCHOOL_YEAR_CARD_END = (9, 30)

_BIRTH_CERTIFICATE = re.compile(r"([0-9]{5})\.GCS\.([0-9]{5})\.([0-9]{2})")
_CARD_CODE = re.compile(r"[A-Z]{2}[1-5][0-9]{12}")


def personal_id(province_code: str, sex: str, birth_year: int, serial: int) -> str:
    """The 12-digit personal ID of someone registered in ``province_code`` (2 digits)."""
    if province_code not in OLD_PROVINCE_CODES:
        raise ValueError(f"not a province code: {province_code!r}")
    if sex not in SEXES:
        raise ValueError(f"sex must be MALE or FEMALE, not {sex!r}")
    century = birth_year - birth_year % 100
    if century not in CENTURY_DIGITS:
        raise ValueError(f"birth year {birth_year} is outside 1900-2199")
    if not 0 <= serial <= 999_999:
        raise ValueError(f"serial {serial} is outside 0-999999")
    digit = CENTURY_DIGITS[century] + SEXES.index(sex)
    return f"0{province_code}{digit}{birth_year % 100:02d}{serial:06d}"


def check_personal_id(value: str) -> str | None:
    """None when ``value`` is a well-formed personal ID, else what is wrong with it."""
    if len(value) != 12 or not value.isascii() or not value.isdigit():
        return "must be exactly 12 digits"
    if value[0] != "0" or value[1:3] not in OLD_PROVINCE_CODES:
        return f"starts with {clip(value[:3])}, which is not a province code (001-096)"
    if value[3] > "5":
        return f"has {clip(value[3])} as its century digit, which must be 0 to 5"
    return None


def personal_id_sex(value: str) -> str:
    """MALE or FEMALE, as a valid personal ID records it."""
    return SEXES[int(value[3]) % 2]


def personal_id_birth_year(value: str) -> int:
    """The birth year a valid personal ID records."""
    return 1900 + 100 * (int(value[3]) // 2) + int(value[4:6])


def check_social_insurance_number(value: str) -> str | None:
    """None when ``value`` is a 10-digit social-insurance number, else what is wrong."""
    if len(value) != 10 or not value.isascii() or not value.isdigit():
        return "must be exactly 10 digits"
    return None


def card_code(province_code: str, social_insurance_number: str) -> str:
    """The 15-character health-insurance code of a child under 6 (TE, level 1)."""
    if len(province_code) != 2 or not province_code.isdigit():
        raise ValueError(f"not a 2-digit province code: {province_code!r}")
    problem = check_social_insurance_number(social_insurance_number)
    if problem is not None:
        raise ValueError(f"social-insurance number {problem}")
    return f"{CHILD_CARD_PREFIX}{province_code}{social_insurance_number}"


def check_card_code(value: str) -> str | None:
    """None when ``value`` is a well-formed 15-character health-insurance code."""
    if len(value) != 15:
        return "must be 15 characters"
    if _CARD_CODE.fullmatch(value) is None:
        return "must be 2 capital letters, a benefit level 1-5, then 12 digits"
    return None


def _turns_72_months(born: date) -> date:
    try:
        return born.replace(year=born.year + 6)
    except ValueError:  # born on 29 February, six years later is not a leap year
        return date(born.year + 6, 2, 28)


#: Card validity: from birth to the day the child turns 72 months. The law extends it "until
#: 30 September of that year" when the child turns 72 months before starting school; schools
#: open in September, so we read that as: a sixth birthday on or before 30 September.
def card_valid_until(born: date) -> date:
    """The last day a child-under-6 health-insurance card is valid."""
    turns_six = _turns_72_months(born)
    school_start = date(turns_six.year, *SCHOOL_YEAR_CARD_END)
    return school_start if turns_six <= school_start else turns_six


def birth_certificate_code(sequence: int, facility: str, year: int) -> str:
    """The 18-character code ``NNNNN.GCS.FFFFF.YY`` of a hospital birth certificate."""
    if not 1 <= sequence <= 99_999:
        raise ValueError(f"sequence {sequence} is outside 1-99999")
    if len(facility) != 5 or not facility.isdigit():
        raise ValueError(f"not a 5-digit facility code: {facility!r}")
    return f"{sequence:05d}.GCS.{facility}.{year % 100:02d}"


def check_birth_certificate_code(value: str) -> str | None:
    """None when ``value`` is a well-formed birth certificate code, else what is wrong."""
    if len(value) != 18:
        return "must be 18 characters (NNNNN.GCS.FFFFF.YY)"
    match = _BIRTH_CERTIFICATE.fullmatch(value)
    if match is None:
        return "must look like NNNNN.GCS.FFFFF.YY (sequence, GCS, facility code, year)"
    if match.group(1) == "00000":
        return "has sequence 00000; numbering starts at 00001"
    return None


def birth_certificate_year(value: str) -> int:
    """The two-digit year a valid birth certificate code carries."""
    return int(value[-2:])
