"""The death group: intake rules, the agencies' decisions, and whole dossiers through the hub."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from lienthong.contracts.codec import AvroCodec
from lienthong.contracts.events import Envelope, metadata
from lienthong.domain.agency import AgencyContext, Decision
from lienthong.domain.allocation import BufferedCounters, Counters
from lienthong.domain.calendar import WorkingCalendar
from lienthong.domain.population import EmbeddedPopulationDatabase
from lienthong.errors import ValidationFailed
from lienthong.groups.death.benefits import (
    funeral_eligible,
    grant_funeral_allowance,
    grant_survivor_benefit,
)
from lienthong.groups.death.declaration import GROUP as DEATH
from lienthong.groups.death.deregistration import deregister_residence
from lienthong.groups.death.registration import deceased_key, register_death
from lienthong.groups.death.submission import validate_death_dossier
from lienthong.groups.death.synthetic import ALL_FOUR, COMBINATIONS, WITH_FUNERAL, death_dossier
from lienthong.hub.state import DossierState
from lienthong.hub.transitions import Context, decide
from lienthong.lookup import Keyring

Record = dict[str, Any]
NOW = dt.datetime(2026, 3, 3, 2, 0, tzinfo=dt.UTC)  # a Tuesday, 09:00 in Hanoi
CODEC = AvroCodec()
CTX = Context(NOW, WorkingCalendar(), Keyring((("A", b"secret"),)), "https://status.test")


def wire(schema: str, record: Record) -> Record:
    """The record as a reader gets it from the broker (encoded, decoded)."""
    return CODEC.decode(CODEC.encode(schema, record)).record


class Register(dict[str, Record]):
    """An agency's register and counters, as its tables keep them."""


def agency_ctx(population: EmbeddedPopulationDatabase) -> AgencyContext:
    return AgencyContext(NOW, WorkingCalendar(), 0, 1, population)


class Agencies:
    """The four death-group decisions, wired as their deployables wire them (in process)."""

    def __init__(self) -> None:
        self.population = EmbeddedPopulationDatabase()
        self.registers: dict[str, Register] = {}
        self.counters: dict[str, int] = {}

    def answer(self, env: Envelope) -> list[Envelope]:
        handoff = wire(env.schema, env.record)
        decide_step, key_of = {
            "DeathRegistrationHandoff": (register_death, deceased_key),
            "ResidenceDeregistrationHandoff": (_deregister, _dossier),
            "FuneralAllowanceHandoff": (grant_funeral_allowance, _dossier),
            "SurvivorBenefitHandoff": (grant_survivor_benefit, _dossier),
        }[env.schema]
        key = key_of(handoff)
        register = self.registers.setdefault(env.schema, Register())
        view = BufferedCounters(self)
        decision: Decision = decide_step(
            handoff, register.get(key), view, agency_ctx(self.population)
        )
        if decision.entry is not None:
            register[key] = decision.entry
        self.counters.update(view.updates)
        return decision.outputs

    def get(self, key: str) -> int | None:  # the counters' table
        return self.counters.get(key)


def _deregister(handoff: Record, entry: Record | None, _: Counters, ctx: AgencyContext) -> Decision:
    return deregister_residence(handoff, entry, _, ctx)


def _dossier(handoff: Record) -> str:
    return str(handoff["meta"]["dossier_id"])


def run(dossier: Record, agencies: Agencies) -> tuple[DossierState, list[Envelope]]:
    """Submit a dossier and let the agencies answer every handoff until nothing is left."""
    state, queue = decide(
        None, "DeathDossierSubmitted", wire("DeathDossierSubmitted", dossier), CTX
    )
    published: list[Envelope] = []
    while queue:
        env = queue.pop(0)
        CODEC.encode(env.schema, env.record)  # every output fits its contract
        published.append(env)
        if env.topic.startswith("handoff."):
            for answer in agencies.answer(env):
                published.append(answer)
                state, more = decide(state, answer.schema, wire(answer.schema, answer.record), CTX)
                queue += more
    assert state is not None
    return state, published


def finished(published: list[Envelope]) -> Record:
    [done] = [e.record for e in published if e.schema == "DossierFinished"]
    return done


