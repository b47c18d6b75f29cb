"""The hub's pure decisions: receipt, split, finishing, redelivery, errors, data minimisation."""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from typing import Any

import pytest

from lienthong import topics
from lienthong.contracts.codec import AvroCodec
from lienthong.contracts.events import Envelope
from lienthong.domain import identifiers, units
from lienthong.domain.agency import completion, rejection
from lienthong.domain.calendar import WorkingCalendar
from lienthong.errors import LienthongError
from lienthong.groups.birth.breakers import INVALID_KINDS
from lienthong.groups.birth.synthetic import generate
from lienthong.hub.state import DossierState
from lienthong.hub.transitions import (
    Context,
    DossierIdConflict,
    UnknownDossier,
    decide,
    lookup_code,
)
from lienthong.lookup import Keyring

Record = dict[str, Any]
CR, RES, HI = "civil_registry", "residence", "health_insurance"
#: Monday 2 March 2026, 08:00 in Hanoi.
START = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
CALENDAR = WorkingCalendar()
CODEC = AvroCodec()
SECRET = Keyring.single(b"unit-test-secret")
BASE_URL = "https://status.example.test"
DOSSIERS = [d.record for d in generate(40, seed=2026, start=START, twins_share=0.0)]
COMBINATIONS = [
    pytest.param((CR, RES, HI), id="full-group"),
    pytest.param((CR, RES), id="birth+residence"),
    pytest.param((CR, HI), id="birth+health-insurance"),
]
COMPLETED = {CR: "BirthRegistered", RES: "ResidenceRegistered", HI: "CardIssued"}
HANDOFF = {CR: "CivilRegistryHandoff", RES: "ResidenceHandoff", HI: "HealthInsuranceHandoff"}


def submission(procedures: tuple[str, ...], nth: int = 0) -> Record:
    """A fresh copy of the ``nth`` generated valid dossier with exactly these procedures."""
    found = [r for r in DOSSIERS if tuple(r["procedures"]) == procedures]
    return copy.deepcopy(found[nth])


def wire(schema: str, record: Record) -> Record:
    """What a consumer of ``record`` reads from Kafka (and proof that it fits its schema)."""
    return CODEC.decode(CODEC.encode(schema, record)).record


def schema_fields(schema: str) -> set[str]:
    return {f["name"] for f in CODEC.catalogue.get(schema).expanded["fields"]}


def child_personal_id(submission: Record) -> str:
    """The ID number our fake civil registry gives the child of ``submission``."""
    child = submission["child"]
    commune = units.commune(submission["registering_commune"])
    assert commune is not None
    year = CALENDAR.local_date(child["born_at"]).year
    return identifiers.personal_id(commune.province_code, child["sex"], year, 4242)


