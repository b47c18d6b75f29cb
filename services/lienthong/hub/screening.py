"""Every event the hub reads besides the submissions, screened field by field against its
limits before a decision sees it (text in NFC, bounded, free of invisible characters)."""

from __future__ import annotations

from collections.abc import Mapping

from lienthong import limits
from lienthong.domain.screening import Limit, screen_fields
from lienthong.errors import ValidationFailed
from lienthong.groups.registry import GROUPS, all_steps
from lienthong.limits import ADDRESS, CODE, DOSSIER_ID, NOTE, Items

# -- Events other than the submission ----------------------------------------------------------

#: The identifiers in every event's metadata.
META: dict[str, Limit] = {"meta.dossier_id": DOSSIER_ID, "meta.producer": CODE}
#: The text of each event every group shares, by dotted path; each step declares its results'
#: (``StepSpec.result_text``). Internal events (the hub's own DeadlineCheck) carry none.
COMMON_TEXT: dict[str, dict[str, Limit]] = {
    "DossierSupplemented": {"documents": Items(limits.MAX_DOCUMENTS, ADDRESS), "note": NOTE},
    "DossierWithdrawn": {"reason": NOTE},
    "StepRejected": {"reason_code": CODE, "reason": NOTE},
    "SupplementRequested": {"missing": Items(limits.MAX_DOCUMENTS, ADDRESS), "message": NOTE},
    "DeadlineExtended": {"apology": NOTE},
    "CorrectionRequested": {"reason": NOTE},
    "StepDeferred": {"waiting_for": CODE, "message": NOTE},
    "SatisfactionGiven": {"lookup_code": CODE},
}
#: The text of each event the hub reads besides the submissions, by dotted path.
EVENT_TEXT: dict[str, dict[str, Limit]] = {
    **COMMON_TEXT,
    **{
        name: dict(text) for spec in all_steps().values() for name, text in spec.result_text.items()
    },
    **{g.notice.event: dict(g.notice.text) for g in GROUPS.values() if g.notice is not None},
}


def screen_event(name: str, event: Mapping[str, object]) -> Mapping[str, object]:
    """The event with its text in NFC; ``ValidationFailed`` names every field over a limit.

    A submission passes unchanged: its group's intake rules apply its limits, and its
    refusal is a rejection the citizen is told of, not a dead letter.
    """
    fields = EVENT_TEXT.get(name)
    if fields is None:
        return event
    screened = dict(event)  # copied along the declared paths only: the caller's stays as it was
    reasons = screen_fields(screened, {**META, **fields})
    if reasons:
        raise ValidationFailed(reasons)
    return screened
