"""Dated group versions: the hub holds each dossier to the version of its receipt day, for life.

The dossiers go through the hub's pure transitions and the agencies' declared decisions (as the
agency deployable picks them, by the handoff's ``dossier_date``), every record across the codec.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest

from lienthong.agencies.builder import Decisions
from lienthong.contracts.codec import AvroCodec
from lienthong.contracts.events import Envelope
from lienthong.domain import identifiers
from lienthong.domain.agency import AgencyContext
from lienthong.domain.allocation import BufferedCounters
from lienthong.domain.calendar import WorkingCalendar
from lienthong.domain.deadline_cuts import NO_CUTS
from lienthong.domain.declaration import GroupVersion, Words
from lienthong.groups.birth.declaration import GROUP
from lienthong.groups.birth.synthetic import generate
from lienthong.groups.registry import GROUPS, all_steps
from lienthong.hub.pages.procedures import procedure_view
from lienthong.hub.pages.status import dossier_view
from lienthong.hub.state import DossierState
from lienthong.hub.steps import group_of
from lienthong.hub.transitions import Context, decide
from lienthong.lookup import Keyring

Record = dict[str, Any]
CALENDAR = WorkingCalendar()
CODEC = AvroCodec()
SECRET = Keyring.single(b"unit-test-secret")
CR, RES, HI = "civil_registry", "residence", "health_insurance"
#: 09:00 in Hanoi on the last day of the old residence rule and the first of the new one.
JUNE_30 = dt.datetime(2026, 6, 30, 2, 0, tzinfo=dt.UTC)
JULY_1 = dt.datetime(2026, 7, 1, 2, 0, tzinfo=dt.UTC)
#: The step each handoff schema asks for.
HANDOFFS = {spec.handoff: step for step, spec in all_steps().items()}


def wire(schema: str, record: Record) -> Record:
    return CODEC.decode(CODEC.encode(schema, record)).record


class Pipeline:
    """The hub and the agencies' decisions for one dossier, on a clock the test moves."""

    def __init__(self, record: Record, now: dt.datetime) -> None:
        self.record = record
        self.now = now
        self.state: DossierState | None = None
        self.results: dict[str, Record] = {}

    def hub(self, name: str, record: Record) -> list[Envelope]:
        before = None if self.state is None else DossierState.from_table(self.state.to_table())
        ctx = Context(self.now, CALENDAR, SECRET, "https://status.example.test")
        self.state, outputs = decide(before, name, wire(name, record), ctx)
        return outputs

    def run(self, until: dt.datetime | None = None) -> None:
        """Submit, then answer every handoff with the agency's declared decision; the clock
        moves to ``until`` (if given) once the dossier is received."""
        queue = self.hub("DossierSubmitted", self.record)
        self.now = until or self.now
        while queue:
            env = queue.pop(0)
            if env.schema not in HANDOFFS:
                continue
            step, handoff = HANDOFFS[env.schema], wire(env.schema, env.record)
            ctx = AgencyContext(self.now, CALENDAR, 0, 4)
            counters = BufferedCounters({})
            decision = Decisions.decision_in_force(step, handoff)(handoff, None, counters, ctx)
            for answer in decision.outputs:
                self.results[step] = wire(answer.schema, answer.record)
                self.now += dt.timedelta(minutes=10)
                queue += self.hub(answer.schema, answer.record)


def dossier(at: dt.datetime, seed: int, *procedures: str) -> Record:
    """A valid generated dossier submitted at ``at`` with exactly ``procedures``."""
    for item in generate(40, seed=seed, start=at, twins_share=0.0, live=True):
        if tuple(item.record["procedures"]) == procedures:
            return copy.deepcopy(item.record)
    raise AssertionError(f"no dossier with {procedures}")


def without_consent(record: Record) -> Record:
    """The child registered at the mother's address in a household she does not head."""
    residence = record["residence"]
    residence["head_of_household"] = "Nguyễn Văn Chủ"
    residence["head_personal_id"] = identifiers.personal_id("01", "MALE", 1960, 123456)
    residence["relationship_to_head"] = "Cháu"
    residence["head_consent"] = False
    return record


