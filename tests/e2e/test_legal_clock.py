"""Every exception path through the real pipeline, on a legal clock the test moves.

Each scenario runs the deployables as processes against the real broker; the clock is shared
through a file, so "ten days later" takes a second.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka_reading import read_topic
from scenario import Scenario, finished, has

from lienthong.domain.identifiers import check_personal_id, personal_id
from lienthong.groups.birth.synthetic import Synthetic
from lienthong.settings import Settings

pytestmark = [pytest.mark.broker, pytest.mark.e2e]
ALL = ("hub", "civil-registry", "residence", "health-insurance")
WITH_RESIDENCE = ("civil_registry", "residence")


@pytest.fixture
def scenario(broker: Settings, tmp_path: Path) -> Iterator[Scenario]:
    running = Scenario(broker, tmp_path)
    try:
        yield running
    finally:
        running.close()


def _valid(items: list[Synthetic], *steps: str) -> list[Synthetic]:
    wanted = set(steps)
    return [
        i
        for i in items
        if not i.invalid
        and not i.twin_group
        and (not wanted or set(i.record["procedures"]) == wanted)
    ]


def _id(item: Synthetic) -> str:
    return str(item.record["meta"]["dossier_id"])


#: A citizen-facing reason: a sentence, not a code.
READABLE = re.compile(r"^[A-ZĐ].{15,}[.)]$", re.DOTALL)


def _assert_readable(scenario: Scenario, dossier_id: str) -> None:
    """Every status event a citizen receives that explains something explains it in words."""
    for name, record in scenario.timeline(dossier_id).events:
        if name == "DossierRejected":
            texts = [r["message"] for r in record["reasons"]]
        elif name == "StepFinished":
            texts = [record["reason"]] if record["outcome"] == "REJECTED" else []
        elif name == "WithdrawalAnswered":
            texts = [] if record["accepted"] else [record["reason"]]
        elif name in ("DossierOverdue", "DueDateChanged", "SupplementAwaited", "StepWaiting"):
            texts = [record["message"]]
        else:
            texts = []
        for text in texts:
            assert text and READABLE.match(text), f"{name} of {dossier_id}: {text!r}"


def test_overdue_without_and_with_an_extension(scenario: Scenario) -> None:
    scenario.start("hub", "civil-registry", "health-insurance")  # the police are not working
    late, apologised = _valid(scenario.dossiers(40, seed=11), *WITH_RESIDENCE)[:2]
    for item in (late, apologised):
        scenario.submit(item.record)
        scenario.wait(_id(item), has("StepHandedOff", 2))
    scenario.clock.advance(dt.timedelta(days=10))
    for item in (late, apologised):
        overdue = scenario.wait_for_event(_id(item), "DossierOverdue")
        assert overdue["step"] == "residence"
        assert "police" in overdue["agency"].lower()
    new_date = scenario.clock.now() + dt.timedelta(days=3)
    scenario.agency_event(
        "residence",
        "DeadlineExtended",
        _id(apologised),
        step="residence",
        new_due_at=new_date,
        apology="We apologise: the officer was ill. "
        "The residence will be registered by the new date.",
    )
    changed = scenario.wait_for_event(_id(apologised), "DueDateChanged")
    assert changed["message"].startswith("We apologise")
    scenario.clock.advance(dt.timedelta(hours=1))
    scenario.wait(_id(late), lambda t: True, 2)
    assert len(scenario.timeline(_id(late)).of("DossierOverdue")) == 1, (
        "one event, not one per check"
    )
    scenario.start("residence")
    for item in (late, apologised):
        final = scenario.wait(_id(item), finished).final
        assert final is not None and final[1]["outcome"] == "COMPLETED"
        assert final[1]["on_time"] is False
        _assert_readable(scenario, _id(item))


def test_supplement_answered_and_supplement_expired(scenario: Scenario) -> None:
    scenario.start(*ALL)
    answered, expired = _valid(scenario.dossiers(40, seed=12))[:2]
    for item in (answered, expired):
        item.record["birth_certificate"]["replaced_by"] = "Giấy xác nhận của trạm y tế"
        scenario.submit(item.record)
        awaited = scenario.wait_for_event(_id(item), "SupplementAwaited")
        assert awaited["step"] == "civil_registry" and awaited["missing"]
    due_before = scenario.timeline(_id(answered)).of("DossierReceived")[0]["due_at"]
    scenario.clock.advance(dt.timedelta(days=4))  # past at least two working days
    from lienthong.contracts.events import metadata

    meta = metadata("DossierSupplemented", _id(answered), "portal", scenario.clock.now(), None)
    scenario.publish(
        "intake",
        "DossierSupplemented",
        {"meta": meta, "step": "civil_registry", "documents": ["GXN-123"], "note": "Đã bổ sung"},
    )
    changed = scenario.wait_for_event(_id(answered), "DueDateChanged")
    assert changed["due_at"] > due_before, "the clock restarts when the supplement arrives"
    final = scenario.wait(_id(answered), finished).final
    assert final is not None and final[1]["outcome"] == "COMPLETED"

    scenario.clock.advance(dt.timedelta(days=14))  # more than 7 working days
    final = scenario.wait(_id(expired), finished).final
    assert final is not None and final[1]["outcome"] == "REJECTED"
    civil = next(p for p in final[1]["procedures"] if p["step"] == "civil_registry")
    assert "supplement" in civil["reason"].lower()
    for item in (answered, expired):
        _assert_readable(scenario, _id(item))


def test_return_for_correction(scenario: Scenario) -> None:
    item = _valid(scenario.dossiers(40, seed=13), "civil_registry", "health_insurance")[0]
    plan = scenario.settings.population_db_plan
    assert plan is not None
    plan.write_text(json.dumps({"wrong_sex_for": [_id(item)]}))
    scenario.start(*ALL)
    scenario.submit(item.record)
    waiting = scenario.wait_for_event(_id(item), "StepWaiting")
    assert waiting["waiting_for"] == "CORRECTION" and waiting["step"] == "health_insurance"
    final = scenario.wait(_id(item), finished).final
    assert final is not None and final[1]["outcome"] == "COMPLETED"
    births = [
        d.record
        for k, _, d in read_topic(scenario.settings, "completion.civil-registry")
        if d and k.decode() == _id(item) and d.name == "BirthRegistered"
    ]
    assert len(births) == 2, "registered, then corrected"
    first, corrected = births[0]["child"]["personal_id"], births[1]["child"]["personal_id"]
    assert (
        first != corrected and births[0]["registration_number"] == births[1]["registration_number"]
    )
    assert check_personal_id(corrected) is None
    names = [n for n, _ in scenario.timeline(_id(item)).events]
    assert "SupplementAwaited" not in names, "the citizen is not asked for anything"
    _assert_readable(scenario, _id(item))


def test_withdrawal_before_and_after_the_first_step(scenario: Scenario) -> None:
    scenario.start("hub")
    early, late = _valid(scenario.dossiers(40, seed=14), *WITH_RESIDENCE)[:2]
    scenario.submit(early.record)
    scenario.wait(_id(early), has("StepHandedOff"))
    from lienthong.contracts.events import metadata

    meta = metadata("DossierWithdrawn", _id(early), "vneid", scenario.clock.now(), None)
    scenario.publish("intake", "DossierWithdrawn", {"meta": meta, "reason": "Gia đình nộp lại"})
    answer = scenario.wait_for_event(_id(early), "WithdrawalAnswered")
    assert answer["accepted"] is True
    final = scenario.wait(_id(early), finished).final
    assert final is not None and final[1]["outcome"] == "WITHDRAWN"
    scenario.start("civil-registry", "health-insurance")  # the police are not working yet
    scenario.submit(late.record)
    scenario.wait(_id(late), has("StepFinished"))
    # The commune was down: it acted on the handoff, then read the cancellation queued behind
    # it and revoked what it had done after the withdrawal.
    answers = scenario.wait_for_answers(_id(early), "completion.civil-registry", 2)
    assert [d.name for d in answers] == ["BirthRegistered", "StepRejected"]
    assert answers[1].record["reason_code"] == "withdrawn"
    final = scenario.timeline(_id(early)).final
    assert final is not None and final[1]["outcome"] == "WITHDRAWN"
    meta = metadata("DossierWithdrawn", _id(late), "vneid", scenario.clock.now(), None)
    scenario.publish("intake", "DossierWithdrawn", {"meta": meta, "reason": ""})
    refused = scenario.wait_for_event(_id(late), "WithdrawalAnswered")
    assert refused["accepted"] is False and "no longer" in refused["reason"]
    scenario.start("residence")
    final = scenario.wait(_id(late), finished).final
    assert final is not None and final[1]["outcome"] == "COMPLETED"
    for item in (early, late):
        _assert_readable(scenario, _id(item))


def test_pending_personal_id_survives_a_worker_restart(scenario: Scenario) -> None:
    item = _valid(
        scenario.dossiers(40, seed=15), "civil_registry", "residence", "health_insurance"
    )[0]
    plan = scenario.settings.population_db_plan
    assert plan is not None
    until = scenario.clock.now() + dt.timedelta(hours=2)
    plan.write_text(json.dumps({"unavailable_until": until.isoformat()}))
    scenario.start(*ALL)
    scenario.submit(item.record)
    waiting = scenario.wait_for_event(_id(item), "StepWaiting")
    assert waiting["waiting_for"] == "PERSONAL_ID"
    assert [r["step"] for r in scenario.timeline(_id(item)).of("StepHandedOff")] == [
        "civil_registry"
    ], "residence and health insurance wait for the number"
    scenario.stop("civil-registry", kill=True)
    scenario.start("civil-registry")
    scenario.clock.advance(dt.timedelta(hours=3))  # the database answers again
    final = scenario.wait(_id(item), finished, timeout=90).final
    assert final is not None and final[1]["outcome"] == "COMPLETED"
    issued = [
        d.record
        for k, _, d in read_topic(scenario.settings, "completion.civil-registry")
        if d and d.name == "PersonalIdIssued" and k.decode() == _id(item)
    ]
    assert issued and check_personal_id(issued[0]["child"]["personal_id"]) is None
    assert len({str(r["meta"]["event_id"]) for r in issued}) == 1
    _assert_readable(scenario, _id(item))


def test_residence_rule_on_both_sides_of_1_july_2026(scenario: Scenario) -> None:
    scenario.start(*ALL)
    outcomes = {}
    for day, seed in ((dt.date(2026, 6, 30), 16), (dt.date(2026, 7, 1), 17)):
        start = dt.datetime.combine(day, dt.time(2, 0), dt.UTC)  # 09:00 in Hanoi
        item = _valid(scenario.dossiers(40, seed=seed, start=start), *WITH_RESIDENCE)[0]
        # The hub receives it that day: the rule in force is the one on the day of receipt.
        scenario.clock.advance(item.record["submitted_at"] - scenario.clock.now())
        residence = item.record["residence"]
        residence["head_of_household"] = "Nguyễn Văn Chủ"
        residence["head_personal_id"] = personal_id("01", "MALE", 1960, 123456)
        residence["relationship_to_head"] = "Cháu"
        residence["head_consent"] = False
        scenario.submit(item.record)
        final = scenario.wait(_id(item), finished).final
        assert final is not None
        outcomes[day] = final[1]
    before, after = outcomes[dt.date(2026, 6, 30)], outcomes[dt.date(2026, 7, 1)]
    assert before["outcome"] == "PARTLY_COMPLETED"
    refused = next(p for p in before["procedures"] if p["step"] == "residence")
    assert "consent" in refused["reason"]
    assert after["outcome"] == "COMPLETED"


def test_the_child_id_card_from_its_date_and_open_dossiers_across_it(
    scenario: Scenario,
) -> None:
    # Friday 28 August 2026, 09:00 in Hanoi: the last working day before the card's date
    # (1 September 2026; 31 August to 2 September are days off). The police are not running
    # yet, so the residence dossier stays open across the date.
    friday = dt.datetime(2026, 8, 28, 2, 0, tzinfo=dt.UTC)
    scenario.start("hub", "civil-registry", "health-insurance")
    scenario.clock.advance(friday - scenario.clock.now())
    before = _valid(scenario.dossiers(40, seed=31, start=friday), *WITH_RESIDENCE)[0]
    scenario.submit(before.record)
    scenario.wait_for_event(_id(before), "DossierReceived")
    # the same family's card chosen that day: not offered before the date
    early = copy.deepcopy(_valid(scenario.dossiers(40, seed=32, start=friday), *WITH_RESIDENCE)[0])
    early.record["procedures"].append("child_id_card")
    early.record["child_id_card"] = {"photo_ref": "photo:early-0001"}
    scenario.submit(early.record)
    refused = scenario.wait(_id(early), finished).final
    assert refused is not None and refused[0] == "DossierRejected"
    assert [r["code"] for r in refused[1]["reasons"]] == ["combination_not_in_force"]
    # Thursday 3 September: a new dossier with the card; then the police start
    thursday = dt.datetime(2026, 9, 3, 2, 0, tzinfo=dt.UTC)
    scenario.clock.advance(thursday - scenario.clock.now())
    after = next(
        i
        for i in _valid(scenario.dossiers(60, seed=33, start=thursday))
        if set(i.record["procedures"]) == {*WITH_RESIDENCE, "child_id_card"}
    )
    scenario.submit(after.record)
    scenario.start("residence")
    old = scenario.wait(_id(before), finished).final
    new = scenario.wait(_id(after), finished).final
    assert old is not None and new is not None
    assert old[1]["outcome"] == "COMPLETED" and new[1]["outcome"] == "COMPLETED"
    assert [p["step"] for p in old[1]["procedures"]] == list(WITH_RESIDENCE)
    assert [p["step"] for p in new[1]["procedures"]] == [*WITH_RESIDENCE, "child_id_card"]
    card = next(p for p in new[1]["procedures"] if p["step"] == "child_id_card")
    issued = [
        d.record
        for k, _, d in read_topic(scenario.settings, "completion.residence")
        if d and d.name == "ChildIdCardIssued" and k.decode() == _id(after)
    ]
    assert issued and issued[0]["card_number"] == card["result_ref"]


def test_duplicates_and_triplets(scenario: Scenario) -> None:
    scenario.start(*ALL)
    items = scenario.dossiers(300, seed=18, twins_share=0.5)
    groups: dict[str, list[Synthetic]] = {}
    for item in items:
        if item.twin_group:
            groups.setdefault(item.twin_group, []).append(item)
    triplets = next(g for g in groups.values() if len(g) == 3)
    single = _valid(items)[0]
    duplicate = copy.deepcopy(single.record)
    duplicate["meta"]["dossier_id"] = _id(single) + "-again"
    duplicate["meta"]["event_id"] = __import__("uuid").uuid4()
    for item in triplets:
        scenario.submit(item.record)
    scenario.submit(single.record)
    scenario.wait(_id(single), finished)
    scenario.submit(duplicate)
    final = scenario.wait(duplicate["meta"]["dossier_id"], finished).final
    assert final is not None and final[1]["outcome"] == "REJECTED"
    civil = next(p for p in final[1]["procedures"] if p["step"] == "civil_registry")
    # What the citizen reads never names another family's dossier (operators see the link).
    assert "already registered" in civil["reason"]
    assert _id(single) not in civil["reason"], "the refusal names another family's dossier"
    mother = {item.record["mother"]["personal_id"] for item in triplets}
    assert len(mother) == 1
    for item in triplets:
        result = scenario.wait(_id(item), finished).final
        assert result is not None and result[1]["outcome"] == "COMPLETED", _id(item)
