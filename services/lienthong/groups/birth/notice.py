"""The health facility's birth notice (Civil Status Law 2026, in force 2027-03-01): where the
mother agreed, the commune registers the birth on its own initiative; the family adds what the
facility does not know (the child's name, the combination, the parents' details)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterator, Mapping
from typing import Any

from lienthong.contracts import records
from lienthong.contracts.events import metadata
from lienthong.domain import identifiers, units
from lienthong.domain.notice import FamilyPart, NoticeSpec
from lienthong.domain.words import Words
from lienthong.errors import Reason, ValidationFailed
from lienthong.limits import ADDRESS, CODE, DOSSIER_ID, FULL_NAME, clip

NOTICE_EVENT = "BirthNoticeIssued"
#: The prefix of a dossier opened from a notice: ``KS-`` (khai sinh) and the certificate code.
PREFIX = "KS-"
#: A facility's producer name: ``facility:`` and its 5-digit code (the "from whom" check).
FACILITY = re.compile(r"facility:[0-9]{5}")
#: A newborn's weight in grams that a facility can report (beyond it: a typing error).
WEIGHT_GRAMS = (300, 7000)
TEXT = {
    "meta.dossier_id": DOSSIER_ID,
    "meta.producer": CODE,
    "facility_code": CODE,
    "facility_name": ADDRESS,
    "certificate_code": CODE,
    "mother_name": FULL_NAME,
    "mother_personal_id": CODE,
    "mother_phone": CODE,
    "registering_commune": CODE,
    "birth_place.province_code": CODE,
    "birth_place.commune_code": CODE,
    "birth_place.street": ADDRESS,
}


def dossier_id_of(certificate_code: str) -> str:
    """The dossier a birth certificate's notice opens: one certificate, one dossier."""
    return f"{PREFIX}{certificate_code}"


def notice_dossier(notice: records.BirthNoticeIssued) -> str:
    return dossier_id_of(notice["certificate_code"])


def claims(submission: Mapping[str, Any]) -> str | None:
    """The notice dossier a family's own filing is for: the one of its certificate's code."""
    certificate = submission.get("birth_certificate")
    code = certificate.get("code") if isinstance(certificate, Mapping) else None
    return dossier_id_of(code) if isinstance(code, str) and code.strip() else None


def _facility(n: records.BirthNoticeIssued) -> Iterator[Reason]:
    producer = n["meta"]["producer"]
    if not FACILITY.fullmatch(producer) or producer != f"facility:{n['facility_code']}":
        yield Reason(
            "meta.producer",
            "not_a_facility",
            f"A birth notice comes only from a health facility (facility:<5-digit code> of its "
            f"facility_code), not from {clip(producer)}.",
        )


def _certificate(n: records.BirthNoticeIssued) -> Iterator[Reason]:
    problem = identifiers.check_birth_certificate_code(n["certificate_code"])
    if problem is not None:
        yield Reason("certificate_code", "invalid_birth_certificate_code", f"The code {problem}.")
    elif n["meta"]["dossier_id"] != notice_dossier(n):
        yield Reason(
            "meta.dossier_id",
            "not_the_certificate_dossier",
            f"A notice's dossier id is {PREFIX} and its certificate code ({notice_dossier(n)}).",
        )


def _facts(n: records.BirthNoticeIssued, now: dt.datetime) -> Iterator[Reason]:
    problem = identifiers.check_personal_id(n["mother_personal_id"])
    if problem is not None:
        yield Reason("mother_personal_id", "invalid_personal_id", f"The number {problem}.")
    if n["born_at"] > now:
        yield Reason("born_at", "in_future", "The birth cannot be later than the notice.")
    low, high = WEIGHT_GRAMS
    if not low <= n["weight_grams"] <= high:
        yield Reason("weight_grams", "out_of_range", f"The weight must be {low}-{high} grams.")
    if not 1 <= n.get("birth_order", 1) <= n.get("babies_in_birth", 1):
        yield Reason("birth_order", "out_of_range", "The order must be 1 to the babies born.")
    if units.commune(n["registering_commune"]) is None:
        yield Reason("registering_commune", "unknown_commune", "No commune has this code.")


def validate(notice: records.BirthNoticeIssued, now: dt.datetime) -> records.BirthNoticeIssued:
    """The notice (its text screened by the hub against ``TEXT``), or ``ValidationFailed``
    naming every broken rule."""
    reasons = [*_facility(notice), *_certificate(notice), *_facts(notice, now)]
    if reasons:
        raise ValidationFailed(reasons)
    return notice


