"""Synthetic death dossiers: valid by default, with the situations the death group must handle."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from faker import Faker

from lienthong.contracts import records
from lienthong.contracts.events import event_id
from lienthong.domain import identifiers, units

REGISTRATION_AND_DEREGISTRATION = ("death_registration", "residence_deregistration")
WITH_FUNERAL = (*REGISTRATION_AND_DEREGISTRATION, "funeral_allowance")
ALL_FOUR = (*WITH_FUNERAL, "survivor_benefit")
#: The three combinations a citizen may choose, in the order the demo cycles through them.
COMBINATIONS = (REGISTRATION_AND_DEREGISTRATION, WITH_FUNERAL, ALL_FOUR)
PROVINCES = sorted(identifiers.OLD_PROVINCE_CODES)


def death_dossier(
    index: int,
    *,
    procedures: tuple[str, ...] = ALL_FOUR,
    submitted_at: datetime,
    seed: int = 0,
    eligible: bool = True,
    permanent_residence: bool = True,
    in_facility: bool = True,
    personal_id: str | None = None,
) -> records.DeathDossierSubmitted:
    """One death dossier (a DeathDossierSubmitted record), the same for the same arguments."""
    rng = random.Random(f"death:{seed}:{index}")
    fake = Faker("vi_VN")
    fake.seed_instance(f"death:{seed}:{index}")
    commune = rng.choice(units.all_communes())
    sex = rng.choice(identifiers.SEXES)
    born_on = date(rng.randint(1935, 1965), rng.randint(1, 12), rng.randint(1, 28))
    died_at = submitted_at - timedelta(days=rng.randint(1, 10), minutes=rng.randint(0, 600))
    pid = personal_id or identifiers.personal_id(
        rng.choice(PROVINCES), sex, born_on.year, rng.randrange(1_000_000)
    )
    relative_sex = rng.choice(identifiers.SEXES)
    relative_born = born_on.year + rng.randint(20, 35)
    relative_id = identifiers.personal_id(
        rng.choice(PROVINCES), relative_sex, relative_born, rng.randrange(1_000_000)
    )
    relative = fake.name()
    eid = event_id("DeathDossierSubmitted", "synthetic", seed, index)
    address: records.Address = {
        "province_code": commune.province_code,
        "commune_code": commune.code,
        "street": fake.street_address(),
    }
    chosen = set(procedures)
    return {
        "meta": {
            "event_id": eid,
            "dossier_id": f"DVC-KT-{submitted_at.year}-{index + 1:06d}-{eid.hex[:4]}",
            "occurred_at": submitted_at,
            "producer": "portal",
            "causation_id": None,
        },
        "channel": "PORTAL",
        "submitted_at": submitted_at,
        "group": "death",
        "procedures": list(procedures),
        "registering_commune": commune.code,
        "verification_needed": False,
        "declarant": {
            "full_name": relative,
            "personal_id": relative_id,
            "relationship": "CHILD",
            "phone": f"09{rng.randrange(10**8):08d}",
            "email": None,
        },
        "deceased": {
            "personal_id": pid,
            "full_name": fake.name_male() if sex == "MALE" else fake.name_female(),
            "sex": sex,
            "born_on": born_on,
            "died_at": died_at,
            "place_of_death": f"Bệnh viện Đa khoa {commune.name}"
            if in_facility
            else address["street"],
            "permanent_address": address if permanent_residence else None,
        },
        "death_notice": (
            {
                "code": f"GBT-{commune.code}-{index + 1:06d}",
                "facility": f"Bệnh viện Đa khoa {commune.name}",
                "issued_on": (died_at + timedelta(hours=7)).date(),  # Vietnam's date
            }
            if in_facility
            else None
        ),
        "statement": None if in_facility else "Tôi cam đoan người thân đã mất tại nhà.",
        "social_insurance": (
            {
                "social_insurance_number": f"{rng.randrange(10**10):010d}",
                "category": "PENSIONER" if eligible else "CONTRIBUTING",
                "compulsory_months": rng.randint(120, 400) if eligible else rng.randint(1, 11),
            }
            if chosen & {"funeral_allowance", "survivor_benefit"}
            else None
        ),
        "beneficiary": (
            {"full_name": relative, "personal_id": relative_id, "relationship": "CHILD"}
            if "survivor_benefit" in chosen
            else None
        ),
    }


def death_dossiers(
    count: int, *, seed: int = 0, start: datetime | None = None
) -> Iterator[records.DeathDossierSubmitted]:
    """``count`` valid death dossiers cycling through the three combinations."""
    at = start or datetime.now(UTC)
    for index in range(count):
        procedures = COMBINATIONS[index % len(COMBINATIONS)]
        yield death_dossier(index, procedures=procedures, submitted_at=at, seed=seed)
