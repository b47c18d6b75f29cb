"""The agency's side of the official's desk: which handoffs wait for a person, and the
officials' commands (claim, release, approve, refuse, ask for a supplement) decided from the
register.

Every command is an input of the agency's checkpoint like a handoff: its decision is made from
the saved entry and saved before anything is published, so a double click, a retried request
or a crash between the decision and its publish yields the step's completion once (a command
seen again after it decided the case publishes the same events again, with the same ids).
A claim lapses by itself ``desk_claim_seconds`` after it was taken: the case is back in the
queue for whoever claims it next (no timer, nothing to lose).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any, cast

from lienthong.agencies.desk_case import (
    APPROVED,
    CANCELLED,
    CLAIMED,
    FINAL,
    REFUSED,
    REVIEW,
    SUPPLEMENT,
    WAITING,
    Audit,
    DeskEntry,
    DeskState,
    desk_of,
    handoff_of,
    holder,
    kept_handoff,
    snapshot,
    with_desk,
)
from lienthong.contracts import records
from lienthong.contracts.codec import Codec
from lienthong.contracts.events import meta_of
from lienthong.domain.agency import (
    WAITING_OUTCOMES,
    AgencyContext,
    Decision,
    Entry,
    ask,
    rejection,
)
from lienthong.domain.allocation import Counters
from lienthong.domain.review import Reason, policy_of, to_person
from lienthong.groups.registry import all_steps
from lienthong.limits import clip

ACTIONS = ("claim", "release", "approve", "refuse", "supplement")
#: A refusal's reason code when the official writes the reason.
WRITTEN = "other"
#: The longest reason an official may write.
REASON_CHARS = 500
#: The event type of an official's command (``topics.DESK_ACTION``).
DESK_ACTION = "DeskAction"


class Refused(Exception):
    """A command the case's state does not allow; the message says why (the official reads it)."""


