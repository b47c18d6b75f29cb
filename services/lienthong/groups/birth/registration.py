"""Birth registration (Law on Civil Status 2014, art. 16; Decree 63/2024 on interconnection).

The civil-status officer registers the birth on the same working day when the declaration is
complete and agrees with the hospital's birth certificate, and the birth is not registered yet.
Twins and triplets share mother, date and place of birth: only the certificate code tells them
apart, so that code, never the mother and date, is the duplicate key.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import TypedDict

from lienthong.contracts import records
from lienthong.contracts.events import Envelope
from lienthong.domain import units
from lienthong.domain.agency import (
    AgencyContext,
    Cause,
    Decision,
    Entry,
    ask,
    backoff,
    completion,
    first_retry,
    prior,
    rejection,
    retried,
    retry_due,
)
from lienthong.domain.allocation import Counters, sharded, spread
from lienthong.domain.identifiers import birth_certificate_year
from lienthong.domain.population import PopulationUnavailable
from lienthong.limits import clip

STEP = "civil_registry"


class RegistrationEntry(Entry, total=False):
    """The civil registry's entry for one birth certificate (besides the common keys)."""

    registration_number: str
    registered_on: str
    province: str
    serial: int
    born_on: str
    full_name: str
    born_at: str
    sex: str
    extract_ref: str
    personal_id: str
    pending_at_registration: bool
    issued_at: str
    #: When each correcting handoff (by event id) was acted on.
    corrections: dict[str, str]


class RegisteredFields(TypedDict):
    """A ``BirthRegistered``'s fields (but its meta), rebuilt from the entry."""

    registration_number: str
    registered_on: dt.date
    child: records.ChildIdentity
    extract_ref: str
    personal_id_pending: bool


#: What the officer asks for when the hospital's certificate is replaced by another document.
MISSING_CERTIFICATE = (
    "A written confirmation of the birth (văn bản xác nhận việc sinh) signed by a witness, "
    "since there is no hospital birth certificate"
)


def certificate_key(event: records.CivilRegistryHandoff | records.HandoffCancelled) -> str:
    """The register is keyed by the birth certificate code: one certificate, one registration
    (from the handoff, or from a cancellation: its ``register_key``, or the field hubs before
    0.4.0 wrote)."""
    if event.get("register_key"):
        return str(event.get("register_key"))
    if "step" not in event:  # the handoff (a cancellation names its step)
        return event["birth_certificate"]["code"]
    return str(event.get("birth_certificate_code"))


def full_name(child: records.Child) -> str:
    return " ".join(
        p for p in (child["family_name"], child.get("middle_name"), child["given_name"]) if p
    )


def _mismatch(handoff: records.CivilRegistryHandoff, born_on: dt.date) -> str | None:
    certificate, child = handoff["birth_certificate"], handoff["child"]
    if birth_certificate_year(certificate["code"]) % 100 != born_on.year % 100:
        return "The birth certificate's year does not match the child's year of birth."
    if certificate["issued_on"] < born_on:
        return "The birth certificate is dated before the child's birth."
    if certificate["facility"].strip().casefold() != child["birth_facility"].strip().casefold():
        return "The place of birth differs from the facility that issued the birth certificate."
    return None


def register_birth(
    handoff: records.CivilRegistryHandoff,
    entry: RegistrationEntry | None,
    counters: Counters,
    ctx: AgencyContext,
) -> Decision:
    """Register the birth, or refuse it with a reason; a redelivery yields the same result."""
    dossier_id = handoff["meta"]["dossier_id"]
    if handoff.get("correction") and entry and entry.get("dossier_id") == dossier_id:
        return _correct(handoff, entry, ctx)
    known = prior(STEP, "BirthRegistered", handoff, entry, _fields)
    if known is not None:
        if entry and entry.get("issued_at"):
            known.outputs.append(_issued(entry))
        return known
    if entry is not None and entry.get("outcome") == "registered":
        return Decision(
            rejection(
                STEP,
                handoff,
                ctx.now,
                "duplicate_birth",
                f"This birth is already registered: birth certificate "
                f"{clip(certificate_key(handoff))} was used by an earlier dossier. Ask the civil "
                "registry office for a copy.",
                duplicate_of=str(entry["dossier_id"]),
            ).outputs
        )
    born_on = ctx.calendar.local_date(handoff["child"]["born_at"])
    problem = _mismatch(handoff, born_on)
    if problem:
        return rejection(STEP, handoff, ctx.now, "certificate_mismatch", problem)
    if handoff["birth_certificate"].get("replaced_by") and not handoff.get("supplement"):
        message = f"Please supply: {MISSING_CERTIFICATE}."
        return ask(
            STEP,
            "SupplementRequested",
            handoff,
            ctx.now,
            "supplement",
            step=STEP,
            missing=[MISSING_CERTIFICATE],
            message=message,
        )
    return _register(handoff, counters, ctx, born_on)


