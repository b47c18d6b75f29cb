"""The death group as the law has it: the deceased looked up before registration (unknown:
refused; database down: the step waits visibly and resumes), a withdrawal that leaves nothing
standing, a step that cannot apply decided at intake, and each rule's article declared."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from test_death_decisions import CTX, NOW, Agencies, finished, wire
from test_web import KEYS, Hub, url_of, visible
from test_web import hub as hub  # the fixture: the hub's web app under a test client

from lienthong.agencies.keys import RegisterKeys
from lienthong.contracts.events import Envelope, metadata
from lienthong.domain.agency import AgencyContext, Decision
from lienthong.domain.allocation import BufferedCounters
from lienthong.domain.calendar import WorkingCalendar
from lienthong.domain.population import EmbeddedPopulationDatabase
from lienthong.groups.death.declaration import GROUP as DEATH
from lienthong.groups.death.registration import (
    cancel_death_registration,
    deceased_key,
    register_death,
    retry_death_registration,
)
from lienthong.groups.death.synthetic import ALL_FOUR, COMBINATIONS, WITH_FUNERAL, death_dossier
from lienthong.hub.pages.status import dossier_view
from lienthong.hub.pages.text import STEP_STATES, waiting_text
from lienthong.hub.state import DossierState
from lienthong.hub.steps import lookup_code
from lienthong.hub.transitions import Context, decide

Record = dict[str, Any]
REG = "death_registration"
CALENDAR = WorkingCalendar()


def at(minutes: float) -> dt.datetime:
    return NOW + dt.timedelta(minutes=minutes)


def hub_ctx(when: dt.datetime) -> Context:
    return Context(when, CALENDAR, CTX.lookup_secret, CTX.public_base_url)


class Registry:
    """Civil registry's death decisions over one register, keyed as its deployable keys them."""

    def __init__(self, population: EmbeddedPopulationDatabase) -> None:
        self.population = population
        self.entries: dict[str, Record] = {}
        self.counters: dict[str, int] = {}

    def get(self, key: str) -> int | None:  # the counters' table
        return self.counters.get(key)

    def __call__(self, decide_step: Any, record: Record, when: dt.datetime) -> Decision:
        key = register_key(record)
        view = BufferedCounters(self)
        ctx = AgencyContext(when, CALENDAR, 0, 1, self.population)
        decision: Decision = decide_step(record, self.entries.get(key), view, ctx)
        if decision.entry is not None:
            self.entries[key] = decision.entry
        self.counters.update(view.updates)
        return decision

    def retry(self, pid: str, when: dt.datetime) -> Decision:
        """What the registry's timer sends for a pending entry (keyed by the register key)."""
        key = f"death:{pid}"
        meta = metadata("WaitingRetry", self.entries[key]["dossier_id"], "t", when, None, 1)
        retry = wire("WaitingRetry", {"meta": meta, "register_key": key})
        return self(retry_death_registration, retry, when)


def register_key(event: Record) -> str:
    """The registry's key for an event of the death step: a retry carries its entry's key."""
    if event.get("register_key"):
        return str(event["register_key"])
    return deceased_key(event)


class Desk:
    """The hub and the four agencies, the civil registry on its own register and database."""

    def __init__(self, plan: Path | None = None) -> None:
        self.population = EmbeddedPopulationDatabase(plan)
        self.registry = Registry(self.population)
        self.others = Agencies()
        self.states: dict[str, DossierState | None] = {}
        self.published: list[Envelope] = []

    def submit(self, dossier: Record, when: dt.datetime = NOW) -> str:
        dossier_id = str(dossier["meta"]["dossier_id"])
        record = wire("DeathDossierSubmitted", dossier)
        self.states[dossier_id], outputs = decide(
            None, "DeathDossierSubmitted", record, hub_ctx(when)
        )
        self.flow(dossier_id, outputs, when)
        return dossier_id

    def hub(self, dossier_id: str, env: Envelope, when: dt.datetime) -> None:
        """The hub reads one agency answer (or intake event), then the agencies answer on."""
        self.published.append(env)
        record = wire(env.schema, env.record)
        state, outputs = decide(self.states[dossier_id], env.schema, record, hub_ctx(when))
        self.states[dossier_id] = state
        self.flow(dossier_id, outputs, when)

    def flow(self, dossier_id: str, outputs: list[Envelope], when: dt.datetime) -> None:
        for env in outputs:
            self.published.append(env)
            if env.schema == "DeathRegistrationHandoff":
                decision = self.registry(register_death, wire(env.schema, env.record), when)
                for answer in decision.outputs:
                    self.hub(dossier_id, answer, when)
            elif env.topic.startswith("handoff.") and env.schema != "HandoffCancelled":
                for answer in self.others.answer(env):
                    self.hub(dossier_id, answer, when)

    def withdraw(self, dossier_id: str, when: dt.datetime) -> list[Envelope]:
        meta = metadata("DossierWithdrawn", dossier_id, "portal", when, None)
        record = wire("DossierWithdrawn", {"meta": meta, "reason": "Gia đình nộp lại"})
        state, outputs = decide(self.states[dossier_id], "DossierWithdrawn", record, hub_ctx(when))
        self.states[dossier_id] = state
        self.published += outputs
        return outputs

    def state(self, dossier_id: str) -> DossierState:
        state = self.states[dossier_id]
        assert state is not None
        return state

    def of(self, schema: str, dossier_id: str) -> list[Record]:
        return [
            e.record
            for e in self.published
            if e.schema == schema and e.record["meta"]["dossier_id"] == dossier_id
        ]