class Hub:
    """One dossier driven through ``decide`` the way the hub agent does it.

    The state makes a JSON round trip between events (as through the Faust table), every event
    in and out crosses the Avro codec; the hub receives the dossier when it is submitted and
    the clock moves ten minutes per event.
    """

    def __init__(self, record: Record) -> None:
        self.submission = record
        self.state: DossierState | None = None
        self.events = 0
        self.handoffs: dict[str, Record] = {}

    @property
    def now(self) -> dt.datetime:
        submitted: dt.datetime = self.submission["submitted_at"]
        return submitted + dt.timedelta(minutes=10 * self.events)

    def context(self) -> Context:
        return Context(self.now, CALENDAR, SECRET, BASE_URL)

    def apply(self, name: str, record: Record) -> list[Envelope]:
        before = None if self.state is None else DossierState.from_table(self.state.to_table())
        after, outputs = decide(before, name, wire(name, record), self.context())
        self.events += 1
        self.state = after
        for env in outputs:
            if env.schema in HANDOFF.values():
                step = next(s for s, schema in HANDOFF.items() if schema == env.schema)
                self.handoffs[step] = wire(env.schema, env.record)
        return outputs

    def submit(self) -> list[Envelope]:
        return self.apply("DossierSubmitted", self.submission)

    def complete(self, step: str) -> list[Envelope]:
        return self.apply(COMPLETED[step], self.completion(step))

    def refuse(
        self, step: str, code: str = "test_refusal", reason: str = "Refused."
    ) -> list[Envelope]:
        return self.apply("StepRejected", self.rejection(step, code, reason))

    def completion(self, step: str) -> Record:
        """The agency's completion event, built as the agencies build theirs."""
        handoff = self.handoffs[step]
        at = self.now
        if step == CR:
            child = handoff["child"]
            fields: Record = {
                "registration_number": "000001/2026/KS-" + handoff["registering_commune"],
                "registered_on": CALENDAR.local_date(at),
                "child": {
                    "full_name": f"{child['family_name']} {child['given_name']}",
                    "born_at": child["born_at"],
                    "sex": child["sex"],
                    "personal_id": child_personal_id(self.submission),
                },
                "extract_ref": "TLKS-000001",
            }
        elif step == RES:
            fields = {
                "confirmation_ref": "CT-0001",
                "registered_on": CALENDAR.local_date(at),
                "address": handoff["request"]["address"],
                "head_of_household": handoff["request"]["head_of_household"],
            }
        else:
            born = CALENDAR.local_date(handoff["child"]["born_at"])
            fields = {
                "social_insurance_number": "7900000001",
                "card_code": "TE1797900000001",
                "valid_from": born,
                "valid_until": identifiers.card_valid_until(born),
                "clinic_code": handoff["clinic"]["clinic_code"],
            }
        return completion(step, COMPLETED[step], handoff, at, **fields).record

    def rejection(self, step: str, code: str, reason: str) -> Record:
        return rejection(step, self.handoffs[step], self.now, code, reason).outputs[0].record


def schemas(outputs: list[Envelope]) -> list[str]:
    return [env.schema for env in outputs]


def only(outputs: list[Envelope], schema: str) -> Record:
    (found,) = [env.record for env in outputs if env.schema == schema]
    return found


# -- receipt ---------------------------------------------------------------------------------


@pytest.mark.parametrize("procedures", COMBINATIONS)
def test_a_valid_submission_is_received_and_handed_to_the_civil_registry(
    procedures: tuple[str, ...],
) -> None:
    record = submission(procedures)
    hub = Hub(record)
    outputs = hub.submit()
    dossier_id = record["meta"]["dossier_id"]

    assert schemas(outputs) == ["DossierReceived", "CivilRegistryHandoff", "StepHandedOff"]
    assert [env.topic for env in outputs] == [topics.STATUS, topics.handoff(CR), topics.STATUS]
    assert {env.key for env in outputs} == {dossier_id}
    received = only(outputs, "DossierReceived")
    assert received["receipt_number"] == f"TN-{dossier_id}"
    assert received["lookup_code"] == lookup_code(SECRET, dossier_id)
    assert received["procedures"] == list(procedures)
    assert received["status_url"] == (
        f"{BASE_URL}/status/TN-{dossier_id}?code={received['lookup_code']}"
    )
    handed = only(outputs, "StepHandedOff")
    assert handed["step"] == CR
    assert str(handed["meta"]["causation_id"]) == str(record["meta"]["event_id"])

    state = hub.state
    assert state is not None and state.phase == "open"
    assert state.procedures == list(procedures)
    assert {s: st.phase for s, st in state.steps.items()} == {
        s: "handed_off" if s == CR else "waiting" for s in procedures
    }
    assert state.submission, "the submission is kept for the later projections"