def test_the_residence_rule_is_a_version_of_the_group() -> None:
    assert [v.version for v in GROUP.versions][:2] == ["63/2024", "2026-07-01"]
    assert GROUP.on(dt.date(2026, 6, 30)).version == "63/2024"
    assert GROUP.on(dt.date(2026, 7, 1)).version == "2026-07-01"
    assert GROUP.on(dt.date(1999, 1, 1)).version == "63/2024", "older days: the first version"
    assert GROUP.named("2026-07-01").valid_from == dt.date(2026, 7, 1)
    assert GROUPS["birth"] is GROUP
    with pytest.raises(KeyError, match="no version"):
        GROUP.named("1990-01-01")


def test_a_version_must_come_after_the_one_it_amends() -> None:
    late = GroupVersion(dt.date(2020, 1, 1), "2020", Words("x", "x"), "a source")
    with pytest.raises(ValueError, match="must come after"):
        GROUP.amended(late)


@pytest.mark.parametrize(
    ("received", "version", "outcome"),
    [(JUNE_30, "63/2024", "consent_missing"), (JULY_1, "2026-07-01", "registered")],
)
def test_the_receipt_day_chooses_the_residence_rule(
    received: dt.datetime, version: str, outcome: str
) -> None:
    run = Pipeline(without_consent(dossier(received, 7, CR, RES)), received)
    run.run()
    assert run.state is not None and run.state.version == version
    answer = run.results[RES]
    got = answer.get("reason_code") or ("registered" if "confirmation_ref" in answer else "")
    assert got == outcome


def test_an_open_dossier_keeps_its_version_across_the_date() -> None:
    # Received on 30 June; the police decide on 2 July: the June rule still holds it.
    run = Pipeline(without_consent(dossier(JUNE_30, 7, CR, RES)), JUNE_30)
    run.run(until=JULY_1 + dt.timedelta(days=1))
    assert run.state is not None and run.state.version == "63/2024"
    assert run.results[RES]["reason_code"] == "consent_missing"
    assert run.state.steps[RES].phase == "rejected"
    # a new dossier that day is received under the new version
    fresh = Pipeline(without_consent(dossier(JULY_1, 7, CR, RES)), JULY_1 + dt.timedelta(days=1))
    fresh.run()
    assert fresh.state is not None and fresh.state.version == "2026-07-01"
    assert fresh.state.steps[RES].phase == "completed"


def test_a_state_saved_before_versions_reads_its_version_by_its_receipt_day() -> None:
    run = Pipeline(dossier(JUNE_30, 8, CR, RES), JUNE_30)
    run.hub("DossierSubmitted", run.record)
    assert run.state is not None
    saved = run.state.to_table()
    del saved["version"]
    old = DossierState.from_table(saved)
    assert old is not None and old.version == ""
    assert group_of(old).version == "63/2024"
    assert group_of(run.state.model_copy(update={"version": "2026-07-01"})).version == (
        "2026-07-01"
    )


def test_the_procedures_page_shows_the_version_of_its_day() -> None:
    before = procedure_view(GROUP, NO_CUTS, None, dt.date(2026, 6, 30), "en")
    after = procedure_view(GROUP, NO_CUTS, None, dt.date(2026, 7, 1), "en")
    assert before["version"] == {
        "name": "63/2024",
        "valid_from": None,
        "change": None,
        "source": "",
    }
    assert after["version"]["name"] == "2026-07-01"
    assert after["version"]["valid_from"] == "2026-07-01"
    assert "no consent" in str(after["version"]["change"])


def test_the_status_view_names_the_dossiers_version() -> None:
    run = Pipeline(dossier(JUNE_30, 8, CR, RES), JUNE_30)
    run.hub("DossierSubmitted", run.record)
    assert run.state is not None
    assert dossier_view(run.state, JULY_1)["version"] == "63/2024"