def _date(part: FamilyPart, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(part.get(name, ""))
    except ValueError:
        raise ValidationFailed(
            [Reason(name, "invalid_date", "A date is written YYYY-MM-DD.")]
        ) from None


def _address(part: FamilyPart, prefix: str) -> records.Address:
    return {
        "province_code": part.get(f"{prefix}province", ""),
        "commune_code": part.get(f"{prefix}commune", ""),
        "street": part.get(f"{prefix}street", ""),
    }


def _chosen(part: FamilyPart) -> list[str]:
    picked = [p.strip() for p in part.get("procedures", "").split(",") if p.strip()]
    return ["civil_registry", *(p for p in picked if p != "civil_registry")]


def complete(
    notice: records.BirthNoticeIssued, part: FamilyPart, now: dt.datetime
) -> records.DossierSubmitted:
    """The family's filing from the notice's facts and its part (the completion link's form):
    the group's intake rules then check it as they check any filing."""
    chosen = _chosen(part)
    home = _address(part, "mother_")
    mother: records.Parent = {
        "full_name": notice["mother_name"],
        "date_of_birth": _date(part, "mother_date_of_birth"),
        "ethnicity": part.get("mother_ethnicity", "Kinh"),
        "nationality": part.get("mother_nationality", "VN"),
        "personal_id": notice["mother_personal_id"],
        "permanent_address": home,
    }
    digest = hashlib.sha256(repr(sorted(part.items())).encode()).hexdigest()[:16]
    dossier_id = notice_dossier(notice)
    residence: records.ResidenceRequest | None = None
    if "residence" in chosen:
        residence = {
            "parent": "MOTHER",
            "address": home,
            "head_of_household": part.get("head_of_household", ""),
            "head_personal_id": part.get("head_personal_id", ""),
            "relationship_to_head": part.get("relationship_to_head", ""),
            "head_consent": False,
        }
    clinic: records.HealthInsuranceRequest | None = None
    if "health_insurance" in chosen:
        clinic = {
            "clinic_code": part.get("clinic_code", ""),
            "clinic_name": part.get("clinic_name", ""),
        }
    card: records.IdentityCardRequest | None = None
    if "child_id_card" in chosen:
        card = {"photo_ref": part.get("photo_ref", "")}
    return {
        "meta": metadata(
            "DossierSubmitted", dossier_id, "hub", now, notice["meta"]["event_id"], digest
        ),
        "channel": "PORTAL",
        "submitted_at": now,
        "group": "birth",
        "procedures": chosen,
        "registering_commune": notice["registering_commune"],
        "verification_needed": False,
        "applicant": {
            "full_name": notice["mother_name"],
            "personal_id": notice["mother_personal_id"],
            "relationship": "MOTHER",
            "phone": part.get("phone") or notice.get("mother_phone", ""),
            "email": None,
        },
        "child": {
            "family_name": part.get("family_name", ""),
            "middle_name": part.get("middle_name", ""),
            "given_name": part.get("given_name", ""),
            "born_at": notice["born_at"],
            "sex": notice["sex"],
            "ethnicity": part.get("ethnicity", "Kinh"),
            "nationality": part.get("nationality", "VN"),
            "birth_facility": notice["facility_name"],
            "birth_place": notice["birth_place"],
            "hometown": part.get("hometown", ""),
            "babies_in_birth": notice.get("babies_in_birth", 1),
            "birth_order": notice.get("birth_order", 1),
        },
        "mother": mother,
        "father": None,
        "birth_certificate": {
            "code": notice["certificate_code"],
            "facility": notice["facility_name"],
            "issued_on": notice["certificate_issued_on"],
            "replaced_by": None,
        },
        "residence": residence,
        "health_insurance": clinic,
        "child_id_card": card,
        "delivery": "VNEID",
    }


FORM: tuple[tuple[str, Words], ...] = (
    ("family_name", Words("Họ của trẻ", "The child's family name")),
    ("middle_name", Words("Chữ đệm", "Middle name")),
    ("given_name", Words("Tên", "Given name")),
    (
        "procedures",
        Words("Thủ tục chọn (residence, health_insurance, child_id_card)", "Procedures chosen"),
    ),
    ("hometown", Words("Quê quán", "Hometown")),
    ("mother_date_of_birth", Words("Ngày sinh của mẹ (YYYY-MM-DD)", "Mother's date of birth")),
    ("mother_province", Words("Mã tỉnh nơi thường trú của mẹ", "Mother's province code")),
    ("mother_commune", Words("Mã xã nơi thường trú của mẹ", "Mother's commune code")),
    ("mother_street", Words("Địa chỉ", "Street and house number")),
    ("head_of_household", Words("Chủ hộ", "Head of household")),
    ("head_personal_id", Words("Số định danh của chủ hộ", "Head of household's ID number")),
    ("relationship_to_head", Words("Quan hệ với chủ hộ", "Relationship to the head")),
    ("clinic_code", Words("Mã nơi KCB ban đầu", "Initial clinic code")),
    ("clinic_name", Words("Tên nơi KCB ban đầu", "Initial clinic name")),
    ("photo_ref", Words("Mã ảnh chân dung của trẻ (thẻ căn cước)", "The child's photo (ID card)")),
)

NOTICE: NoticeSpec[records.BirthNoticeIssued] = NoticeSpec(
    event=NOTICE_EVENT,
    text=TEXT,
    dossier_id=notice_dossier,
    claims=claims,
    consent=lambda n: n["registration_consent"],
    validate=validate,
    person=lambda n: n["mother_personal_id"],
    person_field="mother_personal_id",
    happened_at=lambda n: n["born_at"],
    filing_happened_at=lambda s: s["child"]["born_at"],
    commune=lambda n: n["registering_commune"],
    complete=complete,
    form=FORM,
    waiting=Words(
        "Cơ sở y tế đã thông báo việc sinh; UBND xã sẽ chủ động đăng ký khai sinh khi gia đình "
        "bổ sung tên của trẻ và các thủ tục chọn (qua đường liên kết gửi tới điện thoại của mẹ "
        "hoặc Cổng Dịch vụ công).",
        "The health facility notified the birth; the commune registers it on its own initiative "
        "once the family adds the child's name and the procedures chosen (through the link sent "
        "to the mother's phone, or the portal).",
    ),
    expired=Words(
        "Gia đình chưa bổ sung thông tin trong thời hạn; hồ sơ đã đóng. Gia đình vẫn có thể nộp "
        "hồ sơ khai sinh như thông thường.",
        "The family did not complete the dossier in time; it is closed. The family can still "
        "file the birth as usual.",
    ),
    legal_source="Luật Hộ tịch 2026 (hiệu lực 2027-03-01): đăng ký khai sinh chủ động",
)