# -- whole dossiers --------------------------------------------------------------------------


@pytest.mark.parametrize("procedures", COMBINATIONS, ids=("2", "3", "4"))
def test_each_combination_completes(procedures: tuple[str, ...]) -> None:
    state, published = run(death_dossier(1, procedures=procedures, submitted_at=NOW), Agencies())
    done = finished(published)
    assert done["outcome"] == "COMPLETED"
    assert sorted(p["step"] for p in done["procedures"]) == sorted(procedures)
    assert all(p["outcome"] == "COMPLETED" and p["result_ref"] for p in done["procedures"])
    assert state.combination == DEATH.combination_label(procedures)
    handoffs = {e.schema for e in published if e.topic.startswith("handoff.")}
    assert len(handoffs) == len(procedures)


def test_the_later_steps_get_the_death_extract_and_the_deceased_only() -> None:
    _, published = run(death_dossier(2, procedures=ALL_FOUR, submitted_at=NOW), Agencies())
    extract = next(e for e in published if e.schema == "DeathRegistered").record
    for env in published:
        if env.schema in ("FuneralAllowanceHandoff", "SurvivorBenefitHandoff"):
            assert env.record["deceased"]["death_extract_number"] == extract["death_extract_number"]
            assert "declarant" not in env.record or env.schema == "FuneralAllowanceHandoff"
            assert "death_notice" not in env.record
        if env.schema == "ResidenceDeregistrationHandoff":
            assert set(env.record) >= {"deceased", "permanent_address"}
            assert "record" not in env.record and "beneficiary" not in env.record


def test_an_ineligible_funeral_allowance_leaves_the_dossier_partly_completed() -> None:
    dossier = death_dossier(3, procedures=WITH_FUNERAL, submitted_at=NOW, eligible=False)
    _, published = run(dossier, Agencies())
    done = finished(published)
    outcomes = {p["step"]: p["outcome"] for p in done["procedures"]}
    assert done["outcome"] == "PARTLY_COMPLETED"
    assert outcomes == {
        "death_registration": "COMPLETED",
        "residence_deregistration": "COMPLETED",
        "funeral_allowance": "REJECTED",
    }
    [refusal] = [e.record for e in published if e.schema == "StepRejected"]
    assert refusal["reason_code"] == "not_eligible"


def test_a_second_death_registration_of_the_same_person_is_a_duplicate() -> None:
    agencies = Agencies()
    first = death_dossier(4, procedures=ALL_FOUR, submitted_at=NOW)
    pid = first["deceased"]["personal_id"]
    run(first, agencies)
    again = death_dossier(5, procedures=WITH_FUNERAL, submitted_at=NOW, personal_id=pid)
    again["deceased"].update(sex=first["deceased"]["sex"], born_on=first["deceased"]["born_on"])
    _, published = run(again, agencies)
    done = finished(published)
    assert done["outcome"] == "REJECTED"
    [refusal] = [e.record for e in published if e.schema == "StepRejected"]
    assert refusal["reason_code"] == "duplicate_death"
    assert refusal["duplicate_of"] == first["meta"]["dossier_id"]  # for operators only
    assert first["meta"]["dossier_id"] not in refusal["reason"]
    assert first["declarant"]["full_name"] not in refusal["reason"]
    assert {p["outcome"] for p in done["procedures"][1:]} == {"NOT_STARTED"}


def test_registration_marks_the_personal_id_deceased() -> None:
    agencies = Agencies()
    dossier = death_dossier(6, procedures=COMBINATIONS[0], submitted_at=NOW)
    pid = dossier["deceased"]["personal_id"]
    assert agencies.population.deceased_on(pid) is None
    run(dossier, agencies)
    died_on = CTX.calendar.local_date(dossier["deceased"]["died_at"])  # in Vietnam's time
    assert agencies.population.deceased_on(pid) == died_on


