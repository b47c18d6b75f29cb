"""Death registration (Law on Civil Status 2014, arts. 33-34; Decree 63/2024 on interconnection).

The civil-status officer first looks the deceased's personal ID up in the National Population
Database: an ID it never issued is refused with a reason the family understands; while the
database cannot answer, the step waits visibly (a ``StepDeferred`` the hub shows) and the
registry's timer asks again with growing delays, as it does for a birth's pending ID number.
Then the officer registers the death when the declaration agrees with the personal ID (its sex
and birth-year digits) and the person is not registered dead already, issues the death extract
(trích lục khai tử), and marks the personal ID as deceased in the population database. One
person, one death: the register is keyed by the personal ID, so a second dossier for the same
person is a duplicate, refused without naming anything about the first.

A withdrawal the hub accepted leaves nothing standing (``cancel_death_registration``).
"""

from __future__ import annotations

import datetime as dt
from typing import TypedDict

from lienthong.contracts import records
from lienthong.domain.agency import (
    AgencyContext,
    Cause,
    Decision,
    Entry,
    backoff,
    cancel,
    defer,
    granted,
    prior,
    rejection,
    retried,
    retry_due,
)
from lienthong.domain.allocation import Counters, sharded
from lienthong.domain.identifiers import personal_id_birth_year, personal_id_sex
from lienthong.domain.population import PopulationUnavailable

STEP = "death_registration"


class KeptDeceased(TypedDict):
    """The deceased as a waiting entry keeps them (dates as ISO text)."""

    personal_id: str
    full_name: str
    sex: str
    born_on: str
    died_at: str


class WaitingEntry(Entry, total=False):
    """The civil registry's entry while the population database does not answer: what the
    registration will need."""

    registering_commune: str
    personal_id: str
    deceased: KeptDeceased


class DeathEntry(WaitingEntry, total=False):
    """The civil registry's entry for one deceased (besides the common keys)."""

    full_name: str
    died_at: str
    death_extract_number: str
    registered_on: str


class DeclaredDeceased(TypedDict):
    """What registering a death reads of the deceased (a ``Deceased`` is one)."""

    personal_id: str
    full_name: str
    sex: str
    born_on: dt.date
    died_at: dt.datetime


class RegisteredFields(TypedDict):
    """A ``DeathRegistered``'s fields (but its meta), rebuilt from the entry."""

    death_extract_number: str
    registered_on: dt.date
    deceased: records.DeceasedIdentity


#: What the family reads while the population database cannot answer (Vietnamese, English).
WAITING = (
    "Cơ sở dữ liệu quốc gia về dân cư chưa phản hồi việc tra cứu số định danh cá nhân của "
    "người đã mất. Việc đăng ký khai tử tiếp tục ngay khi có phản hồi; bạn không cần làm gì. / "
    "The population database has not answered the look-up of the deceased's personal ID "
    "number yet. The death registration goes on as soon as it answers; nothing is needed "
    "from you."
)
#: The refusal of a personal ID the population database never issued (Vietnamese, English).
UNKNOWN_PERSON = (
    "unknown_person",
    "Số định danh cá nhân của người đã mất không có trong Cơ sở dữ liệu quốc gia về dân cư. "
    "Hãy kiểm tra lại số trên căn cước hoặc giấy tờ của người đã mất rồi nộp lại hồ sơ. / "
    "The deceased's personal ID number is not in the national population database. Check the "
    "number on the deceased's identity card or papers, then submit the dossier again.",
)
#: The register key of the population database's answer (the state's "waiting_for").
POPULATION_DATABASE = "population_database"


def deceased_key(event: records.DeathRegistrationHandoff | records.HandoffCancelled) -> str:
    """The register is keyed by the deceased's personal ID: one person, one death (from the
    handoff, or from a cancellation: its ``register_key``, or the field hubs before 0.4.0
    wrote)."""
    if event.get("register_key"):
        return str(event.get("register_key"))
    if "step" not in event:  # the handoff (a cancellation names its step)
        return f"death:{event['deceased_person']['personal_id']}"
    return f"death:{event.get('personal_id')}"


def _mismatch(deceased: records.Deceased) -> str | None:
    pid = deceased["personal_id"]
    if personal_id_sex(pid) != deceased["sex"]:
        return "The personal ID number records another sex than the declaration."
    if personal_id_birth_year(pid) != deceased["born_on"].year:
        return "The personal ID number records another year of birth than the declaration."
    return None


def register_death(
    handoff: records.DeathRegistrationHandoff,
    entry: DeathEntry | None,
    counters: Counters,
    ctx: AgencyContext,
) -> Decision:
    """Look the deceased up, then register the death, or refuse it with a reason; wait while
    the population database cannot answer; a redelivery yields the same result."""
    known = prior(STEP, "DeathRegistered", handoff, entry, _fields)
    if known is not None:
        return known
    deceased = handoff["deceased_person"]
    pid = deceased["personal_id"]
    if _other_dossier(handoff, entry, ("registered", "deferred")) or ctx.population.deceased_on(
        pid
    ):
        return _duplicate(handoff, entry, ctx)
    problem = _mismatch(deceased)
    if problem:
        return rejection(STEP, handoff, ctx.now, "identity_mismatch", problem)
    try:
        issued = ctx.population.look_up(pid, ctx.now)
    except PopulationUnavailable:
        return _wait(handoff, ctx)
    return _register(handoff, handoff["registering_commune"], deceased, issued, counters, ctx)


