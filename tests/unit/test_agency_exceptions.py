"""The agencies' exception paths, called directly: supplements, pending ID numbers with retries,
corrections, and cancellation after a withdrawal.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_agency_decisions import CALENDAR, CODEC, PARTITIONS, START, dossier, handoff, wire

from lienthong import topics
from lienthong.agencies.builder import Decisions, addressed
from lienthong.contracts.events import event_id, metadata
from lienthong.domain import identifiers, units
from lienthong.domain.agency import AgencyContext, Decision, cancel_step
from lienthong.domain.allocation import BufferedCounters, Counters
from lienthong.domain.population import (
    EmbeddedPopulationDatabase,
    PopulationDatabase,
    PopulationUnavailable,
)
from lienthong.groups.birth.card import issue_card
from lienthong.groups.birth.registration import (
    MISSING_CERTIFICATE,
    certificate_key,
    register_birth,
    retry_personal_id,
)

Record = dict[str, Any]
Decide = Callable[[Record, Record | None, Counters, AgencyContext], Decision]
CR, RES, HI = "civil_registry", "residence", "health_insurance"
#: A citizen-facing text: a sentence, not a code.
READABLE = re.compile(r"^[A-ZĐ].{15,}[.)]$", re.DOTALL)
REPLACED = "Giấy xác nhận của trạm y tế xã"
WRONG = "The child's personal ID number does not match the sex or year of birth."
_ids = itertools.count(1)


def minutes(n: float) -> dt.datetime:
    return START + dt.timedelta(minutes=n)


class FlakyPopulation:
    """A population database that is down until told otherwise; counts the requests."""

    def __init__(self) -> None:
        self.down = True
        self.requests = 0
        self.real = EmbeddedPopulationDatabase()

    def issue(
        self,
        dossier_id: str,
        province: str,
        sex: str,
        born_on: dt.date,
        serial: int,
        at: dt.datetime,
        *,
        correcting: bool = False,
    ) -> str:
        self.requests += 1
        if self.down:
            raise PopulationUnavailable("the population database did not answer")
        return self.real.issue(
            dossier_id, province, sex, born_on, serial, at, correcting=correcting
        )


class Office:
    """An agency's register and counters as its Faust tables keep them (JSON), with its ports.

    Every output must encode with its schema.
    """

    def __init__(
        self,
        decide: Decide,
        key: Callable[[Record], str] | None = None,
        *,
        agency: str = "civil-registry",
        population: PopulationDatabase | None = None,
        retry_base_seconds: float = 2.0,
        retry_max_seconds: float = 120.0,
    ) -> None:
        self.decide = decide
        self.agency = agency
        self.key = key or (lambda e: str(e["meta"]["dossier_id"]))
        self.population = population or EmbeddedPopulationDatabase()
        self.retry = (retry_base_seconds, retry_max_seconds)
        self.entries: dict[str, Record] = {}
        self.counters: dict[str, int] = {}

    def __call__(self, event: Record, at: dt.datetime, *, partition: int = 0) -> Decision:
        ctx = AgencyContext(
            at,
            CALENDAR,
            partition,
            PARTITIONS,
            population=self.population,
            retry_base_seconds=self.retry[0],
            retry_max_seconds=self.retry[1],
        )
        view = BufferedCounters(self.counters)
        key = self.key(event)
        decision = self.decide(event, self.entries.get(key), view, ctx)
        decision = Decision(addressed(decision.outputs, self.agency), decision.entry)
        for env in decision.outputs:
            CODEC.encode(env.schema, env.record)
        if decision.entry is not None:
            self.entries[key] = json.loads(json.dumps(decision.entry))
        self.counters.update(view.updates)
        return decision

    def entry(self, event: Record) -> Record:
        return self.entries[self.key(event)]


def births(**kwargs: Any) -> Office:
    return Office(register_birth, certificate_key, **kwargs)


def retries(office: Office) -> Office:
    """The same register, answering WaitingRetry events."""
    twin = Office(retry_personal_id, certificate_key, population=office.population)
    twin.retry = office.retry
    twin.entries, twin.counters = office.entries, office.counters
    return twin


def the_event(decision: Decision, schema: str) -> Record:
    (env,) = decision.outputs
    assert env.schema == schema, env.record.get("reason")
    return env.record


def again(first: Record, schema: str, **changes: Any) -> Record:
    """A new handoff from the hub for the same step (new event id), with ``changes``."""
    record = copy.deepcopy(first)
    record["meta"]["event_id"] = event_id("test-handoff", next(_ids))
    record.update(changes)
    return wire(schema, record)


def retry_event(cr: Record, at: dt.datetime) -> Record:
    meta = metadata(
        "WaitingRetry", cr["meta"]["dossier_id"], "civil-registry", at, None, next(_ids)
    )
    return wire("WaitingRetry", {"meta": meta, "register_key": certificate_key(cr)})


def province_of(record: Record) -> str:
    commune = units.commune(record["registering_commune"])
    assert commune is not None
    return commune.province_code


# -- civil registry: supplement ------------------------------------------------------------------


def replaced_certificate(nth: int = 0) -> Record:
    record = dossier(nth)
    record["birth_certificate"]["replaced_by"] = REPLACED
    return handoff(CR, record)


def test_a_replaced_certificate_makes_the_officer_ask_for_a_supplement() -> None:
    cr = replaced_certificate()
    office = births()
    decision = office(cr, minutes(30))

    (env,) = decision.outputs
    assert (env.topic, env.schema, env.key) == (
        topics.completion(CR),
        "SupplementRequested",
        cr["meta"]["dossier_id"],
    )
    asked = env.record
    assert (asked["step"], asked["missing"]) == (CR, [MISSING_CERTIFICATE])
    assert asked["message"] == f"Please supply: {MISSING_CERTIFICATE}."
    assert READABLE.match(asked["message"])
    assert str(asked["meta"]["causation_id"]) == str(cr["meta"]["event_id"])
    entry = office.entry(cr)
    assert (entry["outcome"], entry["handoff_event_id"]) == (
        "supplement",
        str(cr["meta"]["event_id"]),
    )
    assert office.counters == {}, "asking uses no number"


def test_a_redelivered_handoff_repeats_the_same_supplement_request() -> None:
    cr = replaced_certificate()
    office = births()
    first = office(cr, minutes(30))
    again_ = office(cr, minutes(400))

    assert [e.record for e in again_.outputs] == [e.record for e in first.outputs]
    assert again_.outputs[0].event_id == first.outputs[0].event_id
    assert again_.entry is None
    assert office.counters == {}


def test_the_handoff_with_the_supplement_registers_the_birth() -> None:
    cr = replaced_certificate(1)
    office = births()
    asked = office(cr, minutes(30)).outputs[0]
    supplied = again(
        cr,
        "CivilRegistryHandoff",
        supplement={"documents": ["GXN-123"], "note": "", "supplied_at": minutes(600)},
    )
    decision = office(supplied, minutes(610))

    registered = the_event(decision, "BirthRegistered")
    assert str(registered["meta"]["causation_id"]) == str(supplied["meta"]["event_id"])
    assert decision.outputs[0].event_id != asked.event_id
    assert identifiers.check_personal_id(registered["child"]["personal_id"]) is None
    assert registered["personal_id_pending"] is False
    entry = office.entry(cr)
    assert (entry["outcome"], entry["handoff_event_id"]) == (
        "registered",
        str(supplied["meta"]["event_id"]),
    )
    replayed = office(supplied, minutes(900))
    assert [e.record for e in replayed.outputs] == [e.record for e in decision.outputs]


# -- civil registry: pending personal ID number --------------------------------------------------


def test_an_unavailable_population_database_leaves_the_number_pending() -> None:
    population = FlakyPopulation()
    office = births(population=population, retry_base_seconds=3)
    cr = handoff(CR, dossier(2))
    decision = office(cr, minutes(30))

    registered = the_event(decision, "BirthRegistered")
    assert registered["personal_id_pending"] is True
    assert registered["child"]["personal_id"] == ""
    assert re.fullmatch(r"\d{6}/2026/KS-\d{5}", registered["registration_number"])
    entry = office.entry(cr)
    assert entry["pending"] is True
    assert entry["attempts"] == 1
    assert dt.datetime.fromisoformat(entry["next_retry_at"]) == minutes(30) + dt.timedelta(
        seconds=3
    )
    assert population.requests == 1


def test_retries_back_off_until_the_number_is_issued() -> None:
    population = FlakyPopulation()
    office = births(population=population, retry_base_seconds=2, retry_max_seconds=10)
    retry = retries(office)
    record = dossier(3, sex="FEMALE")
    cr = handoff(CR, record)
    registered = the_event(office(cr, minutes(30)), "BirthRegistered")

    now = minutes(30)
    delays = []
    for _ in range(5):
        due = dt.datetime.fromisoformat(office.entry(cr)["next_retry_at"])
        delays.append((due - now).total_seconds())
        just_before = due - dt.timedelta(milliseconds=1)
        early = retry(retry_event(cr, just_before), just_before)
        assert early.outputs == [] and early.entry is None, "before next_retry_at: nothing"
        now = due
        failed = retry(retry_event(cr, now), now)
        assert failed.outputs == [] and failed.entry is not None
    assert delays == [2, 4, 8, 10, 10], "doubling, capped at retry_max_seconds"
    assert office.entry(cr)["attempts"] == 6

    population.down = False
    now = dt.datetime.fromisoformat(office.entry(cr)["next_retry_at"])
    just_before = now - dt.timedelta(seconds=1)
    assert retry(retry_event(cr, just_before), just_before).outputs == []
    decision = retry(retry_event(cr, now), now)

    (env,) = decision.outputs
    assert (env.topic, env.schema) == (topics.completion(CR), "PersonalIdIssued")
    issued = env.record
    entry = office.entry(cr)
    born = CALENDAR.local_date(record["child"]["born_at"])
    expected = identifiers.personal_id(province_of(record), "FEMALE", born.year, entry["serial"])
    assert issued["child"]["personal_id"] == expected == entry["personal_id"]
    assert identifiers.check_personal_id(expected) is None
    assert expected[3] == "3", "a girl born in the 2000s"
    assert issued["registration_number"] == registered["registration_number"]
    assert issued["attempts"] == 7
    assert str(issued["meta"]["causation_id"]) == str(cr["meta"]["event_id"])
    assert "pending" not in entry
    assert population.requests == 7
    assert retry(retry_event(cr, now), now + dt.timedelta(hours=1)).outputs == [], "issued once"


def test_a_redelivered_handoff_after_the_number_came_repeats_both_events() -> None:
    population = FlakyPopulation()
    office = births(population=population)
    cr = handoff(CR, dossier(4))
    first = office(cr, minutes(30)).outputs
    population.down = False
    later = minutes(31)
    issued = retries(office)(retry_event(cr, later), later).outputs

    replayed = office(cr, minutes(300))
    assert [e.schema for e in replayed.outputs] == ["BirthRegistered", "PersonalIdIssued"]
    assert [e.record for e in replayed.outputs] == [e.record for e in first + issued]


@pytest.mark.parametrize(
    "entry",
    [
        pytest.param(None, id="nothing-registered"),
        pytest.param({"outcome": "registered", "dossier_id": "x"}, id="number-given"),
        pytest.param({"outcome": "rejected", "dossier_id": "x"}, id="refused"),
    ],
)
def test_a_retry_with_nothing_pending_does_nothing(entry: Record | None) -> None:
    cr = handoff(CR, dossier(5))
    office = Office(retry_personal_id, certificate_key, population=FlakyPopulation())
    if entry is not None:
        office.entries[certificate_key(cr)] = entry
    decision = office(retry_event(cr, minutes(60)), minutes(60))
    assert (decision.outputs, decision.entry) == ([], None)


# -- civil registry: return for correction -------------------------------------------------------


@pytest.mark.parametrize("sex", ["MALE", "FEMALE"])
def test_a_correction_reissues_a_valid_number_and_keeps_the_registration(
    sex: str, tmp_path: Path
) -> None:
    record = dossier(0, sex=sex)
    plan = tmp_path / "population-plan.json"
    plan.write_text(json.dumps({"wrong_sex_for": [record["meta"]["dossier_id"]]}))
    office = births(population=EmbeddedPopulationDatabase(plan))
    cr = handoff(CR, record)
    first = the_event(office(cr, minutes(30)), "BirthRegistered")
    wrong = first["child"]["personal_id"]
    assert identifiers.personal_id_sex(wrong) != sex
    counters = dict(office.counters)

    returned = again(cr, "CivilRegistryHandoff", correction=WRONG)
    decision = office(returned, minutes(200))
    corrected = the_event(decision, "BirthRegistered")
    right = corrected["child"]["personal_id"]

    assert identifiers.check_personal_id(right) is None
    assert identifiers.personal_id_sex(right) == sex
    born = CALENDAR.local_date(record["child"]["born_at"])
    assert identifiers.personal_id_birth_year(right) == born.year
    assert right[:3] + right[4:] == wrong[:3] + wrong[4:], "only the wrong digit changes"
    for field in ("registration_number", "registered_on", "extract_ref"):
        assert corrected[field] == first[field], field
    assert corrected["personal_id_pending"] is False
    assert str(corrected["meta"]["causation_id"]) == str(returned["meta"]["event_id"])
    assert decision.outputs[0].event_id != event_id_of(first)
    assert office.counters == counters, "a correction uses no new number"
    assert office.entry(cr)["personal_id"] == right
    replayed = office(returned, minutes(500))
    assert [e.record for e in replayed.outputs] == [e.record for e in decision.outputs]


def event_id_of(record: Record) -> Any:
    return record["meta"]["event_id"]


def test_a_correction_for_a_birth_registered_by_another_dossier_is_not_a_correction() -> None:
    first = dossier(1)
    second = copy.deepcopy(first)
    second["meta"].update(dossier_id="DVC-2026-999999-dupe")
    office = births()
    office(handoff(CR, first), minutes(30))
    returned = again(handoff(CR, second), "CivilRegistryHandoff", correction=WRONG)
    code = the_event(office(returned, minutes(60)), "StepRejected")["reason_code"]
    assert code == "duplicate_birth"


# -- health insurance: correction ---------------------------------------------------------------


def _flip_sex(pid: str) -> str:
    return pid[:3] + str(int(pid[3]) ^ 1) + pid[4:]


def _other_year(pid: str) -> str:
    return pid[:4] + f"{(int(pid[4:6]) + 1) % 100:02d}" + pid[6:]


def _other_century(pid: str) -> str:
    return pid[:3] + str(int(pid[3]) - 2) + pid[4:]


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(_flip_sex, id="sex-digit"),
        pytest.param(_other_year, id="year-digits"),
        pytest.param(_other_century, id="century-digit"),
    ],
)
def test_a_mismatching_id_number_is_returned_to_the_civil_registry(
    spoil: Callable[[str], str],
) -> None:
    hi = handoff(HI, dossier(0, needs=HI))
    right = hi["child"]["personal_id"]
    hi["child"]["personal_id"] = spoil(right)
    hi = wire("HealthInsuranceHandoff", hi)
    office = Office(issue_card, agency="health-insurance")
    decision = office(hi, minutes(30))

    (env,) = decision.outputs
    assert (env.topic, env.schema) == (topics.completion(HI), "CorrectionRequested")
    asked = env.record
    assert (asked["step"], asked["target_step"]) == (HI, CR)
    assert READABLE.match(asked["reason"])
    assert "personal ID number" in asked["reason"]
    assert office.entry(hi)["outcome"] == "correction"
    assert office.counters == {}, "no social-insurance number was used"
    replayed = office(hi, minutes(90))
    assert [e.record for e in replayed.outputs] == [asked]

    corrected = again(hi, "HealthInsuranceHandoff", child=dict(hi["child"], personal_id=right))
    card = the_event(office(corrected, minutes(300)), "CardIssued")
    assert str(card["meta"]["causation_id"]) == str(corrected["meta"]["event_id"])
    assert identifiers.check_card_code(card["card_code"]) is None
    assert office.entry(hi)["child_personal_id"] == right


def test_the_correction_round_trip_between_the_two_agencies(tmp_path: Path) -> None:
    """Civil registry issues a wrong number, Social Security returns it, the card follows."""
    record = dossier(2, needs=HI)
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"wrong_sex_for": [record["meta"]["dossier_id"]]}))
    registry = births(population=EmbeddedPopulationDatabase(plan))
    social_security = Office(issue_card, agency="health-insurance")
    cr = handoff(CR, record)
    wrong = the_event(registry(cr, minutes(30)), "BirthRegistered")["child"]

    hi = handoff(HI, record)
    hi = wire("HealthInsuranceHandoff", dict(hi, child=wrong))
    asked = the_event(social_security(hi, minutes(60)), "CorrectionRequested")
    returned = again(cr, "CivilRegistryHandoff", correction=asked["reason"])
    right = the_event(registry(returned, minutes(90)), "BirthRegistered")["child"]
    card = the_event(
        social_security(again(hi, "HealthInsuranceHandoff", child=right), minutes(120)),
        "CardIssued",
    )
    assert card["valid_from"] == CALENDAR.local_date(record["child"]["born_at"])
    assert social_security.entry(hi)["child_personal_id"] == right["personal_id"]


# -- cancellation after a withdrawal -------------------------------------------------------------


#: step -> (the decision on a handoff, the decision on a cancellation, the register key)
AGENCIES: dict[str, tuple[Decide, Decide, Callable[[Record], str] | None]] = {
    CR: (register_birth, cancel_step, certificate_key),
    RES: (lambda h, e, c, x: Decisions.decision_in_force(RES, h)(h, e, c, x), cancel_step, None),
    HI: (issue_card, cancel_step, None),
}
HANDOFF_SCHEMA = {
    CR: "CivilRegistryHandoff",
    RES: "ResidenceHandoff",
    HI: "HealthInsuranceHandoff",
}


class Agency:
    """One agency's register answering both its handoffs and cancellations."""

    def __init__(self, step: str, nth: int = 0) -> None:
        decide, cancel, key = AGENCIES[step]
        self.step = step
        self.work = Office(decide, key, agency=topics.deployable_of(step))
        self.cancels = Office(cancel, key, agency=topics.deployable_of(step))
        self.cancels.entries, self.cancels.counters = self.work.entries, self.work.counters
        self.handoff = handoff(step, dossier(nth, needs=None if step == CR else step))

    def cancellation(self, withdrawn_at: dt.datetime) -> Record:
        dossier_id = self.handoff["meta"]["dossier_id"]
        withdrawal = event_id("DossierWithdrawn", next(_ids))
        meta = metadata("HandoffCancelled", dossier_id, "hub", withdrawn_at, withdrawal, self.step)
        code = self.handoff["birth_certificate"]["code"] if self.step == CR else None
        return wire(
            "HandoffCancelled",
            {
                "meta": meta,
                "step": self.step,
                "reason": "The citizen withdrew the dossier.",
                "birth_certificate_code": code,
            },
        )


