"""The citizen's one answer on a finished dossier: authorised by the lookup code, kept once."""

from __future__ import annotations

import datetime as dt
import hmac

from lienthong import topics
from lienthong.contracts import records
from lienthong.contracts.events import Envelope, metadata
from lienthong.hub.state import DossierState
from lienthong.hub.steps import Context, NotExpected, Result, open_event, status

#: The short list a dissatisfied citizen may pick from (Avro enum SatisfactionReason), in both
#: languages of the status page. No free text, so nothing personal is stored with an answer.
REASONS: dict[str, tuple[str, str]] = {
    "TOO_SLOW": ("Giải quyết chậm, trễ hẹn", "It took too long"),
    "UNCLEAR_GUIDANCE": ("Hướng dẫn chưa rõ ràng", "The guidance was unclear"),
    "TOO_MANY_DOCUMENTS": ("Phải nộp nhiều giấy tờ", "Too many documents were asked"),
    "RESULT_HAD_ERRORS": ("Kết quả có sai sót", "The result had errors"),
    "OTHER": ("Lý do khác", "Another reason"),
}


def reason_label(code: str, lang: str) -> str:
    """A reason in the page's language (vi or en)."""
    return REASONS[code][1 if lang == "en" else 0]


#: Who publishes the citizen's answer: the hub's own status page.
PRODUCER = "status-page"


def can_answer(state: DossierState) -> bool:
    """The question is asked once the dossier is finished, and only until it is answered."""
    return state.phase == "finished" and state.satisfied is None


def satisfaction_given(
    dossier_id: str, lookup_code: str, satisfied: bool, reason: str | None, at: dt.datetime
) -> Envelope:
    """The citizen's answer as the status page publishes it; its id depends on the dossier only,
    so a second answer is the same event and the hub keeps the first."""
    meta = metadata("SatisfactionGiven", dossier_id, PRODUCER, at, None)
    record: records.SatisfactionGiven = {
        "meta": meta,
        "lookup_code": lookup_code,
        "satisfied": satisfied,
        "reason": None if satisfied else reason,
    }
    # The page is part of the hub: it hands the answer to the hub's own topic, which the hub
    # reads co-partitioned with the dossier (a portal could later send the same on intake).
    return Envelope(topics.DEADLINES, "SatisfactionGiven", record)


def on_satisfaction_given(
    state: DossierState | None, event: records.SatisfactionGiven, ctx: Context
) -> Result:
    state, cause, fresh = open_event(state, event)
    if not fresh or state.satisfied is not None:
        return state, []
    if not hmac.compare_digest(str(event["lookup_code"]), state.lookup_code):
        raise NotExpected(f"dossier {state.dossier_id}: the answer's lookup code does not match")
    if state.phase != "finished":
        raise NotExpected(f"dossier {state.dossier_id} is not finished: it cannot be rated yet")
    state.satisfied = bool(event["satisfied"])
    state.satisfaction_reason = None if state.satisfied else event.get("reason")
    state.note(ctx.now, "satisfaction", detail="satisfied" if state.satisfied else "dissatisfied")
    answer = {"satisfied": state.satisfied, "reason": state.satisfaction_reason}
    about = {"group": state.group, "registering_commune": state.registering_commune}
    recorded = status(
        "SatisfactionRecorded", state, ctx, cause, **answer, **about, on_time=state.on_time
    )
    return state, [recorded]
