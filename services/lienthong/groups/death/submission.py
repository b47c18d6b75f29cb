"""Intake rules of a death dossier: what the hub checks before it issues a receipt.

Decree 63/2024 links death registration with the deregistration of permanent residence and
Social Security's funeral allowance and survivor benefit. The dossier carries the deceased's
personal ID, the date, time and place of death, the facility's death notice or (for a death
outside a facility) the declarant's statement, and what the chosen procedures need.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from zoneinfo import ZoneInfo

from lienthong.contracts import records
from lienthong.domain import identifiers, units
from lienthong.domain.screening import Limit, screen_fields
from lienthong.errors import Reason, ValidationFailed
from lienthong.limits import ADDRESS, CODE, EMAIL, FULL_NAME, MAX_CLOCK_SKEW_SECONDS, NOTE, clip

#: Dates on the declaration are Vietnam's.
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")

REGISTRATION, DEREGISTRATION = "death_registration", "residence_deregistration"
FUNERAL, SURVIVOR = "funeral_allowance", "survivor_benefit"
#: The text of a death dossier and its limits, by dotted path (optional sections apart).
TEXT: dict[str, Limit] = {
    "registering_commune": CODE,
    "declarant.full_name": FULL_NAME,
    "declarant.personal_id": CODE,
    "declarant.phone": CODE,
    "deceased.personal_id": CODE,
    "deceased.full_name": FULL_NAME,
    "deceased.place_of_death": ADDRESS,
}
OPTIONAL_TEXT: dict[str, dict[str, Limit]] = {
    "death_notice": {"death_notice.code": CODE, "death_notice.facility": ADDRESS},
    "social_insurance": {"social_insurance.social_insurance_number": CODE},
    "beneficiary": {"beneficiary.full_name": FULL_NAME, "beneficiary.personal_id": CODE},
}


#: The combinations the family may choose: registration, then deregistration, then the benefits.
COMBINATIONS: tuple[frozenset[str], ...] = (
    frozenset({"death_registration", "residence_deregistration"}),
    frozenset({"death_registration", "residence_deregistration", "funeral_allowance"}),
    frozenset(
        {
            "death_registration",
            "residence_deregistration",
            "funeral_allowance",
            "survivor_benefit",
        }
    ),
)


def validate_death_dossier(
    event: records.DeathDossierSubmitted, now: dt.datetime
) -> records.DeathDossierSubmitted:
    """The dossier (text in NFC) when it may be received; else ``ValidationFailed``."""
    record: records.DeathDossierSubmitted = {**event}
    fields = dict(TEXT)
    sections: Mapping[str, object] = record  # the optional sections, read by name
    for section, paths in OPTIONAL_TEXT.items():
        if sections.get(section) is not None:
            fields.update(paths)
    reasons = screen_fields(record, fields)
    if record.get("statement") is not None:
        reasons += screen_fields(record, {"statement": NOTE})
    if record["declarant"].get("email") is not None:
        reasons += screen_fields(record, {"declarant.email": EMAIL})
    if not reasons:
        reasons = list(_rules(record, now))
    if reasons:
        raise ValidationFailed(reasons)
    return record


def _rules(d: records.DeathDossierSubmitted, now: dt.datetime) -> Iterator[Reason]:
    chosen = list(d["procedures"])
    if len(set(chosen)) != len(chosen) or frozenset(chosen) not in COMBINATIONS:
        yield Reason(
            "procedures",
            "combination_not_allowed",
            "Death registration is combined with the deregistration of permanent residence, "
            "then the funeral allowance, then the survivor benefit; "
            f"{clip(', '.join(chosen)) or 'nothing'} is not one of these combinations.",
        )
    yield from _people(d)
    yield from _times(d, now)
    yield from _places(d)
    yield from _sections(d, chosen)


def _people(d: records.DeathDossierSubmitted) -> Iterator[Reason]:
    people = [("deceased.personal_id", d["deceased"]["personal_id"])]
    people.append(("declarant.personal_id", d["declarant"]["personal_id"]))
    beneficiary = d.get("beneficiary")
    if beneficiary:
        people.append(("beneficiary.personal_id", beneficiary["personal_id"]))
    for field, value in people:
        problem = identifiers.check_personal_id(value)
        if problem:
            yield Reason(field, "invalid_personal_id", f"The personal ID number {problem}.")
    deceased = d["deceased"]["personal_id"]
    for field, value in people[1:]:
        if value == deceased:
            message = "The deceased cannot be the declarant or the beneficiary."
            yield Reason(field, "deceased_as_relative", message)


def _times(d: records.DeathDossierSubmitted, now: dt.datetime) -> Iterator[Reason]:
    died_at = d["deceased"]["died_at"]
    died_on = died_at.astimezone(VIETNAM).date()
    if (died_at - now).total_seconds() > MAX_CLOCK_SKEW_SECONDS:
        yield Reason("deceased.died_at", "date_in_future", "The date of death is in the future.")
    if died_on < d["deceased"]["born_on"]:
        message = "The date of death is before the date of birth."
        yield Reason("deceased.died_at", "died_before_born", message)
    notice = d.get("death_notice")
    if notice is not None and notice["issued_on"] < died_on:
        message = "The death notice is dated before the death."
        yield Reason("death_notice.issued_on", "notice_before_death", message)


def _places(d: records.DeathDossierSubmitted) -> Iterator[Reason]:
    if units.commune(d["registering_commune"]) is None:
        message = f"{clip(d['registering_commune'])} is not a commune code."
        yield Reason("registering_commune", "unknown_commune", message)
    address = d["deceased"].get("permanent_address")
    if address and not units.commune_in_province(address["commune_code"], address["province_code"]):
        message = "The permanent address's commune is not in its province."
        yield Reason("deceased.permanent_address", "commune_not_in_province", message)


def _sections(d: records.DeathDossierSubmitted, chosen: list[str]) -> Iterator[Reason]:
    if (d.get("death_notice") is None) == (d.get("statement") is None):
        yield Reason(
            "death_notice",
            "notice_or_statement",
            "Attach either the health facility's death notice or, for a death outside a "
            "facility, the declarant's statement (one of the two).",
        )
    record = d.get("social_insurance")
    if (FUNERAL in chosen or SURVIVOR in chosen) and record is None:
        message = "The social-insurance part of the form is missing."
        yield Reason("social_insurance", "missing_section", message)
    if record is not None:
        problem = identifiers.check_social_insurance_number(record["social_insurance_number"])
        if problem:
            message = f"The social-insurance number {problem}."
            yield Reason("social_insurance.social_insurance_number", "invalid_number", message)
        if record["compulsory_months"] < 0:
            message = "The months of contributions cannot be negative."
            yield Reason("social_insurance.compulsory_months", "invalid_value", message)
    if SURVIVOR in chosen and d.get("beneficiary") is None:
        message = "The survivor benefit needs the relative who receives it."
        yield Reason("beneficiary", "missing_section", message)