@pytest.mark.parametrize(
    ("local_time", "verification", "received_on", "due_on", "birth_due_on"),
    [
        # Monday 2 March 2026: before the 15:00 cut-off it is received the same day
        ("09:00", False, "2026-03-02", "2026-03-05", "2026-03-02"),
        ("15:00", False, "2026-03-02", "2026-03-05", "2026-03-02"),
        # after 15:00 it counts as received on the next working day
        ("15:01", False, "2026-03-03", "2026-03-06", "2026-03-03"),
        # verification needed: five working days, over the weekend
        ("09:00", True, "2026-03-02", "2026-03-09", "2026-03-02"),
    ],
)
def test_receipt_dates_follow_the_legal_clock(
    local_time: str, verification: bool, received_on: str, due_on: str, birth_due_on: str
) -> None:
    record = submission((CR, RES, HI))
    hour, minute = map(int, local_time.split(":"))
    local = dt.datetime(2026, 3, 2, hour, minute, tzinfo=CALENDAR.zone)
    record["submitted_at"] = record["meta"]["occurred_at"] = local.astimezone(dt.UTC)
    record["verification_needed"] = verification
    outputs = Hub(record).submit()

    received = only(outputs, "DossierReceived")
    assert received["received_on"] == dt.date.fromisoformat(received_on)
    assert received["due_at"] == CALENDAR.closing(dt.date.fromisoformat(due_on))
    assert only(outputs, "CivilRegistryHandoff")["due_at"] == CALENDAR.closing(
        dt.date.fromisoformat(birth_due_on)
    )


# -- the contract -----------------------------------------------------------------------------


def test_every_output_of_every_generated_dossier_fits_its_schema() -> None:
    records = [s.record for s in generate(30, seed=11, start=START, invalid_share=0.3)]
    seen: set[str] = set()
    for record in records:
        hub = Hub(record)
        outputs = hub.submit()
        if CR in hub.handoffs:
            outputs += hub.complete(CR)
            for step in record["procedures"][1:]:
                outputs += hub.complete(step)
        for env in outputs:
            CODEC.encode(env.schema, env.record)  # raises RecordMismatch when it does not fit
            seen.add(env.schema)
    assert seen == {
        "DossierReceived",
        "DossierRejected",
        "StepHandedOff",
        "StepFinished",
        "DossierFinished",
        *HANDOFF.values(),
    }


# -- the split --------------------------------------------------------------------------------


@pytest.mark.parametrize("procedures", COMBINATIONS)
def test_birth_registered_hands_off_exactly_the_chosen_later_steps(
    procedures: tuple[str, ...],
) -> None:
    hub = Hub(submission(procedures))
    hub.submit()
    outputs = hub.complete(CR)
    later = [s for s in procedures if s != CR]

    finished = only(outputs, "StepFinished")
    assert (finished["step"], finished["outcome"]) == (CR, "COMPLETED")
    assert finished["result_ref"].startswith("000001/2026/KS-")
    handoffs = [env for env in outputs if env.schema.endswith("Handoff")]
    assert [env.schema for env in handoffs] == [HANDOFF[s] for s in later]
    assert [env.topic for env in handoffs] == [topics.handoff(s) for s in later]
    handed = [env.record["step"] for env in outputs if env.schema == "StepHandedOff"]
    assert handed == later
    expected_id = child_personal_id(hub.submission)
    for env in handoffs:
        assert env.record["child"]["personal_id"] == expected_id
    assert "DossierFinished" not in schemas(outputs)


# -- finishing --------------------------------------------------------------------------------


@pytest.mark.parametrize("procedures", COMBINATIONS)
def test_completing_every_chosen_step_finishes_the_dossier_completed(
    procedures: tuple[str, ...],
) -> None:
    hub = Hub(submission(procedures))
    hub.submit()
    steps = list(procedures)
    finished = [schemas(hub.complete(step)).count("DossierFinished") for step in steps]

    # finished once, by the last completion, not by the first of two parallel steps
    assert finished == [0] * (len(steps) - 1) + [1]
    assert hub.state is not None
    assert (hub.state.phase, hub.state.outcome) == ("finished", "COMPLETED")
    assert [st.phase for st in hub.state.steps.values()] == ["completed"] * len(steps)