@pytest.mark.parametrize("step", [CR, RES, HI])
def test_a_cancellation_before_the_agency_acted_stops_the_work(step: str) -> None:
    agency = Agency(step)
    cancelled = agency.cancellation(minutes(10))
    decision = agency.cancels(cancelled, minutes(20))

    assert decision.outputs == []
    assert decision.entry is not None and decision.entry["outcome"] == "cancelled"
    late = agency.work(agency.handoff, minutes(30))
    assert late.outputs == [] and late.entry is None, "the queued handoff is not acted on"
    assert agency.work.counters == {}, "no number was used"
    assert agency.cancels(cancelled, minutes(40)).outputs == []


@pytest.mark.parametrize("step", [CR, RES, HI])
def test_work_done_after_the_withdrawal_is_revoked_visibly(step: str) -> None:
    agency = Agency(step)
    done = agency.work(agency.handoff, minutes(30))
    assert [e.schema for e in done.outputs] != ["StepRejected"]
    cancelled = agency.cancellation(minutes(10))  # withdrawn before the agency acted
    decision = agency.cancels(cancelled, minutes(40))

    (env,) = decision.outputs
    assert (env.topic, env.schema) == (topics.completion(step), "StepRejected")
    revoked = env.record
    assert (revoked["step"], revoked["reason_code"]) == (step, "withdrawn")
    assert READABLE.match(revoked["reason"])
    assert "revoked" in revoked["reason"]
    assert agency.work.entry(agency.handoff)["outcome"] == "revoked"
    assert agency.work(agency.handoff, minutes(50)).outputs == [], "a redelivery stays revoked"
    assert agency.cancels(cancelled, minutes(60)).outputs == [], "revoked once"


