"""The hub's exception paths, decided directly: pending ID numbers, supplements, the legal clock,
corrections and withdrawal. Every output crosses the Avro codec.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import re
from collections.abc import Callable
from typing import Any

import pytest
from test_hub_transitions import (
    BASE_URL,
    CALENDAR,
    CODEC,
    HANDOFF,
    SECRET,
    Hub,
    child_personal_id,
    only,
    schemas,
    wire,
)

from lienthong import topics
from lienthong.contracts.events import Envelope, metadata
from lienthong.domain import identifiers
from lienthong.domain.agency import completion
from lienthong.groups.birth.declaration import GROUP as BIRTH
from lienthong.groups.birth.synthetic import generate
from lienthong.hub.detours import needs_check
from lienthong.hub.state import DossierState
from lienthong.hub.transitions import Context, NotExpected

Record = dict[str, Any]
CR, RES, HI = "civil_registry", "residence", "health_insurance"
FULL, WITH_RES, WITH_HI = (CR, RES, HI), (CR, RES), (CR, HI)
ZONE = CALENDAR.zone
#: Monday 2 March 2026, 08:00 in Hanoi: a plain working week without holidays.
START = dt.datetime(2026, 3, 2, 8, 0, tzinfo=ZONE)
#: A citizen-facing text: a sentence, not a code.
READABLE = re.compile(r"^[A-ZĐ].{15,}[.)]$", re.DOTALL)
MISSING = "A written confirmation of the birth signed by a witness"
ASKED = f"Please supply: {MISSING}."
EXPIRED = "supplement_expired"
_ids = itertools.count(1)


def local(day: str, hhmm: str = "09:00") -> dt.datetime:
    """A moment in Hanoi, in UTC (as events carry it)."""
    hour, minute = map(int, hhmm.split(":"))
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour, minute), ZONE).astimezone(
        dt.UTC
    )


def closing(day: str) -> dt.datetime:
    return CALENDAR.closing(dt.date.fromisoformat(day))


def dossiers(start: dt.datetime) -> list[Record]:
    return [d.record for d in generate(30, seed=31, start=start, twins_share=0.0, live=True)]


MARCH = dossiers(START)


def submission(procedures: tuple[str, ...], start: dt.datetime = START) -> Record:
    pool = MARCH if start == START else dossiers(start)
    return copy.deepcopy(next(r for r in pool if tuple(r["procedures"]) == procedures))


class Desk(Hub):
    resend_after = dt.timedelta(days=365)
    """The ``Hub`` harness with a clock the test can set and a context it can configure.

    Every output must encode with its schema; all of them are kept in ``log``.
    """

    def __init__(self, record: Record, *, supplement_clock: str = "restart") -> None:
        super().__init__(record)
        self.supplement_clock = supplement_clock
        self.at: dt.datetime | None = None
        self.log: list[Envelope] = []

    @property
    def now(self) -> dt.datetime:
        return self.at if self.at is not None else super().now

    @property
    def dossier_id(self) -> str:
        return str(self.submission["meta"]["dossier_id"])

    @property
    def st(self) -> DossierState:
        assert self.state is not None
        return self.state

    def context(self) -> Context:
        # Resending unanswered handoffs is tested on its own (below); here it stays out of the way.
        return Context(
            self.now,
            CALENDAR,
            SECRET,
            BASE_URL,
            supplement_clock=self.supplement_clock,
            resend_after=self.resend_after,
        )

    def apply(self, name: str, record: Record) -> list[Envelope]:
        outputs = super().apply(name, record)
        for env in outputs:
            CODEC.encode(env.schema, env.record)  # raises when the record does not fit
        self.log += outputs
        return outputs

    # -- events from the agencies, the citizen and the timer ------------------------------

    def agency_event(self, step: str, schema: str, /, **fields: Any) -> Record:
        """An event an agency derives from its handoff (as ``agency.ask`` does)."""
        return completion(step, schema, self.handoffs[step], self.now, **fields).record

    def own_event(self, producer: str, schema: str, /, **fields: Any) -> Record:
        """An event with an id of its own (citizen, timer, an agency's apology)."""
        meta = metadata(schema, self.dossier_id, producer, self.now, None, next(_ids))
        return {"meta": meta, **fields}

    def register(self, personal_id: str | None = None, *, pending: bool = False) -> list[Envelope]:
        record = self.completion(CR)
        record["personal_id_pending"] = pending
        if pending:
            record["child"]["personal_id"] = ""
        elif personal_id is not None:
            record["child"]["personal_id"] = personal_id
        return self.apply("BirthRegistered", record)

    def issue_id(self, personal_id: str) -> list[Envelope]:
        registered = self.completion(CR)
        child = dict(registered["child"], personal_id=personal_id)
        event = self.agency_event(
            CR,
            "PersonalIdIssued",
            registration_number=registered["registration_number"],
            child=child,
            attempts=3,
        )
        return self.apply("PersonalIdIssued", event)

    def ask_supplement(self, step: str) -> list[Envelope]:
        event = self.agency_event(
            step, "SupplementRequested", step=step, missing=[MISSING], message=ASKED
        )
        return self.apply("SupplementRequested", event)

    def supplement(self, step: str) -> list[Envelope]:
        event = self.own_event(
            "portal", "DossierSupplemented", step=step, documents=["GXN-123"], note="Đã bổ sung"
        )
        return self.apply("DossierSupplemented", event)

    def check(self) -> list[Envelope]:
        return self.apply("DeadlineCheck", self.own_event("hub", "DeadlineCheck"))

    def extend(self, step: str, new_due_at: dt.datetime, apology: str) -> list[Envelope]:
        event = self.own_event(
            topics.STEP_TOPIC_NAMES[step],
            "DeadlineExtended",
            step=step,
            new_due_at=new_due_at,
            apology=apology,
        )
        return self.apply("DeadlineExtended", event)

    def ask_correction(self, step: str, reason: str) -> list[Envelope]:
        event = self.agency_event(
            step, "CorrectionRequested", step=step, target_step=CR, reason=reason
        )
        return self.apply("CorrectionRequested", event)

    def withdraw(self) -> list[Envelope]:
        return self.apply("DossierWithdrawn", self.own_event("portal", "DossierWithdrawn"))


def desk(procedures: tuple[str, ...] = FULL, **kwargs: Any) -> Desk:
    made = Desk(submission(procedures), **kwargs)
    made.submit()
    return made


def split(procedures: tuple[str, ...] = FULL, **kwargs: Any) -> Desk:
    """A dossier whose birth is registered and whose later steps are handed off."""
    made = desk(procedures, **kwargs)
    made.complete(CR)
    return made


def texts(env: Envelope) -> list[str]:
    """What a citizen reads in a status event."""
    record = env.record
    if env.schema in ("DossierOverdue", "DueDateChanged", "SupplementAwaited", "StepWaiting"):
        return [record["message"]]
    if env.schema == "StepFinished":
        return [record["reason"]] if record["outcome"] == "REJECTED" else []
    if env.schema == "WithdrawalAnswered":
        return [] if record["accepted"] else [record["reason"]]
    if env.schema == "DossierFinished":
        return [p["reason"] for p in record["procedures"] if p["outcome"] != "COMPLETED"]
    return []


def assert_readable(outputs: list[Envelope]) -> None:
    for env in outputs:
        for text in texts(env):
            assert text and READABLE.match(text), f"{env.schema}: {text!r}"


def handoffs(outputs: list[Envelope]) -> list[Envelope]:
    return [env for env in outputs if env.schema.endswith("Handoff")]


def agency(step: str) -> str:
    return BIRTH.steps[step].agency


def durable(state: DossierState) -> Record:
    """The state without the memory of processed ids (which every event adds to)."""
    table = state.to_table()
    table.pop("seen")
    return table


# -- pending personal ID number ----------------------------------------------------------------

COMBINATIONS = [
    pytest.param(FULL, id="full-group"),
    pytest.param(WITH_RES, id="birth+residence"),
    pytest.param(WITH_HI, id="birth+health-insurance"),
]


@pytest.mark.parametrize("procedures", COMBINATIONS)
def test_a_pending_id_number_finishes_the_birth_and_holds_the_later_steps(
    procedures: tuple[str, ...],
) -> None:
    hub = desk(procedures)
    outputs = hub.register(pending=True)

    assert schemas(outputs) == ["StepFinished", "StepWaiting"]
    finished = only(outputs, "StepFinished")
    assert (finished["step"], finished["outcome"]) == (CR, "COMPLETED")
    waiting = only(outputs, "StepWaiting")
    assert (waiting["step"], waiting["waiting_for"]) == (CR, "PERSONAL_ID")
    assert "personal ID number" in waiting["message"]
    assert "nothing is needed from you" in waiting["message"]
    assert_readable(outputs)
    assert hub.st.steps[CR].phase == "completed"
    assert hub.st.steps[CR].awaiting == "personal_id"
    assert all(hub.st.steps[s].phase == "waiting" for s in procedures[1:])
    assert hub.st.phase == "open"
    assert set(hub.handoffs) == {CR}


@pytest.mark.parametrize("procedures", COMBINATIONS)
def test_the_issued_number_starts_the_later_steps_once(procedures: tuple[str, ...]) -> None:
    hub = desk(procedures)
    hub.register(pending=True)
    issued = child_personal_id(hub.submission)
    event = hub.agency_event(
        CR,
        "PersonalIdIssued",
        registration_number="000001/2026/KS-" + hub.submission["registering_commune"],
        child=dict(hub.completion(CR)["child"], personal_id=issued),
        attempts=4,
    )
    outputs = hub.apply("PersonalIdIssued", event)

    later = list(procedures[1:])
    assert [env.schema for env in handoffs(outputs)] == [HANDOFF[s] for s in later]
    assert [e.record["step"] for e in outputs if e.schema == "StepHandedOff"] == later
    for env in handoffs(outputs):
        assert env.record["child"]["personal_id"] == issued
    assert hub.st.steps[CR].awaiting is None
    assert hub.st.subject is not None and hub.st.subject["personal_id"] == issued
    before = hub.st.to_table()
    assert hub.apply("PersonalIdIssued", event) == [], "a redelivery starts nothing twice"
    assert hub.st.to_table() == before


def test_a_number_issued_when_none_was_pending_is_ignored() -> None:
    hub = split(WITH_HI)
    before = durable(hub.st)
    assert hub.issue_id(child_personal_id(hub.submission)) == []
    assert durable(hub.st) == before


def test_the_later_steps_of_a_pending_number_finish_the_dossier() -> None:
    hub = desk(WITH_HI)
    hub.register(pending=True)
    hub.issue_id(child_personal_id(hub.submission))
    outputs = hub.complete(HI)
    assert only(outputs, "DossierFinished")["outcome"] == "COMPLETED"


# -- supplements --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("asked_at", "respond_by"),
    [
        pytest.param(local("2026-03-02", "09:00"), "2026-03-11", id="monday-morning"),
        pytest.param(local("2026-03-06", "16:00"), "2026-03-18", id="friday-after-15h"),
        pytest.param(local("2026-02-13", "09:00"), "2026-03-03", id="over-tet"),
        pytest.param(local("2026-04-24", "09:00"), "2026-05-08", id="over-30-april"),
    ],
)
def test_a_supplement_request_gives_seven_working_days(
    asked_at: dt.datetime, respond_by: str
) -> None:
    hub = Desk(submission(FULL, asked_at - dt.timedelta(hours=1)))
    hub.submit()
    hub.at = asked_at
    outputs = hub.ask_supplement(CR)

    assert schemas(outputs) == ["SupplementAwaited"]
    awaited = only(outputs, "SupplementAwaited")
    assert awaited["respond_by"] == closing(respond_by)
    assert awaited["respond_by"] == CALENDAR.closing(
        CALENDAR.add_working_days(CALENDAR.received_on(asked_at), 7)
    )
    assert (awaited["step"], awaited["agency"]) == (CR, agency(CR))
    assert (awaited["missing"], awaited["message"]) == ([MISSING], ASKED)
    assert_readable(outputs)
    step = hub.st.steps[CR]
    assert (step.phase, step.respond_by, step.supplement_missing) == (
        "supplement",
        closing(respond_by),
        [MISSING],
    )


