"""Death dossiers of all three combinations, beside birth dossiers, through the real broker and
all four deployables as processes: an ineligible funeral allowance, a death without permanent
residence, a duplicate death registration and a refused dossier among them; then, on a clock the
test moves, the deceased looked up in a population database that is down, then answers, and
withdrawals that leave nothing standing."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kafka_reading import read_topic
from scenario import Scenario, finished, has

from lienthong.client.batch import push_through
from lienthong.contracts.events import metadata
from lienthong.groups.birth.synthetic import Synthetic, generate
from lienthong.groups.death.synthetic import COMBINATIONS, WITH_FUNERAL, death_dossier
from lienthong.runtime.stack import LocalStack
from lienthong.settings import Settings

pytestmark = [pytest.mark.broker, pytest.mark.e2e]
SEED = 20261202


def test_death_dossiers_of_every_combination_flow_beside_births(
    isolated: Settings, stack: LocalStack
) -> None:
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=2)
    deaths = [
        death_dossier(i, procedures=COMBINATIONS[i % 3], submitted_at=now, seed=SEED)
        for i in range(9)
    ]
    ineligible = death_dossier(
        9, procedures=COMBINATIONS[1], submitted_at=now, seed=SEED, eligible=False
    )
    ineligible_all = death_dossier(
        10, procedures=COMBINATIONS[2], submitted_at=now, seed=SEED, eligible=False
    )
    homeless = death_dossier(
        11, procedures=COMBINATIONS[0], submitted_at=now, seed=SEED, permanent_residence=False
    )
    at_home = death_dossier(
        12, procedures=COMBINATIONS[2], submitted_at=now, seed=SEED, in_facility=False
    )
    twice = deaths[0]["deceased"]
    duplicate = death_dossier(
        13,
        procedures=COMBINATIONS[1],
        submitted_at=now,
        seed=SEED,
        personal_id=twice["personal_id"],
    )
    duplicate["deceased"].update(sex=twice["sex"], born_on=twice["born_on"])
    refused = death_dossier(14, procedures=COMBINATIONS[2], submitted_at=now, seed=SEED)
    refused["beneficiary"] = None
    items = [
        Synthetic(d) for d in (*deaths, ineligible, ineligible_all, homeless, at_home, duplicate)
    ]
    items.append(Synthetic(refused, invalid="missing_section"))
    births = generate(6, seed=SEED, start=now, live=True)
    items += births

    result = push_through(isolated, items, timeout=120)
    assert result.still_open() == []

    def final(record: dict[str, object]) -> tuple[str, dict[str, object]]:
        name, event = result.timelines[str(record["meta"]["dossier_id"])].final  # type: ignore[index,misc]
        return name, event

    def outcomes(record: dict[str, object]) -> dict[str, str]:
        name, event = final(record)
        assert name == "DossierFinished", event
        return {p["step"]: p["outcome"] for p in event["procedures"]}  # type: ignore[attr-defined]

    for record in (*deaths[1:], at_home):
        assert final(record)[1]["outcome"] == "COMPLETED", final(record)
        assert set(outcomes(record)) == set(record["procedures"])
    assert outcomes(ineligible)["funeral_allowance"] == "REJECTED"
    assert final(ineligible)[1]["outcome"] == "PARTLY_COMPLETED"
    assert outcomes(ineligible_all) == {
        "death_registration": "COMPLETED",
        "residence_deregistration": "COMPLETED",
        "funeral_allowance": "REJECTED",
        "survivor_benefit": "COMPLETED",
    }
    # nothing to deregister: decided at intake, not handed to the police to be refused
    assert outcomes(homeless)["residence_deregistration"] == "NOT_APPLICABLE"
    assert final(homeless)[1]["outcome"] == "COMPLETED"
    # one person, one death: whichever dossier reached the commune second is the duplicate
    pair = sorted([final(deaths[0])[1]["outcome"], final(duplicate)[1]["outcome"]])
    assert pair == ["COMPLETED", "REJECTED"]
    name, rejection = final(refused)
    assert name == "DossierRejected"
    assert [(r["field"], r["code"]) for r in rejection["reasons"]] == [  # type: ignore[attr-defined]
        ("beneficiary", "missing_section")
    ]
    for item in births:
        assert final(item.record)[0] in ("DossierFinished", "DossierRejected")

    answers = [d for _, _, d in read_topic(isolated, "completion.civil-registry") if d]
    duplicates = [d.record for d in answers if d.name == "StepRejected"]
    assert [(d["step"], d["reason_code"]) for d in duplicates] == [
        ("death_registration", "duplicate_death")
    ]
    extracts = [d.record["death_extract_number"] for d in answers if d.name == "DeathRegistered"]
    assert (
        len(extracts) == len(set(extracts)) == 13
    )  # 15 death dossiers: one refused, one duplicate
    social = [d for _, _, d in read_topic(isolated, "completion.health-insurance") if d]
    refusals = {
        (d.record["step"], d.record["reason_code"]) for d in social if d.name == "StepRejected"
    }
    assert refusals == {("funeral_allowance", "not_eligible")}
    granted = [d.record for d in social if d.name == "SurvivorBenefitGranted"]
    named = {g["beneficiary_personal_id"] for g in granted}
    expected = [
        r for r in (*deaths, ineligible_all, at_home) if "survivor_benefit" in r["procedures"]
    ]
    assert {r["beneficiary"]["personal_id"] for r in expected} <= named  # type: ignore[index]


REG = "death_registration"
AGENCIES = ("civil-registry", "residence", "health-insurance")


@pytest.fixture
def scenario(broker: Settings, tmp_path: Path) -> Iterator[Scenario]:
    running = Scenario(broker, tmp_path)
    try:
        yield running
    finally:
        running.close()


def _same_person(record: dict[str, Any], as_in: dict[str, Any]) -> dict[str, Any]:
    record["deceased"].update({k: as_in["deceased"][k] for k in ("personal_id", "sex", "born_on")})
    return record


def _withdraw(scenario: Scenario, dossier_id: str) -> dict[str, Any]:
    meta = metadata("DossierWithdrawn", dossier_id, "vneid", scenario.clock.now(), None)
    scenario.publish("intake", "DossierWithdrawn", {"meta": meta, "reason": "Gia đình nộp lại"})
    return scenario.wait_for_event(dossier_id, "WithdrawalAnswered")


def _outcome(scenario: Scenario, dossier_id: str) -> tuple[str, dict[str, str]]:
    final = scenario.wait(dossier_id, finished, timeout=90).final
    assert final is not None and final[0] == "DossierFinished", final
    steps = {p["step"]: p["outcome"] for p in final[1]["procedures"]}
    return final[1]["outcome"], steps


def test_the_deceased_is_looked_up_and_a_withdrawal_leaves_nothing_standing(
    scenario: Scenario,
) -> None:
    plan = scenario.settings.population_db_plan
    assert plan is not None
    seed, start = SEED + 1, scenario.clock.now() - dt.timedelta(minutes=30)
    unknown = death_dossier(20, procedures=COMBINATIONS[0], submitted_at=start, seed=seed)
    never_issued = [unknown["deceased"]["personal_id"]]
    plan.write_text(json.dumps({"never_issued": never_issued}))

    # 1. The commune is down when the family withdraws: the hub accepts; the commune then
    # registers the death and revokes it, visibly, and forgets it in the population database.
    scenario.start("hub")
    withdrawn = death_dossier(21, procedures=WITH_FUNERAL, submitted_at=start, seed=seed)
    withdrawn_id = scenario.submit(withdrawn)
    scenario.wait(withdrawn_id, has("StepHandedOff"))
    assert _withdraw(scenario, withdrawn_id)["accepted"] is True
    scenario.start(*AGENCIES)
    answers = scenario.wait_for_answers(withdrawn_id, "completion.civil-registry", 2)
    assert [d.name for d in answers] == ["DeathRegistered", "StepRejected"]
    assert answers[1].record["reason_code"] == "withdrawn"
    # the family's corrected dossier for the same death is not refused as already registered
    corrected = _same_person(
        death_dossier(22, procedures=WITH_FUNERAL, submitted_at=start, seed=seed), withdrawn
    )
    assert _outcome(scenario, scenario.submit(corrected))[0] == "COMPLETED"

    # 2. The population database is down: the registration waits visibly, nothing else starts
    until = scenario.clock.now() + dt.timedelta(hours=2)
    plan.write_text(
        json.dumps({"unavailable_until": until.isoformat(), "never_issued": never_issued})
    )
    waiting_id = scenario.submit(
        death_dossier(23, procedures=WITH_FUNERAL, submitted_at=start, seed=seed)
    )
    given_up = death_dossier(24, procedures=COMBINATIONS[0], submitted_at=start, seed=seed)
    given_up_id = scenario.submit(given_up)
    for dossier_id in (waiting_id, given_up_id):
        waiting = scenario.wait_for_event(dossier_id, "StepWaiting")
        assert (waiting["step"], waiting["waiting_for"]) == (REG, "POPULATION_DATABASE")
        assert "population database" in waiting["message"]
    handed = [r["step"] for r in scenario.timeline(waiting_id).of("StepHandedOff")]
    assert handed == [REG], "the later steps wait for the registration"
    # a withdrawal while the look-up waits is accepted and stops it
    assert _withdraw(scenario, given_up_id)["accepted"] is True

    scenario.clock.advance(dt.timedelta(hours=3))  # the database answers again
    outcome, steps = _outcome(scenario, waiting_id)
    assert outcome == "COMPLETED" and set(steps.values()) == {"COMPLETED"}
    assert _outcome(scenario, given_up_id)[0] == "WITHDRAWN"
    again = _same_person(
        death_dossier(25, procedures=COMBINATIONS[0], submitted_at=start, seed=seed), given_up
    )
    assert _outcome(scenario, scenario.submit(again))[0] == "COMPLETED"
    registry = [d.name for d in _answers(scenario, waiting_id)]
    assert registry[0] == "StepDeferred" and registry[-1] == "DeathRegistered"
    assert "DeathRegistered" not in [d.name for d in _answers(scenario, given_up_id)]

    # 3. A personal ID the database never issued: refused in words the family reads
    unknown_id = scenario.submit(unknown)
    outcome, steps = _outcome(scenario, unknown_id)
    assert (outcome, steps[REG]) == ("REJECTED", "REJECTED")
    [refused] = [r for r in scenario.timeline(unknown_id).of("StepFinished") if r["step"] == REG]
    assert "not in the national population database" in refused["reason"]
    assert "Cơ sở dữ liệu quốc gia về dân cư" in refused["reason"]
    [answer] = [d.record for d in _answers(scenario, unknown_id)]
    assert answer["reason_code"] == "unknown_person"


def _answers(scenario: Scenario, dossier_id: str) -> list[Any]:
    return [
        d
        for k, _, d in read_topic(scenario.settings, "completion.civil-registry")
        if d and k.decode() == dossier_id
    ]
