"""A dossier as its citizen may see it: the lookup check and the JSON behind the status page."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from lienthong.groups.registry import GROUPS
from lienthong.hub.pages.text import PROCEDURES
from lienthong.hub.state import TERMINAL_STEP, DossierState, StepState
from lienthong.hub.steps import dossier_id_of_receipt
from lienthong.limits import DOSSIER_ID, DOSSIER_ID_CHARS
from lienthong.lookup import Keyring

Json = dict[str, Any]
#: What a receipt number may look like (``TN-`` and a dossier id, as intake accepts it);
#: anything else is answered like an unknown dossier.
RECEIPT_PATTERN = re.compile(f"TN-{DOSSIER_ID_CHARS}{{1,{DOSSIER_ID.max_chars}}}")
#: A supplement's fields on ``StepState``, read by name when present (the state may evolve).
SUPPLEMENT_DEADLINE = ("respond_by", "supplement_deadline")
SUPPLEMENT_MISSING = ("supplement_missing",)
SUPPLEMENT_MESSAGE = ("supplement_message",)


def find(
    load: Callable[[str], DossierState | None], receipt: str, code: str | None, keys: Keyring
) -> DossierState | None:
    """The dossier when the receipt and its lookup code match; None in every other case.

    An unknown receipt and a wrong code must be indistinguishable, also in time: the code is
    checked first (the same work for any receipt), and the table is read only when it matches,
    so neither path ever touches a stored dossier.
    """
    dossier_id = dossier_id_of_receipt(receipt)
    if not keys.verify(dossier_id, code) or not RECEIPT_PATTERN.fullmatch(receipt):
        return None
    state = load(dossier_id)
    if state is None or state.receipt_number != receipt or not state.lookup_code:
        return None  # refused at intake: no receipt was ever issued
    return state


def _iso(at: dt.datetime | dt.date | None) -> str | None:
    return None if at is None else at.isoformat()


def _first(data: Json, names: tuple[str, ...]) -> Any:
    return next((data[n] for n in names if data.get(n) not in (None, "", [])), None)


def supplement_action(step: StepState) -> Json | None:
    """What the citizen must send for a step waiting for a supplement (fields as available)."""
    if step.phase != "supplement":
        return None
    data = step.model_dump(mode="json")
    missing = _first(data, SUPPLEMENT_MISSING) or []
    return {
        "kind": "supplement",
        "deadline": _first(data, SUPPLEMENT_DEADLINE),
        "missing": [str(m) for m in missing] if isinstance(missing, list) else [str(missing)],
        "message": _first(data, SUPPLEMENT_MESSAGE) or step.reason,
    }


def step_view(state: DossierState, name: str, now: dt.datetime) -> Json:
    step = state.steps[name]
    spec = GROUPS[state.group].steps.get(name) if state.group in GROUPS else None
    data = step.model_dump(mode="json")
    due = data.get("extended_due_at") or data.get("due_at")
    overdue = (
        step.phase not in TERMINAL_STEP
        and step.phase != "supplement"
        and due is not None
        and now > dt.datetime.fromisoformat(due)
    )
    return {
        "step": name,
        "procedure": PROCEDURES.get(name, {"vi": name, "en": name}),
        "agency": {
            "vi": spec.agency_vi if spec else name,
            "en": spec.agency if spec else name,
        },
        "state": step.phase,
        "handed_off_at": _iso(step.handed_off_at),
        "finished_at": _iso(step.finished_at),
        "result_ref": step.result_ref,
        "reason": step.reason,
        "due_at": due,
        "extended": bool(data.get("extended_due_at")),
        "on_time": step.on_time,
        "overdue": overdue,
        "action": supplement_action(step),
        "awaiting": data.get("awaiting"),
    }


def dossier_view(state: DossierState, now: dt.datetime) -> Json:
    """The JSON of ``GET /api/dossiers/{receipt}``: no personal data, only the dossier's path."""
    names = [s for s in state.procedures if s in state.steps] or list(state.steps)
    steps = [step_view(state, name, now) for name in names]
    is_open = state.phase == "open"
    return {
        "receipt_number": state.receipt_number,
        "group": state.group,
        "version": state.version or None,
        "phase": state.phase,
        "outcome": state.outcome,
        "submitted_at": _iso(state.submitted_at),
        "received_on": _iso(state.received_on),
        "due_at": _iso(state.due_at),
        "finished_at": _iso(state.finished_at),
        "on_time": state.on_time,
        "deadline": {
            "statutory_days": state.statutory_days,
            "days": state.deadline_days,
            "decision": state.deadline_decision,
        },
        "overdue": bool(is_open and state.due_at is not None and now > state.due_at),
        "steps": steps,
        "actions": [{"step": s["step"], **s["action"]} for s in steps if s["action"]],
        "as_of": now.isoformat(),
    }
