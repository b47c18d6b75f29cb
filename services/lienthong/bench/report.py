"""Short tables of the paced and soak modes' figures, as written to their JSON."""

from __future__ import annotations

from typing import Any

from rich.table import Table


def seconds(value: float | None) -> str:
    """A latency for a table: milliseconds below a second; ``open`` when never final."""
    if value is None:
        return "open"
    if value < 1:
        return f"{value * 1000:.0f} ms"
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def _mib(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f} MiB"


def _warm_up(figures: dict[str, Any]) -> str:
    warm = figures["warm_up_s"]
    return "warm-up: never final" if warm is None else f"warm-up {warm:.1f} s"


def _skipped(figures: dict[str, Any]) -> str:
    skipped = figures.get("skipped_rates") or []
    if not skipped:
        return ""
    rates = ", ".join(f"{r:g}/s" for r in skipped)
    return f"; not run: {rates} (the last rate left dossiers open, a backlog for the next)"


def paced_table(figures: dict[str, Any]) -> Table:
    table = Table(
        title=f"Paced: {figures['seconds']:.0f} s at each rate, publish-to-final latency",
        caption=f"{_warm_up(figures)}; drain up to {figures['drain']:.0f} s after each rate; "
        "open: not final by then (counted as infinitely late)" + _skipped(figures),
    )
    for name in ("offered /s", "achieved /s", "finished", "p50", "p95", "p99", "late sends p99"):
        table.add_column(name, justify="right")
    for run in figures["runs"]:
        latency = run["latency_s"]
        table.add_row(
            f"{run['offered_rate']:g}",
            f"{run['achieved_rate']:.1f}",
            f"{run['finished']} / {run['published']}",
            seconds(latency["p50"]),
            seconds(latency["p95"]),
            seconds(latency["p99"]),
            seconds(run["late_p99_s"]),
        )
    return table


def soak_table(figures: dict[str, Any]) -> Table:
    run = figures["run"]
    latency = run["latency_s"]
    table = Table(
        title=f"Soak: {run['published']} dossiers at {run['offered_rate']:g}/s "
        f"(achieved {run['achieved_rate']:.1f}/s), {run['finished']} final",
        caption=f"latency p50 / p95 / p99: {seconds(latency['p50'])} / "
        f"{seconds(latency['p95'])} / {seconds(latency['p99'])}; {_warm_up(figures)}",
    )
    for name in ("process", "first RSS", "peak RSS", "last RSS", "growth, last fifth"):
        table.add_column(name, justify="right")
    for label, memory in figures["processes"].items():
        growth = memory["last_fifth_growth"]
        table.add_row(
            label,
            *(_mib(memory[k]) for k in ("first_mib", "peak_mib", "last_mib")),
            "n/a" if growth is None else f"{growth:+.1%}",
        )
    return table


def restart_table(figures: dict[str, Any]) -> Table:
    table = Table(
        title=f"Restart: each worker killed (SIGKILL) and started again at "
        f"{figures['rate']:g} dossiers/s",
        caption=f"back: seconds from the kill to its first output; the group drops a dead "
        f"worker after {figures['session_timeout_s']:g} s; {figures['finished']} / "
        f"{figures['published']} dossiers final; {_warm_up(figures)}",
    )
    table.add_column("deployable")
    table.add_column("back after", justify="right")
    for row in figures["restarts"]:
        back = row["back_after_s"]
        table.add_row(row["deployable"], "never" if back is None else f"{back:.1f} s")
    return table
