"""``make bench``: burst, paced and soak modes against the four deployables on the local broker.

    burst   N dossiers published at once; end-to-end rate against the raw broker with two stock
            clients (burst.py, raw.py); messages by topic, changelogs and offset commits
            included (tally.py); CPU seconds per process, the broker's included (cpu.py)
    paced   dossiers at fixed rates; publish-to-final p50/p95/p99 per rate (paced.py)
    soak    a long run at one rate; each worker's RSS over time (paced.py, rss.py)
    restart each deployable's worker killed and started again under load; how soon it is back
            (restart.py)

Each mode prints a table and writes ``bench-results/<mode>-<time>.json`` (results.py);
``--plot`` draws PNGs of what was measured (plot.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from lienthong.bench import env, plot, report, results
from lienthong.bench.burst import run_burst
from lienthong.bench.paced import paced, soak
from lienthong.bench.restart import restart
from lienthong.errors import BenchmarkError
from lienthong.settings import Settings

#: Restart mode's load when no --rate is given: dossiers a second.
RESTART_RATE = 10.0


@dataclass(frozen=True)
class Request:
    """What ``lienthong bench`` was asked to do (its options, checked)."""

    dossiers: int = 1000
    rates: tuple[float, ...] = ()
    seconds: float = 30.0
    soak: bool = False
    count: int = 100_000
    drain: float = 60.0
    seed: int = 1
    plot: bool = False
    replot: tuple[Path, ...] = ()
    out_dir: Path = Path("bench-results")
    restart: bool = False
    #: Leave the run's topics on the broker (they are deleted after the run otherwise).
    keep_topics: bool = False

    @property
    def mode(self) -> str:
        """``burst`` unless a rate is given (``paced``) or ``--soak``; ``replot`` only draws."""
        if self.replot:
            return "replot"
        if self.restart:
            if len(self.rates) > 1:
                raise BenchmarkError("--restart takes one rate: --rate R (default 10 a second)")
            return "restart"
        if self.soak:
            if len(self.rates) != 1:
                raise BenchmarkError("--soak needs exactly one rate: --rate R (dossiers a second)")
            return "soak"
        return "paced" if self.rates else "burst"


def parse_rates(rate: float | None, rates: str | None) -> tuple[float, ...]:
    """The offered rates from ``--rate R`` or ``--rates R1,R2,...`` (dossiers per second)."""
    if rate is not None and rates is not None:
        raise BenchmarkError("give either --rate or --rates, not both")
    if rates is None:
        return () if rate is None else (_positive(f"{rate:g}", "--rate"),)
    return tuple(_positive(part, "--rates") for part in rates.split(","))


def _positive(text: str, option: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise BenchmarkError(
            f"{option}: {text.strip()!r} is not a rate; give dossiers per second above 0"
            + (", separated by commas (e.g. 10,50,100)" if option == "--rates" else "")
        )
    return value


def run(base: Settings, request: Request, console: Console) -> int:
    """Run the requested mode; 0 when every published dossier became final."""
    mode = request.mode
    if mode == "replot":
        return _draw([results.read(p) for p in request.replot], request.out_dir, console)
    if mode == "burst":
        if request.plot:
            console.print("a burst has nothing to plot: --plot draws paced and soak runs")
        return run_burst(
            base,
            dossiers=request.dossiers,
            out_dir=request.out_dir,
            console=console,
            keep_topics=request.keep_topics,
        )
    stamp = results.stamp()  # the commit that runs, even if the checkout moves on meanwhile
    topics = env.own_topics(base, console, keep=request.keep_topics)
    with topics as settings, env.stack(settings) as stack:
        if mode == "soak":
            figures = soak(
                settings, stack, request.count, request.rates[0], request.seed, request.drain
            )
        elif mode == "restart":
            rate = request.rates[0] if request.rates else RESTART_RATE
            figures = restart(settings, stack, rate, request.seed, request.drain)
        else:
            figures = paced(
                settings, list(request.rates), request.seconds, request.seed, request.drain
            )
    figures = {**stamp, **figures}
    tables = {"soak": report.soak_table, "restart": report.restart_table}
    console.print(tables.get(mode, report.paced_table)(figures))
    written = results.write(mode, figures, request.out_dir)
    console.print(f"figures written to {written}")
    if mode == "restart":
        back = all(r["back_after_s"] is not None for r in figures["restarts"])
        return 0 if back and figures["finished"] == figures["published"] else 1
    if request.plot:
        _draw([results.read(written)], request.out_dir, console)
    runs = [figures["run"]] if mode == "soak" else figures["runs"]
    return 0 if all(r["finished"] == r["published"] for r in runs) else 1


def _draw(runs: list[dict[str, object]], out_dir: Path, console: Console) -> int:
    for path in plot.draw(runs, out_dir):
        console.print(f"plot drawn: {path}")
    return 0
