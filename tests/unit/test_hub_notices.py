"""The hub's decisions on a health facility's birth notice (Civil Status Law 2026): consent, no
consent, completion by the link and by the portal, expiry, twins, duplicates, unknown mother."""

from __future__ import annotations

import copy
import datetime as dt
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from lienthong.contracts.codec import AvroCodec, Decoded
from lienthong.contracts.events import Envelope, event_id
from lienthong.domain.calendar import WorkingCalendar
from lienthong.domain.population import EmbeddedPopulationDatabase
from lienthong.errors import ValidationFailed, WrongEventType
from lienthong.groups.birth.facility import family_part, notice_for
from lienthong.groups.birth.notice import NOTICE, dossier_id_of
from lienthong.groups.birth.synthetic import generate
from lienthong.hub import matching, notices
from lienthong.hub.state import DossierState
from lienthong.hub.transitions import Context, decide
from lienthong.lookup import Keyring
from lienthong.runtime.boundary import Boundary

Record = dict[str, Any]
#: Monday 2 March 2026, 08:00 in Hanoi: the synthetic dossiers' day (the law's date moved back).
START = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
CALENDAR = WorkingCalendar()
CODEC = AvroCodec()
SECRET = Keyring.single(b"unit-test-secret")
BASE_URL = "https://status.example.test"
IN_FORCE = dt.date(2026, 1, 1)
SYNTHETIC = generate(60, seed=2027, start=START, twins_share=0.3)
DOSSIERS = [d.record for d in SYNTHETIC if d.twin_group is None]
FIRST_TWIN = next(d.twin_group for d in SYNTHETIC if d.twin_group is not None)
TWINS = [d.record for d in SYNTHETIC if d.twin_group == FIRST_TWIN]


def wire(schema: str, record: Record) -> Record:
    return CODEC.decode(CODEC.encode(schema, record)).record


class Hub:
    """One notice's dossier driven through ``decide``, its state round-tripped as JSON."""

    def __init__(self, dossier: Record, population: EmbeddedPopulationDatabase | None = None):
        self.dossier = copy.deepcopy(dossier)
        self.now: dt.datetime = dossier["submitted_at"]
        self.state: DossierState | None = None
        self.population = population

    def context(self, **changes: Any) -> Context:
        ctx = Context(
            self.now,
            CALENDAR,
            SECRET,
            BASE_URL,
            notice_in_force=IN_FORCE,
            population=self.population,
        )
        return replace(ctx, **changes)

    def apply(self, name: str, record: Record, **changes: Any) -> list[Envelope]:
        before = None if self.state is None else DossierState.from_table(self.state.to_table())
        after, outputs = decide(before, name, wire(name, record), self.context(**changes))
        self.state = after
        self.now += dt.timedelta(minutes=10)
        return outputs

    def notice(self, consent: bool = True, **changes: Any) -> list[Envelope]:
        record = notice_for(self.dossier, consent=consent, at=self.now)
        return self.apply("BirthNoticeIssued", {**record, **changes})

    def link(self, part: dict[str, str] | None = None) -> list[Envelope]:
        """The family's part through the completion link, as the hub's page builds the filing."""
        assert self.state is not None
        notice = notices.notice_record(self.state)
        chosen = family_part(self.dossier) if part is None else part
        filing = NOTICE.complete(notice, chosen, self.now)
        return self.apply("DossierSubmitted", dict(filing))

    def portal(self, dossier_id: str | None = None, nth: int = 0) -> list[Envelope]:
        """The family's own filing through the portal under the notice's dossier id."""
        record = copy.deepcopy(self.dossier)
        certificate = record["birth_certificate"]["code"]
        record["meta"]["dossier_id"] = dossier_id or dossier_id_of(certificate)
        record["meta"]["event_id"] = event_id("portal", certificate, nth)
        record["submitted_at"] = self.now
        return self.apply("DossierSubmitted", record)

    def tick(self, at: dt.datetime) -> list[Envelope]:
        assert self.state is not None
        self.now = at
        meta = {
            "event_id": event_id("DeadlineCheck", self.state.dossier_id, at),
            "dossier_id": self.state.dossier_id,
            "occurred_at": at,
            "producer": "hub",
            "causation_id": None,
        }
        return self.apply("DeadlineCheck", {"meta": meta})


