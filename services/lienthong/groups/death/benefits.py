"""Social Security's death benefits; the articles each follows are declared on its step
(``procedures.DEATH``): the funeral allowance, Law on Social Insurance 2014 art. 66(1) (2024
law art. 85, number assumed); the survivor benefit, 2014 law art. 69 (2024 law art. 88, number
assumed).

The funeral allowance (trợ cấp mai táng) is paid to whoever organises the funeral when the
deceased was in an eligible category; kept modest here: a pensioner or a recipient of a monthly
work-injury or occupational-disease benefit, or someone contributing or reserving their record
with at least 12 months of compulsory contributions. Others are refused (the dossier is then
partly completed). The survivor benefit (trợ cấp tuất) names the relative the family confirmed;
it needs a deceased with a social-insurance record.
"""

from __future__ import annotations

import hashlib
from typing import TypedDict

from lienthong.contracts import records
from lienthong.domain.agency import (
    AgencyContext,
    Decision,
    Entry,
    granted,
    prior,
    rejection,
)
from lienthong.domain.allocation import Counters

FUNERAL, SURVIVOR = "funeral_allowance", "survivor_benefit"


class BenefitEntry(Entry, total=False):
    """Social Security's entry for one benefit (besides the common keys): its decision
    number, and the funeral allowance's category and payee or the survivor benefit's
    beneficiary."""

    decision_number: str
    category: str
    paid_to: str
    beneficiary_name: str
    beneficiary_personal_id: str


class FuneralFields(TypedDict):
    """A ``FuneralAllowanceGranted``'s fields (but its meta), rebuilt from the entry."""

    decision_number: str
    category: str
    paid_to: str


class SurvivorFields(TypedDict):
    """A ``SurvivorBenefitGranted``'s fields (but its meta), rebuilt from the entry."""

    decision_number: str
    beneficiary_name: str
    beneficiary_personal_id: str


#: Categories eligible whatever their months of contributions.
ALWAYS_ELIGIBLE = frozenset({"PENSIONER", "MONTHLY_BENEFIT"})
#: Categories eligible with at least ``MIN_MONTHS`` of compulsory contributions.
ELIGIBLE_WITH_MONTHS = frozenset({"CONTRIBUTING", "RESERVED"})
MIN_MONTHS = 12
NOT_ELIGIBLE = (
    "not_eligible",
    "The funeral allowance is for pensioners, recipients of a monthly work-injury or disease "
    f"benefit, and people with at least {MIN_MONTHS} months of compulsory social-insurance "
    "contributions; the deceased was none of these.",
)
NO_RECORD = (
    "no_record",
    "The deceased has no social-insurance contributions or pension: there is no survivor "
    "benefit to pay.",
)


def funeral_eligible(record: records.SocialInsuranceRecord) -> bool:
    """Whether the deceased's category (and contributions) give the funeral allowance."""
    category = record["category"]
    months = record["compulsory_months"]
    return category in ALWAYS_ELIGIBLE or (
        category in ELIGIBLE_WITH_MONTHS and months >= MIN_MONTHS
    )


def survivor_eligible(record: records.SocialInsuranceRecord) -> bool:
    """Whether the deceased left a record a survivor benefit can be paid from.

    Broader than art. 69 of the 2014 law as the domain notes read it (the relatives of the
    people art. 66(1) lists, i.e. ``funeral_eligible``): a deceased with 1-11 months of
    contributions is refused the funeral allowance but granted this. The existing scenarios
    pin this rule; narrowing it is a decision for whoever owns the group's law.
    """
    return bool(record["category"] != "NONE" or record["compulsory_months"] > 0)


def grant_funeral_allowance(
    handoff: records.FuneralAllowanceHandoff,
    entry: BenefitEntry | None,
    counters: Counters,
    ctx: AgencyContext,
) -> Decision:
    """Grant the funeral allowance to the declarant, or refuse an ineligible category; the
    same answer again for a redelivery."""
    schema = "FuneralAllowanceGranted"
    known = prior(FUNERAL, schema, handoff, entry, _funeral_fields)
    if known is not None:
        return known
    if not funeral_eligible(handoff["record"]):
        return rejection(FUNERAL, handoff, ctx.now, *NOT_ELIGIBLE)
    issued = _numbered(FUNERAL, handoff, ctx)
    issued["category"] = handoff["record"]["category"]
    issued["paid_to"] = handoff["declarant"]["full_name"]
    return granted(FUNERAL, schema, handoff, issued, _funeral_fields)


def grant_survivor_benefit(
    handoff: records.SurvivorBenefitHandoff,
    entry: BenefitEntry | None,
    counters: Counters,
    ctx: AgencyContext,
) -> Decision:
    """Grant the survivor benefit to the named relative, or refuse without a record; the same
    answer again for a redelivery."""
    schema = "SurvivorBenefitGranted"
    known = prior(SURVIVOR, schema, handoff, entry, _survivor_fields)
    if known is not None:
        return known
    if not survivor_eligible(handoff["record"]):
        return rejection(SURVIVOR, handoff, ctx.now, *NO_RECORD)
    beneficiary = handoff["beneficiary"]
    issued = _numbered(SURVIVOR, handoff, ctx)
    issued["beneficiary_name"] = beneficiary["full_name"]
    issued["beneficiary_personal_id"] = beneficiary["personal_id"]
    return granted(SURVIVOR, schema, handoff, issued, _survivor_fields)


def _numbered(step: str, handoff: records.Event, ctx: AgencyContext) -> BenefitEntry:
    """A granted benefit's entry with its decision number (the same for the same dossier)."""
    dossier_id = handoff["meta"]["dossier_id"]
    digest = hashlib.sha256(f"{step}:{dossier_id}".encode()).hexdigest()[:10].upper()
    prefix = "MT" if step == FUNERAL else "TT"
    return {
        "outcome": "issued",
        "dossier_id": dossier_id,
        "at": ctx.now.isoformat(),
        "decision_number": f"{prefix}-{digest}",
    }


def _funeral_fields(entry: BenefitEntry) -> FuneralFields:
    return {
        "decision_number": entry["decision_number"],
        "category": entry["category"],
        "paid_to": entry["paid_to"],
    }


def _survivor_fields(entry: BenefitEntry) -> SurvivorFields:
    return {
        "decision_number": entry["decision_number"],
        "beneficiary_name": entry["beneficiary_name"],
        "beneficiary_personal_id": entry["beneficiary_personal_id"],
    }
