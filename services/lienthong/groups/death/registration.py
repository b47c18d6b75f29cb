"""Death registration (Law on Civil Status 2014, art. 32-34; Decree 63/2024 on interconnection).

The civil-status officer registers the death when the declaration agrees with the deceased's
personal ID (its sex and birth-year digits) and the person is not registered dead already, issues
the death extract (trích lục khai tử), and marks the personal ID as deceased in the National
Population Database. One person, one death: the register is keyed by the personal ID, so a second
dossier for the same person is a duplicate, refused without naming anything about the first.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from lienthong.domain.agency import AgencyContext, Decision, granted, prior, rejection
from lienthong.domain.allocation import Counters, sharded
from lienthong.domain.identifiers import personal_id_birth_year, personal_id_sex

STEP = "death_registration"
Record = dict[str, Any]


def _mismatch(deceased: Record) -> str | None:
    pid = deceased["personal_id"]
    if personal_id_sex(pid) != deceased["sex"]:
        return "The personal ID number records another sex than the declaration."
    if personal_id_birth_year(pid) != deceased["born_on"].year:
        return "The personal ID number records another year of birth than the declaration."
    return None


def register_death(
    handoff: Record, entry: Record | None, counters: Counters, ctx: AgencyContext
) -> Decision:
    """Register the death, or refuse it with a reason; a redelivery yields the same result."""
    known = prior(STEP, "DeathRegistered", handoff, entry, _fields)
    if known is not None:
        return known
    deceased = handoff["deceased_person"]
    pid = deceased["personal_id"]
    if (entry is not None and entry.get("outcome") == "registered") or ctx.population.deceased_on(
        pid
    ):
        return Decision(
            rejection(
                STEP,
                handoff,
                ctx.now,
                "duplicate_death",
                "This death is already registered. Ask the commune for a copy of the death "
                "extract.",
                duplicate_of=str(entry["dossier_id"]) if entry else None,
            ).outputs
        )
    problem = _mismatch(deceased)
    if problem:
        return rejection(STEP, handoff, ctx.now, "identity_mismatch", problem)
    commune = handoff["registering_commune"]
    year = ctx.calendar.local_date(ctx.now).year
    counter = counters.next(f"death:{commune}:{year}:{ctx.partition}")
    number = sharded(counter, ctx.partition, ctx.partitions) + 1
    died_at: dt.datetime = deceased["died_at"]
    ctx.population.mark_deceased(pid, ctx.calendar.local_date(died_at))
    entry = {
        "outcome": "registered",
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


def _fields(entry: Record) -> Record:
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
