"""A health facility as the simulator plays it: the notice it sends for a birth it attended, and
the part the family adds through the completion link (both from one synthetic dossier)."""

from __future__ import annotations

import datetime as dt
import zlib

from lienthong.contracts import records
from lienthong.contracts.events import metadata
from lienthong.groups.birth.notice import NOTICE_EVENT, dossier_id_of

#: Birth weights the simulator reports, in grams.
WEIGHTS = (2500, 4000)


def facility_code(certificate_code: str) -> str:
    """The facility's 5-digit code, as the certificate code ``NNNNN.GCS.FFFFF.YY`` carries it."""
    return certificate_code.split(".")[2]


def notice_for(
    dossier: records.DossierSubmitted, *, consent: bool, at: dt.datetime
) -> records.BirthNoticeIssued:
    """The notice the facility that issued ``dossier``'s certificate sends for its child."""
    certificate, child = dossier["birth_certificate"], dossier["child"]
    code = certificate["code"]
    facility = facility_code(code)
    low, high = WEIGHTS
    return {
        "meta": metadata(NOTICE_EVENT, dossier_id_of(code), f"facility:{facility}", at, None),
        "facility_code": facility,
        "facility_name": certificate["facility"],
        "certificate_code": code,
        "certificate_issued_on": certificate["issued_on"],
        "born_at": child["born_at"],
        "birth_place": child["birth_place"],
        "sex": child["sex"],
        "weight_grams": low + zlib.crc32(code.encode()) % (high - low),
        "babies_in_birth": child.get("babies_in_birth", 1),
        "birth_order": child.get("birth_order", 1),
        "mother_name": dossier["mother"]["full_name"],
        "mother_personal_id": dossier["mother"]["personal_id"],
        "mother_phone": dossier["applicant"]["phone"],
        "registering_commune": dossier["registering_commune"],
        "registration_consent": consent,
    }


def family_part(dossier: records.DossierSubmitted) -> dict[str, str]:
    """What the family types into the completion link's form for ``dossier``'s child."""
    child, mother = dossier["child"], dossier["mother"]
    home = mother["permanent_address"]
    part = {
        "family_name": child["family_name"],
        "middle_name": child.get("middle_name", ""),
        "given_name": child["given_name"],
        "procedures": ",".join(dossier["procedures"]),
        "ethnicity": child["ethnicity"],
        "nationality": child["nationality"],
        "hometown": child["hometown"],
        "phone": dossier["applicant"]["phone"],
        "mother_date_of_birth": mother["date_of_birth"].isoformat(),
        "mother_ethnicity": mother["ethnicity"],
        "mother_nationality": mother["nationality"],
        "mother_province": home["province_code"],
        "mother_commune": home["commune_code"],
        "mother_street": home["street"],
    }
    residence, clinic = dossier.get("residence"), dossier.get("health_insurance")
    if residence is not None:
        part["head_of_household"] = residence["head_of_household"]
        part["head_personal_id"] = residence["head_personal_id"]
        part["relationship_to_head"] = residence["relationship_to_head"]
    if clinic is not None:
        part["clinic_code"] = clinic["clinic_code"]
        part["clinic_name"] = clinic["clinic_name"]
    card = dossier.get("child_id_card")
    if card is not None:
        part["photo_ref"] = card["photo_ref"]
    return part


def simulate(
    count: int, *, seed: int, consent_share: float, at: dt.datetime
) -> list[tuple[records.BirthNoticeIssued, records.DossierSubmitted]]:
    """``count`` births a hospital attended just now (twins included, one notice each), each
    with its notice and the family's own dossier; ``consent_share`` of mothers agree."""
    from lienthong.groups.birth.synthetic import generate

    made = generate(count, seed=seed, start=at - dt.timedelta(minutes=30), live=True)
    births = [item.record for item in made if item.invalid is None]
    return [
        (notice_for(dossier, consent=_agrees(dossier, seed, consent_share), at=at), dossier)
        for dossier in births
    ]


def _agrees(dossier: records.DossierSubmitted, seed: int, share: float) -> bool:
    """Whether the mother agreed, the same way for the same seed and certificate."""
    draw = zlib.crc32(f"{seed}|{dossier['birth_certificate']['code']}".encode()) % 10_000
    return draw < share * 10_000
