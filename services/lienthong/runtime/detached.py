"""A local stack left running (``lienthong stack start``, the demo's ``--keep-running``).

What was started is written to ``<state_dir>/stack.json``: each worker's PID with the start time
the kernel gives that process, and the settings a command needs to talk to the stack. Stopping
signals exactly those processes (a PID reused by another program has another start time, and is
left alone), never a pattern of names that would also match another stack on the machine.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from lienthong.errors import LienthongError
from lienthong.runtime.stack import LocalStack, settings_env
from lienthong.settings import Settings

#: The settings another shell needs to talk to the stack (never a secret).
EXPORTED = (
    "bootstrap_servers",
    "topic_prefix",
    "partitions",
    "security_protocol",
    "sasl_username",
    "public_base_url",
    *(name for name in Settings.model_fields if name.endswith("_web_port")),
    "extra_web_ports",
    "kafka_port",
    "kafka_controller_port",
    "kafka_data_dir",
    "state_dir",
)
STOP_SECONDS = 45.0


class StackError(LienthongError):
    """A stack cannot be started, found or stopped as asked."""


@dataclass(frozen=True)
class RecordedWorker:
    name: str
    index: int
    pid: int
    #: The process's start time in clock ticks since boot (/proc/PID/stat, field 22).
    started: int | None

    @property
    def label(self) -> str:
        return f"{self.name}#{self.index}"


@dataclass(frozen=True)
class StackRecord:
    env: dict[str, str]
    workers: list[RecordedWorker]
    broker_started: bool
    log_dir: str


def stack_file(settings: Settings) -> Path:
    return settings.state_dir / "stack.json"


def exports(settings: Settings) -> dict[str, str]:
    """``LIENTHONG_*`` variables that point a shell at these settings."""
    wanted = {f"LIENTHONG_{name.upper()}" for name in EXPORTED}
    return {k: v for k, v in settings_env(settings).items() if k in wanted}


def shell_lines(env: dict[str, str]) -> list[str]:
    return [f"export {name}={shlex.quote(value)}" for name, value in sorted(env.items())]


def process_start(pid: int) -> int | None:
    """When ``pid`` started (clock ticks since boot); None when it runs no more (or a zombie)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return None if fields[0] in ("Z", "X") else int(fields[19])


def alive(worker: RecordedWorker) -> bool:
    started = process_start(worker.pid)
    return started is not None and started == worker.started


def record(stack: LocalStack, broker_started: bool) -> StackRecord:
    workers = [
        RecordedWorker(w.name, w.index, w.process.pid, process_start(w.process.pid))
        for w in stack.workers
    ]
    return StackRecord(exports(stack.settings), workers, broker_started, str(stack.log_dir))


def save(settings: Settings, stack: StackRecord) -> Path:
    path = stack_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(stack), indent=2) + "\n", encoding="utf-8")
    path.chmod(0o600)
    return path


def load(settings: Settings) -> StackRecord | None:
    path = stack_file(settings)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        workers = [RecordedWorker(**w) for w in data.pop("workers")]
        return StackRecord(workers=workers, **data)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise StackError(f"cannot read {path}: {exc}; remove it if no stack runs") from exc


def running(settings: Settings) -> StackRecord | None:
    """The recorded stack if any of its workers still runs."""
    found = load(settings)
    return found if found and any(alive(w) for w in found.workers) else None


def refuse_second(settings: Settings) -> None:
    found = running(settings)
    if found is not None:
        pids = ", ".join(f"{w.label} pid {w.pid}" for w in found.workers if alive(w))
        raise StackError(
            f"a stack recorded in {stack_file(settings)} is running ({pids}); "
            "stop it first with `lienthong stack stop`"
        )


def stop(stack: StackRecord, timeout: float = STOP_SECONDS) -> list[str]:
    """SIGTERM each recorded worker that still runs, wait, SIGKILL its group as a last resort."""
    lines = []
    running_now = [w for w in stack.workers if alive(w)]
    for worker in running_now:
        os.kill(worker.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while any(alive(w) for w in running_now) and time.monotonic() < deadline:
        time.sleep(0.2)
    for worker in stack.workers:
        if worker not in running_now:
            lines.append(f"{worker.label} (pid {worker.pid}) was not running")
        elif alive(worker):
            os.killpg(worker.pid, signal.SIGKILL)  # its own session: pgid == pid
            lines.append(f"{worker.label} (pid {worker.pid}) killed after {timeout:.0f} s")
        else:
            lines.append(f"{worker.label} (pid {worker.pid}) stopped")
    return lines
