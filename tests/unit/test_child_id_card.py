"""The child's identity card step (Decree 301/2026, as assumed): from its date, when chosen.

Dossiers go through the hub's pure transitions and the agencies' declared decisions (see
``test_group_versions.Pipeline``); the card's decision is also called directly.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
from test_group_versions import Pipeline, dossier, wire

from lienthong import topics
from lienthong.agencies.builder import Decisions
from lienthong.contracts.codec import AvroCodec
from lienthong.domain.agency import AgencyContext
from lienthong.domain.allocation import BufferedCounters
from lienthong.domain.calendar import WorkingCalendar
from lienthong.domain.deadline_cuts import NO_CUTS
from lienthong.errors import SettingsError
from lienthong.groups.birth import identity_card
from lienthong.groups.birth.declaration import GROUP
from lienthong.groups.birth.submission import check_submission
from lienthong.groups.birth.synthetic import generate
from lienthong.hub.pages.procedures import procedure_view, version_view
from lienthong.report.year import Year

Record = dict[str, Any]
CR, RES, HI, CARD = "civil_registry", "residence", "health_insurance", "child_id_card"
CALENDAR = WorkingCalendar()
CODEC = AvroCodec()
#: Friday 28 August 2026, 09:00 in Hanoi: the last working day before the card's date (31 August
#: to 2 September are days off in 2026).
BEFORE = dt.datetime(2026, 8, 28, 2, 0, tzinfo=dt.UTC)
#: 16:00 that Friday: after the cut-off, so it counts as received on Thursday 3 September.
BEFORE_LATE = dt.datetime(2026, 8, 28, 9, 0, tzinfo=dt.UTC)
#: Thursday 3 September 2026, 09:00 in Hanoi: the first working day from the card's date.
AFTER = dt.datetime(2026, 9, 3, 2, 0, tzinfo=dt.UTC)


def with_card(record: Record, photo: str = "photo:0123456789abcdef") -> Record:
    """The dossier with the child's identity card chosen too."""
    record = copy.deepcopy(record)
    record["procedures"] = [*record["procedures"], CARD]
    record["child_id_card"] = {"photo_ref": photo}
    return record


def test_the_card_joins_the_group_on_its_date() -> None:
    assert identity_card.card_from() == dt.date(2026, 9, 1)
    assert GROUP.on(dt.date(2026, 8, 31)).version == "2026-07-01"
    assert CARD not in GROUP.on(dt.date(2026, 8, 31)).steps
    card = GROUP.on(dt.date(2026, 9, 1))
    assert card.version == "301/2026" and CARD in card.steps
    assert card.steps[CARD].requires == (CR,)
    assert card.steps[CARD].deployable == "residence"
    assert topics.STEPS_OF["residence"][:2] == (RES, CARD), "one police deployable, two steps"
    assert topics.handoff(CARD) == topics.handoff(RES)
    assert frozenset({CR, HI, CARD}) in card.combinations
    assert len(card.combinations) == 2 * len(GROUP.named("2026-07-01").combinations)
    # the residence rule of July stays in the card's version
    assert card.steps[RES] is GROUP.named("2026-07-01").steps[RES]


def test_a_dossier_received_before_the_date_never_gets_the_card() -> None:
    run = Pipeline(with_card(dossier(BEFORE, 3, CR, RES, HI)), BEFORE)
    run.run()
    assert run.state is not None and run.state.version == "2026-07-01"
    assert run.state.phase == "rejected"
    assert run.state.rejection[0]["field"] == "procedures"
    assert run.state.rejection[0]["code"] == "combination_not_in_force"
    assert CARD not in run.state.steps and CARD not in run.results
    # without the card it is received as before
    plain = Pipeline(dossier(BEFORE, 3, CR, RES, HI), BEFORE)
    plain.run()
    assert plain.state is not None and plain.state.outcome == "COMPLETED"
    assert list(plain.state.steps) == [CR, RES, HI]


