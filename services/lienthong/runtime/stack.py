"""Run the deployables as separate local processes, wait until they consume, stop them cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from kafka.admin import KafkaAdminClient
from kafka.errors import KafkaError
from pydantic import SecretStr

from lienthong.errors import LienthongError
from lienthong.runtime.app import app_id
from lienthong.settings import Settings
from lienthong.topics import DEPLOYABLES


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that gives a child process the same settings."""
    env: dict[str, str] = {}
    for name, value in settings.model_dump(mode="json").items():
        secret = getattr(settings, name)
        if isinstance(secret, SecretStr):  # dumped as stars
            value = secret.get_secret_value()
        if value is None:
            continue
        text = json.dumps(value) if isinstance(value, (list, dict)) else str(value)
        env[f"LIENTHONG_{name.upper()}"] = text
    return env


@dataclass
class Worker:
    """One running worker process of a deployable."""

    name: str
    index: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def label(self) -> str:
        return f"{self.name}#{self.index}"


@dataclass
class LocalStack:
    """The four deployables as processes on this machine, against one broker."""

    settings: Settings
    log_dir: Path
    names: tuple[str, ...] = DEPLOYABLES
    loglevel: str = "warning"
    #: Restart a worker that exits on its own, as a cluster's scheduler would.
    supervise: bool = False
    workers: list[Worker] = field(default_factory=list)
    revived: int = 0
    _halt: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, ready_timeout: float = 90.0) -> LocalStack:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for name in self.names:
            self.spawn(name)
        try:
            self.wait_ready(ready_timeout)
        except BaseException:
            self.stop()
            raise
        if self.supervise:
            threading.Thread(target=self._supervisor, daemon=True).start()
        return self

    def _supervisor(self) -> None:
        while not self._halt.wait(1.0):
            with self._lock:
                dead = [w for w in self.workers if w.process.poll() is not None]
                for worker in dead:
                    self.workers.remove(worker)
                    self.spawn(worker.name, worker.index)
                    self.revived += 1

    def spawn(self, name: str, index: int = 0, extra_env: dict[str, str] | None = None) -> Worker:
        """Start one worker; a second worker of a deployable needs its own web port."""
        # A local run: the hub may use the public development lookup secret. The same name for
        # the same worker across restarts: it takes its partitions back at once (static
        # membership); the stack never runs two workers of one name and index.
        local = {
            "LIENTHONG_DEVELOPMENT": "true",
            "LIENTHONG_GROUP_INSTANCE_ID": f"{self.settings.topic_prefix}-{name}-{index}",
        }
        env = {**os.environ, **settings_env(self.settings), **local, **(extra_env or {})}
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_dir / f"{name}-{index}.log"
        handle = log.open("ab")
        cmd = [sys.executable, "-m", "lienthong", "run", name, "--loglevel", self.loglevel]
        if index:
            cmd += ["--worker-index", str(index)]
        process = subprocess.Popen(
            cmd, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )
        worker = Worker(name, index, process, log)
        self.workers.append(worker)
        return worker

    def wait_ready(self, timeout: float, names: tuple[str, ...] | None = None) -> None:
        """Wait until every deployable's consumer group is stable with members."""
        groups = {app_id(n, self.settings): n for n in (names or self.names)}
        admin = KafkaAdminClient(
            **self.settings.kafka_client_options(), client_id="lienthong-stack"
        )
        deadline = time.monotonic() + timeout
        waiting = list(groups.values())
        try:
            while time.monotonic() < deadline:
                self._check_alive()
                try:
                    described = admin.describe_groups(list(groups))
                except KafkaError:  # a fresh broker creates its offsets topic first
                    time.sleep(0.5)
                    continue
                waiting = [
                    groups[g]
                    for g, info in described.items()
                    if info.get("group_state") != "Stable" or not info.get("members")
                ]
                if not waiting:
                    return
                time.sleep(0.5)
        finally:
            admin.close()
        raise LienthongError(
            f"deployables not consuming after {timeout:.0f} s: {waiting}; "
            f"see the logs in {self.log_dir}"
        )

    def _check_alive(self) -> None:
        if self.supervise:
            return
        for worker in self.workers:
            code = worker.process.poll()
            if code is not None:
                tail = [t for t in worker.log.read_text(errors="replace").splitlines() if t.strip()]
                last = tail[-1].strip() if tail else "(nothing in its log)"
                raise LienthongError(
                    f"{worker.label} exited with code {code}: {last} (log: {worker.log})\n"
                    + "\n".join(tail[-15:])
                )

    def kill(self, worker: Worker) -> None:
        """SIGKILL a worker (chaos), no clean-up."""
        with self._lock:
            if worker.process.poll() is None:
                os.killpg(worker.process.pid, signal.SIGKILL)
                worker.process.wait()
            if worker in self.workers:
                self.workers.remove(worker)

    def terminate(self, worker: Worker, timeout: float = 45.0) -> int:
        """SIGTERM a worker and wait; SIGKILL only if it does not stop in time."""
        if worker.process.poll() is None:
            worker.process.send_signal(signal.SIGTERM)
            try:
                worker.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(worker.process.pid, signal.SIGKILL)
                worker.process.wait()
        if worker in self.workers:
            self.workers.remove(worker)
        return worker.process.returncode

    def stop(self) -> None:
        self._halt.set()
        for worker in list(self.workers):
            if worker.process.poll() is None:
                worker.process.send_signal(signal.SIGTERM)
        for worker in list(self.workers):
            self.terminate(worker)

    def __enter__(self) -> LocalStack:
        try:
            return self.start()
        except BaseException:
            self.stop()  # never leave half a stack running
            raise

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