@pytest.mark.parametrize("asking", [RES, HI])
def test_a_later_agency_may_ask_for_a_supplement_too(asking: str) -> None:
    hub = split()
    outputs = hub.ask_supplement(asking)
    awaited = only(outputs, "SupplementAwaited")
    assert (awaited["step"], awaited["agency"]) == (asking, agency(asking))
    assert hub.st.steps[asking].phase == "supplement"


@pytest.mark.parametrize(
    ("clock", "supplied_at", "dossier_due", "step_due"),
    [
        # restart: complete on Thursday 5 (after 15:00 on Wednesday), 3 working days from there
        pytest.param("restart", local("2026-03-04", "16:00"), "2026-03-10", "2026-03-05"),
        pytest.param("restart", local("2026-03-06", "10:00"), "2026-03-11", "2026-03-06"),
        # pause: the dates move by the working days waited (Monday 2 to Wednesday 4: two)
        pytest.param("pause", local("2026-03-04", "16:00"), "2026-03-09", "2026-03-04"),
        # Monday 2 to Monday 9: five working days
        pytest.param("pause", local("2026-03-09", "10:00"), "2026-03-12", "2026-03-09"),
    ],
)
def test_a_supplement_moves_the_due_date_and_hands_the_step_off_again(
    clock: str, supplied_at: dt.datetime, dossier_due: str, step_due: str
) -> None:
    hub = desk(FULL, supplement_clock=clock)
    assert hub.st.due_at == closing("2026-03-05")
    first = hub.handoffs[CR]
    hub.at = local("2026-03-02", "09:00")
    hub.ask_supplement(CR)
    hub.at = supplied_at
    outputs = hub.supplement(CR)

    assert schemas(outputs) == ["DueDateChanged", "CivilRegistryHandoff", "StepHandedOff"]
    changed = only(outputs, "DueDateChanged")
    assert (changed["step"], changed["due_at"]) == (CR, closing(dossier_due))
    assert changed["message"].startswith("Supplement received")
    assert_readable(outputs)
    again = only(outputs, "CivilRegistryHandoff")
    assert again["supplement"] == {
        "documents": ["GXN-123"],
        "note": "Đã bổ sung",
        "supplied_at": supplied_at,
    }
    assert again["correction"] is None
    assert again["due_at"] == closing(step_due)
    assert again["meta"]["event_id"] != first["meta"]["event_id"], "a new handoff, a new id"
    assert again["birth_certificate"] == first["birth_certificate"]
    handed = only(outputs, "StepHandedOff")
    assert (handed["step"], handed["due_at"]) == (CR, closing(step_due))
    assert hub.st.due_at == closing(dossier_due)
    assert hub.st.steps[CR].phase == "handed_off"
    assert hub.st.steps[CR].due_at == closing(step_due)