class Desk:
    """The review layer of one agency deployable over its steps' declared decisions."""

    def __init__(self, name: str, steps: tuple[str, ...], codec: Codec, settings: Any) -> None:
        self.name = name
        self.codec = codec
        self.claim_seconds = float(settings.desk_claim_seconds)
        configured = settings.review_policies()
        self.specs = {step: all_steps()[step] for step in steps}
        self.policies = {
            step: policy_of(step, spec.review, configured) for step, spec in self.specs.items()
        }
        self.by_handoff = {spec.handoff: step for step, spec in self.specs.items()}

    def decide(
        self,
        by_code: Callable[[str, Any, Entry | None, Counters, AgencyContext], Decision],
        schema: str,
        record: Mapping[str, object],
        key: str,
        entry: Entry | None,
        counters: Counters,
        ctx: AgencyContext,
    ) -> Decision:
        """The decision on any event the agency reads: an official's command, a handoff the
        desk takes, else the step's declared decision (a withdrawal also tells the desk)."""
        if schema == DESK_ACTION:
            return self.on_action(cast(records.DeskAction, record), entry, counters, ctx)
        queued = self.on_handoff(schema, record, key, entry, ctx.now)
        if queued is not None:
            return queued
        decision = by_code(schema, record, entry, counters, ctx)
        if schema == "HandoffCancelled":
            return self.after_cancel(key, entry, decision, ctx.now)
        return decision

    # -- a handoff ------------------------------------------------------------------------
    def on_handoff(
        self, schema: str, handoff: Mapping[str, object], key: str, entry: Entry | None, now: Any
    ) -> Decision | None:
        """A handoff the desk takes (queued, or repeated while queued); None: decide by code."""
        step = self.by_handoff.get(schema)
        spec = self.specs.get(step or "")
        if step is None or spec is None or spec.review is None:
            return None
        dossier_id = str(meta_of(handoff)["dossier_id"])
        same = entry is not None and entry.get("dossier_id") == dossier_id
        if entry is not None and entry.get("outcome") == REVIEW:
            if not same:
                return self._busy(step, handoff, now)
            return self._waiting(step, handoff, entry, now, repeat=True)
        if self.policies[step] == "auto" or (entry is not None and not self._fresh(entry, handoff)):
            return None
        fired = spec.review.flags(handoff)
        if not to_person(self.policies[step], fired):
            return None
        return self._queue(step, schema, (handoff, entry), key, fired, now)

    @staticmethod
    def _fresh(entry: Entry, handoff: Mapping[str, object]) -> bool:
        """A handoff the register has not decided yet (a new one after a request)."""
        if entry.get("dossier_id") != meta_of(handoff)["dossier_id"]:
            return False  # another dossier's entry: the step's decision says what to do
        asked = entry.get("outcome") in WAITING_OUTCOMES
        return asked and entry.get("handoff_event_id") != str(meta_of(handoff)["event_id"])

    def _queue(
        self,
        step: str,
        schema: str,
        event: tuple[Mapping[str, object], Entry | None],
        key: str,
        fired: tuple[Reason, ...],
        now: dt.datetime,
    ) -> Decision:
        """The case on the desk (again, after a supplement: its next version, its audit kept)."""
        handoff, previous = event
        earlier = desk_of(previous) or {}
        desk: DeskState = {
            "state": WAITING,
            "version": int(earlier.get("version", 0)) + 1,
            "handoff": kept_handoff(self.codec, schema, handoff),
            "schema": schema,
            "flags": [flag.code for flag in fired],
            "commune": commune_of(handoff),
            "received_at": now.isoformat(),
            "due_at": _iso(handoff.get("due_at"), now),
            "audit": list(earlier.get("audit", [])),
        }
        decision = self._waiting(step, handoff, None, now, repeat=False)
        assert decision.entry is not None
        entry = with_desk({**decision.entry, "step": step}, desk)
        outputs = [*decision.outputs, snapshot(self.name, key, entry, self.codec, now)]
        return Decision(outputs, entry)

    def _waiting(
        self,
        step: str,
        handoff: Mapping[str, object],
        entry: Entry | None,
        now: dt.datetime,
        *,
        repeat: bool,
    ) -> Decision:
        """The hub told the step waits for the official (again, for a handoff seen again)."""
        spec = self.specs[step]
        at = dt.datetime.fromisoformat(entry["at"]) if entry else now
        message = (
            f"Đang được {spec.agency_vi} xem xét; bạn không cần làm gì. "
            f"Being reviewed by the {spec.agency}; nothing is needed from you."
        )
        cause = cast(records.Event, handoff)
        fields = {"step": step, "waiting_for": REVIEW, "message": message}
        asked = ask(step, "StepDeferred", cause, at, REVIEW, **fields)
        return Decision(asked.outputs, None if repeat else asked.entry)

    def _busy(self, step: str, handoff: Mapping[str, object], now: dt.datetime) -> Decision:
        """Another dossier's case with the same register key is on the desk: refused."""
        reason = (
            "Another dossier for the same record is being reviewed by the agency; this one "
            "cannot be decided as well."
        )
        cause = cast(records.Event, handoff)
        return Decision(rejection(step, cause, now, "duplicate_in_review", reason).outputs)

    # -- an official's command ------------------------------------------------------------
    def on_action(
        self, action: records.DeskAction, entry: Entry | None, counters: Counters, ctx: Any
    ) -> Decision:
        """The command decided from the register: the case's new state and what it publishes,
        or the same case answered with why the command was refused."""
        desk = desk_of(entry)
        key = action["register_key"]
        if entry is None or desk is None:
            return Decision([])  # no case under this key: nothing to answer
        try:
            return self._act(action, cast(DeskEntry, entry), desk, counters, ctx)
        except Refused as refusal:
            answer = (str(action["meta"]["event_id"]), str(refusal))
            case = cast(DeskEntry, entry)
            return Decision([snapshot(self.name, key, case, self.codec, ctx.now, answer)])

    def _act(
        self,
        action: records.DeskAction,
        entry: DeskEntry,
        desk: DeskState,
        counters: Counters,
        ctx: AgencyContext,
    ) -> Decision:
        command = str(action["meta"]["event_id"])
        if desk.get("state") in FINAL:
            return self._again(action, entry, desk, counters, ctx)
        if any(line.get("command") == command for line in desk.get("audit", [])):
            key, answer = action["register_key"], (command, "ok")  # seen again: done already
            return Decision([snapshot(self.name, key, entry, self.codec, ctx.now, answer)])
        who, now = action["official"], ctx.now
        held = holder(desk, now)
        if action["action"] not in ACTIONS:
            raise Refused(f"action: must be one of {', '.join(ACTIONS)}")
        if held is not None and held != who:
            until = desk.get("claimed_until", "")[:16].replace("T", " ")
            raise Refused(f"claimed by {held} until {until}: only they can act on it now")
        if action["action"] == "claim":
            until = (now + dt.timedelta(seconds=self.claim_seconds)).isoformat()
            changed: DeskState = {**desk, "state": CLAIMED, "claimed_by": who}
            changed["claimed_until"] = until
            return self._changed(action, entry, changed, entry, ctx)
        if held is None:
            raise Refused("claim the case first: nobody may decide a case they have not claimed")
        if action["action"] == "release":
            changed = {**desk, "state": WAITING}
            changed.pop("claimed_by", None)
            changed.pop("claimed_until", None)
            return self._changed(action, entry, changed, entry, ctx)
        return self._decide(action, entry, desk, counters, ctx, command)

    def _decide(
        self,
        action: records.DeskAction,
        entry: DeskEntry,
        desk: DeskState,
        counters: Counters,
        ctx: AgencyContext,
        command: str,
    ) -> Decision:
        step = str(entry.get("step"))
        handoff = handoff_of(self.codec, desk)
        if action["action"] == "approve":
            made = self._decision(step)(handoff, None, counters, ctx)
            state = APPROVED
        elif action["action"] == "refuse":
            code, reason = self.refusal(step, action)
            made = rejection(step, handoff, ctx.now, code, reason)
            state = REFUSED
        else:
            wanted = clip((action.get("reason") or "").strip(), REASON_CHARS)
            if not wanted:
                raise Refused("reason: say what the family must supply")
            fields = {"step": step, "missing": [wanted], "message": f"Please supply: {wanted}"}
            made = ask(step, "SupplementRequested", handoff, ctx.now, "supplement", **fields)
            state = SUPPLEMENT
        decided: DeskState = {**desk, "state": state, "decided_by": command}
        base = cast(Entry, {**(made.entry or entry), "step": step})
        out = self._changed(action, entry, decided, base, ctx)
        return Decision([*made.outputs, *out.outputs], out.entry)

    def _changed(
        self,
        action: records.DeskAction,
        old: DeskEntry,
        desk: DeskState,
        base: Entry,
        ctx: AgencyContext,
    ) -> Decision:
        """The case's next version, with the command in its audit."""
        line: Audit = {
            "at": ctx.now.isoformat(),
            "official": action["official"],
            "action": action["action"],
            "reason": clip(action.get("reason") or action.get("reason_code") or "", 500),
            "command": str(action["meta"]["event_id"]),
        }
        desk = {**desk, "version": int(desk.get("version", 1)) + 1}
        desk["audit"] = [*desk.get("audit", []), line]
        entry = with_desk(base, desk)
        answer = (str(action["meta"]["event_id"]), "ok")
        key = action["register_key"]
        return Decision([snapshot(self.name, key, entry, self.codec, ctx.now, answer)], entry)

    def _again(
        self,
        action: records.DeskAction,
        entry: DeskEntry,
        desk: DeskState,
        counters: Counters,
        ctx: AgencyContext,
    ) -> Decision:
        """A command about a decided case: the one that decided it, seen again, publishes the
        same events again; any other is refused."""
        if desk.get("decided_by") != str(action["meta"]["event_id"]):
            if desk.get("state") == CANCELLED:
                raise Refused("the citizen withdrew the dossier: there is nothing to decide")
            audits = desk.get("audit") or []
            last = audits[-1] if audits else {}
            who, when = last.get("official", "?"), last.get("at", "")
            raise Refused(
                f"already decided ({desk.get('state')}) by {who} at {when[:16].replace('T', ' ')}"
            )
        step = str(entry.get("step"))
        handoff = handoff_of(self.codec, desk)
        again = self._decision(step)(handoff, entry, counters, ctx)
        answer = (str(action["meta"]["event_id"]), "ok")
        case = snapshot(self.name, action["register_key"], entry, self.codec, ctx.now, answer)
        return Decision([*again.outputs, case])

    def _decision(self, step: str) -> Any:
        decide = self.specs[step].decide
        assert decide is not None  # every registered step declares one
        return decide

    def refusal(self, step: str, action: records.DeskAction) -> tuple[str, str]:
        """The refusal's code and the reason the citizen reads: a declared one, or written."""
        review = self.specs[step].review
        code = action.get("reason_code") or ""
        declared = review.reason(code) if review else None
        if declared is not None:
            return code, f"{declared.vi} ({declared.en})"
        written = clip((action.get("reason") or "").strip(), REASON_CHARS)
        if code != WRITTEN or not written:
            codes = ", ".join([*(r.code for r in (review.reasons if review else ())), WRITTEN])
            raise Refused(f"reason_code: must be one of {codes} (with a written reason for other)")
        return WRITTEN, written

    def after_cancel(
        self, key: str, entry: Entry | None, decision: Decision, now: dt.datetime
    ) -> Decision:
        """A withdrawal of a case on the desk: the register marks it cancelled, the desk's
        store is told (the case leaves the list)."""
        desk = desk_of(entry)
        if desk is None or desk.get("state") in FINAL or decision.entry is None:
            return decision
        version = int(desk.get("version", 1)) + 1
        case = with_desk(decision.entry, {**desk, "state": CANCELLED, "version": version})
        told = snapshot(self.name, key, case, self.codec, now)
        return Decision([*decision.outputs, told], case)


def commune_of(handoff: Mapping[str, object]) -> str:
    """The commune whose office decides the case: the handoff's registering commune, else the
    first commune code it carries."""
    found = handoff.get("registering_commune") or handoff.get("commune_code")
    if isinstance(found, str):
        return found
    for value in handoff.values():
        if isinstance(value, Mapping):
            inner = commune_of(cast(Mapping[str, object], value))
            if inner:
                return inner
    return ""


def _iso(value: object, default: dt.datetime) -> str:
    return value.isoformat() if isinstance(value, dt.datetime) else default.isoformat()