def test_the_finished_event_gives_an_outcome_per_procedure() -> None:
    hub = Hub(submission((CR, RES, HI)))
    hub.submit()
    hub.complete(CR)
    hub.complete(HI)
    outputs = hub.complete(RES)

    done = only(outputs, "DossierFinished")
    assert done["outcome"] == "COMPLETED"
    assert [(p["step"], p["outcome"], p["result_ref"]) for p in done["procedures"]] == [
        (CR, "COMPLETED", f"000001/2026/KS-{hub.submission['registering_commune']}"),
        (RES, "COMPLETED", "CT-0001"),
        (HI, "COMPLETED", "TE1797900000001"),
    ]
    assert done["on_time"] is True


@pytest.mark.parametrize(
    ("procedures", "order", "expected"),
    [
        pytest.param(
            (CR, RES, HI),
            [("refuse", RES), ("complete", HI)],
            [(CR, "COMPLETED"), (RES, "REJECTED"), (HI, "COMPLETED")],
            id="residence-refused-first",
        ),
        pytest.param(
            (CR, RES, HI),
            [("complete", HI), ("refuse", RES)],
            [(CR, "COMPLETED"), (RES, "REJECTED"), (HI, "COMPLETED")],
            id="residence-refused-last",
        ),
        pytest.param(
            (CR, RES),
            [("refuse", RES)],
            [(CR, "COMPLETED"), (RES, "REJECTED")],
            id="birth+residence",
        ),
        pytest.param(
            (CR, HI),
            [("refuse", HI)],
            [(CR, "COMPLETED"), (HI, "REJECTED")],
            id="card-refused",
        ),
    ],
)
def test_a_refused_later_step_gives_partial_success(
    procedures: tuple[str, ...], order: list[tuple[str, str]], expected: list[tuple[str, str]]
) -> None:
    hub = Hub(submission(procedures))
    hub.submit()
    hub.complete(CR)
    outputs: list[Envelope] = []
    for action, step in order:
        outputs = (
            hub.refuse(step, "refused_for_test", "Refused by the agency.")
            if action == "refuse"
            else hub.complete(step)
        )

    done = only(outputs, "DossierFinished")
    assert done["outcome"] == "PARTLY_COMPLETED"
    assert [(p["step"], p["outcome"]) for p in done["procedures"]] == expected
    refused = next(p for p in done["procedures"] if p["outcome"] == "REJECTED")
    assert refused["reason"] == "Refused by the agency."
    assert hub.state is not None and hub.state.outcome == "PARTLY_COMPLETED"


@pytest.mark.parametrize("procedures", COMBINATIONS)
def test_a_refused_birth_registration_rejects_the_dossier_and_starts_nothing(
    procedures: tuple[str, ...],
) -> None:
    hub = Hub(submission(procedures))
    hub.submit()
    outputs = hub.refuse(CR, "duplicate_birth", "This birth is already registered.")
    later = [s for s in procedures if s != CR]

    assert schemas(outputs) == ["StepFinished", "DossierFinished"]
    finished = only(outputs, "StepFinished")
    assert (finished["step"], finished["outcome"]) == (CR, "REJECTED")
    assert finished["reason"] == "This birth is already registered."
    done = only(outputs, "DossierFinished")
    assert done["outcome"] == "REJECTED"
    assert [(p["step"], p["outcome"]) for p in done["procedures"]] == [
        (CR, "REJECTED"),
        *((s, "NOT_STARTED") for s in later),
    ]
    for p in done["procedures"][1:]:
        assert "refused" in p["reason"]
    state = hub.state
    assert state is not None
    assert state.steps[CR].reason_code == "duplicate_birth"
    assert all(state.steps[s].phase == "not_started" for s in later)
    # a late completion from the refused step changes nothing any more
    assert hub.apply("BirthRegistered", hub.completion(CR)) == []


# -- intake refusals --------------------------------------------------------------------------

#: The field each invalid kind of synthetic dossier must be refused on.
INVALID_FIELDS = {
    "invalid_personal_id": "applicant.personal_id",
    "date_in_future": "child.born_at",
    "parent_born_after_child": "mother.date_of_birth",
    "unknown_commune": "child.birth_place.commune_code",
    "combination_not_allowed": "procedures",
    "invalid_birth_certificate_code": "birth_certificate.code",
    "invalid_phone": "applicant.phone",
    "late_registration": "child.born_at",
    "collective_household": "residence.relationship_to_head",
}