def plan(tmp_path: Path, **content: object) -> Path:
    path = tmp_path / "population.json"
    path.write_text(json.dumps(content))
    return path


def down_until(tmp_path: Path, when: dt.datetime) -> Path:
    return plan(tmp_path, unavailable_until=when.isoformat())


# -- 1. the deceased is looked up before registration -----------------------------------------


def test_a_personal_id_the_database_never_issued_is_refused_in_words_the_family_reads(
    tmp_path: Path,
) -> None:
    dossier = death_dossier(30, procedures=ALL_FOUR, submitted_at=NOW)
    pid = dossier["deceased"]["personal_id"]
    desk = Desk(plan(tmp_path, never_issued=[pid]))
    dossier_id = desk.submit(dossier)

    [refusal] = desk.of("StepRejected", dossier_id)
    assert (refusal["step"], refusal["reason_code"]) == (REG, "unknown_person")
    assert "không có trong Cơ sở dữ liệu quốc gia về dân cư" in refusal["reason"]
    assert "not in the national population database" in refusal["reason"]
    assert pid not in refusal["reason"]
    assert desk.of("DeathRegistered", dossier_id) == []
    assert desk.population.deceased_on(pid) is None, "nobody was marked deceased"
    done = finished(desk.published)
    assert done["outcome"] == "REJECTED"
    assert {p["outcome"] for p in done["procedures"][1:]} == {"NOT_STARTED"}


def test_while_the_database_is_down_the_step_waits_visibly_then_resumes(tmp_path: Path) -> None:
    desk = Desk(down_until(tmp_path, at(60)))
    dossier = death_dossier(31, procedures=WITH_FUNERAL, submitted_at=NOW)
    pid = dossier["deceased"]["personal_id"]
    dossier_id = desk.submit(dossier)

    # the agency says it waits; the hub shows it; nothing else starts; nothing is registered
    [deferred] = desk.of("StepDeferred", dossier_id)
    assert (deferred["step"], deferred["waiting_for"]) == (REG, "population_database")
    [waiting] = desk.of("StepWaiting", dossier_id)
    assert (waiting["step"], waiting["waiting_for"]) == (REG, "POPULATION_DATABASE")
    assert "population database" in waiting["message"] and "dân cư" in waiting["message"]
    state = desk.state(dossier_id)
    assert (state.steps[REG].phase, state.steps[REG].awaiting) == (
        "handed_off",
        "population_database",
    )
    assert [s for s, st in state.steps.items() if st.phase == "handed_off"] == [REG]
    assert desk.population.deceased_on(pid) is None
    view = {s["step"]: s for s in dossier_view(state, at(1))["steps"]}
    assert view[REG]["awaiting"] == "population_database"
    words = waiting_text("death", REG, "population_database", "en")  # the status page's words
    assert "population database" in words and "Nothing is needed from you" in words

    # the registry's timer asks again with growing delays while the database stays down
    entry = desk.registry.entries[f"death:{pid}"]
    first = RegisterKeys.retry_at(entry)
    assert first == NOW + dt.timedelta(seconds=2)
    assert desk.registry.retry(pid, at(0.01)).outputs == [], "not due yet"
    delays = []
    when = NOW
    for _ in range(4):
        when = RegisterKeys.retry_at(desk.registry.entries[f"death:{pid}"]) or when
        decision = desk.registry.retry(pid, when)
        assert decision.outputs == []
        assert decision.entry is not None
        delays.append((dt.datetime.fromisoformat(decision.entry["next_retry_at"]) - when).seconds)
    assert delays == [4, 8, 16, 32]

    # the database answers: the death is registered and the dossier goes on to the end
    decision = desk.registry.retry(pid, at(61))
    [registered] = decision.outputs
    assert registered.schema == "DeathRegistered"
    assert registered.record["meta"]["causation_id"] == deferred["meta"]["causation_id"]
    # the entry names its step: the runtime counts the registration under it, not the birth's
    assert desk.registry.entries[f"death:{pid}"]["step"] == REG
    desk.hub(dossier_id, registered, at(61))
    assert desk.state(dossier_id).steps[REG].awaiting is None
    assert finished(desk.published)["outcome"] == "COMPLETED"
    assert desk.population.deceased_on(pid) is not None


