"""The official's desk, agency side: policies, flags, claims, decisions, replays, refusals."""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from typing import Any

import pytest

from lienthong import topics
from lienthong.agencies.builder import Decisions
from lienthong.agencies.desk import Desk
from lienthong.contracts.codec import AvroCodec
from lienthong.contracts.events import Envelope
from lienthong.domain.agency import AgencyContext, Decision
from lienthong.domain.allocation import BufferedCounters
from lienthong.domain.calendar import WorkingCalendar
from lienthong.domain.review import Reason, Review, parse_policies, policy_of, to_person
from lienthong.groups.birth import review
from lienthong.groups.birth.projections import civil_registry_part, residence_part
from lienthong.groups.birth.registration import certificate_key
from lienthong.groups.birth.synthetic import generate
from lienthong.groups.death import review as death
from lienthong.hub.projections import handoff_record
from lienthong.settings import Settings

Record = dict[str, Any]
CR, RES = "civil_registry", "residence"
START = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
CALENDAR = WorkingCalendar()
CODEC = AvroCodec()
DOSSIERS = [d.record for d in generate(30, seed=404, start=START, twins_share=0.0)]


def wire(schema: str, record: Record) -> Record:
    return CODEC.decode(CODEC.encode(schema, record)).record


def birth_handoff(nth: int = 0) -> Record:
    record = copy.deepcopy(DOSSIERS[nth])
    submitted = record["submitted_at"]
    built = handoff_record(
        CR,
        record["meta"]["dossier_id"],
        civil_registry_part(record),
        subject=None,
        dossier_date=CALENDAR.received_on(submitted),
        due_at=CALENDAR.due_at(submitted, 0),
        at=submitted + dt.timedelta(minutes=5),
        cause=str(record["meta"]["event_id"]),
    )
    return wire("CivilRegistryHandoff", built)


class Agency:
    """One agency deployable's decisions over a register kept in a dict, as the builder saves."""

    def __init__(self, name: str = "civil-registry", review_policy: str = f"{CR}=review") -> None:
        settings = Settings(review=review_policy, desk_claim_seconds=600)
        self.name = name
        self.decisions = Decisions(name)
        self.desk = Desk(name, topics.STEPS_OF[name], CODEC, settings)
        self.entries: dict[str, Record] = {}
        self.counters: dict[str, int] = {}
        self.minutes = 30

    def __call__(self, schema: str, record: Record, key: str, *, minutes: int = 0) -> Decision:
        self.minutes += minutes
        now = START + dt.timedelta(minutes=self.minutes)
        view = BufferedCounters(self.counters)
        ctx = AgencyContext(now, CALENDAR, 0, 4)
        entry = self.entries.get(key)
        decision = self.desk.decide(self.decisions, schema, record, key, entry, view, ctx)
        if decision.entry is not None:
            self.entries[key] = dict(decision.entry)
        self.counters.update(view.updates)
        for env in decision.outputs:
            CODEC.encode(env.schema, env.record)  # every output fits its schema
        return decision

    def handoff(self, record: Record) -> Decision:
        return self("CivilRegistryHandoff", record, certificate_key(record))

    def act(
        self, key: str, action: str, official: str, *, command: str = "", **kw: Any
    ) -> Decision:
        command = command or str(uuid.uuid4())
        record = {
            "meta": {
                "event_id": command,
                "dossier_id": self.entries[key]["dossier_id"],
                "occurred_at": START,
                "producer": "hub",
                "causation_id": None,
            },
            "register_key": key,
            "step": CR,
            "action": action,
            "official": official,
            "reason_code": kw.get("reason_code"),
            "reason": kw.get("reason"),
        }
        return self(topics.DESK_ACTION, wire(topics.DESK_ACTION, record), key, minutes=1)


def queued(*, claimed_by: str = "") -> tuple[Agency, str, Record]:
    """An agency under the review policy with one birth on its desk (claimed, if named)."""
    agency = Agency()
    handoff = birth_handoff()
    key = certificate_key(handoff)
    agency.handoff(handoff)
    if claimed_by:
        assert answer(agency.act(key, "claim", claimed_by)) == "ok"
    return agency, key, handoff


def schemas(decision: Decision) -> list[str]:
    return [env.schema for env in decision.outputs]


def case_of(decision: Decision) -> Record:
    (case,) = [env.record for env in decision.outputs if env.schema == "DeskCase"]
    return dict(case)


def answer(decision: Decision) -> str:
    return str(case_of(decision)["answer"])


def completions(decision: Decision) -> list[Envelope]:
    return [env for env in decision.outputs if env.topic == "completion"]


# -- policies and flags -----------------------------------------------------------------------


def test_a_policy_names_its_step_and_the_rule_when_wrong() -> None:
    assert parse_policies("civil_registry=flagged, residence=review") == {
        CR: "flagged",
        RES: "review",
    }
    with pytest.raises(ValueError, match="policy of 'residence' must be one of auto"):
        parse_policies("residence=sometimes")
    with pytest.raises(ValueError, match="must be STEP=POLICY"):
        parse_policies("residence")


