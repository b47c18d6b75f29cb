"""Synthetic birth dossiers broken on purpose: each breaker breaks exactly the rule of its name."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Protocol

from lienthong.contracts import records
from lienthong.domain import identifiers
from lienthong.domain.calendar import WorkingCalendar


class Breaking(Protocol):
    """What a breaker may use of the generator: its random source, calendar, certificate codes."""

    rng: random.Random
    calendar: WorkingCalendar

    def certificate_code(self, facility: str, year: int) -> str: ...


def bad_personal_id(b: Breaking, record: records.DossierSubmitted) -> None:
    value = record["applicant"]["personal_id"]
    broken = (value[:-1], "000" + value[3:], value[:3] + "7" + value[4:])
    record["applicant"]["personal_id"] = b.rng.choice(broken)


def born_in_future(b: Breaking, record: records.DossierSubmitted) -> None:
    hours = b.rng.randint(1, 72)
    record["child"]["born_at"] = record["submitted_at"] + timedelta(hours=hours)


def parent_after_child(b: Breaking, record: records.DossierSubmitted) -> None:
    mother = record["mother"]
    old = mother["personal_id"]
    born_on = b.calendar.local_date(record["child"]["born_at"])
    mother["date_of_birth"] = born_on + timedelta(days=b.rng.randint(1, 365))
    year, serial = mother["date_of_birth"].year, int(old[6:])
    mother["personal_id"] = identifiers.personal_id(old[1:3], "FEMALE", year, serial)
    applicant, residence = record["applicant"], record.get("residence")
    if applicant["personal_id"] == old:
        applicant["personal_id"] = mother["personal_id"]
    if residence and residence["head_personal_id"] == old:
        residence["head_personal_id"] = mother["personal_id"]


def unknown_commune(b: Breaking, record: records.DossierSubmitted) -> None:
    # the highest commune code in use is 32248
    record["child"]["birth_place"]["commune_code"] = str(b.rng.randint(40000, 99999))


def bad_combination(b: Breaking, record: records.DossierSubmitted) -> None:
    if b.rng.random() < 0.5:
        record["procedures"] = ["civil_registry"]
        record["residence"] = record["health_insurance"] = None
    else:
        record["procedures"] = [p for p in record["procedures"] if p != "civil_registry"]


def bad_certificate(b: Breaking, record: records.DossierSubmitted) -> None:
    code = record["birth_certificate"]["code"]
    record["birth_certificate"]["code"] = b.rng.choice((code.replace("GCS", "GSC"), code[1:]))


def bad_phone(b: Breaking, record: records.DossierSubmitted) -> None:
    phone = record["applicant"]["phone"]
    landline = "024" + f"{b.rng.randrange(10**8):08d}"
    record["applicant"]["phone"] = b.rng.choice((phone[:-1], landline, "+84" + phone[1:]))


def late(b: Breaking, record: records.DossierSubmitted) -> None:
    born_at = record["submitted_at"] - timedelta(days=b.rng.randint(61, 150))
    born_on = b.calendar.local_date(born_at)
    facility = record["birth_certificate"]["code"][10:15]
    record["child"]["born_at"] = born_at
    certificate = record["birth_certificate"]
    certificate["code"] = b.certificate_code(facility, born_on.year)
    certificate["issued_on"] = born_on


def collective(b: Breaking, record: records.DossierSubmitted) -> None:
    residence = record.get("residence")
    if residence is None:
        raise ValueError("residence: a collective household needs the residence part")
    residence["relationship_to_head"] = "tập thể"


#: How each invalid kind is made; each breaks exactly the rule of its name.
BREAKERS: dict[str, Callable[[Breaking, records.DossierSubmitted], None]] = {
    "invalid_personal_id": bad_personal_id,
    "date_in_future": born_in_future,
    "parent_born_after_child": parent_after_child,
    "unknown_commune": unknown_commune,
    "combination_not_allowed": bad_combination,
    "invalid_birth_certificate_code": bad_certificate,
    "invalid_phone": bad_phone,
    "late_registration": late,
    "collective_household": collective,
}
#: Every kind of broken dossier the generator can make.
INVALID_KINDS: tuple[str, ...] = tuple(BREAKERS)


class Generated(Protocol):
    """A generated dossier (``synthetic.Synthetic``): its record, and the rule it breaks."""

    @property
    def record(self) -> records.DossierSubmitted: ...

    @property
    def invalid(self) -> str | None: ...


def with_agency_refusals(items: Sequence[Generated], share: float, seed: int) -> list[str]:
    """Make ``share`` of the valid residence dossiers refusable by the police; their ids."""
    candidates = [i for i in items if not i.invalid and i.record.get("residence") is not None]
    chosen = random.Random(seed).sample(candidates, round(share * len(candidates)))
    for item in chosen:
        residence = item.record.get("residence")
        assert residence is not None  # a candidate has one
        residence["address"] = {**residence["address"], "street": "Số 1 đường Không Có Thật"}
    return [item.record["meta"]["dossier_id"] for item in chosen]