def test_a_restarted_clock_keeps_the_verification_target_of_the_step() -> None:
    record = submission(FULL)
    record["verification_needed"] = True
    hub = Desk(record)
    hub.submit()
    hub.complete(CR)
    assert hub.st.steps[RES].due_at == closing("2026-03-09"), "5 working days with verification"
    hub.ask_supplement(RES)
    hub.at = local("2026-03-04", "10:00")
    outputs = hub.supplement(RES)

    assert only(outputs, "DueDateChanged")["due_at"] == closing("2026-03-11")
    assert only(outputs, "ResidenceHandoff")["due_at"] == closing("2026-03-11")
    assert hub.st.steps[RES].due_at == closing("2026-03-11")


def _never_asked(hub: Desk) -> str:
    return CR


def _step_not_chosen(hub: Desk) -> str:
    hub.ask_supplement(CR)
    return RES


def _already_answered(hub: Desk) -> str:
    hub.ask_supplement(CR)
    hub.supplement(CR)
    return CR


def _dossier_withdrawn(hub: Desk) -> str:
    hub.ask_supplement(CR)
    hub.withdraw()
    return CR


def _dossier_expired(hub: Desk) -> str:
    hub.ask_supplement(CR)
    hub.at = closing("2026-03-12")
    hub.check()
    return CR


