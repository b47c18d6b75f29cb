"""The benchmark's options, JSON files, tables and plots (no broker: figures are made up here)."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from lienthong import __version__
from lienthong.bench import Request, parse_rates, plot, report, results
from lienthong.cli import app
from lienthong.errors import BenchmarkError
from lienthong.settings import SOURCE_ROOT

PNG = b"\x89PNG\r\n\x1a\n"


def latency(p50: float | None, p95: float | None, p99: float | None) -> dict[str, Any]:
    return {"published": 100, "finished": 99, "p50": p50, "p95": p95, "p99": p99, "mean": p50}


def rate_run(rate: float, lat: dict[str, Any]) -> dict[str, Any]:
    return {
        "offered_rate": rate,
        "achieved_rate": rate * 0.99,
        "seconds": 30.0,
        "published": 100,
        "finished": 99,
        "latency_s": lat,
        "late_p99_s": 0.004,
        "late_max_s": 0.02,
    }


STAMP = {"when": "2026-12-02T09:30:00+00:00", "commit": "abc123", "machine": "x86_64"}
PACED: dict[str, Any] = {
    **STAMP,
    "seconds": 30.0,
    "drain": 60.0,
    "warm_up_s": 2.5,
    "runs": [
        rate_run(10, latency(0.135, 0.248, 0.303)),
        rate_run(40, latency(6.4, 12.0, None)),
    ],
}
SOAK: dict[str, Any] = {
    **STAMP,
    "count": 5000,
    "drain": 60.0,
    "warm_up_s": None,
    "run": rate_run(40, latency(0.2, 0.4, 0.9)),
    "processes": {
        "hub#0": {
            "first_mib": 100.0,
            "peak_mib": 150.0,
            "last_mib": 149.0,
            "last_fifth_growth": 0.031,
        },
        "residence#0": {
            "first_mib": 90.0,
            "peak_mib": 91.0,
            "last_mib": 91.0,
            "last_fifth_growth": None,
        },
    },
    "rss_interval_s": 1.0,
    "rss_samples": [[float(t), {"hub#0": 100.0 + t / 3, "residence#0": 90.0}] for t in range(31)],
}


def text_of(table: Any) -> str:
    console = Console(width=160, record=True)
    console.print(table)
    return " ".join(console.export_text().split())  # captions wrap


# -- options -------------------------------------------------------------------------------------


def test_the_mode_follows_the_options() -> None:
    assert Request().mode == "burst"
    assert Request(rates=(10.0, 50.0)).mode == "paced"
    assert Request(rates=(40.0,), soak=True).mode == "soak"
    assert Request(replot=(Path("x.json"),), rates=(10.0,)).mode == "replot"
    with pytest.raises(BenchmarkError, match="--soak needs exactly one rate"):
        _ = Request(soak=True).mode
    assert Request(restart=True).mode == "restart"
    assert Request(restart=True, rates=(20.0,)).mode == "restart"
    with pytest.raises(BenchmarkError, match="--restart takes one rate"):
        _ = Request(restart=True, rates=(10.0, 20.0)).mode


def test_rates_are_read_from_either_option() -> None:
    assert parse_rates(None, None) == ()
    assert parse_rates(25.0, None) == (25.0,)
    assert parse_rates(None, "10, 50,100") == (10.0, 50.0, 100.0)
    with pytest.raises(BenchmarkError, match="either --rate or --rates"):
        parse_rates(10.0, "10")
    with pytest.raises(BenchmarkError, match=r"^--rate: '0' is not a rate; .* above 0$"):
        parse_rates(0.0, None)


@pytest.mark.parametrize("bad", ["10,fast", "10,,20", "0", "-5", "nan"])
def test_a_bad_rate_is_named_with_the_rule(bad: str) -> None:
    with pytest.raises(
        BenchmarkError, match=r"--rates: .* is not a rate; give dossiers per second"
    ):
        parse_rates(None, bad)


def test_the_command_refuses_a_bad_rate_before_touching_kafka() -> None:
    result = CliRunner().invoke(app, ["bench", "--rates", "10,fast"])
    assert result.exit_code != 0
    assert isinstance(result.exception, BenchmarkError)
    assert "'fast' is not a rate" in str(result.exception)


# -- JSON ----------------------------------------------------------------------------------------


def test_each_run_writes_a_stamped_file_and_a_latest_copy(tmp_path: Path) -> None:
    written = results.write("paced", PACED, tmp_path)
    assert written.name == "paced-2026-12-02T093000Z.json"
    assert json.loads(written.read_text()) == {"mode": "paced", **PACED}
    assert (tmp_path / "paced-latest.json").read_text() == written.read_text()
    assert results.read(written)["runs"][1]["latency_s"]["p99"] is None


def test_reading_a_file_that_is_not_a_benchmark_says_so(tmp_path: Path) -> None:
    other = tmp_path / "other.json"
    other.write_text('{"name": "not a run"}')
    with pytest.raises(BenchmarkError, match=r"other\.json is not a benchmark result"):
        results.read(other)
    with pytest.raises(BenchmarkError, match="cannot read benchmark figures"):
        results.read(tmp_path / "missing.json")
    with pytest.raises(ValueError, match="mode must be one of burst, paced, soak"):
        results.write("sprint", PACED, tmp_path)


def test_the_stamp_names_time_and_commit() -> None:
    stamp = results.stamp()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", stamp["when"])
    assert re.fullmatch(r"[0-9a-f]{12}(\+dirty)?|unknown", stamp["commit"])
    assert stamp["version"] == __version__


# -- tables --------------------------------------------------------------------------------------


def test_the_paced_table_shows_each_rate_and_open_percentiles() -> None:
    text = text_of(report.paced_table(PACED))
    assert re.search(r"10 .* 9\.9 .* 99 / 100 .* 135 ms .* 248 ms .* 303 ms .* 4 ms", text)
    assert re.search(r"40 .* 39\.6 .* 6\.40 s .* 12\.0 s .* open", text)
    assert "warm-up 2.5 s" in text
    assert "not run" not in text
    skipped = text_of(report.paced_table({**PACED, "skipped_rates": [80.0, 100.0]}))
    assert "not run: 80/s, 100/s (the last rate left dossiers open" in skipped


def test_the_soak_table_shows_memory_and_its_growth() -> None:
    text = text_of(report.soak_table(SOAK))
    assert re.search(r"hub#0 .* 100 MiB .* 150 MiB .* 149 MiB .* \+3\.1%", text)
    assert re.search(r"residence#0 .* 90 MiB .* 91 MiB .* 91 MiB .* n/a", text)
    assert "warm-up: never final" in text


def test_the_restart_table_shows_when_each_worker_was_back() -> None:
    figures = {
        "rate": 10.0,
        "warm_up_s": 3.0,
        "steady_s": 8.0,
        "session_timeout_s": 10.0,
        "restarts": [
            {"deployable": "hub", "back_after_s": 12.34},
            {"deployable": "residence", "back_after_s": None},
        ],
        "published": 900,
        "finished": 899,
    }
    text = text_of(report.restart_table(figures))
    assert re.search(r"hub .* 12\.3 s", text)
    assert re.search(r"residence .* never", text)
    assert "899 / 900 dossiers final" in text
    assert "after 10 s" in text


# -- plots ---------------------------------------------------------------------------------------


def test_latency_points_leave_out_open_percentiles() -> None:
    points = plot.latency_points(PACED)
    assert points[50] == [(10.0, 135.0), (40.0, 6400.0)]
    assert points[99] == [(10.0, 303.0)]
    assert plot.open_percentiles(PACED) == ["40/s: p99"]
    assert plot.open_percentiles({**PACED, "runs": PACED["runs"][:1]}) == []


def test_the_plots_are_drawn_from_runs_as_read_back(tmp_path: Path) -> None:
    runs = [
        results.read(results.write(m, f, tmp_path)) for m, f in (("paced", PACED), ("soak", SOAK))
    ]
    drawn = plot.draw(runs, tmp_path / "plots")
    assert [p.name for p in drawn] == ["bench-latency.png", "bench-rss.png"]
    for path in drawn:
        assert path.read_bytes().startswith(PNG) and path.stat().st_size > 10_000


def test_nothing_finite_to_draw_is_an_error() -> None:
    nothing = {**PACED, "runs": [rate_run(50, latency(None, None, None))]}
    assert plot.open_percentiles(nothing) == ["50/s: p50, p95, p99"]
    with pytest.raises(BenchmarkError, match="no paced rate has finite latencies"):
        plot.draw([{"mode": "paced", **nothing}], Path("unused"))


def test_the_command_redraws_from_earlier_json_without_kafka(tmp_path: Path) -> None:
    soak = results.write("soak", SOAK, tmp_path)
    out = tmp_path / "docs"
    result = CliRunner().invoke(app, ["bench", "--replot", str(soak), "--out-dir", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "bench-rss.png").read_bytes().startswith(PNG)
    assert not (out / "bench-latency.png").exists()


def test_the_documented_bench_commands_are_valid_options() -> None:
    page = SOURCE_ROOT / "docs" / "benchmarks" / "index.md"
    section = page.read_text(encoding="utf-8").split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.DOTALL)
    assert block, "the benchmarks page has a bash block before its first section"
    lines = [line.split("#")[0].strip() for line in block.group(1).splitlines()]
    commands = [
        shlex.split(shlex.split(line.split("BENCH_ARGS=", 1)[1])[0])
        if "BENCH_ARGS=" in line
        else []
        for line in lines
        if line.startswith("make bench")
    ] + [shlex.split(line)[2:] for line in lines if line.startswith("lienthong bench")]
    assert len(commands) == 7
    bench = typer.main.get_command(app).commands["bench"]  # type: ignore[attr-defined]
    for args in commands:
        bench.make_context("bench", list(args))  # raises on an unknown or malformed option