def test_after_the_date_the_card_is_issued_when_chosen() -> None:
    run = Pipeline(with_card(dossier(AFTER, 3, CR, RES, HI)), AFTER)
    run.run()
    assert run.state is not None and run.state.version == "301/2026"
    assert run.state.procedures == [CR, RES, HI, CARD]
    assert run.state.outcome == "COMPLETED"
    issued = run.results[CARD]
    assert issued["meta"]["dossier_id"] == run.state.dossier_id
    assert issued["card_number"].startswith("CC") and len(issued["card_number"]) == 12
    assert issued["personal_id"] == run.results[CR]["child"]["personal_id"]
    assert run.state.steps[CARD].result_ref == issued["card_number"]
    born = CALENDAR.local_date(run.record["child"]["born_at"])
    assert issued["valid_until"] == born.replace(year=born.year + 14) - dt.timedelta(days=1)
    # not chosen: not there
    plain = Pipeline(dossier(AFTER, 3, CR, RES, HI), AFTER)
    plain.run()
    assert plain.state is not None and plain.state.version == "301/2026"
    assert CARD not in plain.state.steps and plain.state.outcome == "COMPLETED"


def test_the_legal_receipt_day_decides_not_the_calendar_day() -> None:
    # submitted on Friday 28 August after 15:00: received on Thursday 3 September
    run = Pipeline(with_card(dossier(BEFORE_LATE, 3, CR, RES, HI)), BEFORE_LATE)
    run.run()
    assert run.state is not None and run.state.received_on == dt.date(2026, 9, 3)
    assert run.state.version == "301/2026" and run.state.outcome == "COMPLETED"


def test_an_open_dossier_keeps_its_version_when_the_card_arrives() -> None:
    run = Pipeline(dossier(BEFORE, 4, CR, RES, HI), BEFORE)
    run.run(until=AFTER)  # the agencies answer after the card's date
    assert run.state is not None and run.state.version == "2026-07-01"
    assert list(run.state.steps) == [CR, RES, HI] and run.state.outcome == "COMPLETED"
    fresh = Pipeline(with_card(dossier(AFTER, 4, CR, RES, HI)), AFTER)
    fresh.run()
    assert fresh.state is not None and fresh.state.version == "301/2026"


def card_handoff(run: Pipeline) -> Record:
    """The card's handoff the hub sent (received and registered, up to the handoff)."""
    outputs = run.hub("DossierSubmitted", run.record)
    (cr,) = [e for e in outputs if e.schema == "CivilRegistryHandoff"]
    handoff = wire(cr.schema, cr.record)
    ctx = AgencyContext(run.now, CALENDAR, 0, 4)
    decided = Decisions.decision_in_force(CR, handoff)(handoff, None, BufferedCounters({}), ctx)
    (registered,) = decided.outputs
    later = run.hub(registered.schema, registered.record)
    (card,) = [e for e in later if e.schema == "ChildIdCardHandoff"]
    assert card.topic.endswith(topics.handoff(CARD))
    return wire(card.schema, card.record)


def test_the_police_get_only_identity_id_number_and_photo() -> None:
    handoff = card_handoff(Pipeline(with_card(dossier(AFTER, 5, CR, HI)), AFTER))
    assert set(handoff) == {"meta", "dossier_date", "due_at", "child", "photo_ref", "supplement"}
    assert set(handoff["child"]) == {"full_name", "born_at", "sex", "personal_id"}
    assert handoff["photo_ref"] == "photo:0123456789abcdef"
    assert handoff["dossier_date"] == dt.date(2026, 9, 3)
    assert handoff["due_at"] == CALENDAR.due_at(AFTER, identity_card.DEFAULT_DAYS)


