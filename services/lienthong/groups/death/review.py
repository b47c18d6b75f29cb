"""What the death group's officials review: each step's flags (why a case goes to a person
under the ``flagged`` policy) and the reasons an official may refuse with."""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

from lienthong.contracts import records
from lienthong.domain.review import Reason, Review
from lienthong.groups.death.benefits import ELIGIBLE_WITH_MONTHS, MIN_MONTHS

#: Contributions this close to the funeral allowance's minimum (either side) are checked.
NEAR_MONTHS = 3

OUTSIDE_FACILITY = Reason(
    "outside_facility",
    "Chết ngoài cơ sở y tế: không có giấy báo tử, chỉ có bản khai",
    "Died outside a health facility: no death notice, a statement only",
)
NEAR_THRESHOLD = Reason(
    "near_threshold",
    f"Số tháng đóng bảo hiểm bắt buộc gần mức {MIN_MONTHS} tháng: đối chiếu sổ BHXH",
    f"Compulsory contributions close to the {MIN_MONTHS}-month threshold: check the record",
)
NO_ADDRESS = Reason(
    "no_address",
    "Không có địa chỉ thường trú để xóa đăng ký",
    "No permanent address to deregister",
)


def registration_flags(handoff: Mapping[str, object]) -> tuple[Reason, ...]:
    """A death outside a health facility (no death notice) is checked by the officer."""
    event = cast(records.DeathRegistrationHandoff, handoff)
    return () if event.get("death_notice") else (OUTSIDE_FACILITY,)


def benefit_flags(handoff: Mapping[str, object]) -> tuple[Reason, ...]:
    """Contributions near the funeral allowance's threshold are checked against the record."""
    record = cast(records.FuneralAllowanceHandoff, handoff)["record"]
    near = abs(record["compulsory_months"] - MIN_MONTHS) <= NEAR_MONTHS
    return (NEAR_THRESHOLD,) if record["category"] in ELIGIBLE_WITH_MONTHS and near else ()


def deregistration_flags(handoff: Mapping[str, object]) -> tuple[Reason, ...]:
    event = cast(records.ResidenceDeregistrationHandoff, handoff)
    return () if event.get("permanent_address") else (NO_ADDRESS,)


RECORD_DISPUTED = Reason(
    "record_disputed",
    "Quá trình đóng bảo hiểm xã hội không khớp với hồ sơ",
    "The social-insurance record does not agree with the dossier",
)
DEATH_REGISTRATION = Review(
    flags=registration_flags,
    raises=(OUTSIDE_FACILITY,),
    reasons=(
        Reason(
            "death_unproven",
            "Chưa đủ giấy tờ chứng minh sự kiện chết",
            "Nothing sufficient proves the death",
        ),
    ),
)
RESIDENCE_DEREGISTRATION = Review(
    flags=deregistration_flags,
    raises=(NO_ADDRESS,),
    reasons=(
        Reason(
            "address_wrong",
            "Người chết không thường trú tại địa chỉ này",
            "The deceased did not live at this address",
        ),
    ),
)
FUNERAL_ALLOWANCE = Review(
    flags=benefit_flags, raises=(NEAR_THRESHOLD,), reasons=(RECORD_DISPUTED,)
)
SURVIVOR_BENEFIT = Review(flags=benefit_flags, raises=(NEAR_THRESHOLD,), reasons=(RECORD_DISPUTED,))
