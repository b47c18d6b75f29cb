"""What the birth group's officials review: each step's flags (why a case goes to a person
under the ``flagged`` policy) and the reasons an official may refuse with."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import cast

from lienthong.contracts import records
from lienthong.domain.review import Reason, Review

#: Registered later than this after the birth: the officer checks why (Law on Civil Status,
#: art. 15: within 60 days).
LATE_DAYS = 60

CERTIFICATE_REPLACED = Reason(
    "certificate_replaced",
    "Không có giấy chứng sinh; thay bằng giấy tờ khác",
    "No hospital birth certificate; another document replaces it",
)
LATE = Reason(
    "late_registration",
    "Đăng ký khai sinh quá 60 ngày kể từ ngày sinh",
    "Registered more than 60 days after the birth",
)
FATHER_APART = Reason(
    "father_without_marriage",
    "Có tên cha nhưng cha mẹ không cùng nơi thường trú: kiểm tra giấy đăng ký kết hôn",
    "A father is named but the parents live apart: check the marriage certificate",
)
MULTIPLE = Reason(
    "multiple_birth",
    "Sinh đôi/sinh ba: đối chiếu mã giấy chứng sinh của từng trẻ",
    "Twins or triplets: check each child's birth certificate code",
)
HEAD_NOT_PARENT = Reason(
    "head_not_parent",
    "Chủ hộ không phải cha/mẹ của trẻ",
    "The head of household is not the child's parent",
)
ADDRESS_UNKNOWN = Reason(
    "address_unknown",
    "Địa chỉ đăng ký khác nơi thường trú của cha/mẹ trong cơ sở dữ liệu",
    "The address differs from the parent's permanent address on record",
)


def civil_registry_flags(handoff: Mapping[str, object]) -> tuple[Reason, ...]:
    """The civil-status officer looks at a replaced certificate, a late registration, a father
    named while the parents live apart, and a multiple birth."""
    event = cast(records.CivilRegistryHandoff, handoff)
    fired: list[Reason] = []
    if event["birth_certificate"].get("replaced_by"):
        fired.append(CERTIFICATE_REPLACED)
    born_on = event["child"]["born_at"].date()
    if event["dossier_date"] - born_on > dt.timedelta(days=LATE_DAYS):
        fired.append(LATE)
    father, mother = event.get("father"), event["mother"]
    if father and not _same_place(father["permanent_address"], mother["permanent_address"]):
        fired.append(FATHER_APART)
    if event["child"].get("babies_in_birth", 1) > 1:
        fired.append(MULTIPLE)
    return tuple(fired)


def residence_flags(handoff: Mapping[str, object]) -> tuple[Reason, ...]:
    """The commune police look at a household headed by someone else, and an address that is
    not the parent's permanent address on record."""
    event = cast(records.ResidenceHandoff, handoff)
    fired: list[Reason] = []
    if event["request"]["head_personal_id"] != event["parent_personal_id"]:
        fired.append(HEAD_NOT_PARENT)
    if not _same_place(event["request"]["address"], event["parent_permanent_address"]):
        fired.append(ADDRESS_UNKNOWN)
    return tuple(fired)


def _same_place(a: records.Address, b: records.Address) -> bool:
    def norm(text: str) -> str:
        return " ".join(text.casefold().replace(",", " ").split())

    return a["commune_code"] == b["commune_code"] and norm(a["street"]) == norm(b["street"])


CIVIL_REGISTRY = Review(
    flags=civil_registry_flags,
    raises=(CERTIFICATE_REPLACED, LATE, FATHER_APART, MULTIPLE),
    reasons=(
        Reason(
            "certificate_invalid",
            "Giấy chứng sinh không hợp lệ hoặc không khớp với tờ khai",
            "The birth certificate is not valid or does not match the declaration",
        ),
        Reason(
            "paternity_unproven",
            "Chưa có giấy tờ chứng minh quan hệ cha con",
            "Nothing proves the father's paternity",
        ),
        Reason(
            "declaration_wrong",
            "Thông tin trên tờ khai không đúng với giấy tờ",
            "The declaration does not agree with the documents",
        ),
    ),
)
RESIDENCE = Review(
    flags=residence_flags,
    raises=(HEAD_NOT_PARENT, ADDRESS_UNKNOWN),
    reasons=(
        Reason(
            "not_parent_address",
            "Địa chỉ không phải nơi thường trú của cha/mẹ",
            "The address is not the parent's permanent residence",
        ),
        Reason(
            "head_refused",
            "Chủ hộ không đồng ý cho đăng ký thường trú",
            "The head of household does not consent",
        ),
    ),
)
HEALTH_INSURANCE = Review(
    reasons=(
        Reason(
            "clinic_unavailable",
            "Nơi đăng ký khám chữa bệnh ban đầu không nhận thêm thẻ",
            "The chosen clinic takes no more cards",
        ),
    ),
)
