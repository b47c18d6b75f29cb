"""PNG plots of written figures: latency against offered rate, RSS over time per process."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure
from matplotlib.ticker import ScalarFormatter

from lienthong.bench.measure import QUANTILES
from lienthong.errors import BenchmarkError


def _by_rate(paced: Sequence[dict[str, Any]]) -> dict[float, dict[str, Any]]:
    """The latencies of each offered rate; a rate measured twice keeps the later figure."""
    by_rate: dict[float, dict[str, Any]] = {}
    for figures in paced:
        for run in figures["runs"]:
            by_rate[float(run["offered_rate"])] = run["latency_s"]
    return dict(sorted(by_rate.items()))


def latency_points(paced: Sequence[dict[str, Any]]) -> dict[int, list[tuple[float, float]]]:
    """Per percentile, ``(offered rate, ms)`` of each rate, by rate; open ones left out."""
    return {
        q: [
            (r, lat[f"p{q}"] * 1000)
            for r, lat in _by_rate(paced).items()
            if lat[f"p{q}"] is not None
        ]
        for q in QUANTILES
    }


def open_percentiles(paced: Sequence[dict[str, Any]]) -> list[str]:
    """The percentiles no plot point can show, by rate: ``40/s: p95, p99``."""
    opens = {
        r: [f"p{q}" for q in QUANTILES if lat[f"p{q}"] is None]
        for r, lat in _by_rate(paced).items()
    }
    return [f"{r:g}/s: {', '.join(names)}" for r, names in opens.items() if names]


def draw_latency(paced: Sequence[dict[str, Any]], path: Path) -> Path:
    points = latency_points(paced)
    if not any(points.values()):
        raise BenchmarkError("no paced rate has finite latencies to draw")
    figure = Figure(figsize=(6.4, 4.0), dpi=100)
    axes = figure.subplots()
    for q, series in points.items():
        if series:
            axes.plot(*zip(*series, strict=True), marker="o", label=f"p{q}")
    axes.set_yscale("log")
    axes.yaxis.set_major_formatter(ScalarFormatter())
    axes.set_xlabel("offered rate (dossiers per second)")
    axes.set_ylabel("publish-to-final latency (ms)")
    axes.set_title(_title("Latency against offered rate", paced[-1]))
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    opens = open_percentiles(paced)
    if opens:
        note = "not final within the drain: " + "; ".join(opens)
        figure.text(0.5, 0.01, note, ha="center", va="bottom", fontsize="small")
    return _save(figure, path, bottom=0.05 if opens else 0.0)


def draw_rss(soak: dict[str, Any], path: Path) -> Path:
    samples: list[tuple[float, dict[str, float]]] = soak["rss_samples"]
    if len(samples) < 2:
        raise BenchmarkError("the soak has fewer than two RSS samples to draw")
    figure = Figure(figsize=(6.4, 4.0), dpi=100)
    axes = figure.subplots()
    for label in soak["processes"]:
        series = [(t, m[label]) for t, m in samples if label in m]
        if series:
            axes.plot(*zip(*series, strict=True), label=label)
    publishing = soak["run"]["seconds"]
    axes.axvspan(0.8 * publishing, publishing, alpha=0.12, label="last fifth")
    axes.set_xlabel("seconds since the soak's first dossier")
    axes.set_ylabel("RSS (MiB)")
    axes.set_ylim(bottom=0)
    axes.set_title(
        _title(
            f"RSS, {soak['run']['published']:,} dossiers at {soak['run']['offered_rate']:g}/s", soak
        )
    )
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize="small")
    return _save(figure, path)


def _title(what: str, figures: dict[str, Any]) -> str:
    return f"{what} ({figures['commit']}, {figures['when'][:10]})"


def _save(figure: Figure, path: Path, bottom: float = 0.0) -> Path:
    """Write the figure (no pyplot: no global state, no window, no backend to choose)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout(rect=(0, bottom, 1, 1))
    figure.savefig(path)
    return path


def draw(runs: Sequence[dict[str, Any]], out_dir: Path) -> list[Path]:
    """The plots these runs allow: ``latency.png`` from paced runs, ``rss.png`` from a soak."""
    paced = [r for r in runs if r["mode"] == "paced"]
    soaks = [r for r in runs if r["mode"] == "soak"]
    drawn = []
    if paced:
        drawn.append(draw_latency(paced, out_dir / "latency.png"))
    if soaks:
        drawn.append(draw_rss(soaks[-1], out_dir / "rss.png"))
    return drawn