def test_a_redelivered_handoff_repeats_the_wait_and_the_hub_ignores_the_repeat(
    tmp_path: Path,
) -> None:
    desk = Desk(down_until(tmp_path, at(60)))
    dossier_id = desk.submit(death_dossier(32, procedures=COMBINATIONS[0], submitted_at=NOW))
    handoff = next(e for e in desk.published if e.schema == "DeathRegistrationHandoff")
    [again] = desk.registry(register_death, wire(handoff.schema, handoff.record), at(5)).outputs
    [deferred] = desk.of("StepDeferred", dossier_id)
    assert again.record == deferred
    state, outputs = decide(desk.state(dossier_id), again.schema, again.record, hub_ctx(at(5)))
    assert outputs == []
    # nor does the hub's clock send the handoff again while the agency retries by itself
    check = wire(
        "DeadlineCheck", {"meta": metadata("DeadlineCheck", dossier_id, "hub", at(30), None)}
    )
    _, outputs = decide(state, "DeadlineCheck", check, hub_ctx(at(30)))
    assert [e.schema for e in outputs if e.topic.startswith("handoff.")] == []


# -- 2. a withdrawal leaves nothing standing ----------------------------------------------------


def _cancellation(desk: Desk, dossier_id: str) -> Record:
    [cancelled] = [
        e.record
        for e in desk.published
        if e.schema == "HandoffCancelled" and e.record["meta"]["dossier_id"] == dossier_id
    ]
    return wire("HandoffCancelled", cancelled)


def test_a_registration_made_before_the_withdrawal_is_revoked_and_blocks_no_new_dossier() -> None:
    desk = Desk()
    first = death_dossier(33, procedures=COMBINATIONS[1], submitted_at=NOW)
    pid = first["deceased"]["personal_id"]
    # the commune registers at 09:00; its answer has not reached the hub when the family
    # withdraws at 09:10, so the hub accepts the withdrawal
    record = wire("DeathDossierSubmitted", first)
    state, outputs = decide(None, "DeathDossierSubmitted", record, CTX)
    first_id = str(first["meta"]["dossier_id"])
    desk.states[first_id] = state
    handoff = next(e for e in outputs if e.schema == "DeathRegistrationHandoff")
    [registered] = desk.registry(register_death, wire(handoff.schema, handoff.record), NOW).outputs
    assert registered.schema == "DeathRegistered"
    [answer] = [e for e in desk.withdraw(first_id, at(10)) if e.schema == "WithdrawalAnswered"]
    assert answer.record["accepted"] is True

    decision = desk.registry(cancel_death_registration, _cancellation(desk, first_id), at(11))
    [revoked] = decision.outputs
    assert (revoked.schema, revoked.record["step"]) == ("StepRejected", REG)
    assert revoked.record["reason_code"] == "withdrawn"
    assert "revoked" in revoked.record["reason"]
    assert desk.registry.entries[f"death:{pid}"]["outcome"] == "revoked"
    assert desk.population.deceased_on(pid) is None
    # the late registration and its revocation change nothing at the hub: it stays withdrawn
    desk.hub(first_id, registered, at(12))
    desk.hub(first_id, revoked, at(12))
    assert desk.state(first_id).outcome == "WITHDRAWN"

    corrected = death_dossier(34, procedures=COMBINATIONS[1], submitted_at=at(60), personal_id=pid)
    corrected["deceased"].update(sex=first["deceased"]["sex"], born_on=first["deceased"]["born_on"])
    corrected_id = desk.submit(corrected, at(60))
    assert [r["reason_code"] for r in desk.of("StepRejected", corrected_id)] == []
    [extract] = desk.of("DeathRegistered", corrected_id)
    assert extract["death_extract_number"] != registered.record["death_extract_number"]
    assert desk.state(corrected_id).outcome == "COMPLETED"
    # and the one registration standing now blocks a third dossier, as one death should
    third = death_dossier(35, procedures=COMBINATIONS[0], submitted_at=at(90), personal_id=pid)
    third["deceased"].update(sex=first["deceased"]["sex"], born_on=first["deceased"]["born_on"])
    third_id = desk.submit(third, at(90))
    assert [r["reason_code"] for r in desk.of("StepRejected", third_id)] == ["duplicate_death"]


