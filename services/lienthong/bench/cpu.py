"""CPU seconds (user + system) of the stack's processes and the broker over a burst, from /proc."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from rich.table import Table

#: ``/proc/net`` tables of sockets; state ``0A`` is LISTEN.
SOCKET_TABLES = ("tcp", "tcp6")
LISTEN = "0A"
#: The measure is per this many dossiers.
PER = 1000


def cpu_seconds(proc_stat: str, ticks_per_second: int) -> float:
    """User plus system CPU seconds of a process (every thread), from ``/proc/<pid>/stat``.

    The command name (field 2) may hold spaces and parentheses, so the fields are counted
    after its last ``)``: there ``utime`` and ``stime`` are the 12th and 13th.
    """
    try:
        fields = proc_stat.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / ticks_per_second
    except (IndexError, ValueError) as exc:
        raise ValueError(f"not the text of /proc/<pid>/stat: {proc_stat[:60]!r}") from exc


def process_cpu(pid: int) -> float | None:
    """The process's CPU seconds so far; ``None`` when it no longer runs."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return cpu_seconds(text, os.sysconf("SC_CLK_TCK"))


def readings(pids: Mapping[str, int]) -> dict[str, float | None]:
    """CPU seconds so far of each process in ``pids`` (label -> pid)."""
    return {label: process_cpu(pid) for label, pid in pids.items()}


def _listening_inodes(port: int, net: Path) -> Iterator[str]:
    for name in SOCKET_TABLES:
        try:
            lines = (net / name).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == LISTEN and int(fields[1].rsplit(":", 1)[1], 16) == port:
                yield fields[9]


def listener_pid(port: int, proc: Path = Path("/proc")) -> int | None:
    """The process listening on TCP ``port`` here, or ``None`` (none, or not ours to see).

    A shared broker that another checkout started has no pid file here: its listening socket
    is how it is found.
    """
    sockets = {f"socket:[{inode}]" for inode in _listening_inodes(port, proc / "net")}
    if not sockets:
        return None
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            links = {os.readlink(fd) for fd in (entry / "fd").iterdir()}
        except OSError:  # gone meanwhile, or another user's
            continue
        if links & sockets:
            return int(entry.name)
    return None


def broker_pids(bootstrap_servers: str) -> dict[str, int]:
    """``broker <host:port>`` -> pid for each bootstrap server that listens on this machine."""
    found: dict[str, int] = {}
    for address in bootstrap_servers.split(","):
        host, _, port = address.strip().rpartition(":")
        if host in ("127.0.0.1", "localhost", "::1", "[::1]") and port.isdigit():
            pid = listener_pid(int(port))
            if pid is not None:
                found[f"broker {address.strip()}"] = pid
    return found


@dataclass(frozen=True)
class CpuUse:
    """CPU seconds each process spent between two readings, and per ``PER`` dossiers."""

    dossiers: int
    seconds: dict[str, float]

    @classmethod
    def between(
        cls, before: Mapping[str, float | None], after: Mapping[str, float | None], dossiers: int
    ) -> CpuUse:
        """The difference of two readings; a process that was not running at both is refused."""
        if dossiers < 1:
            raise ValueError(f"dossiers must be at least 1, not {dossiers}")
        used: dict[str, float] = {}
        for label, start in before.items():
            end = after.get(label)
            if start is None or end is None:
                raise ValueError(f"{label}: not running at both readings, its CPU is unknown")
            if end < start:
                raise ValueError(f"{label}: CPU went back from {start} to {end} s (a new process?)")
            used[label] = round(end - start, 3)  # /proc counts in ticks: no float dust
        return cls(dossiers, used)

    @property
    def total(self) -> float:
        return sum(self.seconds.values())

    def per_thousand(self, seconds: float) -> float:
        """``seconds`` of CPU per ``PER`` dossiers."""
        return seconds * PER / self.dossiers


def cpu_table(use: CpuUse, own: float | None = None) -> Table:
    """Process, CPU s, CPU s per 1,000 dossiers; the total; this process's own apart."""
    table = Table(
        title=f"CPU (user + system) over the burst of {use.dossiers} dossiers",
        caption="from publishing the first dossier to the last final status; the broker is "
        "shared: its CPU includes every other client it served meanwhile",
    )
    table.add_column("process")
    table.add_column("CPU s", justify="right")
    table.add_column(f"CPU s per {PER:,} dossiers", justify="right")
    for label, seconds in use.seconds.items():
        table.add_row(label, f"{seconds:.2f}", f"{use.per_thousand(seconds):.2f}")
    table.add_row("total", f"{use.total:.2f}", f"{use.per_thousand(use.total):.2f}", style="bold")
    if own is not None:
        table.add_row("bench (load generator, not in the total)", f"{own:.2f}", "")
    return table
