"""300 generated dossiers through the real broker and all four deployables as processes."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter

import pytest
from kafka_reading import read_topic

from lienthong.client import IntakePublisher
from lienthong.client.batch import push_through
from lienthong.domain.calendar import WorkingCalendar
from lienthong.domain.identifiers import (
    check_card_code,
    check_personal_id,
    personal_id_birth_year,
    personal_id_sex,
)
from lienthong.groups.birth.breakers import with_agency_refusals
from lienthong.groups.birth.identity_card import card_from
from lienthong.groups.birth.synthetic import generate
from lienthong.runtime.stack import LocalStack
from lienthong.settings import Settings

pytestmark = [pytest.mark.broker, pytest.mark.e2e]
SEED = 20261128


def test_three_hundred_dossiers_flow_through_three_agencies(
    isolated: Settings, stack: LocalStack
) -> None:
    now = dt.datetime.now(dt.UTC)
    items = generate(
        300,
        seed=SEED,
        invalid_share=0.1,
        twins_share=0.1,
        start=now - dt.timedelta(minutes=6),
        live=True,
    )
    refused = set(with_agency_refusals(items, 0.05, SEED))
    combinations = {
        ("civil_registry", "health_insurance"),
        ("civil_registry", "residence"),
        ("civil_registry", "health_insurance", "residence"),
    }
    if WorkingCalendar().received_on(now) >= card_from():  # families may choose the card too
        combinations |= {tuple(sorted((*c, "child_id_card"))) for c in combinations}
    assert {tuple(sorted(i.record["procedures"])) for i in items if not i.invalid} == combinations
    assert any(i.twin_group for i in items) and any(i.invalid for i in items) and refused

    result = push_through(isolated, items, timeout=120)
    assert result.still_open() == []

    by_id = {str(i.record["meta"]["dossier_id"]): i for i in items}
    for dossier_id, item in by_id.items():
        name, final = result.timelines[dossier_id].final  # type: ignore[misc]
        if item.invalid:
            assert name == "DossierRejected", dossier_id
            assert item.invalid in {r["code"] for r in final["reasons"]}
            assert all(r["message"] and r["field"] for r in final["reasons"])
            continue
        assert name == "DossierFinished", (dossier_id, final)
        outcomes = {p["step"]: p["outcome"] for p in final["procedures"]}
        assert set(outcomes) == set(item.record["procedures"])
        expected = "PARTLY_COMPLETED" if dossier_id in refused else "COMPLETED"
        assert final["outcome"] == expected, (dossier_id, final)

    births = [
        d.record
        for _, _, d in read_topic(isolated, "completion.civil-registry")
        if d and d.name == "BirthRegistered"
    ]
    ids_by_dossier = {b["meta"]["dossier_id"]: b["child"]["personal_id"] for b in births}
    valid = [i for i in by_id.values() if not i.invalid]
    assert set(ids_by_dossier) == {str(i.record["meta"]["dossier_id"]) for i in valid}
    assert len(set(ids_by_dossier.values())) == len(ids_by_dossier), "ID numbers must be unique"
    for dossier_id, pid in ids_by_dossier.items():
        child = by_id[dossier_id].record["child"]
        assert check_personal_id(pid) is None
        assert personal_id_sex(pid) == child["sex"]
        assert personal_id_birth_year(pid) % 100 == child["born_at"].year % 100

    cards = [
        d.record
        for _, _, d in read_topic(isolated, "completion.health-insurance")
        if d and d.name == "CardIssued"
    ]
    assert all(check_card_code(c["card_code"]) is None for c in cards)
    assert len({c["social_insurance_number"] for c in cards}) == len(cards)
    assert {c["meta"]["dossier_id"] for c in cards} == {
        str(i.record["meta"]["dossier_id"])
        for i in valid
        if "health_insurance" in i.record["procedures"]
    }

    residences = [
        d.record
        for _, _, d in read_topic(isolated, "completion.residence")
        if d and d.name == "ResidenceRegistered"
    ]
    assert {r["meta"]["dossier_id"] for r in residences} == {
        str(i.record["meta"]["dossier_id"])
        for i in valid
        if "residence" in i.record["procedures"]
        and str(i.record["meta"]["dossier_id"]) not in refused
    }

    id_cards = [
        d.record
        for _, _, d in read_topic(isolated, "completion.residence")
        if d and d.name == "ChildIdCardIssued"
    ]
    assert {c["meta"]["dossier_id"] for c in id_cards} == {
        str(i.record["meta"]["dossier_id"])
        for i in valid
        if "child_id_card" in i.record["procedures"]
    }
    assert len({c["card_number"] for c in id_cards}) == len(id_cards)
    assert all(c["personal_id"] == ids_by_dossier[c["meta"]["dossier_id"]] for c in id_cards)

    _assert_handoffs_are_minimal(isolated, by_id)
    _assert_redelivered_handoff_changes_nothing(isolated)


def _assert_handoffs_are_minimal(settings: Settings, by_id: dict) -> None:  # type: ignore[type-arg]
    """No handoff carries a value the agency does not need (checked on the real topics)."""
    forbidden_for = {
        "handoff.residence": lambda r: [r["applicant"]["phone"], r["birth_certificate"]["code"]],
        "handoff.health-insurance": lambda r: [
            r["applicant"]["phone"],
            r["birth_certificate"]["code"],
            r["mother"]["personal_id"],
        ],
    }
    for role, forbidden in forbidden_for.items():
        messages = read_topic(settings, role)
        assert messages
        for key, _, decoded in messages:
            assert decoded is not None
            text = repr(decoded.record)
            for value in forbidden(by_id[key.decode()].record):
                assert value not in text, f"{role} carries {value!r}"


def _assert_redelivered_handoff_changes_nothing(settings: Settings) -> None:
    handoffs = read_topic(settings, "handoff.civil-registry")
    key, value, _ = handoffs[0]
    before = _births_of(settings, key.decode())
    assert len(before) == 1
    with IntakePublisher(settings) as publisher:
        publisher.send_raw(key, value, "handoff.civil-registry")
    deadline = time.monotonic() + 30
    after = before
    while time.monotonic() < deadline and len(after) < 2:
        time.sleep(0.5)
        after = _births_of(settings, key.decode())
    assert len(after) == 2, "the redelivered handoff must be answered again"
    assert after[0] == after[1], "same event id, same registration number, same ID number"
    numbers = Counter(b[1] for b in after)
    assert len(numbers) == 1


def _births_of(settings: Settings, dossier_id: str) -> list[tuple[str, str, str]]:
    out = []
    for key, _, decoded in read_topic(settings, "completion.civil-registry"):
        if decoded and key.decode() == dossier_id:
            r = decoded.record
            out.append(
                (str(r["meta"]["event_id"]), r["registration_number"], r["child"]["personal_id"])
            )
    return out
