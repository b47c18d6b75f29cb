"""Boundary validation of a submitted dossier: the declaration's shape, then the business rules."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from lienthong.contracts import records
from lienthong.domain import identifiers, units
from lienthong.domain.screening import LIMIT_CODES
from lienthong.errors import Reason, ValidationFailed, at_most
from lienthong.groups.birth.model import (
    COMBINATIONS,
    WITH_ID_CARD,
    Address,
    DossierSubmission,
    Parent,
    parse_submission,
)
from lienthong.limits import MAX_CLOCK_SKEW_SECONDS, clip, excerpt

# -- The business rules ------------------------------------------------------------------------

#: The combinations a citizen may choose in any version of the group (birth registration is
#: always first); the version of the dossier's receipt day may offer fewer (``declaration.py``).
ALLOWED_COMBINATIONS = frozenset(COMBINATIONS + WITH_ID_CARD)
#: A photo reference: what the portal or VNeID names an uploaded photo by.
PHOTO_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,63}")
GROUP = "birth"
#: Registration later than this many days after the birth is late registration (Law on Civil
#: Status, art. 15), which is not part of the linked procedures.
ON_TIME_DAYS = 60
#: The child-under-6 card: no older than this many years at submission.
CARD_AGE_YEARS = 6
MAX_BABIES = 5
#: Markers of a collective household (hộ tập thể) in relationship_to_head, compared lower-cased.
COLLECTIVE_HOUSEHOLD = frozenset({"collective", "collective household", "tập thể", "hộ tập thể"})
#: A Vietnamese mobile number: 10 digits, 0 then a mobile prefix (03, 05, 07, 08, 09).
MOBILE_PHONE = re.compile(r"0[35789][0-9]{8}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
NATIONALITY = re.compile(r"[A-Z]{2}")
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"


@dataclass(frozen=True)
class _Facts:
    dossier: DossierSubmission
    now: datetime
    zone: ZoneInfo

    @property
    def reference(self) -> datetime:
        """Nothing can have happened after the submission, nor after now."""
        return min(self.now, self.dossier.submitted_at)

    def local(self, at: datetime) -> date:
        return at.astimezone(self.zone).date()

    def parents(self) -> Iterator[tuple[str, Parent]]:
        yield "mother", self.dossier.mother
        if self.dossier.father is not None:
            yield "father", self.dossier.father


Rule = Callable[[_Facts], Iterator[Reason]]


def _group(f: _Facts) -> Iterator[Reason]:
    if f.dossier.group != GROUP:
        yield Reason(
            "group",
            "unknown_group",
            f"Only the birth group can be submitted, not {excerpt(f.dossier.group)}.",
        )


def _combination(f: _Facts) -> Iterator[Reason]:
    chosen = f.dossier.procedures
    if len(set(chosen)) != len(chosen) or frozenset(chosen) not in ALLOWED_COMBINATIONS:
        yield Reason(
            "procedures",
            "combination_not_allowed",
            "Birth registration can be combined with residence registration, a health-insurance "
            "card, or both, each with or without the child's identity card; "
            f"{clip(', '.join(chosen)) or 'nothing'} is not one of these combinations.",
        )


def _sections(f: _Facts) -> Iterator[Reason]:
    sections = {
        "residence": f.dossier.residence,
        "health_insurance": f.dossier.health_insurance,
        "child_id_card": f.dossier.child_id_card,
    }
    for step, section in sections.items():
        words = step.replace("_", "-")
        if step in f.dossier.procedures and section is None:
            yield Reason(step, "missing_section", f"The {words} part of the form is missing.")
        if step not in f.dossier.procedures and section is not None:
            yield Reason(
                step,
                "unexpected_section",
                f"The {words} part is filled in, but that procedure was not chosen.",
            )


def _photo(f: _Facts) -> Iterator[Reason]:
    card = f.dossier.child_id_card
    if card is not None and not PHOTO_REF.fullmatch(card.photo_ref):
        yield Reason(
            "child_id_card.photo_ref",
            "invalid_photo_ref",
            "The photo reference must be 8 to 64 letters, digits, '.', '_', ':' or '-' as the "
            f"portal gave it, not {excerpt(card.photo_ref)}.",
        )


def _personal_ids(f: _Facts) -> Iterator[Reason]:
    people = [("applicant.personal_id", "applicant", f.dossier.applicant.personal_id)]
    people += [(f"{role}.personal_id", role, p.personal_id) for role, p in f.parents()]
    if f.dossier.residence is not None:
        head = f.dossier.residence.head_personal_id
        people.append(("residence.head_personal_id", "head of household", head))
    for path, who, value in people:
        problem = identifiers.check_personal_id(value)
        if problem is not None:
            yield Reason(path, "invalid_personal_id", f"The {who}'s personal ID number {problem}.")


def _personal_ids_match_parents(f: _Facts) -> Iterator[Reason]:
    for role, parent in f.parents():
        value = parent.personal_id
        if identifiers.check_personal_id(value) is not None:
            continue
        path, sex = f"{role}.personal_id", "FEMALE" if role == "mother" else "MALE"
        if identifiers.personal_id_birth_year(value) != parent.date_of_birth.year:
            message = f"The {role}'s personal ID number does not match the year of birth."
            yield Reason(path, "personal_id_mismatch", message)
        elif identifiers.personal_id_sex(value) != sex:
            other = "man" if sex == "FEMALE" else "woman"
            message = f"The {role}'s personal ID number belongs to a {other}."
            yield Reason(path, "personal_id_mismatch", message)


def _birth_certificate(f: _Facts) -> Iterator[Reason]:
    certificate = f.dossier.birth_certificate
    if certificate.replaced_by and not certificate.code.strip():
        return
    problem = identifiers.check_birth_certificate_code(certificate.code)
    if problem is None and identifiers.birth_certificate_year(certificate.code) != (
        certificate.issued_on.year % 100
    ):
        problem = f"does not end with the year it was issued ({certificate.issued_on.year})"
    if problem is not None:
        message = f"The birth certificate code {problem}."
        yield Reason("birth_certificate.code", "invalid_birth_certificate_code", message)


def _dates_in_future(f: _Facts) -> Iterator[Reason]:
    if f.dossier.child.born_at > f.reference:
        yield Reason(
            "child.born_at", "date_in_future", "The child's date of birth is in the future."
        )
    if f.dossier.birth_certificate.issued_on > f.local(f.reference):
        message = "The birth certificate's date of issue is in the future."
        yield Reason("birth_certificate.issued_on", "date_in_future", message)


def _submitted_not_in_future(f: _Facts) -> Iterator[Reason]:
    """The legal clock starts when the hub receives a dossier; a claim from the future is false."""
    ahead = (f.dossier.submitted_at - f.now).total_seconds()
    if ahead > MAX_CLOCK_SKEW_SECONDS:
        message = (
            f"The submission time is {ahead / 60:,.0f} minutes after the time it was received; "
            "check the sending system's clock."
        )
        yield Reason("submitted_at", "submitted_in_future", message)


def _parents_born_before_child(f: _Facts) -> Iterator[Reason]:
    born = f.local(f.dossier.child.born_at)
    for role, parent in f.parents():
        if parent.date_of_birth >= born:
            message = f"The {role}'s date of birth must be before the child's."
            yield Reason(f"{role}.date_of_birth", "parent_born_after_child", message)


def _address(path: str, address: Address) -> Iterator[Reason]:
    if units.province_name(address.province_code) is None:
        message = f"There is no province with code {excerpt(address.province_code)}."
        yield Reason(f"{path}.province_code", "unknown_province", message)
    elif units.commune(address.commune_code) is None:
        message = f"There is no commune with code {excerpt(address.commune_code)}."
        yield Reason(f"{path}.commune_code", "unknown_commune", message)
    elif not units.commune_in_province(address.commune_code, address.province_code):
        commune, province = clip(address.commune_code), clip(address.province_code)
        message = f"Commune {commune} is not in province {province}."
        yield Reason(f"{path}.commune_code", "commune_not_in_province", message)


def _addresses(f: _Facts) -> Iterator[Reason]:
    code = f.dossier.registering_commune
    if units.commune(code) is None:
        message = f"There is no commune with code {excerpt(code)}."
        yield Reason("registering_commune", "unknown_commune", message)
    yield from _address("child.birth_place", f.dossier.child.birth_place)
    for role, parent in f.parents():
        yield from _address(f"{role}.permanent_address", parent.permanent_address)
    if f.dossier.residence is not None:
        yield from _address("residence.address", f.dossier.residence.address)


def _birth_order(f: _Facts) -> Iterator[Reason]:
    babies, order = f.dossier.child.babies_in_birth, f.dossier.child.birth_order
    if not 1 <= babies <= MAX_BABIES:
        message = f"The number of babies in this birth must be between 1 and {MAX_BABIES}."
        yield Reason("child.babies_in_birth", "invalid_birth_order", message)
    elif not 1 <= order <= babies:
        message = f"The birth order must be between 1 and the number of babies ({babies})."
        yield Reason("child.birth_order", "invalid_birth_order", message)


def _on_time(f: _Facts) -> Iterator[Reason]:
    born, submitted = f.local(f.dossier.child.born_at), f.local(f.dossier.submitted_at)
    if (submitted - born).days > ON_TIME_DAYS:
        yield Reason(
            "child.born_at",
            "late_registration",
            f"The child was born more than {ON_TIME_DAYS} days ago. Late birth registration is "
            "not part of the linked procedures: please register at the commune People's Committee.",
        )
    if "health_insurance" in f.dossier.procedures and _years(born, submitted) >= CARD_AGE_YEARS:
        message = f"The free health-insurance card is for children under {CARD_AGE_YEARS}."
        yield Reason("child.born_at", "child_not_under_six", message)


def _years(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _residence(f: _Facts) -> Iterator[Reason]:
    residence = f.dossier.residence
    if residence is None:
        return
    if residence.relationship_to_head.strip().lower() in COLLECTIVE_HOUSEHOLD:
        yield Reason(
            "residence.relationship_to_head",
            "collective_household",
            "Registering residence in a collective household is not part of the linked "
            "procedures: please apply to the commune police.",
        )
    parent = f.dossier.mother if residence.parent == "MOTHER" else f.dossier.father
    role = residence.parent.lower()
    if parent is None:
        message = "Residence is requested at the father's address, but no father is declared."
        yield Reason("residence.parent", "residence_parent_absent", message)
    elif (parent.permanent_address.province_code, parent.permanent_address.commune_code) != (
        residence.address.province_code,
        residence.address.commune_code,
    ):
        message = f"The residence address must be the {role}'s permanent address."
        yield Reason("residence.address", "residence_address_mismatch", message)


def _contact(f: _Facts) -> Iterator[Reason]:
    applicant = f.dossier.applicant
    if MOBILE_PHONE.fullmatch(applicant.phone) is None:
        yield Reason(
            "applicant.phone",
            "invalid_phone",
            "The phone number must be a Vietnamese mobile number: 10 digits starting with 0, "
            "e.g. 0912345678.",
        )
    email = applicant.email
    if email is not None and not EMAIL.fullmatch(email):  # at most limits.EMAIL long
        message = "The email address is not valid."
        yield Reason("applicant.email", "invalid_email", message)


def _texts(f: _Facts) -> Iterator[Reason]:
    d = f.dossier
    required = {
        "meta.dossier_id": d.meta.dossier_id,
        "applicant.full_name": d.applicant.full_name,
        "child.family_name": d.child.family_name,
        "child.given_name": d.child.given_name,
        "child.ethnicity": d.child.ethnicity,
        "child.birth_facility": d.child.birth_facility,
        "birth_certificate.facility": d.birth_certificate.facility,
    }
    for role, parent in f.parents():
        required |= {f"{role}.full_name": parent.full_name, f"{role}.ethnicity": parent.ethnicity}
    for path, value in required.items():
        if not value.strip():
            yield Reason(path, "blank_field", f"{path} must not be empty.")
    nationalities = {"child.nationality": d.child.nationality}
    nationalities |= {f"{role}.nationality": p.nationality for role, p in f.parents()}
    for path, value in nationalities.items():
        if NATIONALITY.fullmatch(value) is None:
            message = f"{path} must be a two-letter country code such as VN."
            yield Reason(path, "invalid_nationality", message)


#: Every business rule, in the order its reasons are reported.
RULES: tuple[Rule, ...] = (
    _submitted_not_in_future,
    _group,
    _combination,
    _sections,
    _photo,
    _texts,
    _personal_ids,
    _personal_ids_match_parents,
    _birth_certificate,
    _dates_in_future,
    _parents_born_before_child,
    _addresses,
    _birth_order,
    _on_time,
    _residence,
    _contact,
)

#: Codes of a declaration that does not fit the schema or the limits (``parse_submission``).
SHAPE_CODES = ("missing_field", "unknown_field", "invalid_value", *LIMIT_CODES)
#: Codes of the business rules (from ``check_submission``).
RULE_CODES = (
    "submitted_in_future",
    "unknown_group",
    "combination_not_allowed",
    "missing_section",
    "unexpected_section",
    "invalid_photo_ref",
    "blank_field",
    "invalid_nationality",
    "invalid_personal_id",
    "personal_id_mismatch",
    "invalid_birth_certificate_code",
    "date_in_future",
    "parent_born_after_child",
    "unknown_province",
    "unknown_commune",
    "commune_not_in_province",
    "invalid_birth_order",
    "late_registration",
    "child_not_under_six",
    "collective_household",
    "residence_parent_absent",
    "residence_address_mismatch",
    "invalid_phone",
    "invalid_email",
)
REASON_CODES = SHAPE_CODES + RULE_CODES


def check_rules(
    dossier: DossierSubmission, now: datetime, *, timezone: str = DEFAULT_TIMEZONE
) -> list[Reason]:
    """Every business rule the parsed dossier breaks (empty when it may be received)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now must be timezone-aware, not {now!r}")
    facts = _Facts(dossier, now.astimezone(UTC), ZoneInfo(timezone))
    return at_most([reason for rule in RULES for reason in rule(facts)])


def check_submission(
    record: Mapping[str, object], now: datetime, *, timezone: str = DEFAULT_TIMEZONE
) -> list[Reason]:
    """Every reason to refuse a DossierSubmitted record: its shape first, then the rules."""
    try:
        dossier = parse_submission(record)
    except ValidationFailed as exc:
        return list(exc.reasons)
    return check_rules(dossier, now, timezone=timezone)


def validate_submission(
    data: object, now: datetime, *, timezone: str = DEFAULT_TIMEZONE
) -> DossierSubmission:
    """The dossier when it may be received; otherwise ``ValidationFailed`` with every reason."""
    dossier = parse_submission(data)
    reasons = check_rules(dossier, now, timezone=timezone)
    if reasons:
        raise ValidationFailed(reasons)
    return dossier


def validate_record(data: object, now: datetime) -> records.DossierSubmitted:
    """The submission as the hub keeps it (text in NFC), or ``ValidationFailed``."""
    return validate_submission(data, now).to_record()