def test_a_step_not_configured_keeps_its_declared_default_and_the_demo_stays_automatic() -> None:
    assert policy_of(CR, review.CIVIL_REGISTRY, {}) == "auto"
    assert policy_of(CR, Review(default="flagged"), {}) == "flagged"
    assert policy_of(CR, review.CIVIL_REGISTRY, {CR: "review"}) == "review"
    flag = Reason("x", "x", "x")
    assert to_person("review", ()) and to_person("flagged", (flag,))
    assert not to_person("flagged", ()) and not to_person("auto", (flag,))


def test_the_birth_flags_fire_on_what_an_officer_checks() -> None:
    handoff = birth_handoff()
    handoff["father"] = copy.deepcopy(handoff["mother"])
    handoff["father"]["permanent_address"]["street"] = "somewhere else entirely"
    handoff["birth_certificate"]["replaced_by"] = "witness statement"
    handoff["dossier_date"] = handoff["child"]["born_at"].date() + dt.timedelta(days=90)
    codes = {flag.code for flag in review.civil_registry_flags(handoff)}
    assert codes == {"father_without_marriage", "certificate_replaced", "late_registration"}
    assert all(review.CIVIL_REGISTRY.flag(code) for code in codes)  # each declared, with words


def test_the_residence_flags_fire_on_a_household_headed_by_someone_else() -> None:
    record = next(r for r in DOSSIERS if RES in r["procedures"])
    part = residence_part(record)
    part["request"]["head_personal_id"] = "999999999999"
    assert [f.code for f in review.residence_flags(part)] == ["head_not_parent"]
    part["request"]["head_personal_id"] = part["parent_personal_id"]
    assert review.residence_flags(part) == ()


def test_auto_decides_by_code_and_flagged_sends_only_flagged_cases() -> None:
    agency = Agency(review_policy="")
    assert schemas(agency.handoff(birth_handoff(0))) == ["BirthRegistered"]
    flagged = Agency(review_policy=f"{CR}=flagged")
    clean = birth_handoff(1)
    clean["father"] = None
    assert schemas(flagged.handoff(clean)) == ["BirthRegistered"]
    odd = birth_handoff(2)
    odd["birth_certificate"]["replaced_by"] = "witness statement"
    assert schemas(flagged.handoff(odd)) == ["StepDeferred", "DeskCase"]


# -- the queue ------------------------------------------------------------------------------------


def test_a_case_for_review_waits_without_a_completion_and_a_redelivery_repeats_the_wait() -> None:
    agency = Agency()
    handoff = birth_handoff()
    key = certificate_key(handoff)
    first = agency.handoff(handoff)
    assert schemas(first) == ["StepDeferred", "DeskCase"]
    deferred = first.outputs[0].record
    assert deferred["waiting_for"] == "review" and "xem xét" in deferred["message"]
    assert agency.entries[key]["outcome"] == "review"
    case = case_of(first)
    assert (case["state"], case["deployable"], case["version"]) == ("waiting", "civil-registry", 1)
    assert '"birth_certificate"' in case["projection"] and '"meta"' not in case["projection"]
    again = agency.handoff(handoff)
    assert schemas(again) == ["StepDeferred"]
    assert again.outputs[0].record["meta"]["event_id"] == deferred["meta"]["event_id"]


def test_claim_then_approve_issues_the_result_once_and_a_replayed_command_repeats_it() -> None:
    agency, key, _ = queued(claimed_by="an")
    command = str(uuid.uuid4())
    approved = agency.act(key, "approve", "an", command=command)
    (registered,) = completions(approved)
    assert registered.schema == "BirthRegistered"
    assert case_of(approved)["state"] == "approved"
    assert [line["action"] for line in agency.entries[key]["desk"]["audit"]] == [
        "claim",
        "approve",
    ]
    assert agency.entries[key]["outcome"] == "registered"
    # the worker died before the publish: the same command again, the same event
    again = agency.act(key, "approve", "an", command=command)
    (repeated,) = completions(again)
    assert repeated.record["meta"]["event_id"] == registered.record["meta"]["event_id"]
    assert repeated.record["registration_number"] == registered.record["registration_number"]
    # a second click (another command) decides nothing
    late = agency.act(key, "approve", "an")
    assert completions(late) == [] and "already decided (approved) by an" in answer(late)


def test_a_second_official_can_neither_claim_nor_decide_a_held_case() -> None:
    agency, key, _ = queued(claimed_by="an")
    for action in ("claim", "approve", "refuse", "release"):
        refused = agency.act(key, action, "binh", reason_code="certificate_invalid")
        assert completions(refused) == []
        assert answer(refused).startswith("claimed by an until")
    assert agency.entries[key]["desk"]["claimed_by"] == "an"


def test_nobody_decides_a_case_they_have_not_claimed() -> None:
    agency, key, _ = queued()
    refused = agency.act(key, "approve", "an")
    assert completions(refused) == [] and answer(refused).startswith("claim the case first")