@pytest.mark.parametrize(
    "arrange",
    [_never_asked, _step_not_chosen, _already_answered, _dossier_withdrawn, _dossier_expired],
)
def test_a_supplement_nobody_asked_for_is_not_expected(arrange: Callable[[Desk], str]) -> None:
    hub = desk(WITH_HI)
    step = arrange(hub)
    with pytest.raises(NotExpected, match=f"no supplement was asked for {step}"):
        hub.supplement(step)


def test_a_redelivered_supplement_is_applied_once() -> None:
    hub = desk(WITH_HI)
    hub.ask_supplement(CR)
    event = hub.own_event("portal", "DossierSupplemented", step=CR, documents=["X"], note="")
    assert schemas(hub.apply("DossierSupplemented", event))[0] == "DueDateChanged"
    before = hub.st.to_table()
    assert hub.apply("DossierSupplemented", event) == []
    assert hub.st.to_table() == before


@pytest.mark.parametrize(
    "arrange",
    [
        pytest.param(lambda hub: hub.ask_supplement(CR), id="already-waiting"),
        pytest.param(lambda hub: hub.complete(CR), id="already-registered"),
        pytest.param(lambda hub: hub.withdraw(), id="withdrawn"),
    ],
)
def test_a_supplement_request_for_a_step_not_at_its_agency_is_ignored(
    arrange: Callable[[Desk], object],
) -> None:
    hub = desk(WITH_HI)
    arrange(hub)
    before = durable(hub.st)
    event = hub.own_event(
        topics.STEP_TOPIC_NAMES[CR],
        "SupplementRequested",
        step=CR,
        missing=["Something else"],
        message="Please supply something else entirely.",
    )
    assert hub.apply("SupplementRequested", event) == []
    assert durable(hub.st) == before


