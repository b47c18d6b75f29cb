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
from collections.abc import Callable
from typing import Any

from lienthong.domain.agency import AgencyContext, Decision, granted, prior, rejection
from lienthong.domain.allocation import Counters

FUNERAL, SURVIVOR = "funeral_allowance", "survivor_benefit"
Record = dict[str, Any]

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
#: The result fields of each benefit's completion event (kept in the register entry).
FIELDS = {
    FUNERAL: ("decision_number", "category", "paid_to"),
    SURVIVOR: ("decision_number", "beneficiary_name", "beneficiary_personal_id"),
}


def funeral_eligible(record: Record) -> bool:
    """Whether the deceased's category (and contributions) give the funeral allowance."""
    category = record["category"]
    months: int = record["compulsory_months"]
    return category in ALWAYS_ELIGIBLE or (
        category in ELIGIBLE_WITH_MONTHS and months >= MIN_MONTHS
    )


def survivor_eligible(record: Record) -> bool:
    """Whether the deceased left a record a survivor benefit can be paid from.

    Broader than art. 69 of the 2014 law as the domain notes read it (the relatives of the
    people art. 66(1) lists, i.e. ``funeral_eligible``): a deceased with 1-11 months of
    contributions is refused the funeral allowance but granted this. The existing scenarios
    pin this rule; narrowing it is a decision for whoever owns the group's law.
    """
    return bool(record["category"] != "NONE" or record["compulsory_months"] > 0)


def grant_funeral_allowance(
    handoff: Record, entry: Record | None, counters: Counters, ctx: AgencyContext
) -> Decision:
    """Grant the funeral allowance to the declarant, or refuse an ineligible category."""
    result = {"category": handoff["record"]["category"]}
    result["paid_to"] = handoff["declarant"]["full_name"]
    eligible = funeral_eligible(handoff["record"])
    return _decide(FUNERAL, "FuneralAllowanceGranted", handoff, entry, ctx, eligible, result)


def grant_survivor_benefit(
    handoff: Record, entry: Record | None, counters: Counters, ctx: AgencyContext
) -> Decision:
    """Grant the survivor benefit to the named relative, or refuse without a record."""
    beneficiary = handoff["beneficiary"]
    result = {"beneficiary_name": beneficiary["full_name"]}
    result["beneficiary_personal_id"] = beneficiary["personal_id"]
    eligible = survivor_eligible(handoff["record"])
    return _decide(SURVIVOR, "SurvivorBenefitGranted", handoff, entry, ctx, eligible, result)


def _decide(
    step: str,
    schema: str,
    handoff: Record,
    entry: Record | None,
    ctx: AgencyContext,
    eligible: bool,
    result: Record,
) -> Decision:
    """One benefit: the same answer again for a redelivery, a refusal, or a numbered decision."""
    fields = _fields(step)
    known = prior(step, schema, handoff, entry, fields)
    if known is not None:
        return known
    if not eligible:
        code, reason = NOT_ELIGIBLE if step == FUNERAL else NO_RECORD
        return rejection(step, handoff, ctx.now, code, reason)
    dossier_id = handoff["meta"]["dossier_id"]
    digest = hashlib.sha256(f"{step}:{dossier_id}".encode()).hexdigest()[:10].upper()
    prefix = "MT" if step == FUNERAL else "TT"
    entry = {
        "outcome": "issued",
        "dossier_id": dossier_id,
        "at": ctx.now.isoformat(),
        "decision_number": f"{prefix}-{digest}",
        **result,
    }
    return granted(step, schema, handoff, entry, fields)


def _fields(step: str) -> Callable[[Record], Record]:
    return lambda entry: {name: entry[name] for name in FIELDS[step]}
