"""The hub's picture of one linked dossier, stored as JSON in a Faust table keyed by dossier id."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, PrivateAttr

StepPhase = Literal[
    "waiting",
    "handed_off",
    "supplement",
    "completed",
    "rejected",
    "not_started",
    "withdrawn",
    "not_applicable",
]
#: ``awaiting_family``: opened from a facility's notice, waiting for the family's part.
DossierPhase = Literal["open", "finished", "rejected", "withdrawn", "awaiting_family"]
#: How a dossier began: the family filed it, or a facility's notice opened it.
DossierPath = Literal["family", "facility"]
TERMINAL_STEP = frozenset({"completed", "rejected", "not_started", "withdrawn", "not_applicable"})
#: How many processed event ids a dossier remembers to recognise redeliveries.
SEEN_LIMIT = 64
#: An archived dossier still recognises its last few events (an integrator's republished
#: submission is then ignored, not taken for another dossier with the same id).
ARCHIVED_SEEN = 8


class StepState(BaseModel):
    """One procedure's progress."""

    phase: StepPhase = "waiting"
    due_at: dt.datetime | None = None
    handed_off_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    #: The event id of the answer that finished the step (the dossier's close names the last).
    answered_by: str | None = None
    result_ref: str | None = None
    reason_code: str | None = None
    reason: str | None = None
    #: A refused duplicate: the dossier that used its certificate first (operators only).
    duplicate_of: str | None = None
    on_time: bool | None = None
    #: A later due date the agency set with an apology.
    extended_due_at: dt.datetime | None = None
    #: The due date a DossierOverdue was already sent for (once per missed date).
    overdue_notified_for: dt.datetime | None = None
    supplement_missing: list[str] = Field(default_factory=list)
    supplement_message: str | None = None
    supplement_requested_at: dt.datetime | None = None
    respond_by: dt.datetime | None = None
    #: What the step waits for besides its agency: "personal_id", "correction", or what its
    #: agency named when it deferred the step (an outside system, e.g. "population_database").
    awaiting: str | None = None
    #: An official decided it on the agency's desk (it waited for review), not the rules alone.
    reviewed: bool = False
    #: The cause of the last handoff and its extras (JSON-safe), to send it again unchanged.
    handoff_cause: str | None = None
    handoff_extra: dict[str, object] = Field(default_factory=dict)
    sent_at: dt.datetime | None = None

    @property
    def effective_due(self) -> dt.datetime | None:
        return self.extended_due_at or self.due_at


class TimelineEntry(BaseModel):
    """One line of the citizen's timeline."""

    at: dt.datetime
    kind: str
    step: str | None = None
    detail: str = ""


