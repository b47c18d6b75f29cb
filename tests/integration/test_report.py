"""`lienthong report` on a generated year replayed from a real status topic.

The year is driven through the hub's own decisions (late agencies, refusals, dissatisfied
answers, a deadline cut effective on 1 July). Every figure of the report is checked against a
count made here from the year's plans, not from the events the report reads.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from kafka import KafkaProducer
from PIL import Image
from typer.testing import CliRunner

from lienthong.cli import app
from lienthong.domain import units
from lienthong.domain.calendar import WorkingCalendar
from lienthong.domain.deadline_cuts import parse_cuts
from lienthong.groups.birth.declaration import GROUP as BIRTH
from lienthong.hub.satisfaction import REASONS
from lienthong.report.year import Plan, Year, YearShape, publish
from lienthong.settings import Settings

pytestmark = pytest.mark.broker
CALENDAR = WorkingCalendar()
PROVINCE, YEAR = "01", 2026
DECISION = "15/2026/QĐ-UBND"
EFFECTIVE = dt.date(YEAR, 7, 1)
CUTS = parse_cuts(
    {
        "decisions": [
            {
                "province": PROVINCE,
                "group": "birth",
                "step": "whole",
                "decision": DECISION,
                "effective": EFFECTIVE,
                "days": 2,
            }
        ]
    }
)
#: Enough late, refused and dissatisfied dossiers that every figure has something to count.
SHAPE = YearShape(late_share=0.06, refused_share=0.05, answer_share=0.7, dissatisfied_share=0.05)


@dataclass(frozen=True)
class Replayed:
    plans: list[Plan]
    out: Path
    printed: str
    prefix: str


def run_report(prefix: str, out: Path, *options: str) -> str:
    result = CliRunner().invoke(
        app,
        ["report", "--province", PROVINCE, "--year", str(YEAR), "--out", str(out), *options],
        env={"LIENTHONG_TOPIC_PREFIX": prefix, "COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    return result.output


def received_on(plan: Plan) -> dt.date:
    return CALENDAR.received_on(plan.submitted_at)


def share(part: int, whole: int) -> str:
    return f"{part / whole:.4f}" if whole else ""


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def replayed(broker: Settings, tmp_path_factory: pytest.TempPathFactory) -> Replayed:
    """A year of province 01, plus noise the report must leave out, on a fresh status topic."""
    settings = broker.model_copy(update={"topic_prefix": f"report{dt.datetime.now():%H%M%S%f}"})
    year = Year(PROVINCE, YEAR, 490, seed=16, cuts=CUTS, shape=SHAPE)
    elsewhere = Year("79", YEAR, 60, seed=17, cuts=CUTS, shape=SHAPE)
    next_year = Year(PROVINCE, YEAR + 1, 30, seed=18, cuts=CUTS, shape=SHAPE)
    events = list(year.status_events())
    # a redelivered stretch of the topic: the report must count each event once
    publish(settings, [*events, *events[:300], *elsewhere.status_events()])
    publish(settings, next_year.status_events())
    producer = KafkaProducer(bootstrap_servers=settings.bootstrap_servers)
    producer.send(settings.topic("status"), key=b"junk", value=b"not avro at all")
    producer.flush()
    producer.close()
    out = tmp_path_factory.mktemp("report")
    printed = run_report(settings.topic_prefix, out)
    plans = [p for p in year.plans if received_on(p).year == YEAR]
    assert 450 <= len(plans) <= 490
    return Replayed(plans, out, printed, settings.topic_prefix)


def test_the_measures_match_a_count_of_the_plans(replayed: Replayed) -> None:
    plans, out, printed = replayed.plans, replayed.out, replayed.printed
    late = [p for p in plans if p.late_step]
    answered = [p for p in plans if p.satisfied is not None]
    happy = [p for p in answered if p.satisfied]
    statutory = [5 if p.verification else 3 for p in plans]
    applied = [
        2 if not p.verification and received_on(p) >= EFFECTIVE else law
        for p, law in zip(plans, statutory, strict=True)
    ]
    by_agency = Counter(BIRTH.steps[p.late_step].agency for p in late if p.late_step)
    assert late and len(happy) < len(answered) and sum(applied) < sum(statutory)
    assert any(p.refused_step for p in plans)

    measures = {r["measure"]: (r["count"], r["share"]) for r in rows(out / "01-2026-measures.csv")}
    on_time = len(plans) - len(late)
    assert measures["Dossiers received (hồ sơ tiếp nhận)"] == (f"{len(plans):,}", "")
    assert measures["Settled (đã giải quyết)"] == (f"{len(plans):,}", "")
    assert measures["on time or early (đúng hạn, trước hạn)"] == (
        f"{on_time:,}",
        f"{on_time / len(plans):.1%}",
    )
    assert measures["Overdue (quá hạn)"] == (f"{len(late):,}", "")
    for agency, n in by_agency.items():
        assert measures[f"at {agency}"] == (f"{n:,}", "")
    assert sum(1 for m in measures if m.startswith("at ")) == len(by_agency)
    assert measures["Satisfied (hài lòng), of answers"] == (
        f"{len(happy):,} / {len(answered):,}",
        f"{len(happy) / len(answered):.1%}",
    )
    unhappy = Counter(p.reason for p in answered if not p.satisfied)
    for reason, n in unhappy.items():
        label = REASONS[reason][1] if reason else "no reason given"
        assert measures[f"not satisfied: {label}"] == (f"{n:,}", f"{n / len(answered):.1%}")
    assert sum(1 for m in measures if m.startswith("not satisfied: ")) == len(unhappy)
    cut = (sum(statutory) - sum(applied)) / sum(statutory)
    assert measures["Deadline cut (rút ngắn), working days applied / statutory"] == (
        f"{sum(applied):,} / {sum(statutory):,}",
        f"{cut:.1%}",
    )
    assert f"{on_time / len(plans):.1%}" in printed and DECISION in printed
    assert "1 unreadable messages skipped" in printed


def test_communes_are_ranked_by_their_on_time_share(
    replayed: Replayed,
) -> None:
    plans, out = replayed.plans, replayed.out
    expected = {}
    for code in {p.commune for p in plans}:
        mine = [p for p in plans if p.commune == code]
        ok = sum(1 for p in mine if not p.late_step)
        assert units.commune_in_province(code, PROVINCE)
        expected[code] = [str(len(mine)), str(len(mine)), str(ok), share(ok, len(mine))]
    ranked = rows(out / "01-2026-communes.csv")
    got = {
        r["commune_code"]: [r["received"], r["settled"], r["on_time"], r["on_time_share"]]
        for r in ranked
    }
    assert got == expected
    order = sorted(expected, key=lambda c: (-float(expected[c][3]), -int(expected[c][1]), c))
    assert [r["commune_code"] for r in ranked] == order
    assert [r["rank"] for r in ranked] == [str(i) for i in range(1, len(ranked) + 1)]


def test_the_months_and_the_chart(replayed: Replayed) -> None:
    plans, out = replayed.plans, replayed.out
    months = rows(out / "01-2026-months.csv")
    assert [m["month"] for m in months] == [f"2026-{m:02d}" for m in range(1, 13)]
    for row in months:
        mine = [p for p in plans if f"{received_on(p):%Y-%m}" == row["month"]]
        late = sum(1 for p in mine if p.late_step)
        ok = len(mine) - late
        assert [row["received"], row["on_time"], row["on_time_share"], row["overdue"]] == [
            str(len(mine)),
            str(ok),
            share(ok, len(mine)),
            str(late),
        ]
    with Image.open(out / "01-2026-chart.png") as chart:
        assert chart.format == "PNG" and chart.size[0] > 800


def test_one_month_holds_only_the_dossiers_received_in_it(
    replayed: Replayed, tmp_path: Path
) -> None:
    run_report(replayed.prefix, tmp_path, "--month", "7")
    july = [p for p in replayed.plans if received_on(p).month == 7]
    late = sum(1 for p in july if p.late_step)
    (row,) = rows(tmp_path / "01-2026-07-months.csv")
    assert [row["month"], row["received"], row["overdue"]] == ["2026-07", str(len(july)), str(late)]
    measures = {r["measure"]: r["count"] for r in rows(tmp_path / "01-2026-07-measures.csv")}
    assert measures["Dossiers received (hồ sơ tiếp nhận)"] == f"{len(july):,}"
    # every July dossier is held to the cut deadline unless it needed verification
    plain = [p for p in july if not p.verification]
    cut = "Deadline cut (rút ngắn), working days applied / statutory"
    applied = 2 * len(plain) + 5 * (len(july) - len(plain))
    assert measures[cut] == f"{applied:,} / {3 * len(plain) + 5 * (len(july) - len(plain)):,}"


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (["--province", "00", "--year", "2026"], "not a province code of the 2025 map"),
        (["--province", "01", "--year", "2026", "--month", "13"], "a month is 1 to 12"),
        (["--province", "01", "--year", "2019"], "outside the two-level map"),
    ],
)
def test_bad_options_are_named_with_their_rule(options: list[str], words: str) -> None:
    result = CliRunner().invoke(app, ["report", *options], env={"COLUMNS": "200"})
    assert result.exit_code == 2 and words in result.output
