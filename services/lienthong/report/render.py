"""The report as people read it: a table in the terminal, CSV files, and a PNG chart."""

from __future__ import annotations

import csv
from pathlib import Path

from rich.table import Table

from lienthong.hub.satisfaction import REASONS
from lienthong.report import paths, shares
from lienthong.report.figures import ProvinceReport, Punctuality, share

#: Communes shown in the terminal (the CSV has all of them).
TOP_COMMUNES = 10


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _reason(code: str) -> str:
    return REASONS[code][1] if code in REASONS else "no reason given"


def measures(report: ProvinceReport) -> list[tuple[str, str, str]]:
    """(measure, count, share) rows in the order a provincial report gives them."""
    t = report.totals
    rows = [
        ("Dossiers received (hồ sơ tiếp nhận)", f"{t.received:,}", ""),
        ("Settled (đã giải quyết)", f"{t.settled:,}", ""),
        ("  on time or early (đúng hạn, trước hạn)", f"{t.on_time:,}", percent(t.on_time_share)),
        ("Overdue (quá hạn)", f"{t.overdue:,}", ""),
        *((f"  at {agency}", f"{n:,}", "") for agency, n in report.overdue_by_agency.items()),
        ("Still open (đang giải quyết)", f"{report.still_open:,}", ""),
        ("Withdrawn (rút hồ sơ)", f"{report.withdrawn:,}", ""),
        (
            "Satisfied (hài lòng), of answers",
            f"{report.satisfied:,} / {report.answers:,}",
            percent(report.satisfied_share),
        ),
        *(
            (f"  not satisfied: {_reason(code)}", f"{n:,}", percent(share(n, report.answers)))
            for code, n in report.reasons.items()
        ),
        (
            "Deadline cut (rút ngắn), working days applied / statutory",
            f"{report.deadline_days:,} / {report.statutory_days:,}",
            percent(report.cut_share),
        ),
        *paths.measures(report.paths),
        *shares.measures(report.versions, report.decided),
    ]
    return rows


def tables(report: ProvinceReport) -> list[Table]:
    """The measures, the province's deadline decisions, and the best communes."""
    title = f"{report.province_name} ({report.period.province}), {report.period.label}"
    main = Table(title=f"Reform measures: {title}", title_justify="left")
    main.add_column("Measure")
    main.add_column("Count", justify="right")
    main.add_column("Share", justify="right")
    for measure in measures(report):
        main.add_row(*measure)
    out = [main]
    if report.decisions:
        cuts = Table(title="Deadlines cut by the province", title_justify="left")
        for name in ("Decision", "Dossiers", "Statutory days", "Applied days", "Cut"):
            cuts.add_column(name, justify="left" if name == "Decision" else "right")
        for d in report.decisions:
            cut = (d.statutory_days - d.deadline_days) / d.statutory_days
            cuts.add_row(
                d.decision,
                f"{d.dossiers:,}",
                str(d.statutory_days),
                str(d.deadline_days),
                percent(cut),
            )
        out.append(cuts)
    communes = Table(
        title=f"Communes by on-time share (top {TOP_COMMUNES} of {len(report.communes)})",
        title_justify="left",
    )
    for name in ("#", "Commune", "Code", "Received", "Settled", "On time", "Overdue"):
        communes.add_column(name, justify="left" if name in ("Commune", "Code") else "right")
    for rank, row in enumerate(report.communes[:TOP_COMMUNES], 1):
        f = row.figures
        communes.add_row(
            str(rank),
            row.name,
            row.code,
            str(f.received),
            str(f.settled),
            percent(f.on_time_share),
            str(f.overdue),
        )
    out.append(communes)
    return out


def _punctuality(f: Punctuality) -> list[object]:
    share = "" if f.on_time_share is None else f"{f.on_time_share:.4f}"
    return [f.received, f.settled, f.on_time, share, f.overdue]


PUNCTUALITY_COLUMNS = ["received", "settled", "on_time", "on_time_share", "overdue"]


def write_csv(report: ProvinceReport, directory: Path) -> list[Path]:
    """Three UTF-8 CSV files: the measures, the communes ranked, and the months."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = f"{report.period.province}-{report.period.label}"
    files: dict[Path, tuple[list[str], list[list[object]]]] = {
        directory / f"{stem}-measures.csv": (
            ["measure", "count", "share"],
            [[m.strip(), c, s] for m, c, s in measures(report)],
        ),
        directory / f"{stem}-communes.csv": (
            ["rank", "commune_code", "commune", *PUNCTUALITY_COLUMNS],
            [
                [rank, r.code, r.name, *_punctuality(r.figures)]
                for rank, r in enumerate(report.communes, 1)
            ],
        ),
        directory / f"{stem}-months.csv": (
            ["month", *PUNCTUALITY_COLUMNS],
            [
                [f"{report.period.year}-{m.month:02d}", *_punctuality(m.figures)]
                for m in report.months
            ],
        ),
    }
    for path, (header, rows) in files.items():
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)
    return list(files)


def draw_chart(report: ProvinceReport, path: Path) -> Path:
    """On-time share (line) and overdue dossiers (bars) by month of receipt, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    labels = [f"{m.month:02d}" for m in report.months]
    overdue = [m.figures.overdue for m in report.months]
    shares = [
        None if m.figures.on_time_share is None else 100 * m.figures.on_time_share
        for m in report.months
    ]
    fig, bars_axis = plt.subplots(figsize=(9, 4.5), dpi=120)
    try:
        bars_axis.bar(labels, overdue, color="#d9534f", alpha=0.75, label="Overdue dossiers")
        bars_axis.set_ylabel("Overdue dossiers (quá hạn)")
        bars_axis.set_xlabel(f"Month received, {report.period.year}")
        bars_axis.set_ylim(0, max([*overdue, 1]) * 1.25)
        bars_axis.yaxis.set_major_locator(MaxNLocator(integer=True))
        line_axis = bars_axis.twinx()
        line_axis.plot(
            labels,
            [float("nan") if s is None else s for s in shares],
            color="#1a7f37",
            marker="o",
            linewidth=2,
            label="Settled on time or early",
        )
        line_axis.yaxis.set_major_formatter(PercentFormatter(decimals=0))
        known = [s for s in shares if s is not None]
        line_axis.set_ylim(min([*known, 90.0]) - 2, 100.5)
        line_axis.set_ylabel("On time or early (đúng hạn)")
        handles = [
            *bars_axis.get_legend_handles_labels()[0],
            *line_axis.get_legend_handles_labels()[0],
        ]
        line_axis.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
        bars_axis.set_title(f"{report.province_name}: dossiers by month, {report.period.label}")
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path)
    finally:
        plt.close(fig)
    return path
