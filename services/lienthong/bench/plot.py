"""PNG plots of written figures: latency against offered rate, RSS over time per process."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure
from matplotlib.ticker import ScalarFormatter

from lienthong.bench.measure import QUANTILES
from lienthong.errors import BenchmarkError

#: Colour per percentile, line style and marker per run.
COLOURS = {50: "tab:blue", 95: "tab:orange", 99: "tab:red"}
STYLES = (("-", "o"), ("--", "s"), (":", "^"), ("-.", "D"))


def latency_points(paced: dict[str, Any]) -> dict[int, list[tuple[float, float]]]:
    """Per percentile, ``(offered rate, ms)`` of one paced run's rates; open ones left out."""
    runs = sorted(paced["runs"], key=lambda r: float(r["offered_rate"]))
    return {
        q: [
            (float(r["offered_rate"]), r["latency_s"][f"p{q}"] * 1000)
            for r in runs
            if r["latency_s"][f"p{q}"] is not None
        ]
        for q in QUANTILES
    }


def open_percentiles(paced: dict[str, Any]) -> list[str]:
    """The percentiles of one paced run no point can show, by rate: ``40/s: p95, p99``."""
    opens = {
        float(r["offered_rate"]): [f"p{q}" for q in QUANTILES if r["latency_s"][f"p{q}"] is None]
        for r in paced["runs"]
    }
    return [f"{r:g}/s: {', '.join(names)}" for r, names in sorted(opens.items()) if names]


def draw_latency(paced: Sequence[dict[str, Any]], path: Path) -> Path:
    """One line per percentile and run: runs on a shared machine are shown apart, not merged."""
    if not any(any(latency_points(f).values()) for f in paced):
        raise BenchmarkError("no paced rate has finite latencies to draw")
    figure = Figure(figsize=(6.4, 4.4), dpi=100)
    axes = figure.subplots()
    notes = []
    for figures, (line, marker) in zip(paced, STYLES * len(paced), strict=False):
        run = f", {figures['when'][11:16]} UTC" if len(paced) > 1 else ""
        for q, series in latency_points(figures).items():
            if series:
                xs, ys = zip(*series, strict=True)
                axes.plot(xs, ys, line, marker=marker, color=COLOURS[q], label=f"p{q}{run}")
        notes += [f"{o}{run}" for o in open_percentiles(figures)]
    axes.set_yscale("log")
    axes.yaxis.set_major_formatter(ScalarFormatter())
    axes.set_xlabel("offered rate (dossiers per second)")
    axes.set_ylabel("publish-to-final latency (ms)")
    axes.set_title(_title("Latency against offered rate", *paced), fontsize="medium")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize="small")
    if notes:
        note = "not final within the drain: " + "; ".join(notes)
        figure.text(0.5, 0.01, note, ha="center", va="bottom", fontsize="small", wrap=True)
    return _save(figure, path, bottom=0.07 if notes else 0.0)


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
    run = soak["run"]
    what = f"RSS, {run['published']:,} dossiers at {run['offered_rate']:g}/s"
    axes.set_title(_title(what, soak), fontsize="medium")
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize="small")
    return _save(figure, path)


def _short(commit: str) -> str:
    """A commit as git shows it (7 hex digits), keeping ``+dirty``."""
    head, plus, dirty = commit.partition("+")
    return head[:7] + plus + dirty


def _title(what: str, *runs: dict[str, Any]) -> str:
    commits = ", ".join(dict.fromkeys(_short(str(r["commit"])) for r in runs))
    return f"{what} ({commits}, {runs[-1]['when'][:10]})"


def _save(figure: Figure, path: Path, bottom: float = 0.0) -> Path:
    """Write the figure (no pyplot: no global state, no window, no backend to choose)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout(rect=(0, bottom, 1, 1))
    figure.savefig(path)
    return path


def draw(runs: Sequence[dict[str, Any]], out_dir: Path) -> list[Path]:
    """The plots these runs allow: ``bench-latency.png`` (paced), ``bench-rss.png`` (a soak)."""
    paced = [r for r in runs if r["mode"] == "paced"]
    soaks = [r for r in runs if r["mode"] == "soak"]
    drawn = []
    if paced:
        drawn.append(draw_latency(paced, out_dir / "bench-latency.png"))
    if soaks:
        drawn.append(draw_rss(soaks[-1], out_dir / "bench-rss.png"))
    return drawn