def test_the_table_covers_every_invalid_kind() -> None:
    assert set(INVALID_FIELDS) == set(INVALID_KINDS)


@pytest.mark.parametrize(("kind", "field"), sorted(INVALID_FIELDS.items()))
def test_an_invalid_submission_is_rejected_naming_the_field_and_the_code(
    kind: str, field: str
) -> None:
    (made,) = generate(1, seed=5, start=START, invalid_share=1.0, invalid_kinds=[kind])
    assert made.invalid == kind
    hub = Hub(made.record)
    outputs = hub.submit()

    assert schemas(outputs) == ["DossierRejected"]
    assert outputs[0].topic == topics.STATUS
    reasons = only(outputs, "DossierRejected")["reasons"]
    assert (field, kind) in [(r["field"], r["code"]) for r in reasons]
    assert all(r["message"] for r in reasons)
    state = hub.state
    assert state is not None
    assert (state.phase, state.outcome) == ("rejected", "REJECTED")
    assert state.steps == {} and hub.handoffs == {}


# -- redelivery and determinism ----------------------------------------------------------------


def _deliver(hub: Hub, kind: str) -> tuple[str, Record]:
    """Bring ``hub`` to where ``kind`` arrives; return that event (already applied once)."""
    hub.submit()
    if kind == "DossierSubmitted":
        return kind, hub.submission
    event = hub.completion(CR)
    hub.apply("BirthRegistered", event)
    if kind == "BirthRegistered":
        return kind, event
    if kind == "StepRejected":
        event = hub.rejection(RES, "address_mismatch", "Not the parent's address.")
    else:
        event = hub.completion(RES if kind == "ResidenceRegistered" else HI)
    hub.apply(kind, event)
    return kind, event


@pytest.mark.parametrize(
    "kind",
    ["DossierSubmitted", "BirthRegistered", "ResidenceRegistered", "CardIssued", "StepRejected"],
)
def test_a_redelivered_event_yields_nothing_and_changes_nothing(kind: str) -> None:
    hub = Hub(submission((CR, RES, HI)))
    name, event = _deliver(hub, kind)
    assert hub.state is not None
    before = hub.state.to_table()

    assert hub.apply(name, event) == []
    assert hub.state.to_table() == before


def test_a_redelivered_invalid_submission_is_not_rejected_twice() -> None:
    (made,) = generate(1, seed=5, start=START, invalid_share=1.0, invalid_kinds=["invalid_phone"])
    hub = Hub(made.record)
    hub.submit()
    assert hub.submit() == []


def _whole_story(record: Record) -> list[Envelope]:
    hub = Hub(record)
    outputs = hub.submit()
    outputs += hub.complete(CR)
    outputs += hub.refuse(RES, "consent_missing", "No consent.")
    outputs += hub.complete(HI)
    return outputs


def test_the_same_inputs_give_the_same_event_ids() -> None:
    first = _whole_story(submission((CR, RES, HI)))
    again = _whole_story(submission((CR, RES, HI)))

    assert [env.event_id for env in first] == [env.event_id for env in again]
    assert [env.record for env in first] == [env.record for env in again]
    assert len({env.event_id for env in first}) == len(first), "ids are unique within a story"


def test_the_last_two_answers_in_either_order_finish_the_dossier_with_one_event() -> None:
    # After a crash the hub may read its last two answers again in the other order (they come
    # on different topics): the repeated DossierFinished must be the same event, not a second.
    hub = Hub(submission((CR, RES, HI)))
    hub.submit()
    hub.complete(CR)
    other = copy.deepcopy(hub)
    one = only(hub.complete(RES) + hub.complete(HI), "DossierFinished")
    two = only(other.complete(HI) + other.complete(RES), "DossierFinished")
    assert one["meta"]["causation_id"] != two["meta"]["causation_id"]
    assert one["meta"]["event_id"] == two["meta"]["event_id"]
    assert one["outcome"] == two["outcome"] == "COMPLETED"


