"""A family's own filing matched to a facility's notice by the certificate it names.

The portal picks its own dossier id; the notice's dossier is keyed by its certificate. The two
meet in one partition by two hops through the hub's inbox (the header says which hop):

1. a filing whose group declares a notice, naming a certificate whose notice dossier is another
   id, goes first to that dossier's partition (``notice``);
2. there, a dossier waiting for its family takes the filing (or already holds the child): the
   filing's own id is told so and opens nothing; with no such dossier it goes back (``family``),
   leaving a mark under the certificate's dossier id, so that a notice arriving later for the
   same child opens nothing more;
3. to its own partition, where it opens as any filing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from lienthong import topics
from lienthong.contracts.events import Envelope, metadata
from lienthong.groups.registry import GROUPS
from lienthong.hub.state import DossierState

#: The header a matched filing carries through the inbox: which hop it is on.
CLAIM_HEADER = "lienthong-claim"
TO_NOTICE, BACK_TO_FAMILY = b"notice", b"family"
#: The reason the family's own dossier id is told it opened nothing.
SAME_CHILD = "same_child_as_notice"
#: The outcome of the mark a family's own filing leaves under its certificate's dossier id.
FILED_BY_FAMILY = "FILED_BY_FAMILY"


def notice_dossier(
    name: str, record: Mapping[str, Any], at: dt.datetime, in_force: dt.date
) -> str | None:
    """The notice dossier a fresh filing must visit first (None: it opens as it is)."""
    for group in GROUPS.values():
        if group.submission != name or group.name != record.get("group", group.name):
            continue
        if group.notice is None or at.date() < in_force:
            return None
        claimed = group.notice.claims(record)
        return claimed if claimed != record["meta"]["dossier_id"] else None
    return None


def takes(state: DossierState | None) -> bool:
    """Whether the notice's dossier takes the family's filing (or holds its child already)."""
    return state is not None and state.path == "facility" and state.outcome != "NOT_COMPLETED"


def same_child(state: DossierState, record: Mapping[str, Any], at: dt.datetime) -> Envelope:
    """What the filing's own dossier id is told: the child's dossier is the notice's (or, when
    the intake rules refused the filing, why; the notice's dossier still waits)."""
    filed_as = str(record["meta"]["dossier_id"])
    cause = str(record["meta"]["event_id"])
    meta = metadata("DossierRejected", filed_as, "hub", at, cause)
    message = (
        f"This child's dossier was opened from the health facility's notice: follow "
        f"{state.receipt_number}; this filing completed it (or found it complete)."
    )
    reasons: list[dict[str, str]] = [
        {"field": "birth_certificate.code", "code": SAME_CHILD, "message": message}
    ]
    if state.phase == "awaiting_family":
        reasons = state.rejection
    return Envelope(topics.STATUS, "DossierRejected", {"meta": meta, "reasons": reasons})


def filed_by_family(notice_id: str, record: Mapping[str, Any], at: dt.datetime) -> DossierState:
    """The mark a family's filing leaves where its notice's dossier would be: closed (no page,
    no receipt, retired like any closed dossier), naming the id the family filed under."""
    group = next(g.name for g in GROUPS.values() if g.name == record.get("group", g.name))
    mark = DossierState(dossier_id=notice_id, group=group, phase="rejected", finished_at=at)
    mark.outcome = FILED_BY_FAMILY
    mark.remember(str(record["meta"]["event_id"]))
    mark.note(at, "filed_by_family", detail=str(record["meta"]["dossier_id"]))
    return mark