def schemas(outputs: list[Envelope]) -> list[str]:
    return [env.schema for env in outputs]


def test_a_notice_with_consent_opens_a_dossier_waiting_for_the_family() -> None:
    hub = Hub(DOSSIERS[0])
    outputs = hub.notice()
    code = DOSSIERS[0]["birth_certificate"]["code"]
    assert schemas(outputs) == ["DossierAwaitingFamily"]
    state = hub.state
    assert state is not None and state.phase == "awaiting_family" and state.path == "facility"
    assert state.dossier_id == dossier_id_of(code) and state.steps == {}
    assert state.received_at is None, "the legal clock has not started"
    assert state.happened_at == DOSSIERS[0]["child"]["born_at"]
    told = outputs[0].record
    assert told["completion_url"] == (
        f"{BASE_URL}/complete/{state.receipt_number}?code={state.lookup_code}"
    )
    assert SECRET.verify(state.dossier_id, state.lookup_code)
    assert told["complete_by"] == state.complete_by


def test_a_notice_without_consent_opens_nothing() -> None:
    hub = Hub(DOSSIERS[0])
    assert hub.notice(consent=False) == []
    assert hub.state is None


def test_the_family_completes_it_through_the_link_and_the_clock_starts_then() -> None:
    hub = Hub(DOSSIERS[1])
    hub.notice()
    completed_at = hub.now
    outputs = hub.link()
    assert schemas(outputs)[0] == "DossierReceived"
    assert "CivilRegistryHandoff" in schemas(outputs)
    state = hub.state
    assert state is not None and state.phase == "open" and state.path == "facility"
    assert state.received_at == completed_at and state.notice == ""
    handoff = next(e.record for e in outputs if e.schema == "CivilRegistryHandoff")
    assert handoff["child"]["given_name"] == DOSSIERS[1]["child"]["given_name"]
    assert handoff["birth_certificate"]["code"] == DOSSIERS[1]["birth_certificate"]["code"]


def test_an_incomplete_family_part_is_refused_and_the_dossier_keeps_waiting() -> None:
    hub = Hub(DOSSIERS[2])
    hub.notice()
    part = {**family_part(DOSSIERS[2]), "given_name": ""}
    outputs = hub.link(part)
    assert schemas(outputs) == ["DossierRejected"]
    assert hub.state is not None and hub.state.phase == "awaiting_family"
    assert hub.state.notice, "the notice is kept for the family's next try"
    assert "DossierReceived" in schemas(hub.link())


def test_the_portals_filing_under_the_notice_completes_the_same_dossier() -> None:
    hub = Hub(DOSSIERS[3])
    hub.notice()
    outputs = hub.portal()
    assert schemas(outputs)[0] == "DossierReceived"
    state = hub.state
    assert state is not None and state.path == "facility" and state.phase == "open"
    assert hub.portal(nth=1) == [], "the same child filed again: the same dossier"
    assert hub.state is not None and hub.state.timeline[-1].kind == "filed_again"
    assert hub.state.received_at == state.received_at


def test_a_filing_for_another_certificate_cannot_take_a_notices_dossier() -> None:
    hub = Hub(DOSSIERS[4])
    hub.notice()
    other = Hub(DOSSIERS[5])
    other.state, other.now = hub.state, hub.now
    with pytest.raises(Exception, match="its own notice"):
        other.portal(dossier_id=hub.state.dossier_id if hub.state else "")


def test_nobody_completes_it_in_time_and_it_closes_visibly() -> None:
    hub = Hub(DOSSIERS[6])
    hub.notice()
    assert hub.state is not None and hub.state.complete_by is not None
    last = hub.state.complete_by
    assert hub.tick(last - dt.timedelta(minutes=1)) == []
    outputs = hub.tick(last)
    assert schemas(outputs) == ["DossierRejected"]
    assert outputs[0].record["reasons"][0]["code"] == notices.NOT_COMPLETED
    assert hub.state is not None and hub.state.phase == "rejected"
    assert hub.state.outcome == "NOT_COMPLETED" and hub.state.notice == ""