def test_the_same_last_answers_read_later_in_another_order_finish_with_the_same_message() -> None:
    # The crash case: the agencies' answers are the same messages, the hub reads them again in
    # the other order and later by its clock; its DossierFinished must be byte for byte the
    # same (same id, same payload), or a reader keeping the first would hold another story.
    hub = Hub(submission((CR, RES, HI)))
    hub.submit()
    hub.complete(CR)
    answers = {step: hub.completion(step) for step in (RES, HI)}
    again = copy.deepcopy(hub)
    again.events += 7  # read again later

    def finish(driver: Hub, order: tuple[str, str]) -> Record:
        outputs = [o for step in order for o in driver.apply(COMPLETED[step], answers[step])]
        return only(outputs, "DossierFinished")

    first, repeat = finish(hub, (RES, HI)), finish(again, (HI, RES))
    assert CODEC.encode("DossierFinished", first) == CODEC.encode("DossierFinished", repeat)
    last = max(
        answers.values(), key=lambda a: (a["meta"]["occurred_at"], str(a["meta"]["event_id"]))
    )
    assert first["meta"]["causation_id"] == str(last["meta"]["event_id"])
    assert first["meta"]["occurred_at"] == last["meta"]["occurred_at"]


def test_different_dossiers_get_different_event_ids() -> None:
    one = {env.event_id for env in _whole_story(submission((CR, RES, HI), 0))}
    other = {env.event_id for env in _whole_story(submission((CR, RES, HI), 1))}
    assert one.isdisjoint(other)


# -- errors -----------------------------------------------------------------------------------


def _unknown(kind: str) -> Record:
    """A completion of ``kind`` for a dossier the hub never received."""
    hub = Hub(submission((CR, RES, HI)))
    _deliver(hub, "BirthRegistered")
    if kind == "BirthRegistered":
        return hub.completion(CR)
    if kind == "StepRejected":
        return hub.rejection(RES, "address_mismatch", "Not the parent's address.")
    return hub.completion(RES if kind == "ResidenceRegistered" else HI)


@pytest.mark.parametrize(
    "kind", ["BirthRegistered", "ResidenceRegistered", "CardIssued", "StepRejected"]
)
def test_a_completion_for_an_unknown_dossier_raises(kind: str) -> None:
    event = _unknown(kind)
    ctx = Context(START, CALENDAR, SECRET, BASE_URL)
    with pytest.raises(UnknownDossier, match=event["meta"]["dossier_id"]):
        decide(None, kind, wire(kind, event), ctx)


def test_a_second_submission_with_the_same_dossier_id_raises() -> None:
    hub = Hub(submission((CR, RES, HI)))
    hub.submit()
    other = copy.deepcopy(hub.submission)
    other["meta"]["event_id"] = uuid.uuid4()
    with pytest.raises(DossierIdConflict):
        hub.apply("DossierSubmitted", other)


def test_an_event_the_hub_has_no_handler_for_raises() -> None:
    ctx = Context(START, CALENDAR, SECRET, BASE_URL)
    with pytest.raises(LienthongError, match="no handler for DossierTeleported"):
        decide(None, "DossierTeleported", {}, ctx)


# -- data minimisation ------------------------------------------------------------------------

#: Sections of the declaration that an agency must never receive.
FORBIDDEN = {
    "CivilRegistryHandoff": {"residence", "health_insurance", "request", "clinic"},
    "ResidenceHandoff": {"mother", "father", "applicant", "birth_certificate", "clinic"},
    "HealthInsuranceHandoff": {"mother", "father", "applicant", "birth_certificate", "request"},
}


def _all_handoffs(procedures: tuple[str, ...], nth: int = 0) -> tuple[Record, list[Envelope]]:
    hub = Hub(submission(procedures, nth))
    outputs = hub.submit() + hub.complete(CR)
    return hub.submission, [env for env in outputs if env.schema.endswith("Handoff")]


