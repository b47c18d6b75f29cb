"""The synthetic dossier generator: determinism, uniqueness, twins, invalid share, realism."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from lienthong.domain import identifiers, units
from lienthong.domain.calendar import WorkingCalendar
from lienthong.groups.birth.breakers import INVALID_KINDS
from lienthong.groups.birth.model import from_json, to_json
from lienthong.groups.birth.submission import check_submission
from lienthong.groups.birth.synthetic import Synthetic, generate

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture(scope="module")
def batch() -> list[Synthetic]:
    return generate(3000, seed=2026, invalid_share=0.1, twins_share=0.1)


def test_same_seed_same_dossiers() -> None:
    assert generate(200, seed=7, invalid_share=0.2) == generate(200, seed=7, invalid_share=0.2)


def test_other_seed_other_dossiers() -> None:
    first, second = generate(50, seed=7), generate(50, seed=8)
    assert {d.record["meta"]["event_id"] for d in first}.isdisjoint(
        d.record["meta"]["event_id"] for d in second
    )
    assert [d.record["child"] for d in first] != [d.record["child"] for d in second]


def test_ids_and_certificate_codes_are_unique(batch: list[Synthetic]) -> None:
    for key in ("event_id", "dossier_id"):
        values = [d.record["meta"][key] for d in batch]
        assert len(set(values)) == len(values)
    codes = [d.record["birth_certificate"]["code"] for d in batch if d.invalid is None]
    assert len(set(codes)) == len(codes)


def test_dossier_ids_look_like_the_portals(batch: list[Synthetic]) -> None:
    first = batch[0].record["meta"]
    assert first["dossier_id"].startswith("DVC-2026-000001-")
    assert len(first["dossier_id"]) == len("DVC-2026-000001-ab12")
    assert first["dossier_id"][-4:] == first["event_id"].hex[:4]


def test_twins_share_mother_day_and_facility(batch: list[Synthetic]) -> None:
    groups: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    for dossier in batch:
        if dossier.twin_group:
            groups[dossier.twin_group].append(dossier.record)
    assert groups
    for records in groups.values():
        assert len(records) in (2, 3)
        children = [r["child"] for r in records]
        certificates = [r["birth_certificate"] for r in records]
        assert len({c["babies_in_birth"] for c in children}) == 1
        assert sorted(c["birth_order"] for c in children) == list(range(1, len(records) + 1))
        assert all(c["babies_in_birth"] == len(records) for c in children)
        assert len({json.dumps(to_json(r)["mother"]) for r in records}) == 1
        assert len({c["born_at"].astimezone(HANOI).date() for c in children}) == 1
        assert len({c["birth_facility"] for c in children}) == 1
        assert len({c["facility"] for c in certificates}) == 1
        assert len({c["code"] for c in certificates}) == len(records)


def test_twins_share_is_close_to_requested(batch: list[Synthetic]) -> None:
    share = sum(1 for d in batch if d.twin_group) / len(batch)
    assert 0.07 <= share <= 0.13


def test_invalid_share_is_as_requested(batch: list[Synthetic]) -> None:
    assert sum(1 for d in batch if d.invalid) == 300
    kinds = Counter(d.invalid for d in batch if d.invalid)
    assert set(kinds) == set(INVALID_KINDS)
    assert not any(d.invalid and d.twin_group for d in batch)


def test_every_dossier_gets_exactly_the_expected_verdict(batch: list[Synthetic]) -> None:
    for dossier in batch:
        reasons = check_submission(dossier.record, dossier.record["submitted_at"])
        assert [r.code for r in reasons] == ([dossier.invalid] if dossier.invalid else [])


def test_submissions_fall_in_working_hours_from_start() -> None:
    start = datetime(2027, 2, 3, 14, 0, tzinfo=HANOI)  # the afternoon before Tết
    dossiers = generate(6000, seed=3, start=start)
    calendar = WorkingCalendar()
    times = [d.record["submitted_at"] for d in dossiers]
    assert times == sorted(times)
    assert times[0] >= start
    for at in times:
        local = at.astimezone(HANOI)
        assert calendar.is_working_day(local.date())
        assert (7, 30) <= (local.hour, local.minute) < (17, 0)
    days = sorted({at.astimezone(HANOI).date() for at in times})
    assert [d.isoformat() for d in days[:3]] == ["2027-02-03", "2027-02-11", "2027-02-12"]


def test_dossiers_arrive_at_a_realistic_rate() -> None:
    start = datetime(2026, 3, 3, 9, 0, tzinfo=HANOI)
    times = [d.record["submitted_at"] for d in generate(300, seed=9, start=start)]
    assert start <= times[0] and times[-1] < start + timedelta(hours=1, minutes=30)
    busy = [d.record["submitted_at"] for d in generate(300, seed=9, start=start, per_day=40_000)]
    assert busy[-1] < start + timedelta(minutes=15)


def test_records_are_realistic(batch: list[Synthetic]) -> None:
    valid = [d.record for d in batch if d.invalid is None]
    channels = Counter((r["channel"], r["meta"]["producer"]) for r in valid)
    assert set(channels) == {("PORTAL", "portal"), ("VNEID", "vneid")}
    combinations = Counter(tuple(r["procedures"]) for r in valid)
    assert len(combinations) == 3
    assert sum(1 for r in valid if r["father"] is None) > 0
    assert Counter(r["child"]["ethnicity"] for r in valid).most_common(1)[0][0] == "Kinh"
    assert {r["child"]["nationality"] for r in valid} == {"VN"}
    for record in valid:
        submitted, born = record["submitted_at"], record["child"]["born_at"]
        assert timedelta(0) < submitted - born <= timedelta(days=20)
        assert submitted.tzinfo == UTC and born.tzinfo == UTC
        assert record["meta"]["occurred_at"] == submitted
        assert units.commune(record["registering_commune"]) is not None
        assert identifiers.check_birth_certificate_code(record["birth_certificate"]["code"]) is None
        assert record["birth_certificate"]["facility"] == record["child"]["birth_facility"]
        assert record["birth_certificate"]["issued_on"] == born.astimezone(HANOI).date()
        if record["father"] is None and record["residence"]:
            assert record["residence"]["parent"] == "MOTHER"


def test_json_round_trip(batch: list[Synthetic]) -> None:
    for dossier in batch[:200]:
        document = json.loads(json.dumps(to_json(dossier.record), ensure_ascii=False))
        assert isinstance(document["submitted_at"], str)
        assert from_json(document) == dossier.record


def test_ten_thousand_dossiers_with_distinct_ids() -> None:
    # How fast is the benchmark's business (make bench), not a timed unit test's.
    dossiers = generate(10_000, seed=1, invalid_share=0.05)
    assert len(dossiers) == 10_000
    assert len({d.record["meta"]["dossier_id"] for d in dossiers}) == 10_000


@pytest.mark.parametrize(
    "arguments",
    [
        {"count": -1},
        {"invalid_share": 1.5},
        {"twins_share": -0.1},
        {"start": datetime(2026, 3, 2, 9, 0)},
        {"combinations": {("civil_registry",): 1.0}},
        {"invalid_kinds": ["no_such_kind"]},
    ],
)
def test_generate_refuses_bad_arguments(arguments: dict[str, object]) -> None:
    options: dict[str, object] = {"count": 5, **arguments}
    with pytest.raises(ValueError):
        generate(seed=1, **options)  # type: ignore[arg-type]


def test_only_chosen_combinations_are_generated() -> None:
    only: dict[tuple[str, ...], float] = {("civil_registry", "health_insurance"): 1.0}
    dossiers = generate(100, seed=4, combinations=only)
    assert {tuple(d.record["procedures"]) for d in dossiers} == set(only)
    assert all(d.record["residence"] is None for d in dossiers)