def _register(
    handoff: records.CivilRegistryHandoff, counters: Counters, ctx: AgencyContext, born_on: dt.date
) -> Decision:
    commune = handoff["registering_commune"]
    info = units.commune(commune)
    province = info.province_code if info else commune[:2]
    year = ctx.calendar.local_date(ctx.now).year
    counter = counters.next(f"reg:{commune}:{year}:{ctx.partition}")
    number = sharded(counter, ctx.partition, ctx.partitions) + 1
    sex = handoff["child"]["sex"]
    century = 2 * ((born_on.year - 1900) // 100) + (sex == "FEMALE")
    serial_key = f"pin:{province}:{century}:{born_on.year % 100:02d}:{ctx.partition}"
    serial = spread(sharded(counters.next(serial_key), ctx.partition, ctx.partitions), 6)
    entry: RegistrationEntry = {
        "outcome": "registered",
        "dossier_id": handoff["meta"]["dossier_id"],
        "handoff_event_id": str(handoff["meta"]["event_id"]),
        "at": ctx.now.isoformat(),
        "registration_number": f"{number:06d}/{year}/KS-{commune}",
        "registered_on": ctx.calendar.local_date(ctx.now).isoformat(),
        "province": province,
        "serial": serial,
        "born_on": born_on.isoformat(),
        "full_name": full_name(handoff["child"]),
        "born_at": handoff["child"]["born_at"].isoformat(),
        "sex": sex,
        "extract_ref": f"TLKS-{commune}-{year}-{number:06d}",
        "personal_id": "",
        "attempts": 1,
    }
    try:
        entry["personal_id"] = _issue(entry, ctx)
    except PopulationUnavailable:
        entry["pending"] = True
        entry["pending_at_registration"] = True
        entry["next_retry_at"] = first_retry(ctx)
    event = completion(STEP, "BirthRegistered", handoff, ctx.now, **_fields(entry))
    return Decision([event], entry)


def _issue(entry: RegistrationEntry, ctx: AgencyContext, *, correcting: bool = False) -> str:
    return ctx.population.issue(
        entry["dossier_id"],
        entry["province"],
        entry["sex"],
        dt.date.fromisoformat(entry["born_on"]),
        int(entry["serial"]),
        ctx.now,
        correcting=correcting,
    )


def retry_personal_id(
    retry: records.WaitingRetry,
    entry: RegistrationEntry | None,
    counters: Counters,
    ctx: AgencyContext,
) -> Decision:
    """Ask the population database again for a pending number, with growing delays."""
    if entry is None or not retry_due(entry, ctx):
        return Decision([])
    entry = retried(entry)
    try:
        entry["personal_id"] = _issue(entry, ctx)
    except PopulationUnavailable:
        return Decision([], backoff(entry, ctx))
    entry.pop("pending")
    entry["issued_at"] = ctx.now.isoformat()
    return Decision([_issued(entry)], entry)


def _origin(entry: RegistrationEntry) -> Cause:
    """The registration handoff's identity, enough to derive the ids of its consequences."""
    return {"meta": {"dossier_id": entry["dossier_id"], "event_id": entry["handoff_event_id"]}}


def _issued(entry: RegistrationEntry) -> Envelope:
    fields = _fields(entry)
    at = dt.datetime.fromisoformat(entry["issued_at"])
    return completion(
        STEP,
        "PersonalIdIssued",
        _origin(entry),
        at,
        registration_number=fields["registration_number"],
        child={**fields["child"], "personal_id": entry["personal_id"]},
        attempts=int(entry["attempts"]),
    )


def _correct(
    handoff: records.CivilRegistryHandoff, entry: RegistrationEntry, ctx: AgencyContext
) -> Decision:
    """A later agency returned the dossier: re-check with the population data, re-issue."""
    handoff_id = str(handoff["meta"]["event_id"])
    corrections = dict(entry.get("corrections") or {})
    if handoff_id not in corrections:
        entry = copy.copy(entry)
        entry["personal_id"] = _issue(entry, ctx, correcting=True)
        corrections[handoff_id] = ctx.now.isoformat()
        entry["corrections"] = corrections
        entry["pending_at_registration"] = entry.get("pending_at_registration", False)
    at = dt.datetime.fromisoformat(corrections[handoff_id])
    fields = _fields(entry)
    fields["personal_id_pending"] = False
    fields["child"] = {**fields["child"], "personal_id": entry["personal_id"]}
    return Decision([completion(STEP, "BirthRegistered", handoff, at, **fields)], entry)


def _fields(entry: RegistrationEntry) -> RegisteredFields:
    pending = bool(entry.get("pending") or entry.get("pending_at_registration"))
    return {
        "registration_number": entry["registration_number"],
        "registered_on": dt.date.fromisoformat(entry["registered_on"]),
        "child": {
            "full_name": entry["full_name"],
            "born_at": dt.datetime.fromisoformat(entry["born_at"]),
            "sex": entry["sex"],
            "personal_id": "" if pending else entry["personal_id"],
        },
        "extract_ref": entry["extract_ref"],
        "personal_id_pending": pending,
    }
