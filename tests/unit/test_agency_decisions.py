"""The agencies' decisions, called directly: register_birth, register_residence (in the
version of the dossier's date), issue_card."""

from __future__ import annotations

import copy
import datetime as dt
import random
import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from lienthong import topics
from lienthong.agencies.builder import Decisions, addressed
from lienthong.contracts.codec import AvroCodec
from lienthong.domain import identifiers, units
from lienthong.domain.agency import AgencyContext, Decision
from lienthong.domain.allocation import BufferedCounters, Counters, sharded, spread
from lienthong.domain.calendar import WorkingCalendar
from lienthong.errors import LienthongError
from lienthong.groups.birth.card import issue_card
from lienthong.groups.birth.projections import (
    civil_registry_part,
    health_insurance_part,
    residence_part,
)
from lienthong.groups.birth.registration import certificate_key, register_birth
from lienthong.groups.birth.synthetic import generate
from lienthong.hub.projections import handoff_record

Record = dict[str, Any]
Decide = Callable[[Record, Record | None, Counters, AgencyContext], Decision]
CR, RES, HI = "civil_registry", "residence", "health_insurance"
#: Monday 2 March 2026, 08:00 in Hanoi.
START = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
CALENDAR = WorkingCalendar()
CODEC = AvroCodec()
DOSSIERS = [d.record for d in generate(30, seed=404, start=START, twins_share=0.0)]
TWINS = generate(12, seed=9, start=START, twins_share=1.0)
PARTITIONS = 4


def dossier(nth: int = 0, *, needs: str | None = None, sex: str | None = None) -> Record:
    """A fresh copy of the ``nth`` generated dossier choosing ``needs``, with a ``sex`` child."""
    found = [
        r
        for r in DOSSIERS
        if (needs is None or needs in r["procedures"]) and sex in (None, r["child"]["sex"])
    ]
    return copy.deepcopy(found[nth])


def wire(schema: str, record: Record) -> Record:
    """What the agency reads from Kafka (and proof that the record fits its schema)."""
    return CODEC.decode(CODEC.encode(schema, record)).record


def province_of(commune_code: str) -> str:
    commune = units.commune(commune_code)
    assert commune is not None
    return commune.province_code


def child_identity(record: Record) -> Record:
    """The registered child as the hub keeps it (JSON-safe), with a made-up ID number."""
    child = record["child"]
    born = CALENDAR.local_date(child["born_at"])
    pid = identifiers.personal_id(
        province_of(record["registering_commune"]), child["sex"], born.year, 123456
    )
    return {
        "full_name": f"{child['family_name']} {child['middle_name']} {child['given_name']}",
        "born_at": child["born_at"].isoformat(),
        "sex": child["sex"],
        "personal_id": pid,
    }


def handoff(step: str, record: Record, *, dossier_date: dt.date | None = None) -> Record:
    """The handoff the hub would send for ``step``, built with the hub's own projections."""
    schema = {CR: "CivilRegistryHandoff", RES: "ResidenceHandoff", HI: "HealthInsuranceHandoff"}
    part = {CR: civil_registry_part, RES: residence_part, HI: health_insurance_part}[step](record)
    submitted = record["submitted_at"]
    built = handoff_record(
        step,
        record["meta"]["dossier_id"],
        part,
        subject=None if step == CR else child_identity(record),
        dossier_date=dossier_date or CALENDAR.received_on(submitted),
        due_at=CALENDAR.due_at(submitted, 0 if step == CR else 2),
        at=submitted + dt.timedelta(minutes=5),
        cause=str(record["meta"]["event_id"]),
    )
    return wire(schema[step], built)


def residence_decide(
    handoff: Record, entry: Record | None, _: Counters, ctx: AgencyContext
) -> Decision:
    # the police's rule is the one of the version in force on the handoff's dossier date
    return Decisions.decision_in_force(RES, handoff)(handoff, entry, _, ctx)