def test_no_permanent_residence_means_nothing_to_deregister() -> None:
    # Decided at intake and shown as not applicable (Law on Residence 2020, art. 24), no longer
    # handed to the police to be refused: the dossier completes (it was PARTLY_COMPLETED).
    dossier = death_dossier(
        7, procedures=COMBINATIONS[0], submitted_at=NOW, permanent_residence=False
    )
    _, published = run(dossier, Agencies())
    done = finished(published)
    assert done["outcome"] == "COMPLETED"
    assert [e.record for e in published if e.schema == "StepRejected"] == []
    outcome = {p["step"]: p for p in done["procedures"]}["residence_deregistration"]
    assert outcome["outcome"] == "NOT_APPLICABLE"
    assert "nothing to deregister" in outcome["reason"]
    assert "ResidenceDeregistrationHandoff" not in {e.schema for e in published}


def test_a_redelivered_handoff_gets_the_same_extract_number() -> None:
    agencies = Agencies()
    _, published = run(death_dossier(8, procedures=COMBINATIONS[0], submitted_at=NOW), agencies)
    handoff = next(e for e in published if e.schema == "DeathRegistrationHandoff")
    first = next(e for e in published if e.schema == "DeathRegistered")
    [again] = agencies.answer(handoff)
    assert again.record == first.record


def test_the_group_deadline_is_a_setting() -> None:
    dossier = wire("DeathDossierSubmitted", death_dossier(9, submitted_at=NOW))
    default, _ = decide(None, "DeathDossierSubmitted", dossier, CTX)
    longer = Context(
        NOW, CTX.calendar, CTX.lookup_secret, "https://s", group_deadlines={"death": 10}
    )
    changed, _ = decide(None, "DeathDossierSubmitted", dossier, longer)
    assert default is not None and changed is not None
    assert default.due_at == CTX.calendar.due_at(NOW, DEATH.deadline_days)
    assert changed.due_at == CTX.calendar.due_at(NOW, 10) != default.due_at


# -- the agencies' rules ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "months", "eligible"),
    [
        ("PENSIONER", 0, True),
        ("MONTHLY_BENEFIT", 3, True),
        ("CONTRIBUTING", 12, True),
        ("CONTRIBUTING", 11, False),
        ("RESERVED", 12, True),
        ("RESERVED", 11, False),
        ("NONE", 400, False),
    ],
)
def test_funeral_allowance_eligibility(category: str, months: int, eligible: bool) -> None:
    assert funeral_eligible({"category": category, "compulsory_months": months}) is eligible


def test_survivor_benefit_names_the_beneficiary() -> None:
    dossier = death_dossier(10, procedures=ALL_FOUR, submitted_at=NOW)
    _, published = run(dossier, Agencies())
    granted = next(e.record for e in published if e.schema == "SurvivorBenefitGranted")
    assert granted["beneficiary_name"] == dossier["beneficiary"]["full_name"]
    assert granted["beneficiary_personal_id"] == dossier["beneficiary"]["personal_id"]


def test_a_declared_sex_the_personal_id_contradicts_is_refused() -> None:
    dossier = death_dossier(11, procedures=COMBINATIONS[0], submitted_at=NOW)
    dossier["deceased"]["sex"] = "FEMALE" if dossier["deceased"]["sex"] == "MALE" else "MALE"
    _, published = run(dossier, Agencies())
    [refusal] = [e.record for e in published if e.schema == "StepRejected"]
    assert refusal["reason_code"] == "identity_mismatch"
    assert finished(published)["outcome"] == "REJECTED"


# -- intake -----------------------------------------------------------------------------------


def _without_notice(d: Record) -> None:
    d["death_notice"] = None


def _survivor_without_beneficiary(d: Record) -> None:
    d["beneficiary"] = None


def _died_tomorrow(d: Record) -> None:
    d["deceased"]["died_at"] = NOW + dt.timedelta(days=1)


def _bad_id(d: Record) -> None:
    d["deceased"]["personal_id"] = "12345"


def _funeral_alone(d: Record) -> None:
    d["procedures"] = ["death_registration", "funeral_allowance"]


def _no_record(d: Record) -> None:
    d["social_insurance"] = None