def retry_death_registration(
    retry: records.WaitingRetry, entry: DeathEntry | None, counters: Counters, ctx: AgencyContext
) -> Decision:
    """The registry's timer: look a waiting deceased up again; register when it answers."""
    if entry is None or not retry_due(entry, ctx):
        return Decision([])
    entry = retried(entry)
    deceased = _kept_deceased(entry)
    try:
        issued = ctx.population.look_up(deceased["personal_id"], ctx.now)
    except PopulationUnavailable:
        return Decision([], backoff(entry, ctx))
    origin = _origin(entry)
    return _register(origin, entry["registering_commune"], deceased, issued, counters, ctx)


def cancel_death_registration(
    cancelled: records.HandoffCancelled,
    entry: DeathEntry | None,
    counters: Counters,
    ctx: AgencyContext,
) -> Decision:
    """The citizen withdrew the dossier before its first step finished (the hub refuses it
    after), so nothing of it may stand. In this order:

    1. a look-up still waiting stops (the entry is marked cancelled: the timer no longer asks);
    2. a registration already made, even before the withdrawal, is revoked: its entry becomes
       ``revoked``, which no later dossier for the same death counts as a registration;
    3. the population database forgets the death it was told of, so the family's corrected
       dossier is not refused as a duplicate;
    4. the revocation is published (a StepRejected with code ``withdrawn``), visibly.
    """
    decision = cancel(STEP, cancelled, entry, ctx.now, revoke_decided=True)
    revoked = decision.entry is not None and decision.entry.get("outcome") == "revoked"
    if revoked and entry is not None:  # the revoked entry is this one, marked
        ctx.population.revoke_death(str(entry["personal_id"]))
    return decision


def _other_dossier(
    handoff: records.DeathRegistrationHandoff, entry: DeathEntry | None, outcomes: tuple[str, ...]
) -> bool:
    """Whether the register holds this person for another dossier, in one of ``outcomes``."""
    if entry is None or entry.get("dossier_id") == handoff["meta"]["dossier_id"]:
        return False
    return entry.get("outcome") in outcomes


def _duplicate(
    handoff: records.DeathRegistrationHandoff, entry: DeathEntry | None, ctx: AgencyContext
) -> Decision:
    """Refuse a second dossier for a death registered (or being registered) already; the
    register keeps the first."""
    reason = (
        "This death is already registered. Ask the commune for a copy of the death extract."
        if entry is None or entry.get("outcome") != "deferred"
        else "This death is already declared in another dossier, which the commune is "
        "processing; you will not need a second one."
    )
    other = str(entry["dossier_id"]) if entry else None
    refused = rejection(STEP, handoff, ctx.now, "duplicate_death", reason, duplicate_of=other)
    return Decision(refused.outputs)


def _wait(handoff: records.DeathRegistrationHandoff, ctx: AgencyContext) -> Decision:
    """Keep what the registration needs and wait for the population database."""
    decision = defer(STEP, handoff, ctx, POPULATION_DATABASE, WAITING)
    assert decision.entry is not None
    deceased = handoff["deceased_person"]
    entry: WaitingEntry = {
        **decision.entry,
        "registering_commune": handoff["registering_commune"],
        "personal_id": deceased["personal_id"],
        "deceased": {
            "personal_id": deceased["personal_id"],
            "full_name": deceased["full_name"],
            "sex": deceased["sex"],
            "born_on": deceased["born_on"].isoformat(),
            "died_at": deceased["died_at"].isoformat(),
        },
    }
    return Decision(decision.outputs, entry)


def _origin(entry: DeathEntry) -> Cause:
    """The handoff a waiting entry was deferred for (its consequences' ids derive from it)."""
    return {"meta": {"dossier_id": entry["dossier_id"], "event_id": entry["handoff_event_id"]}}


def _kept_deceased(entry: DeathEntry) -> DeclaredDeceased:
    """The deceased a waiting entry keeps, as the decision read them."""
    kept = entry["deceased"]
    return {
        **kept,
        "born_on": dt.date.fromisoformat(kept["born_on"]),
        "died_at": dt.datetime.fromisoformat(kept["died_at"]),
    }


def _register(
    handoff: records.DeathRegistrationHandoff | Cause,
    commune: str,
    deceased: DeclaredDeceased,
    issued: bool,
    counters: Counters,
    ctx: AgencyContext,
) -> Decision:
    """Register a deceased the population database knows; refuse one it never issued."""
    if not issued:
        return rejection(STEP, handoff, ctx.now, *UNKNOWN_PERSON)
    pid = deceased["personal_id"]
    year = ctx.calendar.local_date(ctx.now).year
    counter = counters.next(f"death:{commune}:{year}:{ctx.partition}")
    number = sharded(counter, ctx.partition, ctx.partitions) + 1
    died_at = deceased["died_at"]
    ctx.population.mark_deceased(pid, ctx.calendar.local_date(died_at))
    entry: DeathEntry = {
        "outcome": "registered",
        "step": STEP,
        "dossier_id": handoff["meta"]["dossier_id"],
        "handoff_event_id": str(handoff["meta"]["event_id"]),
        "at": ctx.now.isoformat(),
        "death_extract_number": f"{number:06d}/{year}/KT-{commune}",
        "registered_on": ctx.calendar.local_date(ctx.now).isoformat(),
        "personal_id": pid,
        "full_name": deceased["full_name"],
        "died_at": died_at.isoformat(),
    }
    return granted(STEP, "DeathRegistered", handoff, entry, _fields)


def _fields(entry: DeathEntry) -> RegisteredFields:
    return {
        "death_extract_number": entry["death_extract_number"],
        "registered_on": dt.date.fromisoformat(entry["registered_on"]),
        "deceased": {
            "personal_id": entry["personal_id"],
            "full_name": entry["full_name"],
            "died_at": dt.datetime.fromisoformat(entry["died_at"]),
            "death_extract_number": entry["death_extract_number"],
        },
    }