def test_a_withdrawal_while_the_look_up_waits_stops_it_and_a_new_dossier_goes_through(
    tmp_path: Path,
) -> None:
    desk = Desk(down_until(tmp_path, at(60)))
    first = death_dossier(36, procedures=COMBINATIONS[0], submitted_at=NOW)
    pid = first["deceased"]["personal_id"]
    first_id = desk.submit(first)
    assert desk.of("StepWaiting", first_id)
    outputs = desk.withdraw(first_id, at(5))
    assert [e.record["accepted"] for e in outputs if e.schema == "WithdrawalAnswered"] == [True]
    decision = desk.registry(cancel_death_registration, _cancellation(desk, first_id), at(6))
    assert decision.outputs == []
    assert desk.registry.entries[f"death:{pid}"]["outcome"] == "cancelled"
    assert RegisterKeys.retry_at(desk.registry.entries[f"death:{pid}"]) is None
    assert desk.registry.retry(pid, at(61)).outputs == [], "the timer no longer asks"

    again = death_dossier(37, procedures=COMBINATIONS[0], submitted_at=at(70), personal_id=pid)
    again["deceased"].update(sex=first["deceased"]["sex"], born_on=first["deceased"]["born_on"])
    again_id = desk.submit(again, at(70))
    assert desk.state(again_id).outcome == "COMPLETED"


def test_a_second_dossier_while_the_first_waits_is_refused_and_leaves_the_first_waiting(
    tmp_path: Path,
) -> None:
    desk = Desk(down_until(tmp_path, at(60)))
    first = death_dossier(38, procedures=COMBINATIONS[0], submitted_at=NOW)
    pid = first["deceased"]["personal_id"]
    first_id = desk.submit(first)
    second = death_dossier(39, procedures=COMBINATIONS[0], submitted_at=at(1), personal_id=pid)
    second["deceased"].update(sex=first["deceased"]["sex"], born_on=first["deceased"]["born_on"])
    second_id = desk.submit(second, at(1))
    [refusal] = desk.of("StepRejected", second_id)
    assert refusal["reason_code"] == "duplicate_death" and "processing" in refusal["reason"]
    assert first_id not in refusal["reason"]
    assert desk.registry.entries[f"death:{pid}"]["dossier_id"] == first_id
    # the second family withdraws too late for its answer: its cancellation leaves the first
    decision = desk.registry(
        cancel_death_registration,
        wire(
            "HandoffCancelled",
            {
                "meta": metadata("HandoffCancelled", second_id, "hub", at(2), None, REG),
                "step": REG,
                "reason": "The citizen withdrew the dossier.",
                "personal_id": pid,
            },
        ),
        at(2),
    )
    assert (decision.outputs, decision.entry) == ([], None)
    [registered] = desk.registry.retry(pid, at(61)).outputs
    desk.hub(first_id, registered, at(61))
    assert desk.state(first_id).outcome == "COMPLETED"


# -- 3. a step that cannot apply is decided at intake ------------------------------------------


def test_deregistration_without_a_permanent_residence_is_not_applicable_from_intake() -> None:
    dossier = death_dossier(
        40, procedures=WITH_FUNERAL, submitted_at=NOW, permanent_residence=False
    )
    record = wire("DeathDossierSubmitted", dossier)
    state, outputs = decide(None, "DeathDossierSubmitted", record, CTX)
    assert state is not None
    assert [e.schema for e in outputs] == [
        "DossierReceived",
        "StepFinished",
        "DeathRegistrationHandoff",
        "StepHandedOff",
    ]
    shown = outputs[1].record
    assert (shown["step"], shown["outcome"]) == ("residence_deregistration", "NOT_APPLICABLE")
    assert "nothing to deregister" in shown["reason"] and "thường trú" in shown["reason"]
    step = state.steps["residence_deregistration"]
    assert (step.phase, step.reason_code) == ("not_applicable", "not_applicable")
    [note] = [e for e in state.timeline if e.kind == "not_applicable"]
    assert (note.step, note.detail) == ("residence_deregistration", shown["reason"])
    view = {s["step"]: s for s in dossier_view(state, NOW)["steps"]}
    assert view["residence_deregistration"]["state"] == "not_applicable"
    assert view["residence_deregistration"]["reason"] == shown["reason"]
    assert STEP_STATES["not_applicable"]["en"] == "Does not apply"

    # the other steps complete: the dossier is COMPLETED, the step shown as not applicable
    desk = Desk()
    desk.states[state.dossier_id] = state
    desk.flow(state.dossier_id, outputs[2:], NOW)
    done = finished(desk.published)
    assert done["outcome"] == "COMPLETED"
    outcomes = {p["step"]: p["outcome"] for p in done["procedures"]}
    assert outcomes == {
        "death_registration": "COMPLETED",
        "residence_deregistration": "NOT_APPLICABLE",
        "funeral_allowance": "COMPLETED",
    }
    assert "ResidenceDeregistrationHandoff" not in {e.schema for e in desk.published}


