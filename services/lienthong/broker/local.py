"""The local KRaft Kafka broker (templates in deploy/kafka, jars in the user cache): start, stop,
kill, status."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import string
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from lienthong.broker.jars import fetch, jars_dir
from lienthong.broker.probe import (
    HOST,
    BrokerStatus,
    StartResult,
    StopResult,
    admin_probe,
    is_answering,
    port_open,
)
from lienthong.errors import BrokerError, PrerequisiteMissing
from lienthong.settings import Settings

log = logging.getLogger(__name__)

STOP_TIMEOUT = 60.0
LOG_TAIL_LINES = 20


def _kafka_pid_alive(pid: int) -> bool:
    """True if ``pid`` runs, is not a zombie and (where /proc exists) is a kafka.Kafka JVM."""
    with contextlib.suppress(ChildProcessError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    proc = Path(f"/proc/{pid}")
    try:
        zombie = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
        return not zombie and b"kafka.Kafka" in (proc / "cmdline").read_bytes()
    except OSError:
        return not Path("/proc/self").exists()


def _last_lines(text: str) -> str:
    return "\n".join(text.splitlines()[-LOG_TAIL_LINES:])


def _run(command: list[str], failure: str, cwd: Path | None = None) -> str:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise BrokerError(f"{failure}:\n{_last_lines(done.stdout + done.stderr)}")
    return done.stdout


class LocalBroker:
    """One broker per ``settings.kafka_data_dir``, listening on ``settings.kafka_port``."""

    #: The server.properties template in ``kafka_dir``; a subclass may render another one.
    template = "server.properties.template"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.kafka_dir = settings.kafka_dir
        self.lib_dir = jars_dir(settings)
        self.data_dir = settings.kafka_data_dir
        self.log_dirs = self.data_dir / "data"
        self.logs_dir = self.data_dir / "logs"
        self.properties = self.data_dir / "server.properties"
        self.pid_file = self.data_dir / "kafka.pid"
        self.console_log = self.data_dir / "kafka.out"
        self.server_log = self.logs_dir / "server.log"
        self.bootstrap = f"{HOST}:{settings.kafka_port}"
        self._process: subprocess.Popen[bytes] | None = None

    def fetch_jars(self) -> bool:
        """Fetch the jars the user cache lacks (checksums checked); True if it fetched any."""
        return fetch(self.settings) > 0

    def start(self) -> StartResult:
        """Start the broker unless one already answers; wait until it answers metadata."""
        began = time.monotonic()
        pid = self._read_pid()
        if self._answering():
            return self._already_running(pid, began)
        if pid is not None:
            self._wait_until_answering(pid, began)
            return self._already_running(pid, began)
        process = self.launch()
        self._wait_until_answering(process.pid, began)
        seconds = time.monotonic() - began
        message = f"Kafka broker started at {self.bootstrap} (pid {process.pid}) in {seconds:.1f} s"
        return StartResult(True, process.pid, self.bootstrap, seconds, message)

    def launch(self) -> subprocess.Popen[bytes]:
        """Start the JVM without waiting for it (formats the storage once); ``start`` waits.

        The nodes of a cluster are all launched before any is waited for: one alone has no
        controller quorum and never answers.
        """
        for port, role in (
            (self.settings.kafka_port, "broker"),
            (self.settings.kafka_controller_port, "controller"),
        ):
            if port_open(port):
                raise BrokerError(
                    f"port {port} ({role}) is taken by something that is not a Kafka broker; "
                    f"stop it or choose another port (LIENTHONG_KAFKA_PORT / "
                    f"LIENTHONG_KAFKA_CONTROLLER_PORT)"
                )
        java = self._java()
        self.fetch_jars()
        self._render_properties()
        if not (self.log_dirs / "meta.properties").exists():
            self._format_storage(java)
        return self._launch(java)

    def stop(self) -> StopResult:
        """SIGTERM the broker from the pid file, wait, SIGKILL as a last resort."""
        pid = self._read_pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return StopResult(False, None, False, f"no Kafka broker running from {self.data_dir}")
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        forced = not self._wait_for_exit(pid, STOP_TIMEOUT)
        if forced:
            log.warning(
                "Kafka broker (pid %d) ignored SIGTERM for %.0f s; killing it", pid, STOP_TIMEOUT
            )
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            self._wait_for_exit(pid, 10.0)
        self.pid_file.unlink(missing_ok=True)
        how = "killed (SIGKILL after SIGTERM timed out)" if forced else "stopped"
        return StopResult(True, pid, forced, f"Kafka broker (pid {pid}) {how}")

    def kill(self) -> int | None:
        """SIGKILL the broker (a crash, for tests): no clean shutdown; its pid, or None."""
        pid = self._read_pid()
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            self._wait_for_exit(pid, 10.0)
        self.pid_file.unlink(missing_ok=True)
        return pid

    def status(self) -> BrokerStatus:
        """Whether our broker process runs and whether the port answers as Kafka."""
        pid = self._read_pid()
        answering = self._answering()
        if pid is not None and answering:
            message = f"Kafka broker running at {self.bootstrap} (pid {pid})"
        elif pid is not None:
            message = f"Kafka broker process {pid} is running but {self.bootstrap} does not answer"
        elif answering:
            message = (
                f"a Kafka broker answers at {self.bootstrap} (not started from {self.data_dir})"
            )
        elif port_open(self.settings.kafka_port):
            message = f"port {self.settings.kafka_port} is taken by something that is not Kafka"
        else:
            message = f"no Kafka broker running at {self.bootstrap}"
        return BrokerStatus(pid is not None or answering, pid, self.bootstrap, answering, message)

    def _java(self) -> str:
        java = shutil.which("java")
        if java is None:
            raise PrerequisiteMissing(
                "Java (java) is not on PATH; the local Kafka broker needs Java 17 or newer. "
                "Install it (e.g. apt-get install openjdk-17-jre-headless) and retry."
            )
        return java

    def _java_options(self) -> list[str]:
        log4j = self.kafka_dir / "log4j2.properties"
        cp = ["-cp", str(self.lib_dir / "*")]
        return [f"-Dlog4j2.configurationFile={log4j}", f"-Dkafka.logs.dir={self.logs_dir}", *cp]

    def _answering(self) -> bool:
        return is_answering(self.bootstrap)

    def _probe_options(self) -> dict[str, object]:
        """Client options of the readiness probes (a secured broker adds credentials)."""
        return {}

    def _coordinator_ready(self) -> bool:
        """Consumer groups can be served: a broker answers metadata before it loads its
        offsets topic, and workers that join then get no partitions for a while."""
        return admin_probe(
            self.bootstrap,
            2.0,
            self._probe_options(),
            lambda admin: admin.describe_groups(["lienthong-readiness-probe"]),
        )

    def _template_values(self) -> dict[str, object]:
        """What the template's ``$names`` stand for; a subclass may add its own."""
        return {
            "kafka_port": self.settings.kafka_port,
            "controller_port": self.settings.kafka_controller_port,
            "log_dirs": self.log_dirs,
            "node_id": 1,
            "quorum_voters": f"1@{HOST}:{self.settings.kafka_controller_port}",
            "replication": 1,
            "min_isr": 1,
        }

    def _cluster_id(self, tool: list[str]) -> str:
        """A new cluster id for ``StorageTool format`` (a cluster node uses its cluster's)."""
        uuid = _run([*tool, "random-uuid"], "StorageTool random-uuid failed").split()
        if not uuid:
            raise BrokerError("StorageTool random-uuid printed no cluster id")
        return uuid[-1]

    def _format_args(self) -> list[str]:
        """Extra ``StorageTool format`` arguments (e.g. ``--add-scram`` in the secured mode)."""
        return []

    def _render_properties(self) -> None:
        template = string.Template((self.kafka_dir / self.template).read_text())
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        self.properties.write_text(template.substitute(self._template_values()))

    def _format_storage(self, java: str) -> None:
        tool = self._storage_tool(java)
        format_ = [*tool, "format", "-t", self._cluster_id(tool), "-c", str(self.properties)]
        format_ += self._format_args()
        _run(format_, f"StorageTool could not format {self.log_dirs}")

    def _storage_tool(self, java: str) -> list[str]:
        return [java, *self._java_options(), "kafka.tools.StorageTool"]

    def _jvm_flags(self) -> list[str]:
        """Extra JVM flags of the broker process (a cluster node trades peak speed for CPU)."""
        return []

    def _launch(self, java: str) -> subprocess.Popen[bytes]:
        heap = self.settings.kafka_heap
        command = [java, "-Xms256m", f"-Xmx{heap}", "-Djava.awt.headless=true"]
        command += [*self._jvm_flags(), *self._java_options(), "kafka.Kafka", str(self.properties)]
        with self.console_log.open("wb") as out:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.data_dir,
                start_new_session=True,
            )
        self.pid_file.write_text(f"{self._process.pid}\n")
        return self._process

    def _wait_until_answering(self, pid: int, began: float) -> None:
        deadline = began + self.settings.kafka_start_timeout
        while time.monotonic() < deadline:
            if not self._alive(pid):
                self.pid_file.unlink(missing_ok=True)
                raise BrokerError(
                    f"the Kafka broker (pid {pid}) exited while starting.\n{self._log_tails()}"
                )
            if self._answering() and self._coordinator_ready():
                return
            time.sleep(0.2)
        self.stop()
        raise BrokerError(
            f"the Kafka broker did not answer at {self.bootstrap} within "
            f"{self.settings.kafka_start_timeout:.0f} s; stopped it.\n{self._log_tails()}"
        )

    def _already_running(self, pid: int | None, began: float) -> StartResult:
        owner = f"pid {pid}" if pid is not None else f"not started from {self.data_dir}"
        message = f"Kafka broker already running at {self.bootstrap} ({owner})"
        return StartResult(False, pid, self.bootstrap, time.monotonic() - began, message)

    def _log_tails(self) -> str:
        parts = []
        for path in (self.console_log, self.server_log):
            with contextlib.suppress(OSError):
                if tail := _last_lines(path.read_text(errors="replace")):
                    parts.append(f"--- last lines of {path} ---\n{tail}")
        return "\n".join(parts) or "(the broker wrote no log)"

    def _read_pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        if self._alive(pid):
            return pid
        self.pid_file.unlink(missing_ok=True)
        return None

    def _alive(self, pid: int) -> bool:
        if self._process is not None and self._process.pid == pid:
            return self._process.poll() is None
        return _kafka_pid_alive(pid)

    def _wait_for_exit(self, pid: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self._alive(pid):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)
        return True


@contextlib.contextmanager
def running_broker(settings: Settings) -> Iterator[StartResult]:
    """Start a broker unless one answers; on exit stop it only if this call started it."""
    broker = LocalBroker(settings)
    result = broker.start()
    try:
        yield result
    finally:
        if result.started:
            broker.stop()