class Register:
    """An agency's register and counters as its Faust tables keep them, saved as the agent does."""

    def __init__(
        self, decide: Decide, agency: str, key: Callable[[Record], str] | None = None
    ) -> None:
        self.decide = decide
        self.agency = agency
        self.key = key or (lambda h: str(h["meta"]["dossier_id"]))
        self.entries: dict[str, Record] = {}
        self.counters: dict[str, int] = {}
        self.updates: dict[str, int] = {}

    def __call__(self, handoff: Record, *, partition: int = 0, minutes: int = 30) -> Decision:
        now = START + dt.timedelta(minutes=minutes)
        view = BufferedCounters(self.counters)
        ctx = AgencyContext(now, CALENDAR, partition, PARTITIONS)
        key = self.key(handoff)
        decision = self.decide(handoff, self.entries.get(key), view, ctx)
        decision = Decision(addressed(decision.outputs, self.agency), decision.entry)
        if decision.entry is not None:
            self.entries[key] = decision.entry
        self.counters.update(view.updates)
        self.updates = view.updates
        return decision


def births() -> Register:
    return Register(register_birth, "civil-registry", certificate_key)


def the_event(decision: Decision, schema: str) -> Record:
    (event,) = decision.outputs
    assert event.schema == schema, event.record.get("reason")
    CODEC.encode(event.schema, event.record)
    return event.record


def refusal(decision: Decision) -> tuple[str, str]:
    event = the_event(decision, "StepRejected")
    return event["reason_code"], event["reason"]


# -- birth registration -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sex", "nth", "partition"),
    [("MALE", 0, 0), ("MALE", 1, 3), ("FEMALE", 0, 1), ("FEMALE", 1, 2)],
)
def test_a_valid_birth_is_registered_with_a_personal_id(sex: str, nth: int, partition: int) -> None:
    record = dossier(nth, sex=sex)
    cr = handoff(CR, record)
    register = births()
    decision = register(cr, partition=partition)

    (env,) = decision.outputs
    assert (env.topic, env.key) == (topics.completion(CR), record["meta"]["dossier_id"])
    event = the_event(decision, "BirthRegistered")
    assert event["meta"]["producer"] == "civil-registry"
    assert event["meta"]["causation_id"] == str(cr["meta"]["event_id"])
    child = event["child"]
    pid = child["personal_id"]
    born = CALENDAR.local_date(record["child"]["born_at"])
    assert re.fullmatch(r"\d{12}", pid)
    assert pid[:3] == "0" + province_of(record["registering_commune"])
    assert pid[3] == {"MALE": "2", "FEMALE": "3"}[sex]  # born in the 2000s
    assert pid[4:6] == f"{born.year % 100:02d}"
    assert identifiers.check_personal_id(pid) is None
    assert (child["sex"], child["born_at"]) == (sex, record["child"]["born_at"])
    declared = record["child"]
    assert child["full_name"] == " ".join(
        p for p in (declared["family_name"], declared["middle_name"], declared["given_name"]) if p
    )
    commune = record["registering_commune"]
    assert re.fullmatch(rf"\d{{6}}/2026/KS-{commune}", event["registration_number"])
    assert event["registered_on"] == dt.date(2026, 3, 2)
    entry = register.entries[certificate_key(cr)]
    assert (entry["outcome"], entry["dossier_id"]) == ("registered", record["meta"]["dossier_id"])
    assert entry["personal_id"] == pid


def test_the_id_takes_the_year_of_the_local_date_of_birth() -> None:
    # 00:30 on New Year's Day in Hanoi is still 2025 in UTC
    record = dossier(0)
    born_at = dt.datetime(2026, 1, 1, 0, 30, tzinfo=CALENDAR.zone).astimezone(dt.UTC)
    record["child"]["born_at"] = born_at
    certificate = record["birth_certificate"]
    certificate.update(code=certificate["code"][:-2] + "26", issued_on=dt.date(2026, 1, 1))

    event = the_event(births()(handoff(CR, record)), "BirthRegistered")
    assert event["child"]["personal_id"][4:6] == "26"


def test_a_second_dossier_for_the_same_certificate_is_a_duplicate() -> None:
    first = dossier(0)
    second = copy.deepcopy(first)
    second["meta"].update(dossier_id="DVC-2026-999999-dupe", event_id=uuid.uuid4())
    register = births()
    registered = the_event(register(handoff(CR, first)), "BirthRegistered")
    counters = dict(register.counters)

    decision = register(handoff(CR, second), minutes=60)
    code, reason = refusal(decision)
    assert code == "duplicate_birth"
    # The citizen reads the reason: it names their certificate, never the other family's dossier,
    # which goes to the operators only (StepRejected.duplicate_of, shown on the board).
    assert first["meta"]["dossier_id"] not in reason
    assert first["birth_certificate"]["code"] in reason
    assert the_event(decision, "StepRejected")["duplicate_of"] == first["meta"]["dossier_id"]
    assert decision.entry is None, "the register keeps the first registration"
    assert (
        register.entries[first["birth_certificate"]["code"]]["personal_id"]
        == (registered["child"]["personal_id"])
    )
    assert register.counters == counters and register.updates == {}


