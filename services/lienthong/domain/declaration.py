"""What a procedure group declares: steps, owners, dependencies, combinations, targets, texts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Generic, NotRequired, TypedDict, TypeVar

from lienthong.contracts import records
from lienthong.domain.agency import AgencyContext, Decision, Entry, cancel_step
from lienthong.domain.allocation import Counters
from lienthong.domain.notice import NoticeSpec
from lienthong.domain.review import Review
from lienthong.domain.words import Words as Words
from lienthong.errors import Reason, ValidationFailed
from lienthong.limits import Items, Text, clip


class Submission(TypedDict):
    """What every group's submission record has: the fields the hub reads of any group's (a
    test checks each registered group's submission schema has them)."""

    meta: records.EventMetadata
    channel: str
    submitted_at: dt.datetime
    group: NotRequired[str]
    procedures: list[str]
    registering_commune: str
    verification_needed: NotRequired[bool]


#: The group's submission record (``records.DossierSubmitted``, ...).
S = TypeVar("S", bound=Submission)
#: The step's event (its handoff record; a cancellation, a retry).
H = TypeVar("H")
#: The step's register entry (a subclass of ``Entry``).
E = TypeVar("E", bound=Entry)
#: An agency's decision on one event about its step: the event, the step's register entry (None:
#: none yet), the agency's counters and context; the events to publish and the entry to keep.
AgencyDecision = Callable[[H, E | None, Counters, AgencyContext], Decision]


@dataclass(frozen=True)
class StepSpec(Generic[S, H, E]):
    """One procedure: the deployable that decides it, what it needs first, its legal target,
    what its handoff carries, and how the citizen and the agency name it.

    Typed by the group's submission ``S``, the step's handoff ``H`` and register entry ``E``."""

    agency: str
    agency_vi: str
    #: The agency deployable that owns the step (one deployable may own several steps); its
    #: handoff and completion topics are the deployable's.
    deployable: str = ""
    label_en: str = ""
    label_vi: str = ""
    #: The projection: from the submission, only what this agency needs (data minimisation);
    #: the hub adds the fields every handoff has (``meta``, ``dossier_date``, ``due_at``).
    projection: Callable[[S], Mapping[str, object]] | None = None
    #: The field of the completing event (``results[0]``) that references the result.
    result_ref: str = ""
    #: What the citizen supplies for this procedure beside the group's declaration.
    documents: tuple[Words, ...] = ()
    #: What the citizen reads while the step waits on something outside the agency, by the
    #: hub's ``awaiting`` reason (the population database's ID number, ...).
    waiting: Mapping[str, Words] = field(default_factory=dict)
    #: The operators' heading for dossiers this step refused as duplicates of another one.
    duplicates: Words | None = None
    requires: tuple[str, ...] = ()
    #: Working days after the dossier counts as received; 0 means the same working day.
    target_days: int = 2
    target_days_verification: int = 2
    #: The event types by which the agency reports this step done (its completion topic's own);
    #: the first completes the step, the others are the hub's detours (a pending ID number).
    results: tuple[str, ...] = ()
    #: The request its handoff topic carries to the agency.
    handoff: str = ""
    #: A step done before its subject is whole (the birth registered, the child's personal ID
    #: number not issued yet): the field of its first result that says so, and what the step
    #: then awaits; its later result (``results[1]``) carries the whole subject and releases
    #: the steps that need it.
    pending: tuple[str, str] | None = None
    #: The text of each of its results the hub reads, by dotted path, with its limit (the hub
    #: screens every field before a decision sees it).
    result_text: Mapping[str, Mapping[str, Text | Items]] = field(default_factory=dict)
    #: The agency's decision on the step's handoff (our processor; a real agency may replace it
    #: by its own consumer of the same topic).
    decide: AgencyDecision[H, E] | None = None
    #: The agency's answer to a withdrawal (``HandoffCancelled``) of the step.
    cancel: AgencyDecision[records.HandoffCancelled, E] = cancel_step
    #: The agency's timer's decision on an entry of the step that waits on an outside system
    #: (its entry ``pending``, asked again at ``next_retry_at``); None: the step never waits.
    retry: AgencyDecision[records.WaitingRetry, E] | None = None
    #: The key the agency's register keeps the step's entry under, from any event about the
    #: step (its handoff, its cancellation): one key, one entry, whichever dossier it came
    #: in (a duplicate is found). None: the dossier id. A keyed step's events are re-keyed by
    #: it on the agency's own topic, so one partition owns each key.
    register_key: Callable[[H | records.HandoffCancelled], str] | None = None
    #: Whether the step can apply to a submission: None when it does, else the reason it does
    #: not (Vietnamese / English). The hub decides it at intake and shows the step as not
    #: applicable instead of handing it off to be refused.
    applies: Callable[[S], str | None] | None = None
    #: The rules the step follows, each with its article (what a reviewer checks the code
    #: against); an assumed article says so.
    legal_source: tuple[str, ...] = ()
    #: What an official's review of the step flags and may refuse with (None: nothing to
    #: review; the step is decided by code alone whatever the policy).
    review: Review | None = None


@dataclass(frozen=True)
class GroupVersion:
    """What the law changes in a group from a date: the steps it adds or replaces, and (where
    given) the combinations, documents, fees and deadlines that replace the earlier ones.

    A dossier is held to the version in force on the day it counts as received (the hub's
    ``received_on``, every handoff's ``dossier_date``) for its whole life."""

    valid_from: dt.date
    #: The version's short name, kept in each dossier's state (e.g. ``2026-07-01``).
    name: str
    #: What changed, as the pages say it.
    change: Words
    #: The legal basis of the change (the group's own ``source`` stays); an assumed one says so.
    source: str
    steps: Mapping[str, StepSpec[Any, Any, Any]] = field(default_factory=dict)
    combinations: tuple[frozenset[str], ...] | None = None
    documents: tuple[Words, ...] | None = None
    fees: Words | None = None
    deadline_days: int | None = None
    deadline_days_verification: int | None = None


#: Answers any agency may give about its step, besides its results (each names the step).
ANSWERS = (
    "StepRejected",
    "SupplementRequested",
    "DeadlineExtended",
    "CorrectionRequested",
    "StepDeferred",
)


@dataclass(frozen=True)
class ProcedureGroup(Generic[S]):
    """A declared group: adding a group is a new declaration, not new code.

    Typed by its submission record ``S``; each step has its own handoff and entry types."""

    name: str
    steps: Mapping[str, StepSpec[S, Any, Any]]
    combinations: tuple[frozenset[str], ...]
    deadline_days: int
    deadline_days_verification: int
    label_en: str = ""
    label_vi: str = ""
    #: The intake event type that submits a dossier of this group.
    submission: str = "DossierSubmitted"
    #: The intake rules: the dossier as the hub keeps it, or ``ValidationFailed``.
    validate: Callable[[S, dt.datetime], S] | None = None
    #: Where the group comes among the registered ones (its steps, agencies and pages follow it).
    position: int = 100
    #: The field of the first step's completion (and of the later handoffs) that carries the
    #: dossier's subject as registered: the child, the deceased.
    subject: str = "child"
    #: The public page's heading: whom the group serves (the group's label when not given).
    title: Words | None = None
    #: What the whole dossier needs, whatever the combination (each step adds its own).
    documents: tuple[Words, ...] = ()
    #: The fee rule as posted; None where no verified rule is known (the page says so).
    fees: Words | None = None
    #: The legal basis of the group, as the page cites it.
    source: str = ""
    #: This declaration's version: its name, the first day it applies to, what it changed
    #: (None: the group's first version), and the versions before it, oldest first.
    version: str = "initial"
    valid_from: dt.date = dt.date.min
    change: Words | None = None
    change_source: str = ""
    earlier: tuple[ProcedureGroup[S], ...] = ()
    #: Registration on the commune's initiative from a health facility's notice (None: the
    #: family always files first).
    notice: NoticeSpec[Any] | None = None

    def admit(self, event: S, now: dt.datetime) -> S:
        """The submission as the hub keeps it, or ``ValidationFailed`` with every reason (the
        group's rules, then whether this version offers the combination chosen)."""
        if self.validate is None:
            raise TypeError(f"group {self.name} declares no intake rules")
        admitted = self.validate(event, now)
        if not self.allows(admitted["procedures"]):
            raise ValidationFailed(
                [
                    Reason(
                        "procedures",
                        "combination_not_in_force",
                        f"{clip(', '.join(admitted['procedures']))} is not a combination the "
                        f"{self.name} group offers under its rules in force from "
                        f"{self.valid_from.isoformat()} ({clip(self.version)}).",
                    )
                ]
            )
        return admitted

    def amended(self, version: GroupVersion) -> ProcedureGroup[S]:
        """The group as ``version`` changes it from its date (this declaration stays in force
        for the dossiers received before)."""
        if version.valid_from <= self.valid_from:
            raise ValueError(
                f"group {self.name}: version {version.name} ({version.valid_from}) must come "
                f"after version {self.version} ({self.valid_from})"
            )
        v = version
        return replace(
            self,
            steps={**self.steps, **v.steps},
            combinations=self.combinations if v.combinations is None else v.combinations,
            documents=self.documents if v.documents is None else v.documents,
            fees=self.fees if v.fees is None else v.fees,
            deadline_days=_or(v.deadline_days, self.deadline_days),
            deadline_days_verification=_or(
                v.deadline_days_verification, self.deadline_days_verification
            ),
            change_source=v.source,
            version=v.name,
            valid_from=v.valid_from,
            change=v.change,
            earlier=(*self.earlier, replace(self, earlier=())),
        )

    @property
    def versions(self) -> tuple[ProcedureGroup[S], ...]:
        """Every version of the group, oldest first (this one last)."""
        return (*self.earlier, self)

    def on(self, day: dt.date) -> ProcedureGroup[S]:
        """The version in force on ``day`` (the first version for earlier days)."""
        found = self.versions[0]
        for version in self.versions:
            if version.valid_from <= day:
                found = version
        return found

    def named(self, version: str) -> ProcedureGroup[S]:
        """The version called ``version`` (a dossier keeps its version by name)."""
        for declared in self.versions:
            if declared.version == version:
                return declared
        raise KeyError(f"group {self.name} has no version {version!r}")

    @property
    def first(self) -> str:
        """The step every other one waits for (declared first, requiring nothing): its
        completion passes the dossier's subject on, and corrections return to it."""
        return next(iter(self.steps))

    def allows(self, chosen: Iterable[str]) -> bool:
        return frozenset(chosen) in self.combinations

    def ready(
        self, chosen: Iterable[str], done: Iterable[str], started: Iterable[str]
    ) -> list[str]:
        """Chosen steps not yet started whose every requirement has completed."""
        completed, begun = set(done), set(started)
        return [
            step
            for step in self.order(chosen)
            if step not in begun and all(r in completed for r in self.steps[step].requires)
        ]

    def blocked_by(self, chosen: Iterable[str], failed: str) -> list[str]:
        """Chosen steps that can no longer start because ``failed`` did not complete."""
        out: list[str] = []
        for step in self.order(chosen):
            needs = self.steps[step].requires
            if failed in needs or any(n in out for n in needs):
                out.append(step)
        return out

    def stages(self) -> list[list[str]]:
        """The steps by the order they can run in; the steps of one stage run in parallel."""
        placed: dict[str, int] = {}
        for step, spec in self.steps.items():  # declaration order is topological
            placed[step] = 1 + max((placed[r] for r in spec.requires), default=-1)
        return [[s for s, n in placed.items() if n == k] for k in range(1 + max(placed.values()))]

    def order(self, chosen: Iterable[str]) -> list[str]:
        """Chosen steps in declaration order (a valid topological order)."""
        wanted = set(chosen)
        return [step for step in self.steps if step in wanted]

    def combination_label(self, chosen: Iterable[str]) -> str:
        """A bounded label such as ``birth+residence``."""
        others = [s for s in self.order(chosen) if self.steps[s].requires]
        return "+".join([self.name, *others])


def _or(changed: int | None, kept: int) -> int:
    return kept if changed is None else changed


#: What a registered group's step must declare, because topics, handlers and pages derive from it.
REQUIRED = (
    "deployable",
    "label_en",
    "label_vi",
    "projection",
    "result_ref",
    "results",
    "handoff",
    "decide",
)