# -- the legal clock: overdue, extensions, expiry ----------------------------------------------

#: Each step's own date for a dossier received on Monday 2 March 2026.
STEP_DUE = {CR: "2026-03-02", RES: "2026-03-04", HI: "2026-03-04"}


def at_step(step: str) -> Desk:
    """A dossier where ``step`` is at its agency (birth registered when it is a later step)."""
    return desk(FULL) if step == CR else split((CR, step))


@pytest.mark.parametrize("step", [CR, RES, HI])
@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (dt.timedelta(hours=-1), False),
        (dt.timedelta(0), False),
        (dt.timedelta(minutes=1), True),
        (dt.timedelta(days=3), True),
    ],
)
def test_needs_check_only_after_the_due_date(
    step: str, offset: dt.timedelta, expected: bool
) -> None:
    hub = at_step(step)
    due = closing(STEP_DUE[step])
    assert hub.st.steps[step].due_at == due
    assert needs_check(hub.st, due + offset) is expected


@pytest.mark.parametrize("step", [CR, RES, HI])
def test_a_late_step_is_reported_once_naming_the_step_and_agency(step: str) -> None:
    hub = at_step(step)
    due = closing(STEP_DUE[step])
    hub.at = due - dt.timedelta(minutes=1)
    assert hub.check() == [], "not late yet"
    hub.at = due + dt.timedelta(minutes=1)
    outputs = hub.check()

    assert schemas(outputs) == ["DossierOverdue"]
    overdue = only(outputs, "DossierOverdue")
    assert (overdue["step"], overdue["agency"], overdue["due_at"]) == (step, agency(step), due)
    assert overdue["message"].startswith(agency(step))
    assert "apologise" in overdue["message"]
    assert_readable(outputs)
    assert not needs_check(hub.st, hub.now)
    hub.at += dt.timedelta(days=2)
    assert hub.check() == [], "one event per missed date, not one per check"
    assert hub.st.phase == "open"


def test_two_late_agencies_are_each_reported() -> None:
    hub = split(FULL)
    hub.at = closing("2026-03-05")
    outputs = hub.check()
    assert [(r["step"], r["agency"]) for r in (e.record for e in outputs)] == [
        (RES, agency(RES)),
        (HI, agency(HI)),
    ]
    assert hub.check() == []


@pytest.mark.parametrize("step", [CR, RES])
def test_an_extension_apologises_and_the_new_date_is_watched(step: str) -> None:
    hub = at_step(step)
    hub.at = closing(STEP_DUE[step]) + dt.timedelta(hours=1)
    hub.check()
    new_due = closing("2026-03-10")
    apology = "We apologise: the officer was ill. The result will be ready by 10 March."
    outputs = hub.extend(step, new_due, apology)

    assert schemas(outputs) == ["DueDateChanged"]
    changed = only(outputs, "DueDateChanged")
    assert (changed["step"], changed["due_at"], changed["message"]) == (step, new_due, apology)
    assert_readable(outputs)
    assert hub.st.steps[step].effective_due == new_due
    hub.at = new_due
    assert not needs_check(hub.st, hub.now)
    assert hub.check() == []
    hub.at = new_due + dt.timedelta(minutes=1)
    assert needs_check(hub.st, hub.now)
    overdue = only(hub.check(), "DossierOverdue")
    assert (overdue["step"], overdue["due_at"]) == (step, new_due)
    assert hub.check() == []


def test_an_extension_for_a_step_not_at_its_agency_is_ignored() -> None:
    hub = split(WITH_HI)
    before = durable(hub.st)
    assert hub.extend(CR, closing("2026-03-10"), "We apologise for nothing at all.") == []
    assert durable(hub.st) == before


def test_a_step_waiting_for_the_citizen_is_not_overdue() -> None:
    hub = desk(FULL)
    hub.ask_supplement(CR)
    respond_by = hub.st.steps[CR].respond_by
    assert respond_by == closing("2026-03-11")
    for moment in (closing("2026-03-03"), respond_by):
        assert not needs_check(hub.st, moment)
        hub.at = moment
        assert hub.check() == []
    assert needs_check(hub.st, respond_by + dt.timedelta(minutes=1))


