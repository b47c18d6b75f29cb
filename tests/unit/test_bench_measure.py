"""The benchmark's arithmetic: percentiles, memory growth, /proc parsing, the steady schedule."""

from __future__ import annotations

import math
import os
import time

import pytest

from lienthong.bench.measure import Latencies, growth_share, nearest_rank, rate_of, resident_mib
from lienthong.bench.paced import RateFigures, each_rate, one_per_partition
from lienthong.bench.rss import RssSampler, rss_mib
from lienthong.bench.schedule import Schedule, keep
from lienthong.bench.source import fresh
from lienthong.client.status import partition_of
from lienthong.groups.birth.synthetic import Synthetic, generate

# -- percentiles ---------------------------------------------------------------------------------


def test_nearest_rank_picks_an_observed_value() -> None:
    values = [float(v) for v in range(1, 101)]  # 1..100
    assert nearest_rank(values, 50) == 50.0
    assert nearest_rank(values, 95) == 95.0
    assert nearest_rank(values, 99) == 99.0
    assert nearest_rank(values, 100) == 100.0
    assert nearest_rank([3.0, 1.0, 2.0], 50) == 2.0  # order of arrival does not matter
    assert nearest_rank([7.5], 99) == 7.5


def test_nearest_rank_of_nothing_is_nan_and_bad_percentiles_are_refused() -> None:
    assert math.isnan(nearest_rank([], 50))
    for q in (0, -5, 101):
        with pytest.raises(ValueError, match="percentile"):
            nearest_rank([1.0], q)


def test_unfinished_dossiers_count_as_infinitely_late() -> None:
    # 97 finished in 0.01..0.97 s, 3 never finished: p95 is finite, p99 is not
    seconds: list[float | None] = [i / 100 for i in range(1, 98)] + [None, None, None]
    summary = Latencies.of(seconds)
    assert (summary.published, summary.finished) == (100, 97)
    assert summary.p50 == pytest.approx(0.50)
    assert summary.p95 == pytest.approx(0.95)
    assert summary.p99 is None
    assert summary.mean == pytest.approx(sum(range(1, 98)) / 97 / 100)


def test_latencies_of_a_run_where_nothing_finished() -> None:
    summary = Latencies.of([None, None])
    assert summary == Latencies(2, 0, None, None, None, None)


# -- memory --------------------------------------------------------------------------------------


def test_growth_share_looks_only_at_the_last_fifth() -> None:
    # grows from 100 to 200 MiB over the first 80 s, then flat: the last fifth did not grow
    rising = [(float(t), 100.0 + 100.0 * min(t, 80) / 80) for t in range(0, 101, 5)]
    assert growth_share(rising) == 0.0
    # flat at 100 MiB, then 100 -> 110 over the last 20 s: 10 %
    late = [(float(t), 100.0 + max(0.0, t - 80) / 2) for t in range(0, 101, 5)]
    assert growth_share(late) == pytest.approx(0.10)
    assert growth_share(late, last=0.5) == pytest.approx(0.10)


def test_growth_share_needs_two_samples_and_a_fraction() -> None:
    with pytest.raises(ValueError, match="two samples"):
        growth_share([(0.0, 100.0)])
    with pytest.raises(ValueError, match="between 0 and 1"):
        growth_share([(0.0, 1.0), (1.0, 2.0)], last=1.0)


PROC_STATUS = """Name:\tpython
VmPeak:\t  512000 kB
VmHWM:\t  140000 kB
VmRSS:\t  131072 kB
Threads:\t12
"""


def test_resident_mib_reads_vmrss_not_the_peak() -> None:
    assert resident_mib(PROC_STATUS) == 128.0
    with pytest.raises(ValueError, match="no VmRSS"):
        resident_mib("Name:\tkthreadd\nState:\tS (sleeping)\n")


def test_rss_of_this_process_and_of_one_that_is_gone() -> None:
    mine = rss_mib(os.getpid())
    assert mine is not None and 10 < mine < 10_000
    assert rss_mib(2**22 + 7) is None  # above the kernel's pid limit


def test_the_sampler_records_each_process_over_time() -> None:
    with RssSampler({"me": os.getpid(), "ghost": 2**22 + 7}, interval=0.05) as sampler:
        time.sleep(0.3)
    assert len(sampler.samples) >= 3
    times = [t for t, _ in sampler.samples]
    assert times == sorted(times) and times[0] == 0.0
    assert all("ghost" not in sizes for _, sizes in sampler.samples)
    assert [mib for _, mib in sampler.series("me")] == [s["me"] for _, s in sampler.samples]


