"""Seedable synthetic dossiers: realistic DossierSubmitted records, some broken on purpose."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from faker import Faker

from lienthong.contracts import records
from lienthong.contracts.events import event_id
from lienthong.domain import identifiers, units
from lienthong.domain.arrivals import arrival_times
from lienthong.domain.calendar import WorkingCalendar
from lienthong.groups.birth.breakers import BREAKERS, INVALID_KINDS
from lienthong.groups.birth.family import Family, Person, copy_parent, copy_residence
from lienthong.groups.birth.identity_card import card_from
from lienthong.groups.birth.submission import ALLOWED_COMBINATIONS

FULL = ("civil_registry", "residence", "health_insurance")
ID_CARD = "child_id_card"
#: The first day a dossier may count as received with the child's identity card (a setting).
ID_CARD_FROM = card_from()
#: How many families choose the child's identity card once they can (an assumption).
ID_CARD_SHARE = 0.5
#: How often citizens pick each combination (an assumption: no published figures).
DEFAULT_COMBINATIONS: Mapping[tuple[str, ...], float] = {
    FULL: 0.6,
    ("civil_registry", "residence"): 0.15,
    ("civil_registry", "health_insurance"): 0.25,
}
#: Monday 2 March 2026, 07:30 in Hanoi: the default first morning of submissions.
DEFAULT_START = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)
#: About 4,000 births a day in Vietnam: the default rate of submissions per working day.
PER_DAY = 4000
#: Each kind breaks exactly one rule; its name is the reason code the hub must give.
MINORITIES = ("Tày", "Thái", "Mường", "Khmer", "Hoa", "Nùng", "H'Mông", "Dao", "Gia Rai", "Ê Đê")
FACILITY_KINDS = ("Bệnh viện Đa khoa", "Bệnh viện Phụ sản", "Trung tâm Y tế", "Bệnh viện Sản Nhi")


@dataclass(frozen=True)
class Synthetic:
    """One generated dossier: the record, the reason code it must be refused with, its twins."""

    record: records.DossierSubmitted
    invalid: str | None = None
    twin_group: str | None = None


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
        self.facilities: dict[str, tuple[str, str, records.Address]] = {}
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
            else arrival_times(self.rng, self.calendar, count, start, per_day)
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

    def _person(self, sex: str, child_born: date, ages: tuple[int, int], province: str) -> Person:
        born = child_born - timedelta(days=self.rng.randint(ages[0] * 366, ages[1] * 365))
        return {
            "full_name": " ".join(self._name(sex)),
            "date_of_birth": born,
            "personal_id": self._personal_id(province, sex, born.year),
        }

    def _address(self, province: str | None = None) -> records.Address:
        pool = self.by_province[province] if province else self.communes
        commune = self.rng.choice(pool)
        street = self.fake.street_address()
        return {
            "province_code": commune.province_code,
            "commune_code": commune.code,
            "street": street,
        }

    def _parent(
        self, sex: str, child_born: date, ages: tuple[int, int], home: records.Address
    ) -> records.Parent:
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

    def _facility(self, province: str) -> tuple[str, str, records.Address]:
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

    def _family(self, submitted: datetime) -> Family:
        born_at = self._born_at(submitted)
        born_on = self.calendar.local_date(born_at)
        home = self._address()
        mother = self._parent("FEMALE", born_on, (18, 42), home)
        father = None
        if self.rng.random() < 0.9:
            same = self.rng.random() < 0.85
            his_home = {**home} if same else self._address(home["province_code"])
            father = self._parent("MALE", born_on, (20, 50), his_home)
        in_province = self.rng.random() < 0.85
        province = home["province_code"] if in_province else self.rng.choice(list(self.by_province))
        (procedures,) = self.rng.choices(self.combinations, self.weights)
        procedures = self._with_id_card(procedures, submitted)
        return Family(
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

    def _with_id_card(self, procedures: tuple[str, ...], submitted: datetime) -> tuple[str, ...]:
        """A share of the families whose dossier counts as received on or after the day the
        child's identity card joins the group choose it too; earlier ones never can (and draw
        nothing, so their dossiers stay as they were)."""
        if self.calendar.received_on(submitted) < ID_CARD_FROM:
            return procedures
        if self.rng.random() >= ID_CARD_SHARE:
            return procedures
        return (*procedures, ID_CARD)

    def _applicant(
        self, mother: records.Parent, father: records.Parent | None, born_on: date
    ) -> records.Applicant:
        roll = self.rng.random()
        person: Person = mother
        relationship = "MOTHER"
        if father is not None and roll < 0.35:
            relationship, person = "FATHER", father
        elif roll > 0.95:
            grandparent = self._person(
                "FEMALE", born_on, (40, 70), mother["permanent_address"]["province_code"]
            )
            relationship, person = "GRANDPARENT", grandparent
        return {
            "full_name": person["full_name"],
            "personal_id": person["personal_id"],
            "relationship": relationship,
            "phone": "0" + self.rng.choice("35789") + f"{self.rng.randrange(10**8):08d}",
            "email": self.fake.free_email() if self.rng.random() < 0.4 else None,
        }

    def _residence(
        self, mother: records.Parent, father: records.Parent | None, born_on: date
    ) -> records.ResidenceRequest:
        role, parent = ("MOTHER", mother)
        if father is not None and self.rng.random() < 0.6:
            role, parent = ("FATHER", father)
        address = parent["permanent_address"]
        head: Person = parent
        relationship = "Con"
        if self.rng.random() < 0.25:
            head = self._person("MALE", born_on, (40, 75), address["province_code"])
            relationship = "Cháu"
        return {
            "parent": role,
            "address": {**address},
            "head_of_household": head["full_name"],
            "head_personal_id": head["personal_id"],
            "relationship_to_head": relationship,
            "head_consent": True,
        }

    def _clinic(self, home: records.Address) -> records.HealthInsuranceRequest:
        commune = units.commune(home["commune_code"])
        name = commune.name if commune else home["commune_code"]
        code = f"{home['province_code']}{self.rng.randint(100, 999)}"
        return {"clinic_code": code, "clinic_name": f"Trạm Y tế {name}"}

    # -- one dossier ------------------------------------------------------------------------

    def certificate_code(self, facility: str, year: int) -> str:
        sequence = self.sequences.get((facility, year)) or self.rng.randint(1, 3000)
        self.sequences[facility, year] = sequence + 1
        return identifiers.birth_certificate_code(sequence, facility, year)

    def _dossier(
        self, index: int, at: datetime, family: Family, babies: int, order: int
    ) -> records.DossierSubmitted:
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
            "applicant": {**family.applicant},
            "child": {
                "family_name": surname_from["full_name"].split()[0],
                "middle_name": middle,
                "given_name": given,
                "born_at": born_at,
                "sex": sex,
                "ethnicity": surname_from["ethnicity"],
                "nationality": "VN",
                "birth_facility": facility,
                "birth_place": {**place},
                "hometown": hometown or "",
                "babies_in_birth": babies,
                "birth_order": order,
            },
            "mother": copy_parent(family.mother),
            "father": copy_parent(family.father) if family.father else None,
            "birth_certificate": {
                "code": self.certificate_code(code, born_on.year),
                "facility": facility,
                "issued_on": born_on,
                "replaced_by": None,
            },
            "residence": copy_residence(family.residence) if "residence" in chosen else None,
            "health_insurance": {**family.clinic} if "health_insurance" in chosen else None,
            "delivery": family.channel if self.rng.random() < 0.9 else "POST",
            "child_id_card": {"photo_ref": f"photo:{eid.hex[:20]}"} if ID_CARD in chosen else None,
        }

    # -- breaking exactly one rule ------------------------------------------------------------

    def _break(self, record: records.DossierSubmitted, kinds: Sequence[str]) -> str | None:
        usable = [k for k in kinds if k != "collective_household" or record.get("residence")]
        if not usable:
            return None
        kind = self.rng.choice(usable)
        BREAKERS[kind](self, record)
        return kind


OLD_PROVINCES = sorted(identifiers.OLD_PROVINCE_CODES)