@pytest.mark.parametrize(
    ("procedures", "asking", "completed", "outcome"),
    [
        pytest.param(FULL, CR, (), "REJECTED", id="civil-registry-asked"),
        pytest.param(WITH_RES, CR, (), "REJECTED", id="civil-registry-asked-2-steps"),
        pytest.param(WITH_HI, HI, (CR,), "PARTLY_COMPLETED", id="health-insurance-asked"),
        pytest.param(FULL, RES, (CR, HI), "PARTLY_COMPLETED", id="residence-asked-last"),
        pytest.param(FULL, RES, (CR,), None, id="residence-asked-card-pending"),
    ],
)
def test_no_supplement_in_seven_working_days_rejects_the_step(
    procedures: tuple[str, ...], asking: str, completed: tuple[str, ...], outcome: str | None
) -> None:
    hub = desk(procedures)
    if CR in completed:
        hub.complete(CR)
    hub.ask_supplement(asking)
    for step in completed[1:]:
        hub.complete(step)
    respond_by = hub.st.steps[asking].respond_by
    assert respond_by is not None
    hub.at = respond_by
    assert [e for e in hub.check() if e.record["step"] == asking] == []
    hub.at = respond_by + dt.timedelta(minutes=1)
    outputs = [e for e in hub.check() if e.schema != "DossierOverdue"]

    finished = only(outputs, "StepFinished")
    assert (finished["step"], finished["outcome"]) == (asking, "REJECTED")
    assert "No supplement arrived within 7 working days" in finished["reason"]
    assert MISSING in finished["reason"]
    assert_readable(outputs)
    assert hub.st.steps[asking].reason_code == EXPIRED
    assert handoffs(outputs) == []
    if asking == CR:
        assert [hub.st.steps[s].phase for s in procedures[1:]] == ["not_started"] * (
            len(procedures) - 1
        )
    if outcome is None:
        assert "DossierFinished" not in schemas(outputs)
        assert hub.st.phase == "open"
    else:
        done = only(outputs, "DossierFinished")
        assert done["outcome"] == outcome
        by_step = {p["step"]: p for p in done["procedures"]}
        assert by_step[asking]["outcome"] == "REJECTED"
        assert by_step[asking]["reason"] == finished["reason"]
        assert hub.st.outcome == outcome
    assert [e for e in hub.check() if e.record.get("step") == asking] == [], "expired once"


# -- return for correction ---------------------------------------------------------------------

WRONG = "The child's personal ID number does not match the sex in the population data."


def wrong_sex_id(hub: Desk) -> str:
    right = child_personal_id(hub.submission)
    sex_digit = int(right[3])
    return right[:3] + str(sex_digit ^ 1) + right[4:]


@pytest.mark.parametrize(("procedures", "asking"), [(WITH_HI, HI), (FULL, HI), (FULL, RES)])
def test_a_correction_goes_back_to_the_civil_registry_not_to_the_citizen(
    procedures: tuple[str, ...], asking: str
) -> None:
    hub = desk(procedures)
    hub.register(wrong_sex_id(hub))
    first = hub.handoffs[CR]
    outputs = hub.ask_correction(asking, WRONG)

    assert schemas(outputs) == ["StepWaiting", "CivilRegistryHandoff", "StepHandedOff"]
    waiting = only(outputs, "StepWaiting")
    assert (waiting["step"], waiting["waiting_for"]) == (asking, "CORRECTION")
    assert "nothing is needed from you" in waiting["message"]
    assert_readable(outputs)
    again = only(outputs, "CivilRegistryHandoff")
    assert again["correction"] == WRONG
    assert again["supplement"] is None
    assert again["meta"]["event_id"] != first["meta"]["event_id"]
    declared = wire("DossierSubmitted", hub.submission)["child"]
    assert again["child"] == declared, "the declared child, not the registered identity"
    assert "personal_id" not in again["child"]
    assert only(outputs, "StepHandedOff")["step"] == CR
    assert hub.st.steps[asking].awaiting == "correction"
    assert "SupplementAwaited" not in schemas(hub.log)


@pytest.mark.parametrize(("procedures", "asking"), [(WITH_HI, HI), (FULL, HI), (FULL, RES)])
def test_the_corrected_registration_hands_the_asking_step_off_again(
    procedures: tuple[str, ...], asking: str
) -> None:
    hub = desk(procedures)
    hub.register(wrong_sex_id(hub))
    first = hub.handoffs[asking]
    hub.ask_correction(asking, WRONG)
    corrected = child_personal_id(hub.submission)
    outputs = hub.register(corrected)

    finished = only(outputs, "StepFinished")
    assert (finished["step"], finished["outcome"]) == (CR, "COMPLETED")
    assert [env.schema for env in handoffs(outputs)] == [HANDOFF[asking]]
    again = handoffs(outputs)[0].record
    assert again["child"]["personal_id"] == corrected
    assert identifiers.check_personal_id(corrected) is None
    assert again["meta"]["event_id"] != first["meta"]["event_id"]
    assert only(outputs, "StepHandedOff")["step"] == asking
    assert hub.st.steps[asking].awaiting is None
    assert hub.st.subject is not None and hub.st.subject["personal_id"] == corrected
    assert "DossierFinished" not in schemas(outputs)
    last = [hub.complete(s) for s in procedures[1:]][-1]
    assert only(last, "DossierFinished")["outcome"] == "COMPLETED"