def _declarant_is_deceased(d: Record) -> None:
    d["declarant"]["personal_id"] = d["deceased"]["personal_id"]


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        (_without_notice, "death_notice", "notice_or_statement"),
        (_survivor_without_beneficiary, "beneficiary", "missing_section"),
        (_died_tomorrow, "deceased.died_at", "date_in_future"),
        (_bad_id, "deceased.personal_id", "invalid_personal_id"),
        (_funeral_alone, "procedures", "combination_not_allowed"),
        (_no_record, "social_insurance", "missing_section"),
        (_declarant_is_deceased, "declarant.personal_id", "deceased_as_relative"),
    ],
)
def test_intake_refuses_with_the_field_and_the_rule(change: Any, field: str, code: str) -> None:
    dossier = death_dossier(12, procedures=ALL_FOUR, submitted_at=NOW)
    change(dossier)
    with pytest.raises(ValidationFailed) as refused:
        validate_death_dossier(dossier, NOW)
    assert (field, code) in [(r.field, r.code) for r in refused.value.reasons]


def test_a_death_outside_a_facility_needs_the_statement_instead() -> None:
    dossier = death_dossier(13, submitted_at=NOW, in_facility=False)
    assert dossier["death_notice"] is None and dossier["statement"]
    validate_death_dossier(dossier, NOW)


def test_a_refused_death_dossier_is_rejected_at_receipt_with_the_reason() -> None:
    dossier = death_dossier(14, procedures=ALL_FOUR, submitted_at=NOW)
    dossier["beneficiary"] = None
    state, outputs = decide(
        None, "DeathDossierSubmitted", wire("DeathDossierSubmitted", dossier), CTX
    )
    assert state is not None and state.outcome == "REJECTED"
    [rejected] = outputs
    assert rejected.schema == "DossierRejected"
    assert rejected.record["reasons"][0]["field"] == "beneficiary"


def test_a_withdrawal_cancels_the_death_registration_by_the_deceased_s_personal_id() -> None:
    dossier = death_dossier(15, procedures=COMBINATIONS[1], submitted_at=NOW)
    state, _ = decide(None, "DeathDossierSubmitted", wire("DeathDossierSubmitted", dossier), CTX)
    meta = metadata("DossierWithdrawn", dossier["meta"]["dossier_id"], "portal", NOW, None)
    withdrawn = wire("DossierWithdrawn", {"meta": meta, "reason": ""})
    state, outputs = decide(state, "DossierWithdrawn", withdrawn, CTX)
    [cancelled] = [wire(e.schema, e.record) for e in outputs if e.schema == "HandoffCancelled"]
    assert cancelled["step"] == "death_registration"
    assert deceased_key(cancelled) == f"death:{dossier['deceased']['personal_id']}"
    assert state is not None and state.outcome == "WITHDRAWN"


def test_a_supplement_for_the_funeral_allowance_goes_back_to_social_security() -> None:
    dossier = death_dossier(16, procedures=WITH_FUNERAL, submitted_at=NOW)
    dossier_id = dossier["meta"]["dossier_id"]
    state, outputs = decide(
        None, "DeathDossierSubmitted", wire("DeathDossierSubmitted", dossier), CTX
    )
    agencies = Agencies()
    [registered] = agencies.answer(next(e for e in outputs if e.topic.startswith("handoff.")))
    state, outputs = decide(
        state, registered.schema, wire(registered.schema, registered.record), CTX
    )
    funeral = next(e for e in outputs if e.schema == "FuneralAllowanceHandoff")
    meta = metadata("SupplementRequested", dossier_id, "health-insurance", NOW, funeral.event_id)
    asked = {"meta": meta, "step": "funeral_allowance", "missing": ["invoice"], "message": "?"}
    state, outputs = decide(state, "SupplementRequested", wire("SupplementRequested", asked), CTX)
    assert [e.schema for e in outputs] == ["SupplementAwaited"]
    meta = metadata("DossierSupplemented", dossier_id, "portal", NOW, None)
    supplied = {"meta": meta, "step": "funeral_allowance", "documents": ["HD-1"], "note": ""}
    state, outputs = decide(
        state, "DossierSupplemented", wire("DossierSupplemented", supplied), CTX
    )
    [again] = [e for e in outputs if e.topic.startswith("handoff.")]
    assert (again.topic, again.schema) == ("handoff.health-insurance", "FuneralAllowanceHandoff")
    assert wire(again.schema, again.record)["supplement"]["documents"] == ["HD-1"]
    assert again.record["meta"]["event_id"] != funeral.record["meta"]["event_id"]
