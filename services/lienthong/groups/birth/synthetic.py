"""Seedable synthetic dossiers: realistic DossierSubmitted records, some broken on purpose."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from faker import Faker

from lienthong.contracts.events import event_id
from lienthong.domain import identifiers, units
from lienthong.domain.calendar import WorkingCalendar
from lienthong.groups.birth.submission import (
    ALLOWED_COMBINATIONS,
    DossierSubmission,
    parse_submission,
)

Record = dict[str, Any]
FULL = ("civil_registry", "residence", "health_insurance")
#: How often citizens pick each combination (an assumption: no published figures).
DEFAULT_COMBINATIONS: Mapping[tuple[str, ...], float] = {
    FULL: 0.6,
    ("civil_registry", "residence"): 0.15,
    ("civil_registry", "health_insurance"): 0.25,
}
#: Monday 2 March 2026, 07:30 in Hanoi: the default first morning of submissions.
DEFAULT_START = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)
OPENING, CLOSING = time(7, 30), time(17, 0)
#: About 4,000 births a day in Vietnam: the default rate of submissions per working day.
PER_DAY = 4000
#: Each kind breaks exactly one rule; its name is the reason code the hub must give.
INVALID_KINDS = (
    "invalid_personal_id",
    "date_in_future",
    "parent_born_after_child",
    "unknown_commune",
    "combination_not_allowed",
    "invalid_birth_certificate_code",
    "invalid_phone",
    "late_registration",
    "collective_household",
)
MINORITIES = ("Tày", "Thái", "Mường", "Khmer", "Hoa", "Nùng", "H'Mông", "Dao", "Gia Rai", "Ê Đê")
FACILITY_KINDS = ("Bệnh viện Đa khoa", "Bệnh viện Phụ sản", "Trung tâm Y tế", "Bệnh viện Sản Nhi")


@dataclass(frozen=True)
class Synthetic:
    """One generated dossier: the record, the reason code it must be refused with, its twins."""

    record: Record
    invalid: str | None = None
    twin_group: str | None = None


def to_json(record: Record) -> dict[str, Any]:
    """The JSON document of a record (ISO 8601 dates, UUIDs as text), as a citizen file has it."""
    return DossierSubmission.model_validate(record).to_json()


def from_json(data: dict[str, Any]) -> Record:
    """The Avro-shaped record of a JSON document; ``ValidationFailed`` when it does not fit."""
    return parse_submission(data).to_record()


def generate(
    count: int,
    *,
    seed: int,
    invalid_share: float = 0.0,
    twins_share: float = 0.05,
    start: datetime | None = None,
    combinations: Mapping[tuple[str, ...], float] = DEFAULT_COMBINATIONS,
    invalid_kinds: Sequence[str] = INVALID_KINDS,
    per_day: int = PER_DAY,
    calendar: WorkingCalendar | None = None,
    live: bool = False,
    province: str | None = None,
) -> list[Synthetic]:
    """``count`` dossiers, in submission order; the same arguments give the same dossiers.

    They arrive from ``start`` on, about ``per_day`` a working day, in working hours (07:30 to
    17:00 local): 300 dossiers take about 45 minutes. ``invalid_share`` of them (never twins)
    each break one rule, named by ``Synthetic.invalid``. ``live=True`` submits one a second
    from ``start`` at any hour instead (demo, tests and benchmark publish them right away).
    ``province`` (a 2-digit code) makes every family live there (a province's year).
    """
    _check_arguments(count, invalid_share, twins_share, start, combinations, invalid_kinds)
    if per_day < 1:
        raise ValueError(f"per_day must be positive, not {per_day}")
    maker = _Maker(seed, combinations, calendar or WorkingCalendar())
    if province is not None:
        if not units.communes_of(province):
            raise ValueError(f"province must be a 2-digit code of the 2025 map, not {province!r}")
        maker.communes = units.communes_of(province)
    start = start or DEFAULT_START
    return maker.run(count, start, invalid_share, twins_share, invalid_kinds, per_day, live)


def _check_arguments(
    count: int,
    invalid_share: float,
    twins_share: float,
    start: datetime | None,
    combinations: Mapping[tuple[str, ...], float],
    invalid_kinds: Sequence[str],
) -> None:
    if count < 0:
        raise ValueError(f"count must not be negative, not {count}")
    if not 0.0 <= invalid_share <= 1.0 or not 0.0 <= twins_share <= 1.0:
        raise ValueError("invalid_share and twins_share must be between 0 and 1")
    if start is not None and start.utcoffset() is None:
        raise ValueError("start must be timezone-aware")
    # a dossier is invalid only on purpose, through invalid_kinds
    not_allowed = [c for c in combinations if frozenset(c) not in ALLOWED_COMBINATIONS]
    if not_allowed or not combinations:
        raise ValueError(f"combinations must be allowed ones, not {not_allowed}")
    unknown = set(invalid_kinds) - set(INVALID_KINDS)
    if unknown:
        raise ValueError(f"unknown invalid kinds: {sorted(unknown)}")


@dataclass(frozen=True)
class _Family:
    """What twins share: parents, place and day of birth, applicant, choices."""

    mother: Record
    father: Record | None
    facility: tuple[str, str, Record]
    born_at: datetime
    procedures: tuple[str, ...]
    channel: str
    applicant: Record
    residence: Record
    clinic: Record


class _Maker:
    def __init__(
        self, seed: int, combinations: Mapping[tuple[str, ...], float], calendar: WorkingCalendar
    ) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.fake = Faker("vi_VN")
        self.fake.seed_instance(seed)
        self.calendar = calendar
        self.combinations = list(combinations)
        self.weights = list(combinations.values())
        self.communes = units.all_communes()
        self.by_province = {p: units.communes_of(p) for p in units.province_codes()}
        self.facilities: dict[str, tuple[str, str, Record]] = {}
        self.sequences: dict[tuple[str, int], int] = {}

    # -- the plan: births, submission times, which dossiers are invalid -------------------------

    def run(
        self,
        count: int,
        start: datetime,
        invalid_share: float,
        twins_share: float,
        kinds: Sequence[str],
        per_day: int,
        live: bool = False,
    ) -> list[Synthetic]:
        sizes = self._birth_sizes(count, twins_share)
        times = (
            [
                start.astimezone(UTC).replace(microsecond=0) + timedelta(seconds=i)
                for i in range(count)
            ]
            if live
            else self._submission_times(count, start, per_day)
        )
        singles = [i for i, size in enumerate(s for s in sizes for _ in range(s)) if size == 1]
        wanted = min(len(singles), round(count * invalid_share)) if kinds else 0
        invalid = set(self.rng.sample(singles, wanted))
        out: list[Synthetic] = []
        for size in sizes:
            family = self._family(times[len(out)])
            group = None
            for order in range(1, size + 1):
                index = len(out)
                record = self._dossier(index, times[index], family, size, order)
                if size > 1 and group is None:
                    group = f"twins-{record['meta']['dossier_id']}"
                kind = self._break(record, kinds) if index in invalid else None
                out.append(Synthetic(record, kind, group))
        return out

    def _birth_sizes(self, count: int, twins_share: float) -> list[int]:
        # For a share s of dossiers to come from births of 2.1 babies on average, a share q of
        # births must be multiple: 2.1q / (2.1q + 1 - q) = s.
        q = twins_share / (2.1 - 1.1 * twins_share)
        sizes: list[int] = []
        left = count
        while left > 0:
            multiple = self.rng.random() < q
            size = min((3 if self.rng.random() < 0.1 else 2) if multiple else 1, left)
            sizes.append(size)
            left -= size
        return sizes

    def _submission_times(self, count: int, start: datetime, per_day: int) -> list[datetime]:
        # arrivals at random at a steady rate, only in working hours, carried over to the next
        # working day when a day is full
        windows = self._windows(start)
        opens, seconds = next(windows)
        mean_gap = _seconds_between(OPENING, CLOSING) / per_day
        elapsed = 0.0
        times = []
        for _ in range(count):
            elapsed += self.rng.expovariate(1 / mean_gap)
            while elapsed >= seconds:
                elapsed -= seconds
                opens, seconds = next(windows)
            times.append((opens + timedelta(seconds=int(elapsed))).astimezone(UTC))
        return times

    def _windows(self, start: datetime) -> Iterator[tuple[datetime, float]]:
        local = start.astimezone(self.calendar.zone).replace(microsecond=0)
        day = local.date()
        while True:
            if self.calendar.is_working_day(day):
                opens = max(datetime.combine(day, OPENING, self.calendar.zone), local)
                closes = datetime.combine(day, CLOSING, self.calendar.zone)
                if opens < closes:
                    yield opens, (closes - opens).total_seconds()
            day += timedelta(days=1)

    # -- people, places, the family ---------------------------------------------------------

    def _name(self, sex: str) -> tuple[str, str, str]:
        middle = self.fake.middle_name()
        if sex == "FEMALE" and (middle == "Văn" or self.rng.random() < 0.5):
            middle = "Thị"
        if sex == "MALE" and middle == "Thị":
            middle = "Văn"
        given = self.fake.first_name_female() if sex == "FEMALE" else self.fake.first_name_male()
        return self.fake.last_name(), middle, given

    def _personal_id(self, province: str, sex: str, year: int) -> str:
        if self.rng.random() < 0.2:
            province = self.rng.choice(OLD_PROVINCES)
        return identifiers.personal_id(province, sex, year, self.rng.randrange(1_000_000))

    def _person(self, sex: str, child_born: date, ages: tuple[int, int], province: str) -> Record:
        born = child_born - timedelta(days=self.rng.randint(ages[0] * 366, ages[1] * 365))
        return {
            "full_name": " ".join(self._name(sex)),
            "date_of_birth": born,
            "personal_id": self._personal_id(province, sex, born.year),
        }

    def _address(self, province: str | None = None) -> Record:
        pool = self.by_province[province] if province else self.communes
        commune = self.rng.choice(pool)
        street = self.fake.street_address()
        return {
            "province_code": commune.province_code,
            "commune_code": commune.code,
            "street": street,
        }

    def _parent(self, sex: str, child_born: date, ages: tuple[int, int], home: Record) -> Record:
        ethnicity = "Kinh" if self.rng.random() < 0.86 else self.rng.choice(MINORITIES)
        person = self._person(sex, child_born, ages, home["province_code"])
        return {
            "full_name": person["full_name"],
            "date_of_birth": person["date_of_birth"],
            "ethnicity": ethnicity,
            "nationality": "VN",
            "personal_id": person["personal_id"],
            "permanent_address": home,
        }

    def _facility(self, province: str) -> tuple[str, str, Record]:
        number = self.rng.randint(1, 30)
        code = f"{province}{number:03d}"
        if code not in self.facilities:
            place = self._address(province)
            commune = units.commune(place["commune_code"])
            where = commune.name if commune else province
            self.facilities[code] = (code, f"{FACILITY_KINDS[number % 4]} {where}", place)
        return self.facilities[code]

    def _born_at(self, submitted: datetime) -> datetime:
        born = submitted.replace(second=0) - timedelta(minutes=self.rng.randint(60, 20 * 24 * 60))
        # twins are born minutes apart: keep the whole birth on one local day
        if born.astimezone(self.calendar.zone).hour == 23:
            born -= timedelta(hours=1)
        return born

    def _family(self, submitted: datetime) -> _Family:
        born_at = self._born_at(submitted)
        born_on = self.calendar.local_date(born_at)
        home = self._address()
        mother = self._parent("FEMALE", born_on, (18, 42), home)
        father = None
        if self.rng.random() < 0.9:
            same = self.rng.random() < 0.85
            his_home = dict(home) if same else self._address(home["province_code"])
            father = self._parent("MALE", born_on, (20, 50), his_home)
        in_province = self.rng.random() < 0.85
        province = home["province_code"] if in_province else self.rng.choice(list(self.by_province))
        (procedures,) = self.rng.choices(self.combinations, self.weights)
        return _Family(
            mother=mother,
            father=father,
            facility=self._facility(province),
            born_at=born_at,
            procedures=procedures,
            channel=self.rng.choice(("PORTAL", "VNEID")),
            applicant=self._applicant(mother, father, born_on),
            residence=self._residence(mother, father, born_on),
            clinic=self._clinic(home),
        )

    def _applicant(self, mother: Record, father: Record | None, born_on: date) -> Record:
        roll = self.rng.random()
        relationship, person = ("MOTHER", mother)
        if father is not None and roll < 0.35:
            relationship, person = ("FATHER", father)
        elif roll > 0.95:
            grandparent = self._person(
                "FEMALE", born_on, (40, 70), mother["permanent_address"]["province_code"]
            )
            relationship, person = ("GRANDPARENT", grandparent)
        return {
            "full_name": person["full_name"],
            "personal_id": person["personal_id"],
            "relationship": relationship,
            "phone": "0" + self.rng.choice("35789") + f"{self.rng.randrange(10**8):08d}",
            "email": self.fake.free_email() if self.rng.random() < 0.4 else None,
        }

    def _residence(self, mother: Record, father: Record | None, born_on: date) -> Record:
        role, parent = ("MOTHER", mother)
        if father is not None and self.rng.random() < 0.6:
            role, parent = ("FATHER", father)
        address = parent["permanent_address"]
        head, relationship = parent, "Con"
        if self.rng.random() < 0.25:
            head = self._person("MALE", born_on, (40, 75), address["province_code"])
            relationship = "Cháu"
        return {
            "parent": role,
            "address": dict(address),
            "head_of_household": head["full_name"],
            "head_personal_id": head["personal_id"],
            "relationship_to_head": relationship,
            "head_consent": True,
        }

    def _clinic(self, home: Record) -> Record:
        commune = units.commune(home["commune_code"])
        name = commune.name if commune else home["commune_code"]
        code = f"{home['province_code']}{self.rng.randint(100, 999)}"
        return {"clinic_code": code, "clinic_name": f"Trạm Y tế {name}"}

    # -- one dossier ------------------------------------------------------------------------

    def _certificate_code(self, facility: str, year: int) -> str:
        sequence = self.sequences.get((facility, year)) or self.rng.randint(1, 3000)
        self.sequences[facility, year] = sequence + 1
        return identifiers.birth_certificate_code(sequence, facility, year)

    def _dossier(
        self, index: int, at: datetime, family: _Family, babies: int, order: int
    ) -> Record:
        eid = event_id("DossierSubmitted", "synthetic", self.seed, index)
        dossier_id = f"DVC-{self.calendar.local_date(at).year}-{index + 1:06d}-{eid.hex[:4]}"
        born_at = family.born_at + timedelta(minutes=7 * (order - 1))
        born_on = self.calendar.local_date(born_at)
        code, facility, place = family.facility
        surname_from = family.father or family.mother
        sex = self.rng.choice(identifiers.SEXES)
        _, middle, given = self._name(sex)
        chosen = family.procedures
        hometown = units.province_name(surname_from["permanent_address"]["province_code"])
        return {
            "meta": {
                "event_id": eid,
                "dossier_id": dossier_id,
                "occurred_at": at,
                "producer": family.channel.lower(),
                "causation_id": None,
            },
            "channel": family.channel,
            "submitted_at": at,
            "group": "birth",
            "procedures": list(chosen),
            # births are registered where the parents live: the residence parent's commune
            "registering_commune": family.residence["address"]["commune_code"],
            "verification_needed": self.rng.random() < 0.02,
            "applicant": dict(family.applicant),
            "child": {
                "family_name": surname_from["full_name"].split()[0],
                "middle_name": middle,
                "given_name": given,
                "born_at": born_at,
                "sex": sex,
                "ethnicity": surname_from["ethnicity"],
                "nationality": "VN",
                "birth_facility": facility,
                "birth_place": dict(place),
                "hometown": hometown or "",
                "babies_in_birth": babies,
                "birth_order": order,
            },
            "mother": _copy_parent(family.mother),
            "father": _copy_parent(family.father) if family.father else None,
            "birth_certificate": {
                "code": self._certificate_code(code, born_on.year),
                "facility": facility,
                "issued_on": born_on,
                "replaced_by": None,
            },
            "residence": _copy_residence(family.residence) if "residence" in chosen else None,
            "health_insurance": dict(family.clinic) if "health_insurance" in chosen else None,
            "delivery": family.channel if self.rng.random() < 0.9 else "POST",
        }

    # -- breaking exactly one rule ------------------------------------------------------------

    def _break(self, record: Record, kinds: Sequence[str]) -> str | None:
        usable = [k for k in kinds if k != "collective_household" or record["residence"]]
        if not usable:
            return None
        kind = self.rng.choice(usable)
        BREAKERS[kind](self, record)
        return kind

    def _bad_personal_id(self, record: Record) -> None:
        value = record["applicant"]["personal_id"]
        broken = (value[:-1], "000" + value[3:], value[:3] + "7" + value[4:])
        record["applicant"]["personal_id"] = self.rng.choice(broken)

    def _born_in_future(self, record: Record) -> None:
        hours = self.rng.randint(1, 72)
        record["child"]["born_at"] = record["submitted_at"] + timedelta(hours=hours)

    def _parent_after_child(self, record: Record) -> None:
        mother = record["mother"]
        old = mother["personal_id"]
        born_on = self.calendar.local_date(record["child"]["born_at"])
        mother["date_of_birth"] = born_on + timedelta(days=self.rng.randint(1, 365))
        year, serial = mother["date_of_birth"].year, int(old[6:])
        mother["personal_id"] = identifiers.personal_id(old[1:3], "FEMALE", year, serial)
        for part, key in (("applicant", "personal_id"), ("residence", "head_personal_id")):
            if record[part] and record[part][key] == old:
                record[part][key] = mother["personal_id"]

    def _unknown_commune(self, record: Record) -> None:
        # the highest commune code in use is 32248
        record["child"]["birth_place"]["commune_code"] = str(self.rng.randint(40000, 99999))

    def _bad_combination(self, record: Record) -> None:
        if self.rng.random() < 0.5:
            record.update(procedures=["civil_registry"], residence=None, health_insurance=None)
        else:
            record["procedures"] = [p for p in record["procedures"] if p != "civil_registry"]

    def _bad_certificate(self, record: Record) -> None:
        code = record["birth_certificate"]["code"]
        record["birth_certificate"]["code"] = self.rng.choice(
            (code.replace("GCS", "GSC"), code[1:])
        )

    def _bad_phone(self, record: Record) -> None:
        phone = record["applicant"]["phone"]
        landline = "024" + f"{self.rng.randrange(10**8):08d}"
        record["applicant"]["phone"] = self.rng.choice((phone[:-1], landline, "+84" + phone[1:]))

    def _late(self, record: Record) -> None:
        born_at = record["submitted_at"] - timedelta(days=self.rng.randint(61, 150))
        born_on = self.calendar.local_date(born_at)
        facility = record["birth_certificate"]["code"][10:15]
        record["child"]["born_at"] = born_at
        record["birth_certificate"].update(
            code=self._certificate_code(facility, born_on.year), issued_on=born_on
        )

    def _collective(self, record: Record) -> None:
        record["residence"]["relationship_to_head"] = "tập thể"


#: How each invalid kind is made; each breaks exactly the rule of its name.
BREAKERS: dict[str, Callable[[_Maker, Record], None]] = {
    "invalid_personal_id": _Maker._bad_personal_id,
    "date_in_future": _Maker._born_in_future,
    "parent_born_after_child": _Maker._parent_after_child,
    "unknown_commune": _Maker._unknown_commune,
    "combination_not_allowed": _Maker._bad_combination,
    "invalid_birth_certificate_code": _Maker._bad_certificate,
    "invalid_phone": _Maker._bad_phone,
    "late_registration": _Maker._late,
    "collective_household": _Maker._collective,
}
OLD_PROVINCES = sorted(identifiers.OLD_PROVINCE_CODES)


def _seconds_between(opens: time, closes: time) -> float:
    return (datetime.combine(date.min, closes) - datetime.combine(date.min, opens)).total_seconds()


def _copy_parent(parent: Record) -> Record:
    return {**parent, "permanent_address": dict(parent["permanent_address"])}


def _copy_residence(residence: Record) -> Record:
    return {**residence, "address": dict(residence["address"])}


def with_agency_refusals(items: list[Synthetic], share: float, seed: int) -> list[str]:
    """Make ``share`` of the valid residence dossiers refusable by the police; their ids."""
    candidates = [i for i in items if not i.invalid and i.record.get("residence") is not None]
    chosen = random.Random(seed).sample(candidates, round(share * len(candidates)))
    for item in chosen:
        residence = item.record["residence"]
        residence["address"] = {**residence["address"], "street": "Số 1 đường Không Có Thật"}
    return [str(item.record["meta"]["dossier_id"]) for item in chosen]