# -- the schedule --------------------------------------------------------------------------------


class FakeClock:
    """Time that moves only when slept or when a send takes time."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.now += seconds


def test_schedule_due_times_are_evenly_spaced_from_one_start() -> None:
    schedule = Schedule.for_seconds(40, 30)
    assert schedule.count == 1200
    assert [schedule.due(i) for i in range(3)] == [0.0, 0.025, 0.05]
    assert schedule.seconds == pytest.approx(1199 / 40)
    assert Schedule.for_seconds(0.5, 1).count == 1  # always at least one send


def test_schedule_refuses_a_rate_or_count_that_is_not_positive() -> None:
    with pytest.raises(ValueError, match="rate must be above 0"):
        Schedule(0, 10)
    with pytest.raises(ValueError, match="count must be at least 1"):
        Schedule(10, 0)


def test_keep_sends_on_time_when_sends_are_quick() -> None:
    clock = FakeClock()
    sent_at: list[float] = []
    kept = keep(Schedule(10, 5), lambda i: sent_at.append(clock()), clock, clock.sleep)
    assert [t - 1000.0 for t in sent_at] == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4])
    assert kept.lateness == pytest.approx([0.0] * 5)
    assert rate_of(kept.sent) == pytest.approx(10.0)


def test_keep_catches_up_after_a_slow_send_instead_of_drifting() -> None:
    clock = FakeClock()

    def send(index: int) -> None:
        clock.now += 0.35 if index == 1 else 0.01  # the second send stalls for 350 ms

    kept = keep(Schedule(10, 6), send, clock, clock.sleep)
    # due 0.0 0.1 0.2 0.3 0.4 0.5; send 1 ends at 0.45, so sends 2 and 3 go at once, late
    assert kept.sent == pytest.approx([0.01, 0.45, 0.46, 0.47, 0.48, 0.51])
    assert kept.lateness[2] == pytest.approx(0.26)
    assert kept.lateness[-1] == pytest.approx(0.01)  # back on schedule: no drift
    assert max(kept.lateness) == pytest.approx(0.35)


def test_rate_of_needs_two_distinct_times() -> None:
    assert rate_of([0.0, 0.5, 1.0]) == pytest.approx(2.0)
    assert math.isnan(rate_of([3.0]))
    assert math.isnan(rate_of([1.0, 1.0]))


def figures_at(rate: float, open_dossiers: int) -> RateFigures:
    seconds: list[float | None] = [0.1] * 10 + [None] * open_dossiers
    return RateFigures(rate, rate, 30.0, len(seconds), 10, Latencies.of(seconds), 0.0, 0.0)


def test_rates_run_in_order_until_one_leaves_a_backlog() -> None:
    measured: list[float] = []

    def measure(rate: float) -> RateFigures:
        measured.append(rate)
        return figures_at(rate, open_dossiers=0 if rate < 40 else 3)

    figures, skipped = each_rate([10, 20, 40, 80, 100], measure)
    assert measured == [10, 20, 40]  # 80 and 100 would start behind 40's open dossiers
    assert [f.offered_rate for f in figures] == [10, 20, 40]
    assert skipped == [80, 100]
    assert each_rate([10, 20], measure)[1] == []


def test_warm_up_takes_dossiers_until_every_partition_has_one() -> None:
    ids = [str(s.record["meta"]["dossier_id"]) for s in generate(40, seed=3, live=True)]
    taken = one_per_partition(iter(ids), 4)
    assert {partition_of(i, 4) for i in taken} == {0, 1, 2, 3}
    assert taken == ids[: len(taken)]
    assert {partition_of(i, 4) for i in taken[:-1]} != {0, 1, 2, 3}  # not one more than needed
    assert one_per_partition(iter(ids), 1) == ids[:1]


# -- fresh dossiers ------------------------------------------------------------------------------


def test_fresh_leaves_out_repeated_ids_and_certificates() -> None:
    first = generate(20, seed=5, live=True)
    other = generate(5, seed=6, live=True)
    same_certificate = Synthetic(
        {**other[0].record, "birth_certificate": first[3].record["birth_certificate"]}
    )
    chunks = iter([first, [first[2], same_certificate, *other[1:]]])
    out = [str(s.record["meta"]["dossier_id"]) for s in fresh(chunks)]
    expected = [str(s.record["meta"]["dossier_id"]) for s in (*first, *other[1:])]
    assert out == expected
    assert len(set(out)) == len(out)