@pytest.mark.parametrize(
    ("procedures", "arrange", "target"),
    [
        pytest.param(WITH_HI, lambda hub: None, CR, id="birth-not-registered"),
        pytest.param(
            WITH_HI, lambda hub: hub.ask_supplement(CR), CR, id="birth-waiting-for-supplement"
        ),
        pytest.param(WITH_HI, lambda hub: hub.complete(CR), RES, id="target-not-chosen"),
    ],
)
def test_correcting_a_step_without_a_result_is_not_expected(
    procedures: tuple[str, ...], arrange: Callable[[Desk], object], target: str
) -> None:
    hub = desk(procedures)
    arrange(hub)
    event = hub.own_event(
        topics.STEP_TOPIC_NAMES[HI],
        "CorrectionRequested",
        step=HI,
        target_step=target,
        reason=WRONG,
    )
    with pytest.raises(NotExpected, match=f"{target} has no result to correct"):
        hub.apply("CorrectionRequested", event)


# -- withdrawal --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("procedures", "arrange"),
    [
        pytest.param(FULL, lambda hub: None, id="at-the-civil-registry"),
        pytest.param(WITH_HI, lambda hub: None, id="two-steps"),
        pytest.param(FULL, lambda hub: hub.ask_supplement(CR), id="waiting-for-a-supplement"),
        pytest.param(
            WITH_RES, lambda hub: (hub.ask_supplement(CR), hub.supplement(CR)), id="supplemented"
        ),
    ],
)
def test_a_withdrawal_before_any_step_finished_cancels_every_handoff(
    procedures: tuple[str, ...], arrange: Callable[[Desk], object]
) -> None:
    hub = desk(procedures)
    arrange(hub)
    outputs = hub.withdraw()

    assert schemas(outputs) == ["WithdrawalAnswered", "HandoffCancelled", "DossierFinished"]
    answer = only(outputs, "WithdrawalAnswered")
    assert (answer["accepted"], answer["reason"]) == (True, "")
    (cancelled,) = [env for env in outputs if env.schema == "HandoffCancelled"]
    assert cancelled.topic == topics.handoff(CR)
    assert cancelled.key == hub.dossier_id
    assert cancelled.record["step"] == CR
    assert cancelled.record["register_key"] == hub.submission["birth_certificate"]["code"]
    assert READABLE.match(cancelled.record["reason"])
    done = only(outputs, "DossierFinished")
    assert done["outcome"] == "WITHDRAWN"
    assert [(p["step"], p["outcome"]) for p in done["procedures"]] == [
        (s, "WITHDRAWN") for s in procedures
    ]
    assert_readable(outputs)
    assert (hub.st.phase, hub.st.outcome) == ("withdrawn", "WITHDRAWN")


def test_a_withdrawal_tells_every_agency_holding_a_step() -> None:
    hub = desk(FULL)
    # the birth group never has two agencies at work before a step finished; a group whose
    # first steps run in parallel would
    for step in (RES, HI):
        hub.st.steps[step].phase = "handed_off"
    outputs = hub.withdraw()

    cancelled = [env for env in outputs if env.schema == "HandoffCancelled"]
    assert [(env.topic, env.record["step"]) for env in cancelled] == [
        (topics.handoff(s), s) for s in FULL
    ]
    codes = [env.record["register_key"] for env in cancelled]
    assert codes == [hub.submission["birth_certificate"]["code"], None, None]


def _registered(hub: Desk) -> None:
    hub.complete(CR)


def _registered_pending(hub: Desk) -> None:
    hub.register(pending=True)


def _in_correction(hub: Desk) -> None:
    hub.register(wrong_sex_id(hub))
    hub.ask_correction(HI, WRONG)


def _refused(hub: Desk) -> None:
    hub.refuse(CR, "duplicate_birth", "This birth is already registered.")


def _completed(hub: Desk) -> None:
    hub.complete(CR)
    hub.complete(HI)


def _withdrawn(hub: Desk) -> None:
    hub.withdraw()