@pytest.mark.parametrize("partitions", [(0, 0, 0), (0, 1, 2), (3, 3, 1)])
def test_twins_and_triplets_are_not_duplicates(partitions: tuple[int, ...]) -> None:
    groups: dict[str, list[Record]] = {}
    for made in TWINS:
        if made.twin_group:
            groups.setdefault(made.twin_group, []).append(made.record)
    (siblings,) = [g for g in groups.values() if len(g) == 3]
    # same mother, same day and place of birth; only the certificate tells them apart
    assert len({s["mother"]["personal_id"] for s in siblings}) == 1
    assert len({CALENDAR.local_date(s["child"]["born_at"]) for s in siblings}) == 1
    assert len({s["birth_certificate"]["code"] for s in siblings}) == 3

    register = births()
    events = [
        the_event(register(handoff(CR, s), partition=p), "BirthRegistered")
        for s, p in zip(siblings, partitions, strict=True)
    ]
    assert len({e["child"]["personal_id"] for e in events}) == 3
    assert len({e["registration_number"] for e in events}) == 3


def test_a_redelivered_handoff_gets_the_same_registration() -> None:
    cr = handoff(CR, dossier(2))
    register = births()
    first = register(cr, minutes=30)
    counters = dict(register.counters)

    again = register(cr, minutes=90)
    assert CODEC.encode("BirthRegistered", again.outputs[0].record) == CODEC.encode(
        "BirthRegistered", first.outputs[0].record
    ), "same registration number, ID number, event id and time"
    assert again.entry is None
    assert register.counters == counters and register.updates == {}


def _year(record: Record) -> None:
    certificate = record["birth_certificate"]
    certificate["code"] = certificate["code"][:-2] + "25"


def _issued_before(record: Record) -> None:
    born = CALENDAR.local_date(record["child"]["born_at"])
    record["birth_certificate"]["issued_on"] = born - dt.timedelta(days=1)


def _facility(record: Record) -> None:
    record["birth_certificate"]["facility"] = "Bệnh viện Đa khoa Tỉnh Khác"


def _facility_spelling(record: Record) -> None:
    facility = record["child"]["birth_facility"]
    record["birth_certificate"]["facility"] = f"  {facility.upper()} "


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        pytest.param(_year, "year does not match", id="certificate-year"),
        pytest.param(_issued_before, "dated before the child's birth", id="issued-before-birth"),
        pytest.param(_facility, "place of birth differs", id="other-facility"),
        pytest.param(_facility_spelling, None, id="same-facility-other-case"),
    ],
)
def test_the_declaration_must_agree_with_the_birth_certificate(
    change: Callable[[Record], None], problem: str | None
) -> None:
    record = dossier(3)
    change(record)
    register = births()
    decision = register(handoff(CR, record))

    if problem is None:
        the_event(decision, "BirthRegistered")
        return
    code, reason = refusal(decision)
    assert (code, problem in reason) == ("certificate_mismatch", True)
    assert decision.entry is not None and decision.entry["outcome"] == "rejected"
    assert register.updates == {}, "a refusal uses no number"
    replayed = register(handoff(CR, record), minutes=120)
    assert replayed.outputs[0].record == decision.outputs[0].record


# -- residence ----------------------------------------------------------------------------------


def residences() -> Register:
    return Register(residence_decide, "residence")


def test_the_child_is_registered_at_the_parents_address() -> None:
    record = dossier(0, needs=RES)
    res = handoff(RES, record)
    register = residences()
    event = the_event(register(res), "ResidenceRegistered")

    request = record["residence"]
    assert event["address"] == request["address"]
    assert event["head_of_household"] == request["head_of_household"]
    assert re.fullmatch(
        rf"CT-{request['address']['commune_code']}-[0-9A-F]{{8}}", event["confirmation_ref"]
    )
    assert event["registered_on"] == dt.date(2026, 3, 2)
    entry = register.entries[record["meta"]["dossier_id"]]
    assert entry["child_personal_id"] == res["child"]["personal_id"]