@pytest.mark.parametrize("procedures", COMBINATIONS)
def test_each_handoff_carries_exactly_the_fields_of_its_schema(
    procedures: tuple[str, ...],
) -> None:
    _, handoffs = _all_handoffs(procedures)
    assert len(handoffs) == len(procedures)
    for env in handoffs:
        assert set(env.record) == schema_fields(env.schema), env.schema
        assert not set(env.record) & FORBIDDEN[env.schema], env.schema


@pytest.mark.parametrize("nth", range(3))
def test_later_agencies_see_no_personal_data_they_do_not_need(nth: int) -> None:
    declared, handoffs = _all_handoffs((CR, RES, HI), nth)
    residence = next(e.record for e in handoffs if e.schema == "ResidenceHandoff")
    card = next(e.record for e in handoffs if e.schema == "HealthInsuranceHandoff")
    chosen = (
        declared["mother"] if declared["residence"]["parent"] == "MOTHER" else declared["father"]
    )
    other = declared["father"] if chosen is declared["mother"] else declared["mother"]
    secrets = [
        declared["applicant"]["phone"],
        declared["birth_certificate"]["code"],
    ]
    if other is not None and other["personal_id"] != declared["residence"]["head_personal_id"]:
        secrets.append(other["personal_id"])
    for value in secrets:
        assert value not in repr(residence), value
    # Social Security needs neither parent, nor the household
    for value in [*secrets, chosen["personal_id"], chosen["full_name"]]:
        assert value not in repr(card), value
    assert residence["parent_personal_id"] == chosen["personal_id"]


# -- the submission read once per kept state ------------------------------------------------


def test_a_kept_state_reads_its_submission_once_for_every_handoff(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The state object the hub keeps between inputs (runtime.staged.KeptTable) decodes the
    submission at the first handoff only; the later handoffs are the same as from a state
    read again from its stored JSON, which decodes it anew."""
    from lienthong.hub import steps

    reads: list[str] = []
    decode = steps._decode_submission

    def counted(kept: str) -> Any:
        reads.append(kept)
        return decode(kept)

    monkeypatch.setattr(steps, "_decode_submission", counted)
    record = submission((CR, RES, HI))
    stored = Hub(record)  # the state goes through its stored JSON between inputs
    stored.submit()
    later = stored.complete(CR)
    assert len(reads) == 2, "read again from its stored form: decoded at each input"

    reads.clear()
    kept = Hub(record)
    kept.submit()
    assert kept.state is not None
    kept.events = stored.events - 1
    _, outputs = decide(
        kept.state, COMPLETED[CR], wire(COMPLETED[CR], stored.completion(CR)), kept.context()
    )
    assert len(reads) == 1, "kept: decoded once, for the first handoff"
    handoffs = [e.record for e in outputs if e.schema in (HANDOFF[RES], HANDOFF[HI])]
    assert handoffs == [e.record for e in later if e.schema in (HANDOFF[RES], HANDOFF[HI])]
    assert len(handoffs) == 2


def test_a_state_whose_submission_text_changed_reads_the_new_one() -> None:
    """A copy with another submission (the facility's notice is read so) never answers with
    the submission its original read."""
    from lienthong.hub.steps import submission_of

    first, second = submission((CR, RES, HI), 0), submission((CR, RES, HI), 1)
    hub = Hub(first)
    hub.submit()
    assert hub.state is not None
    assert submission_of(hub.state)["meta"]["dossier_id"] == first["meta"]["dossier_id"]
    other = Hub(second)
    other.submit()
    assert other.state is not None
    copied = hub.state.model_copy(update={"submission": other.state.submission})
    assert submission_of(copied)["meta"]["dossier_id"] == second["meta"]["dossier_id"]
    assert submission_of(hub.state)["meta"]["dossier_id"] == first["meta"]["dossier_id"]
    assert "_submission_read" not in hub.state.to_table(), "never stored"
