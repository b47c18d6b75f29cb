"""Death dossiers of all three combinations, beside birth dossiers, through the real broker and
all four deployables as processes: an ineligible funeral allowance, a death without permanent
residence, a duplicate death registration and a refused dossier among them."""

from __future__ import annotations

import datetime as dt

import pytest
from kafka_reading import read_topic

from lienthong.client.batch import push_through
from lienthong.groups.birth.synthetic import Synthetic, generate
from lienthong.groups.death.synthetic import COMBINATIONS, death_dossier
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
    assert outcomes(homeless)["residence_deregistration"] == "REJECTED"
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