def test_twins_are_two_notices_and_two_dossiers() -> None:
    assert len(TWINS) >= 2
    first, second = Hub(TWINS[0]), Hub(TWINS[1])
    first.notice()
    second.notice()
    assert first.state is not None and second.state is not None
    assert first.state.dossier_id != second.state.dossier_id
    assert TWINS[0]["mother"]["personal_id"] == TWINS[1]["mother"]["personal_id"]


def test_a_notice_repeated_for_the_same_certificate_is_the_same_dossier() -> None:
    hub = Hub(DOSSIERS[7])
    hub.notice()
    again = notice_for(DOSSIERS[7], consent=True, at=hub.now + dt.timedelta(hours=1))
    again["meta"]["event_id"] = event_id("again", 1)
    assert hub.apply("BirthNoticeIssued", dict(again)) == []
    assert hub.state is not None and hub.state.timeline[-1].kind == "notice_repeated"


def plan(tmp_path: Path, **entries: object) -> EmbeddedPopulationDatabase:
    path = tmp_path / "population.json"
    path.write_text(json.dumps(entries))
    return EmbeddedPopulationDatabase(path)


def test_a_mother_the_population_database_never_issued_is_refused(tmp_path: Path) -> None:
    mother = DOSSIERS[8]["mother"]["personal_id"]
    hub = Hub(DOSSIERS[8], plan(tmp_path, never_issued=[mother]))
    with pytest.raises(ValidationFailed) as refused:
        hub.notice()
    assert [(r.field, r.code) for r in refused.value.reasons] == [
        ("mother_personal_id", "unknown_person")
    ]
    assert hub.state is None