def test_a_not_applicable_step_neither_blocks_a_withdrawal_nor_becomes_withdrawn() -> None:
    dossier = death_dossier(
        41, procedures=COMBINATIONS[0], submitted_at=NOW, permanent_residence=False
    )
    state, _ = decide(None, "DeathDossierSubmitted", wire("DeathDossierSubmitted", dossier), CTX)
    meta = metadata("DossierWithdrawn", dossier["meta"]["dossier_id"], "portal", NOW, None)
    withdrawn = wire("DossierWithdrawn", {"meta": meta, "reason": ""})
    state, outputs = decide(state, "DossierWithdrawn", withdrawn, CTX)
    [answer] = [e.record for e in outputs if e.schema == "WithdrawalAnswered"]
    assert answer["accepted"] is True
    assert state is not None and state.outcome == "WITHDRAWN"
    assert state.steps["residence_deregistration"].phase == "not_applicable"
    assert state.steps["death_registration"].phase == "withdrawn"


def test_a_refused_registration_leaves_a_not_applicable_step_as_it_was(tmp_path: Path) -> None:
    dossier = death_dossier(
        42, procedures=COMBINATIONS[0], submitted_at=NOW, permanent_residence=False
    )
    desk = Desk(plan(tmp_path, never_issued=[dossier["deceased"]["personal_id"]]))
    dossier_id = desk.submit(dossier)
    outcomes = {p["step"]: p["outcome"] for p in finished(desk.published)["procedures"]}
    assert outcomes == {
        "death_registration": "REJECTED",
        "residence_deregistration": "NOT_APPLICABLE",
    }
    assert desk.state(dossier_id).outcome == "REJECTED"


@pytest.mark.parametrize("residence", [True, False])
def test_the_rule_is_the_step_s_declaration(residence: bool) -> None:
    applies = DEATH.steps["residence_deregistration"].applies
    assert applies is not None
    dossier = death_dossier(43, submitted_at=NOW, permanent_residence=residence)
    assert (applies(dossier) is None) is residence
    assert all(
        spec.applies is None for s, spec in DEATH.steps.items() if s != "residence_deregistration"
    )


# -- 4. each rule names its article ------------------------------------------------------------


def test_each_step_of_the_death_group_names_its_articles() -> None:
    sources = {step: " | ".join(spec.legal_source) for step, spec in DEATH.steps.items()}
    assert "Law on Civil Status 2014, art. 33" in sources["death_registration"]
    assert "Law on Civil Status 2014, art. 34" in sources["death_registration"]
    assert "Law on Residence 2020, art. 24" in sources["residence_deregistration"]
    assert "Law on Social Insurance 2024, art. 85" in sources["funeral_allowance"]
    survivor = sources["survivor_benefit"]
    assert "Law on Social Insurance 2014, art. 69, referring to art. 66(1)" in survivor
    assert "Law on Social Insurance 2024" in survivor
    assert all("assumed" in sources[s] for s in ("funeral_allowance", "survivor_benefit"))
    assert "63/2024" in DEATH.source  # the group as a whole: the interconnection decree


# -- what the citizen's status page shows ------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("vi", ("Không áp dụng", "không có gì để xóa đăng ký thường trú", "Cơ sở dữ liệu")),
        ("en", ("Does not apply", "nothing to deregister", "population database to answer")),
    ],
)
async def test_the_status_page_shows_the_wait_and_the_step_that_does_not_apply(
    hub: Hub, tmp_path: Path, lang: str, words: tuple[str, ...]
) -> None:
    desk = Desk(down_until(tmp_path, at(60)))
    dossier = death_dossier(
        44, procedures=COMBINATIONS[0], submitted_at=NOW, permanent_residence=False
    )
    state = desk.state(desk.submit(dossier))
    state.lookup_code = lookup_code(KEYS, state.dossier_id)  # the page's own signing key
    hub.keep(state)
    status, _, body = await hub.get(url_of(state, lang=lang))
    assert status == 200
    text = visible(body)
    for phrase in words:
        assert phrase in text, phrase