def _other_street(res: Record) -> None:
    res["request"]["address"]["street"] = "Số 1 Đường Khác"


def _other_commune(res: Record) -> None:
    address = res["request"]["address"]
    others = [
        c for c in units.communes_of(address["province_code"]) if c.code != address["commune_code"]
    ]
    address["commune_code"] = others[0].code


def _street_spelling(res: Record) -> None:
    address = res["request"]["address"]
    address["street"] = "  " + address["street"].upper().replace(" ", " ,  ") + " "


@pytest.mark.parametrize(
    ("change", "code"),
    [
        pytest.param(_other_street, "address_mismatch", id="other-street"),
        pytest.param(_other_commune, "address_mismatch", id="other-commune"),
        pytest.param(_street_spelling, None, id="same-street-spelled-differently"),
    ],
)
def test_the_address_must_be_the_parents_permanent_address(
    change: Callable[[Record], None], code: str | None
) -> None:
    res = handoff(RES, dossier(1, needs=RES))
    change(res)
    decision = residences()(res)
    if code is None:
        the_event(decision, "ResidenceRegistered")
    else:
        assert refusal(decision)[0] == code


#: A valid personal ID of someone who is not the parent.
SOMEONE_ELSE = identifiers.personal_id("79", "MALE", 1960, 777)


@pytest.mark.parametrize(
    ("dossier_date", "parent_is_head", "consent", "code"),
    [
        # before 2026-07-01 the head of household must consent unless the parent is the head
        (dt.date(2026, 6, 30), False, False, "consent_missing"),
        (dt.date(2026, 6, 30), False, True, None),
        (dt.date(2026, 6, 30), True, False, None),
        (dt.date(2021, 1, 4), False, False, "consent_missing"),
        # from 2026-07-01 a child under 6 at a parent's address needs no consent
        (dt.date(2026, 7, 1), False, False, None),
        (dt.date(2026, 7, 1), True, False, None),
        (dt.date(2027, 1, 4), False, False, None),
    ],
)
def test_the_consent_rule_depends_on_the_dossier_date(
    dossier_date: dt.date, parent_is_head: bool, consent: bool, code: str | None
) -> None:
    res = handoff(RES, dossier(2, needs=RES), dossier_date=dossier_date)
    request = res["request"]
    request["head_personal_id"] = res["parent_personal_id"] if parent_is_head else SOMEONE_ELSE
    request["head_consent"] = consent

    decision = residences()(res)
    if code is None:
        the_event(decision, "ResidenceRegistered")
        return
    found, reason = refusal(decision)
    assert found == code
    assert "Law on Residence 2020" in reason


@pytest.mark.parametrize("refused", [False, True], ids=["registered", "refused"])
def test_a_redelivered_residence_handoff_gets_the_same_answer(refused: bool) -> None:
    res = handoff(RES, dossier(3, needs=RES))
    if refused:
        _other_street(res)
    register = residences()
    first = register(res, minutes=30)
    again = register(res, minutes=600)
    (a,), (b,) = first.outputs, again.outputs
    assert CODEC.encode(a.schema, a.record) == CODEC.encode(b.schema, b.record)
    assert again.entry is None


# -- health insurance ---------------------------------------------------------------------------


def cards() -> Register:
    return Register(issue_card, "health-insurance")


@pytest.mark.parametrize(("nth", "partition"), [(0, 0), (1, 1), (2, 3)])
def test_a_card_is_issued_to_a_child_under_six(nth: int, partition: int) -> None:
    record = dossier(nth, needs=HI)
    hi = handoff(HI, record)
    register = cards()
    event = the_event(register(hi, partition=partition), "CardIssued")

    province = hi["province_code"]
    number = event["social_insurance_number"]
    assert re.fullmatch(r"\d{10}", number) and number.startswith(province)
    assert event["card_code"] == f"TE1{province}{number}"
    assert identifiers.check_card_code(event["card_code"]) is None
    born = CALENDAR.local_date(record["child"]["born_at"])
    assert event["valid_from"] == born
    assert event["valid_until"] == identifiers.card_valid_until(born)
    assert event["clinic_code"] == record["health_insurance"]["clinic_code"]
    entry = register.entries[record["meta"]["dossier_id"]]
    assert entry["child_personal_id"] == hi["child"]["personal_id"]