class DossierState(BaseModel):
    """Everything the hub knows about a dossier; nothing else is needed to route it."""

    model_config = ConfigDict(populate_by_name=True)

    dossier_id: str
    phase: DossierPhase = "open"
    #: The registered group the dossier belongs to (its declaration routes it).
    group: str
    #: The group's version in force on the day the dossier counts as received: it routes the
    #: dossier for its whole life ("": a state saved before versions, read by ``received_on``).
    version: str = ""
    procedures: list[str] = Field(default_factory=list)
    combination: str = ""
    channel: str = ""
    #: When the integrator says the citizen submitted (kept for the record, never trusted).
    submitted_at: dt.datetime | None = None
    #: When the hub received the dossier: the legal clock starts here.
    received_at: dt.datetime | None = None
    received_on: dt.date | None = None
    due_at: dt.datetime | None = None
    verification_needed: bool = False
    #: The commune that registers the dossier: its province's deadline cuts apply.
    registering_commune: str = ""
    #: The dossier's deadline in working days: the law's and the one applied (a province's cut).
    statutory_days: int | None = None
    deadline_days: int | None = None
    #: The province's decision that cut the deadline (None: the statutory deadline).
    deadline_decision: str | None = None
    receipt_number: str = ""
    lookup_code: str = ""
    outcome: str | None = None
    finished_at: dt.datetime | None = None
    on_time: bool | None = None
    steps: dict[str, StepState] = Field(default_factory=dict)
    path: DossierPath = "family"
    #: A facility's notice (single-object Avro, base64) until the family completes the dossier,
    #: the time the family has to, and when the event the notice reports happened.
    notice: str = ""
    complete_by: dt.datetime | None = None
    happened_at: dt.datetime | None = None
    #: What the opened dossier still waits for besides the family ("population_database").
    awaiting: str | None = None
    #: The submission as single-object Avro (base64): every handoff is projected from it.
    submission: str = ""
    #: The submission read, and the text it was read from (never stored: ``read_submission``).
    _submission_read: tuple[str, Mapping[str, object]] | None = PrivateAttr(default=None)
    #: The subject as the group's first step registered it (the child, the deceased), JSON-safe;
    #: read from ``child`` in states saved before the name was neutral.
    subject: dict[str, object] | None = Field(
        default=None, validation_alias=AliasChoices("subject", "child")
    )
    #: The citizen's one answer once finished (None: not answered) and the reason chosen.
    satisfied: bool | None = None
    satisfaction_reason: str | None = None
    rejection: list[dict[str, str]] = Field(default_factory=list)
    seen: list[str] = Field(default_factory=list)
    timeline: list[TimelineEntry] = Field(default_factory=list)

    def has_seen(self, event_id: str) -> bool:
        return event_id in self.seen

    def remember(self, event_id: str) -> None:
        self.seen = [*self.seen, event_id][-SEEN_LIMIT:]

    def note(self, at: dt.datetime, kind: str, step: str | None = None, detail: str = "") -> None:
        self.timeline.append(TimelineEntry(at=at, kind=kind, step=step, detail=detail))

    def started(self) -> list[str]:
        return [s for s, st in self.steps.items() if st.phase != "waiting"]

    def done(self) -> list[str]:
        """Steps completed with nothing outstanding (a pending ID number holds dependents), and
        steps that do not apply (a requirement that does not apply holds nothing)."""
        return [
            s
            for s, st in self.steps.items()
            if (st.phase == "completed" and not st.awaiting) or st.phase == "not_applicable"
        ]

    def in_progress(self) -> bool:
        """Open, or waiting for the family's part: more inputs about it are coming."""
        return self.phase in ("open", "awaiting_family")

    def any_finished(self) -> bool:
        return any(st.phase in ("completed", "rejected") for st in self.steps.values())

    def all_finished(self) -> bool:
        return all(st.phase in TERMINAL_STEP for st in self.steps.values())

    def read_submission(self, read: Callable[[str], Mapping[str, object]]) -> Mapping[str, object]:
        """The submission as ``read`` makes it of the stored text, read once per text: the
        handoffs of a dossier's steps, sent at different inputs, are projected from it while
        the hub keeps the state parsed (``runtime.staged.KeptTable``). The record is shared:
        its readers never change it."""
        done = self._submission_read
        if done is None or done[0] != self.submission:
            done = self._submission_read = (self.submission, read(self.submission))
        return done[1]

    def to_table(self) -> dict[str, object]:
        """The state as a JSON object (the archive keeps it so)."""
        return self.model_dump(mode="json")

    def to_stored(self) -> bytes:
        """The state as the working table keeps it: its JSON, compact, as bytes. The table
        stores them as they are (``Deployable.table(as_bytes=True)``), so no second encoder
        walks the state on every write."""
        return self.model_dump_json().encode()

    def archived(self) -> dict[str, object]:
        """What a finished dossier keeps in the archive: its page's facts, not its submission."""
        return self.model_copy(
            update={"submission": "", "seen": self.seen[-ARCHIVED_SEEN:]}
        ).to_table()

    @classmethod
    def from_table(cls, value: Stored | None) -> DossierState | None:
        """The state of a stored value: the working table's JSON bytes, or the archive's
        (and the working table's before 0.6.0) JSON object."""
        if value is None:
            return None
        if isinstance(value, bytes | str):
            return cls.model_validate_json(value)
        return cls.model_validate(value)


#: A state as a table stores it: JSON bytes (the working table) or a JSON object (the archive).
Stored = bytes | str | Mapping[str, object]


def stored_json(value: Stored) -> Mapping[str, object]:
    """A stored state as its JSON object, without building the state (the board's scan)."""
    if isinstance(value, bytes | str):
        loaded: Mapping[str, object] = json.loads(value)
        return loaded
    return value
