"""`lienthong report` (a province's measures) and `lienthong demo-year` (a year to try it on)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from lienthong.domain import units
from lienthong.settings import Settings

console = Console()
#: The two-level map (34 provinces, communes, no districts) took effect on 1 July 2025.
FIRST_YEAR = 2025


def _province(code: str) -> str:
    if units.province_name(code) is None:
        known = ", ".join(units.province_codes())
        raise typer.BadParameter(
            f"{code!r} is not a province code of the 2025 map (two digits, one of {known})"
        )
    return code


def _month(value: int | None) -> int | None:
    if value is not None and not 1 <= value <= 12:
        raise typer.BadParameter(f"a month is 1 to 12, not {value}")
    return value


def _year(value: int) -> int:
    if not FIRST_YEAR <= value <= 9999:
        raise typer.BadParameter(
            f"{value} is outside the two-level map of provinces and communes (from {FIRST_YEAR})"
        )
    return value


Province = Annotated[
    str, typer.Option(help="2-digit province code (2025 map), e.g. 01", callback=_province)
]
Year = Annotated[int, typer.Option(help="Calendar year of receipt", callback=_year)]


def report(
    province: Province,
    year: Year,
    month: Annotated[
        int | None, typer.Option(help="Only this month (1-12)", callback=_month)
    ] = None,
    out: Annotated[Path, typer.Option(help="Folder for the CSV files and the chart")] = Path(
        "reports"
    ),
) -> None:
    """The province's reform measures, replayed from the status topic: table, CSV and chart."""
    from lienthong.report.figures import Period, build_report
    from lienthong.report.render import draw_chart, tables, write_csv
    from lienthong.report.source import replay_status

    with replay_status(Settings()) as replay:
        result = build_report(replay, Period(province, year, month))
    for table in tables(result):
        console.print(table)
    files = write_csv(result, out)
    files.append(draw_chart(result, out / f"{province}-{result.period.label}-chart.png"))
    console.print(f"{replay.read:,} status events read; wrote " + ", ".join(map(str, files)))
    if replay.unreadable:
        console.print(f"[yellow]{len(replay.unreadable)} unreadable messages skipped:[/]")
        for line in replay.unreadable[:10]:
            console.print(f"  {line}")


def demo_year(
    province: Province,
    year: Year,
    dossiers: Annotated[int, typer.Option(min=1, max=200_000, help="Dossiers in the year")] = 2450,
    seed: int = 1,
    cuts: Annotated[
        Path | None, typer.Option(help="Deadline cuts declaration (default: the setting)")
    ] = None,
    late_share: Annotated[float, typer.Option(min=0.0, max=1.0)] = 0.01,
) -> None:
    """Publish a generated year of one province's status events (demo and report trials only)."""
    from lienthong.domain.deadline_cuts import load_cuts
    from lienthong.report.year import Year as GeneratedYear
    from lienthong.report.year import YearShape, publish

    settings = Settings()
    declared = load_cuts(cuts or settings.deadline_cuts_file)
    made = GeneratedYear(
        province,
        year,
        dossiers,
        seed=seed,
        cuts=declared,
        shape=YearShape(late_share=late_share),
    )
    sent = publish(settings, made.status_events())
    console.print(
        f"published {sent:,} status events of {dossiers:,} dossiers to "
        f"{settings.topic('status')}; now: lienthong report --province {province} --year {year}"
    )