def test_while_the_database_is_down_the_dossier_waits_visibly(tmp_path: Path) -> None:
    back = DOSSIERS[9]["submitted_at"] + dt.timedelta(hours=1)
    hub = Hub(DOSSIERS[9], plan(tmp_path, unavailable_until=back.isoformat()))
    assert schemas(hub.notice()) == ["DossierAwaitingFamily"]
    assert hub.state is not None and hub.state.awaiting == notices.POPULATION
    hub.tick(back - dt.timedelta(minutes=1))
    assert hub.state is not None and hub.state.awaiting == notices.POPULATION
    hub.tick(back)
    assert hub.state is not None and hub.state.awaiting is None
    assert hub.state.phase == "awaiting_family"


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"certificate_code": "12.GCS.1.26"}, "certificate_code", "invalid_birth_certificate_code"),
        ({"weight_grams": 12}, "weight_grams", "out_of_range"),
        ({"registering_commune": "99999"}, "registering_commune", "unknown_commune"),
    ],
)
def test_a_malformed_notice_is_refused_naming_its_field(
    change: Record, field: str, code: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        Hub(DOSSIERS[10]).notice(**change)
    assert (field, code) in [(r.field, r.code) for r in refused.value.reasons]


def test_a_notice_from_a_principal_that_is_not_a_facility_is_refused() -> None:
    hub = Hub(DOSSIERS[11])
    record = notice_for(DOSSIERS[11], consent=True, at=hub.now)
    record["meta"]["producer"] = "portal"
    with pytest.raises(ValidationFailed) as refused:
        hub.apply("BirthNoticeIssued", dict(record))
    assert [r.code for r in refused.value.reasons] == ["not_a_facility"]


def test_a_notice_before_the_law_is_in_force_opens_nothing() -> None:
    hub = Hub(DOSSIERS[12])
    record = notice_for(DOSSIERS[12], consent=True, at=hub.now)
    with pytest.raises(notices.NotInForce):
        hub.apply("BirthNoticeIssued", dict(record), notice_in_force=dt.date(2027, 3, 1))


def test_the_boundary_refuses_any_other_event_from_a_facility() -> None:
    boundary = Boundary("lienthong", 65536, 4)
    record = copy.deepcopy(DOSSIERS[13])
    record["meta"]["producer"] = "facility:01234"
    with pytest.raises(WrongEventType, match="a health facility publishes only"):
        boundary.check(
            "lienthong.intake", Decoded(CODEC.catalogue.get("DossierSubmitted"), record, b"")
        )
    notice = notice_for(DOSSIERS[13], consent=True, at=START)
    boundary.check(
        "lienthong.intake", Decoded(CODEC.catalogue.get("BirthNoticeIssued"), dict(notice), b"")
    )


def test_a_portal_filing_under_its_own_id_visits_its_notices_dossier_first() -> None:
    record = copy.deepcopy(DOSSIERS[14])
    code = record["birth_certificate"]["code"]
    at = record["submitted_at"]
    assert matching.notice_dossier("DossierSubmitted", record, at, IN_FORCE) == dossier_id_of(code)
    assert matching.notice_dossier("DossierSubmitted", record, at, dt.date(2099, 1, 1)) is None
    assert matching.notice_dossier("DossierWithdrawn", record, at, IN_FORCE) is None
    record["meta"]["dossier_id"] = dossier_id_of(code)  # filed under the notice's id already
    assert matching.notice_dossier("DossierSubmitted", record, at, IN_FORCE) is None


def test_the_notices_dossier_takes_the_portal_filing_and_the_portal_is_told() -> None:
    hub = Hub(DOSSIERS[15])
    hub.notice()
    filing = copy.deepcopy(DOSSIERS[15])
    filing["submitted_at"] = hub.now
    assert matching.takes(hub.state)
    outputs = hub.apply("DossierSubmitted", filing)  # its own id, decided in the notice's state
    assert schemas(outputs)[0] == "DossierReceived"
    assert hub.state is not None and hub.state.dossier_id != filing["meta"]["dossier_id"]
    told = matching.same_child(hub.state, filing, hub.now)
    assert told.key == filing["meta"]["dossier_id"]
    assert told.record["reasons"][0]["code"] == matching.SAME_CHILD
    assert hub.state.receipt_number in told.record["reasons"][0]["message"]
    assert not matching.takes(None)


def test_a_notice_after_the_familys_own_filing_opens_nothing_more() -> None:
    """The family filed first under its own id: the mark under the certificate's dossier id
    makes the facility's later notice open nothing (one dossier for one child)."""
    filing = DOSSIERS[17]
    notice_id = dossier_id_of(filing["birth_certificate"]["code"])
    hub = Hub(filing)
    hub.state = matching.filed_by_family(notice_id, filing, hub.now)
    assert not matching.takes(hub.state) and not hub.state.receipt_number
    assert hub.notice() == []
    assert hub.state is not None and hub.state.outcome == matching.FILED_BY_FAMILY
    assert [e.kind for e in hub.state.timeline] == ["filed_by_family", "notice_repeated"]
    assert hub.state.timeline[0].detail == filing["meta"]["dossier_id"]


def test_a_family_choosing_the_childs_id_card_completes_it_through_the_link() -> None:
    # Dossiers from the card's date on may choose it: the link's form carries the photo.
    after = dt.datetime(2026, 10, 5, 1, 0, tzinfo=dt.UTC)
    with_card = next(
        d.record
        for d in generate(40, seed=2028, start=after, twins_share=0.0)
        if "child_id_card" in d.record["procedures"]
    )
    part = family_part(with_card)
    assert "child_id_card" in part["procedures"].split(",")
    assert part["photo_ref"] == with_card["child_id_card"]["photo_ref"]
    hub = Hub(with_card)
    hub.notice()
    outputs = hub.link(part)
    assert schemas(outputs)[0] == "DossierReceived", [e.record for e in outputs]
    assert hub.state is not None and "child_id_card" in hub.state.procedures
    without = {k: v for k, v in part.items() if k != "photo_ref"}
    again = Hub(with_card)
    again.notice()
    refused = again.link(without)
    assert "DossierReceived" not in schemas(refused)
    assert again.state is not None and again.state.phase == "awaiting_family"