@pytest.mark.parametrize(
    ("arrange", "reason"),
    [
        pytest.param(_registered, agency(CR), id="birth-registered"),
        pytest.param(_registered_pending, agency(CR), id="birth-registered-id-pending"),
        pytest.param(_in_correction, agency(CR), id="birth-back-for-correction"),
        pytest.param(_refused, "already closed", id="dossier-rejected"),
        pytest.param(_completed, "already closed", id="dossier-completed"),
        pytest.param(_withdrawn, "already closed", id="dossier-withdrawn"),
    ],
)
def test_a_withdrawal_after_the_first_step_finished_is_refused_with_a_reason(
    arrange: Callable[[Desk], None], reason: str
) -> None:
    hub = desk(WITH_HI)
    arrange(hub)
    before = hub.st.to_table()
    outputs = hub.withdraw()

    assert schemas(outputs) == ["WithdrawalAnswered"]
    answer = only(outputs, "WithdrawalAnswered")
    assert answer["accepted"] is False
    assert reason in answer["reason"]
    assert_readable(outputs)
    assert hub.st.phase == before["phase"] and hub.st.outcome == before["outcome"]
    assert hub.st.to_table()["steps"] == before["steps"]


def _late_registration(hub: Desk) -> list[Envelope]:
    return hub.complete(CR)


def _late_refusal(hub: Desk) -> list[Envelope]:
    return hub.refuse(CR, "certificate_mismatch", "The certificate does not match.")


def _late_supplement_request(hub: Desk) -> list[Envelope]:
    return hub.ask_supplement(CR)


def _late_extension(hub: Desk) -> list[Envelope]:
    return hub.extend(CR, closing("2026-03-10"), "We apologise for the delay, truly.")


def _late_check(hub: Desk) -> list[Envelope]:
    hub.at = closing("2026-03-20")
    return hub.check()


@pytest.mark.parametrize(
    "late",
    [
        _late_registration,
        _late_refusal,
        _late_supplement_request,
        _late_extension,
        _late_check,
    ],
)
def test_what_arrives_after_a_withdrawal_changes_nothing(
    late: Callable[[Desk], list[Envelope]],
) -> None:
    hub = desk(FULL)
    hub.withdraw()
    before = durable(hub.st)
    assert late(hub) == []
    assert durable(hub.st) == before
    assert not needs_check(hub.st, closing("2026-03-20"))


# -- the contract ------------------------------------------------------------------------------


def test_every_exception_path_emits_only_events_that_fit_their_schemas() -> None:
    """Each path through one dossier; ``Desk.apply`` encodes every output as it goes."""
    seen: set[str] = set()
    pending = desk(FULL)
    pending.register(pending=True)
    pending.issue_id(child_personal_id(pending.submission))
    pending.ask_correction(HI, WRONG)
    pending.register(child_personal_id(pending.submission))
    pending.at = closing("2026-03-05")
    pending.check()
    pending.extend(RES, closing("2026-03-10"), "We apologise: the system was down for a day.")
    expired = desk(FULL)
    expired.ask_supplement(CR)
    expired.at = closing("2026-03-12")
    expired.check()
    answered = desk(WITH_RES, supplement_clock="pause")
    answered.ask_supplement(CR)
    answered.supplement(CR)
    withdrawn = desk(WITH_HI)
    withdrawn.withdraw()
    withdrawn.withdraw()
    refused = split(WITH_HI)
    refused.withdraw()
    for hub in (pending, expired, answered, withdrawn, refused):
        for env in hub.log:
            CODEC.encode(env.schema, env.record)  # raises RecordMismatch when it does not fit
            seen.add(env.schema)
        assert_readable(hub.log)
    assert {
        "StepWaiting",
        "SupplementAwaited",
        "DueDateChanged",
        "DossierOverdue",
        "WithdrawalAnswered",
        "HandoffCancelled",
        "DossierFinished",
        "StepFinished",
        *HANDOFF.values(),
    } <= seen


def test_an_unanswered_handoff_is_sent_again_with_the_same_event_id() -> None:
    """A handoff lost between hub and agency (or an answer lost) cannot strand a dossier."""
    desk = Desk(submission((CR, HI)))
    desk.resend_after = dt.timedelta(minutes=10)
    sent = desk.at = desk.now
    first = [e for e in desk.submit() if e.schema == "CivilRegistryHandoff"]
    desk.at = sent + dt.timedelta(minutes=5)
    assert desk.check() == []
    desk.at = sent + dt.timedelta(minutes=11)
    again = [e for e in desk.check() if e.schema.endswith("Handoff")]
    assert [e.event_id for e in again] == [e.event_id for e in first]
    assert again[0].record["birth_certificate"] == first[0].record["birth_certificate"]