def test_a_claim_left_past_its_time_returns_the_case_to_the_queue() -> None:
    agency, key, _ = queued(claimed_by="an")
    agency.minutes += 11  # the claim lasts 10 minutes
    assert answer(agency.act(key, "claim", "binh")) == "ok"
    assert agency.entries[key]["desk"]["claimed_by"] == "binh"
    refused = agency.act(key, "approve", "an")
    assert "claimed by binh" in answer(refused)


def test_a_refusal_with_a_declared_reason_reaches_the_citizen_in_its_words() -> None:
    agency, key, _ = queued(claimed_by="an")
    wrong = agency.act(key, "refuse", "an", reason_code="nonsense")
    assert "reason_code: must be one of certificate_invalid" in answer(wrong)
    blank = agency.act(key, "refuse", "an", reason_code="other", reason="  ")
    assert "with a written reason for other" in answer(blank)
    refused = agency.act(key, "refuse", "an", reason_code="paternity_unproven")
    (rejected,) = completions(refused)
    assert rejected.record["reason_code"] == "paternity_unproven"
    assert "Chưa có giấy tờ chứng minh quan hệ cha con" in rejected.record["reason"]
    assert case_of(refused)["state"] == "refused"


def test_a_written_refusal_and_a_supplement_request() -> None:
    agency = Agency()
    one, two = birth_handoff(0), birth_handoff(1)
    agency.handoff(one)
    agency.handoff(two)
    k1, k2 = certificate_key(one), certificate_key(two)
    agency.act(k1, "claim", "an")
    written = agency.act(k1, "refuse", "an", reason_code="other", reason="Giấy tờ bị tẩy xóa")
    assert completions(written)[0].record["reason"] == "Giấy tờ bị tẩy xóa"
    agency.act(k2, "claim", "an")
    asked = agency.act(k2, "supplement", "an", reason="Bản sao giấy đăng ký kết hôn")
    (request,) = completions(asked)
    assert request.schema == "SupplementRequested"
    assert request.record["missing"] == ["Bản sao giấy đăng ký kết hôn"]


def test_a_withdrawn_case_leaves_the_desk_and_cannot_be_decided() -> None:
    agency, key, handoff = queued()
    cancel = {
        "meta": {**handoff["meta"], "event_id": str(uuid.uuid4())},
        "step": CR,
        "register_key": key,
        "reason": "the citizen withdrew",
    }
    decision = agency("HandoffCancelled", wire("HandoffCancelled", cancel), key)
    assert case_of(decision)["state"] == "cancelled"
    assert agency.entries[key]["outcome"] == "cancelled"
    refused = agency.act(key, "claim", "an")
    assert "withdrew" in answer(refused)


def test_another_dossier_for_a_record_under_review_is_refused_not_overwritten() -> None:
    agency, key, handoff = queued()
    other = copy.deepcopy(handoff)
    other["meta"] = {**other["meta"], "dossier_id": "another", "event_id": str(uuid.uuid4())}
    (rejected,) = agency.handoff(other).outputs
    assert rejected.record["reason_code"] == "duplicate_in_review"
    assert agency.entries[key]["dossier_id"] == handoff["meta"]["dossier_id"]


def test_the_death_flags_fire_on_a_death_at_home_and_contributions_near_the_threshold() -> None:
    notice = {"code": "N1", "facility": "Bệnh viện", "issued_on": START.date()}
    assert [f.code for f in death.registration_flags({"death_notice": None})] == [
        "outside_facility"
    ]
    assert death.registration_flags({"death_notice": notice}) == ()
    near = {"record": {"category": "CONTRIBUTING", "compulsory_months": 10}}
    far = {"record": {"category": "CONTRIBUTING", "compulsory_months": 40}}
    pension = {"record": {"category": "PENSIONER", "compulsory_months": 12}}
    assert [f.code for f in death.benefit_flags(near)] == ["near_threshold"]
    assert death.benefit_flags(far) == () and death.benefit_flags(pension) == ()
    assert [f.code for f in death.deregistration_flags({"permanent_address": None})] == [
        "no_address"
    ]


def test_a_supplemented_dossier_comes_back_to_the_desk_as_the_case_s_next_version() -> None:
    agency, key, handoff = queued(claimed_by="an")
    asked = agency.act(key, "supplement", "an", reason="Bản sao giấy đăng ký kết hôn")
    assert case_of(asked)["version"] == 3  # queued, claimed, asked
    again = copy.deepcopy(handoff)
    again["meta"] = {**again["meta"], "event_id": str(uuid.uuid4())}
    back = agency.handoff(again)
    assert schemas(back) == ["StepDeferred", "DeskCase"]
    case = case_of(back)
    assert (case["state"], case["version"]) == ("waiting", 4)
    assert [line["action"] for line in agency.entries[key]["desk"]["audit"]] == [
        "claim",
        "supplement",
    ]
    assert answer(agency.act(key, "claim", "binh")) == "ok"


def test_a_claim_seen_again_changes_nothing() -> None:
    agency, key, _ = queued()
    command = str(uuid.uuid4())
    first = agency.act(key, "claim", "an", command=command)
    again = agency.act(key, "claim", "an", command=command)
    assert answer(again) == "ok" and case_of(again)["version"] == case_of(first)["version"]
    assert len(agency.entries[key]["desk"]["audit"]) == 1