@pytest.mark.parametrize(
    ("born", "dossier_date", "code"),
    [
        (dt.date(2020, 3, 15), dt.date(2026, 3, 14), None),  # 71 months
        (dt.date(2020, 3, 15), dt.date(2026, 3, 15), "not_under_six"),  # 72 months: six
        (dt.date(2019, 1, 2), dt.date(2026, 3, 2), "not_under_six"),
        (dt.date(2026, 2, 18), dt.date(2026, 3, 2), None),
    ],
)
def test_only_a_child_under_six_gets_the_card(
    born: dt.date, dossier_date: dt.date, code: str | None
) -> None:
    record = dossier(3, needs=HI)
    record["child"]["born_at"] = dt.datetime.combine(born, dt.time(10), CALENDAR.zone)
    decision = cards()(handoff(HI, record, dossier_date=dossier_date))
    if code is None:
        the_event(decision, "CardIssued")
    else:
        assert refusal(decision) == (
            code,
            "The child is 6 or older; this card is only for children under 6.",
        )


def test_validity_starts_on_the_local_date_of_birth() -> None:
    record = dossier(4, needs=HI)
    # 01:30 on 18 February in Hanoi, still the 17th in UTC
    record["child"]["born_at"] = dt.datetime(2026, 2, 17, 18, 30, tzinfo=dt.UTC)
    event = the_event(cards()(handoff(HI, record)), "CardIssued")
    assert event["valid_from"] == dt.date(2026, 2, 18)
    assert event["valid_until"] == dt.date(2032, 9, 30)


def test_a_redelivered_card_handoff_gets_the_same_card() -> None:
    hi = handoff(HI, dossier(5, needs=HI))
    register = cards()
    first = register(hi, minutes=30)
    counters = dict(register.counters)
    again = register(hi, minutes=300)
    assert CODEC.encode("CardIssued", again.outputs[0].record) == CODEC.encode(
        "CardIssued", first.outputs[0].record
    )
    assert again.entry is None
    assert register.counters == counters and register.updates == {}


# -- unique numbers without a lock ----------------------------------------------------------------

COUNT = 5000


def test_5000_numbers_across_4_partitions_never_collide() -> None:
    rng = random.Random(7)
    counters: dict[str, int] = {}
    serials, numbers, registrations = set(), set(), set()
    for _ in range(COUNT):
        p = rng.randrange(PARTITIONS)
        view = BufferedCounters(counters)
        serials.add(spread(sharded(view.next(f"pin:79:2:26:{p}"), p, PARTITIONS), 6))
        numbers.add(spread(sharded(view.next(f"sin:79:{p}"), p, PARTITIONS), 8))
        registrations.add(sharded(view.next(f"reg:26734:2026:{p}"), p, PARTITIONS))
        counters.update(view.updates)
    assert len(serials) == len(numbers) == len(registrations) == COUNT


def test_5000_births_and_cards_across_4_partitions_get_unique_numbers() -> None:
    rng = random.Random(11)
    template = dossier(0, needs=HI, sex="MALE")
    cr_template, hi_template = handoff(CR, template), handoff(HI, template)
    born_registers, card_register = births(), cards()
    ids, registrations, card_numbers = set(), set(), set()
    for n in range(COUNT):
        p = rng.randrange(PARTITIONS)
        cr = copy.deepcopy(cr_template)
        cr["meta"]["dossier_id"] = hi_id = f"DVC-2026-{n:06d}"
        cr["birth_certificate"]["code"] = f"{n + 1:05d}.GCS.{cr['birth_certificate']['code'][10:]}"
        event = the_event(born_registers(cr, partition=p), "BirthRegistered")
        ids.add(event["child"]["personal_id"])
        registrations.add(event["registration_number"])
        hi = copy.deepcopy(hi_template)
        hi["meta"]["dossier_id"] = hi_id
        card = the_event(card_register(hi, partition=p), "CardIssued")
        card_numbers.add(card["social_insurance_number"])
    assert len(ids) == len(registrations) == len(card_numbers) == COUNT


@pytest.mark.parametrize("digits", [1, 2, 3, 4, 5, 6])
def test_spread_is_a_bijection(digits: int) -> None:
    space = 10**digits
    assert sorted(spread(n, digits) for n in range(space)) == list(range(space))


@pytest.mark.parametrize("number", [-1, 10**6])
def test_spread_refuses_numbers_outside_the_space(number: int) -> None:
    with pytest.raises(LienthongError, match="exhausted"):
        spread(number, 6)