def test_the_card_decision_repeats_itself_and_refuses_a_child_of_six() -> None:
    handoff = card_handoff(Pipeline(with_card(dossier(AFTER, 6, CR, RES)), AFTER))
    ctx = AgencyContext(AFTER + dt.timedelta(hours=1), CALENDAR, 1, 4)
    counters = BufferedCounters({})
    first = identity_card.issue_child_id_card(handoff, None, counters, ctx)
    entry = first.entry
    assert entry is not None and entry["outcome"] == "issued"
    again = identity_card.issue_child_id_card(handoff, entry, BufferedCounters({}), ctx)
    assert [e.record for e in again.outputs] == [e.record for e in first.outputs]
    assert again.outputs[0].meta["event_id"] == first.outputs[0].meta["event_id"]
    other = identity_card.issue_child_id_card(
        {**handoff, "meta": {**handoff["meta"], "dossier_id": "DVC-2026-999999-ffff"}},
        None,
        counters,
        ctx,
    )
    assert other.outputs[0].record["card_number"] != first.outputs[0].record["card_number"]
    old = copy.deepcopy(handoff)
    old["child"]["born_at"] = dt.datetime(2020, 9, 2, 1, 0, tzinfo=dt.UTC)
    (refused,) = identity_card.issue_child_id_card(old, None, counters, ctx).outputs
    assert refused.schema == "StepRejected" and refused.record["reason_code"] == "not_under_six"
    assert refused.record["step"] == CARD


def test_the_photo_reference_is_checked_at_intake() -> None:
    record = with_card(dossier(AFTER, 3, CR, RES, HI), photo="../../etc/passwd")
    (reason,) = check_submission(record, AFTER)
    assert (reason.field, reason.code) == ("child_id_card.photo_ref", "invalid_photo_ref")
    assert check_submission(with_card(dossier(AFTER, 3, CR, RES, HI)), AFTER) == []


def test_the_date_and_target_are_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(identity_card.FROM_ENV, "2026-10-01")
    monkeypatch.setenv(identity_card.DAYS_ENV, "5")
    assert identity_card.card_from() == dt.date(2026, 10, 1)
    assert identity_card.card_days() == 5
    monkeypatch.setenv(identity_card.FROM_ENV, "1 September")
    with pytest.raises(SettingsError, match=identity_card.FROM_ENV):
        identity_card.card_from()
    monkeypatch.setenv(identity_card.DAYS_ENV, "-1")
    with pytest.raises(SettingsError, match=identity_card.DAYS_ENV):
        identity_card.card_days()


def test_the_generator_offers_the_card_only_from_its_date() -> None:
    before = generate(300, seed=11, start=BEFORE, twins_share=0.0)
    assert not [d for d in before if CARD in d.record["procedures"]]
    after = generate(300, seed=11, start=AFTER, twins_share=0.0)
    chosen = [d.record for d in after if CARD in d.record["procedures"]]
    assert 0.35 < len(chosen) / len(after) < 0.65
    for record in chosen[:20]:
        assert check_submission(record, record["submitted_at"]) == []
        assert record["child_id_card"] is not None


def test_the_procedures_page_lists_the_card_from_its_date() -> None:
    view = procedure_view(GROUP, NO_CUTS, None, dt.date(2026, 9, 3), "en")
    assert view["version"] == version_view(GROUP, "en")
    assert view["version"]["valid_from"] == "2026-09-01"
    assert any("Identity card for a child under 6" in c for c in view["combinations"])
    assert "Decree 301/2026" in view["documents"][0]
    before = procedure_view(GROUP, NO_CUTS, None, dt.date(2026, 8, 28), "en")
    assert not any("Identity card" in c for c in before["combinations"])


def test_a_generated_year_answers_the_card_step_too() -> None:
    year = Year("01", 2026, 400, seed=3)
    with_card = {p.dossier_id for p, _ in year.dossiers if CARD in p.procedures}
    assert with_card, "the year reaches the card's date"
    events = list(year.status_events())
    finished = {e.record["meta"]["dossier_id"] for e in events if e.schema == "DossierFinished"}
    assert finished == {p.dossier_id for p, _ in year.dossiers}
    cards = {
        e.record["meta"]["dossier_id"]
        for e in events
        if e.schema == "StepFinished" and e.record["step"] == CARD
    }
    assert cards == with_card