@pytest.mark.parametrize("step", [CR, RES, HI])
def test_work_decided_before_the_withdrawal_stands(step: str) -> None:
    agency = Agency(step)
    done = agency.work(agency.handoff, minutes(30))
    before = copy.deepcopy(agency.work.entries)
    decision = agency.cancels(agency.cancellation(minutes(45)), minutes(50))

    assert (decision.outputs, decision.entry) == ([], None)
    assert agency.work.entries == before
    replayed = agency.work(agency.handoff, minutes(60))
    assert [e.record for e in replayed.outputs] == [e.record for e in done.outputs]


def test_a_refusal_is_never_revoked() -> None:
    agency = Agency(RES)
    agency.handoff["request"]["address"]["street"] = "Số 1 Đường Khác"
    refused = the_event(agency.work(agency.handoff, minutes(30)), "StepRejected")
    assert refused["reason_code"] == "address_mismatch"
    decision = agency.cancels(agency.cancellation(minutes(10)), minutes(40))
    assert (decision.outputs, decision.entry) == ([], None)


def test_a_cancellation_while_waiting_for_a_supplement_stops_the_registration() -> None:
    cr = replaced_certificate(3)
    office = births()
    cancels = Office(cancel_step, certificate_key)
    cancels.entries = office.entries
    office(cr, minutes(30))
    withdrawal = event_id("DossierWithdrawn", next(_ids))
    meta = metadata(
        "HandoffCancelled", cr["meta"]["dossier_id"], "hub", minutes(40), withdrawal, CR
    )
    cancelled = wire(
        "HandoffCancelled",
        {
            "meta": meta,
            "step": CR,
            "reason": "The citizen withdrew the dossier.",
            "birth_certificate_code": cr["birth_certificate"]["code"],
        },
    )
    assert cancels(cancelled, minutes(41)).outputs == []
    supplied = again(
        cr,
        "CivilRegistryHandoff",
        supplement={"documents": ["GXN-1"], "note": "", "supplied_at": minutes(50)},
    )
    assert office(supplied, minutes(60)).outputs == []
    assert office.counters == {}


def test_a_cancellation_of_another_dossier_leaves_a_registration_alone() -> None:
    agency = Agency(CR, 2)
    agency.work(agency.handoff, minutes(30))
    other = agency.cancellation(minutes(10))
    other["meta"]["dossier_id"] = "DVC-2026-999999-other"
    decision = agency.cancels(other, minutes(40))
    assert (decision.outputs, decision.entry) == ([], None)
    assert agency.work.entry(agency.handoff)["outcome"] == "registered"
