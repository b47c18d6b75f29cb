"""CPU seconds per process from /proc, read from real child processes, and their arithmetic."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from rich.console import Console

from lienthong.bench.cpu import (
    CpuUse,
    broker_pids,
    cpu_seconds,
    cpu_table,
    listener_pid,
    process_cpu,
    readings,
)

#: A child that renames itself awkwardly, burns CPU on each line it is sent and answers with
#: its own user + system seconds as the kernel counts them for it (``os.times``).
BURNER = """
import os, sys, time
with open("/proc/self/comm", "w") as comm:
    comm.write("b) x (y")
print("ready", flush=True)
for line in sys.stdin:
    stop = time.process_time() + float(line)
    while time.process_time() < stop:
        pass
    t = os.times()
    print(t.user + t.system, flush=True)
"""
#: One clock tick of /proc (and ``os.times``) is 1/100 s on Linux; two of slack.
TICKS = 0.02


@contextmanager
def burner() -> Iterator[subprocess.Popen[str]]:
    child = subprocess.Popen(
        [sys.executable, "-c", BURNER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None and child.stdout.readline() == "ready\n"
    try:
        yield child
    finally:
        child.kill()
        child.wait()


def burn(child: subprocess.Popen[str], seconds: float) -> float:
    """Make the child burn ``seconds`` of CPU; what it then says it used in all."""
    assert child.stdin is not None and child.stdout is not None
    child.stdin.write(f"{seconds}\n")
    child.stdin.flush()
    return float(child.stdout.readline())


def test_proc_stat_gives_what_the_kernel_counted_for_the_child() -> None:
    with burner() as child:
        with open(f"/proc/{child.pid}/stat") as stat:
            assert "(b) x (y)" in stat.read()  # the command name that fools a naive split
        own = burn(child, 0.3)
        seen = process_cpu(child.pid)
        assert seen is not None and seen >= 0.3
        assert seen == pytest.approx(own, abs=TICKS)


def test_cpu_use_is_the_difference_of_two_readings_per_thousand_dossiers() -> None:
    with burner() as child, burner() as idle:
        pids = {"worker": child.pid, "idle": idle.pid}
        start = burn(child, 0.05)
        before = readings(pids)
        end = burn(child, 0.25)
        after = readings(pids)
    use = CpuUse.between(before, after, dossiers=250)
    assert use.seconds["worker"] == pytest.approx(end - start, abs=2 * TICKS)
    assert use.seconds["worker"] >= 0.25 - TICKS
    assert use.seconds["idle"] <= TICKS  # it only waited for its input
    assert use.total == pytest.approx(use.seconds["worker"] + use.seconds["idle"])
    # 250 dossiers: per 1,000 is four times as much
    assert use.per_thousand(use.seconds["worker"]) == pytest.approx(4 * use.seconds["worker"])
    assert use.per_thousand(use.total) == pytest.approx(4 * use.total)


def test_a_process_gone_between_readings_is_refused_by_name() -> None:
    with burner() as child:
        before = readings({"hub#0": child.pid})
    assert process_cpu(child.pid) is None  # killed and reaped
    after = readings({"hub#0": child.pid})
    with pytest.raises(ValueError, match="hub#0: not running at both readings"):
        CpuUse.between(before, after, dossiers=10)
    with pytest.raises(ValueError, match="dossiers must be at least 1"):
        CpuUse.between({}, {}, dossiers=0)
    with pytest.raises(ValueError, match="hub#0: CPU went back"):
        CpuUse.between({"hub#0": 2.0}, {"hub#0": 1.0}, dossiers=10)


def test_text_that_is_not_a_stat_line_is_refused() -> None:
    with pytest.raises(ValueError, match="not the text of /proc/<pid>/stat"):
        cpu_seconds("123 (python) S 1 2", 100)


LISTENER = """
import socket, sys
sock = socket.socket(socket.AF_INET6 if sys.argv[1] == "6" else socket.AF_INET)
sock.bind((sys.argv[2], 0))
sock.listen()
print(sock.getsockname()[1], flush=True)
sys.stdin.read()
"""


#: The broker (a JVM) listens on an IPv6 socket with the IPv4 address mapped: a tcp6 entry.
@pytest.mark.parametrize(("family", "host"), [("4", "127.0.0.1"), ("6", "::ffff:127.0.0.1")])
def test_the_process_listening_on_a_port_is_found(family: str, host: str) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", LISTENER, family, host],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        port = int(child.stdout.readline())
        assert listener_pid(port) == child.pid
        if family == "4":
            assert broker_pids(f"{host}:{port}, example.test:9092") == {
                f"broker {host}:{port}": child.pid
            }
    finally:
        child.kill()
        child.wait()
    assert listener_pid(port) is None


def test_the_cpu_table_has_each_process_the_total_and_the_bench_apart() -> None:
    use = CpuUse(dossiers=500, seconds={"hub#0": 2.0, "broker 127.0.0.1:19092": 3.5})
    console = Console(width=120, record=True, file=io.StringIO())
    console.print(cpu_table(use, own=0.75))
    text = console.export_text()
    assert "│ hub#0 " in text and "│  2.00 │" in text and "4.00 │" in text
    assert "│ broker 127.0.0.1:19092 " in text and "7.00 │" in text
    total = next(line for line in text.splitlines() if line.startswith("│ total "))
    assert "5.50" in total and "11.00" in total
    assert "bench (load generator, not in the total)" in text and "0.75" in text
