"""Birth registration (Law on Civil Status 2014, art. 16; Decree 63/2024 on interconnection).

The civil-status officer registers the birth on the same working day when the declaration is
complete and agrees with the hospital's birth certificate, and the birth is not registered yet.
Twins and triplets share mother, date and place of birth: only the certificate code tells them
apart, so that code, never the mother and date, is the duplicate key.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from lienthong import units
from lienthong.agency import AgencyContext, Decision, completion, rejection, replay
from lienthong.allocation import Counters, sharded, spread
from lienthong.identifiers import birth_certificate_year, personal_id

STEP = "civil_registry"
Record = dict[str, Any]


def register_key(handoff: Record) -> str:
    """The register is keyed by the birth certificate code: one certificate, one registration."""
    return str(handoff["birth_certificate"]["code"])


def full_name(child: Record) -> str:
    return " ".join(
        p for p in (child["family_name"], child["middle_name"], child["given_name"]) if p
    )


def _mismatch(handoff: Record, born_on: dt.date) -> str | None:
    certificate, child = handoff["birth_certificate"], handoff["child"]
    if birth_certificate_year(certificate["code"]) % 100 != born_on.year % 100:
        return "The birth certificate's year does not match the child's year of birth."
    if certificate["issued_on"] < born_on:
        return "The birth certificate is dated before the child's birth."
    if certificate["facility"].strip().casefold() != child["birth_facility"].strip().casefold():
        return "The place of birth differs from the facility that issued the birth certificate."
    return None


def register_birth(
    handoff: Record, entry: Record | None, counters: Counters, ctx: AgencyContext
) -> Decision:
    """Register the birth, or refuse it with a reason; a redelivery yields the same result."""
    dossier_id = handoff["meta"]["dossier_id"]
    if entry is not None and entry["dossier_id"] == dossier_id:
        return replay(STEP, "BirthRegistered", handoff, entry, _fields)
    if entry is not None and entry.get("outcome") == "registered":
        return Decision(
            rejection(
                STEP,
                handoff,
                ctx.now,
                "duplicate_birth",
                f"This birth is already registered: birth certificate {register_key(handoff)} "
                f"was registered with dossier {entry['dossier_id']}.",
            ).outputs
        )
    born_on = ctx.calendar.local_date(handoff["child"]["born_at"])
    problem = _mismatch(handoff, born_on)
    if problem:
        return rejection(STEP, handoff, ctx.now, "certificate_mismatch", problem)
    commune = handoff["registering_commune"]
    info = units.commune(commune)
    province = info.province_code if info else commune[:2]
    year = ctx.calendar.local_date(ctx.now).year
    number = (
        sharded(
            counters.next(f"reg:{commune}:{year}:{ctx.partition}"), ctx.partition, ctx.partitions
        )
        + 1
    )
    sex = handoff["child"]["sex"]
    century = 2 * ((born_on.year - 1900) // 100) + (sex == "FEMALE")
    serial_key = f"pin:{province}:{century}:{born_on.year % 100:02d}:{ctx.partition}"
    serial = spread(sharded(counters.next(serial_key), ctx.partition, ctx.partitions), 6)
    entry = {
        "outcome": "registered",
        "dossier_id": dossier_id,
        "at": ctx.now.isoformat(),
        "registration_number": f"{number:06d}/{year}/KS-{commune}",
        "registered_on": ctx.calendar.local_date(ctx.now).isoformat(),
        "personal_id": personal_id(province, sex, born_on.year, serial),
        "full_name": full_name(handoff["child"]),
        "born_at": handoff["child"]["born_at"].isoformat(),
        "sex": sex,
        "extract_ref": f"TLKS-{commune}-{year}-{number:06d}",
    }
    event = completion(STEP, "BirthRegistered", handoff, ctx.now, **_fields(entry))
    return Decision([event], entry)


def _fields(entry: Record) -> Record:
    return {
        "registration_number": entry["registration_number"],
        "registered_on": dt.date.fromisoformat(entry["registered_on"]),
        "child": {
            "full_name": entry["full_name"],
            "born_at": dt.datetime.fromisoformat(entry["born_at"]),
            "sex": entry["sex"],
            "personal_id": entry["personal_id"],
        },
        "extract_ref": entry["extract_ref"],
    }
