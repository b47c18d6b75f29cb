"""A real Prometheus (Debian package) scrapes the running pipeline; business metrics read back."""

from __future__ import annotations

import datetime as dt
import json
import math
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from lienthong.client.batch import push_through
from lienthong.groups.birth.breakers import with_agency_refusals
from lienthong.groups.birth.synthetic import generate
from lienthong.runtime.stack import LocalStack
from lienthong.settings import Settings
from lienthong.topics import DEPLOYABLES
from lienthong.worker import changelog_topics, create, prepare_topics
from operators import PROMETHEUS

pytestmark = [pytest.mark.broker, pytest.mark.e2e]

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "rules" / "lienthong.rules.yml"
ON_TIME_SHARE = "lienthong:on_time_share:ratio_1d"
SEED = 20260705
COUNT = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prometheus_config(settings: Settings, directory: Path) -> Path:
    """A config scraping the four deployables every second: the agencies at their web ports,
    the hub at its operators' listener, signed in as the `prometheus` operator."""
    password = directory / "prometheus-password"
    password.write_text(PROMETHEUS[1])
    password.chmod(0o600)
    jobs: list[dict[str, Any]] = [
        {
            "job_name": name,
            "static_configs": [{"targets": [f"127.0.0.1:{settings.metrics_port(name)}"]}],
        }
        for name in DEPLOYABLES
    ]
    jobs[DEPLOYABLES.index("hub")]["basic_auth"] = {
        "username": PROMETHEUS[0],
        "password_file": str(password),
    }
    config = {
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(RULES)],
        "scrape_configs": jobs,
    }
    path = directory / "prometheus.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@dataclass
class Prometheus:
    """Our own Prometheus process (never the Debian service) and its HTTP API."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def get(self, path: str, **params: str) -> Any:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        with urllib.request.urlopen(f"{self.url}{path}{query}", timeout=5) as response:
            return json.loads(response.read())

    def query_raw(self, expr: str) -> dict[str, Any]:
        body: dict[str, Any] = self.get("/api/v1/query", query=expr)
        assert body["status"] == "success", body
        return body

    def query(self, expr: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.query_raw(expr)["data"]["result"]
        return result

    def scalar(self, expr: str) -> float | None:
        """The value of a query that returns at most one series."""
        result = self.query(expr)
        assert len(result) <= 1, result
        return float(result[0]["value"][1]) if result else None

    def wait_for(
        self, what: str, read: Callable[[], Any], ok: Callable[[Any], bool], timeout: float
    ) -> Any:
        deadline = time.monotonic() + timeout
        value = None
        while time.monotonic() < deadline:
            self.check_alive()
            value = read()
            if ok(value):
                return value
            time.sleep(0.5)
        pytest.fail(f"{what}: still {value!r} after {timeout:.0f} s")

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            tail = "\n".join(self.log.read_text(errors="replace").splitlines()[-20:])
            pytest.fail(f"prometheus exited with {self.process.returncode}:\n{tail}")


@pytest.fixture
def changelogs(isolated: Settings) -> list[str]:
    """The topics, changelogs included, exist before the stack starts (as `lienthong run` makes
    sure); the names the runtime creates are the ones Faust's tables use."""
    prepare_topics(isolated)
    tables = [table for name in DEPLOYABLES for table in create(name, isolated).app.tables.values()]
    assert {t.changelog_topic_name for t in tables} == set(changelog_topics(isolated))
    return changelog_topics(isolated)


@pytest.fixture
def prometheus(isolated: Settings, tmp_path: Path) -> Iterator[Prometheus]:
    executable = shutil.which("prometheus") or "/usr/bin/prometheus"
    if not Path(executable).exists():
        pytest.fail("prometheus is missing: run `make deps` (Debian package `prometheus`)")
    port = free_port()
    directory = tmp_path / "prometheus"
    directory.mkdir()
    config = prometheus_config(isolated, directory)
    log = directory / "prometheus.log"
    with log.open("ab") as handle:
        process = subprocess.Popen(
            [
                executable,
                f"--config.file={config}",
                f"--storage.tsdb.path={directory / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
            ],
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = Prometheus(f"http://127.0.0.1:{port}", process, log)
    try:

        def ready() -> bool:
            try:
                with urllib.request.urlopen(f"{running.url}/-/ready", timeout=2) as response:
                    return bool(response.status == 200)
            except (urllib.error.URLError, ConnectionError):
                return False

        running.wait_for("prometheus /-/ready", ready, bool, timeout=30)
        flags = running.get("/api/v1/status/flags")["data"]
        assert flags["config.file"] == str(config), "that is another Prometheus"
        yield running
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_prometheus_reads_the_business_metrics_back(
    isolated: Settings, changelogs: list[str], prometheus: Prometheus, stack: LocalStack
) -> None:
    began = time.monotonic()
    # Every deployable scraped before the first dossier, so the zero samples are stored and
    # increase() in the recording rules sees the whole run.
    for name in DEPLOYABLES:
        prometheus.wait_for(
            f"up{{job={name!r}}}",
            lambda name=name: prometheus.scalar(f'up{{job="{name}"}}'),
            lambda value: value == 1.0,
            timeout=20,
        )
    # The rules file was loaded (evaluated every second).
    groups = prometheus.get("/api/v1/rules")["data"]["groups"]
    assert {"lienthong.recording", "lienthong.alerts"} <= {g["name"] for g in groups}

    # The hub's metrics are not on its citizens' port, and its operators' port asks for sign-in.
    for url, status in (
        (f"{isolated.public_base_url}/metrics", 404),
        (f"http://127.0.0.1:{isolated.operator_port()}/metrics", 401),
        (f"{isolated.public_base_url}/api/dossiers/TN-DVC-2026-000001-abcd?code=A2345678", 404),
    ):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url, timeout=5)
        assert refused.value.code == status, url
    scraping = time.monotonic()
    now = dt.datetime.now(dt.UTC)
    items = generate(
        COUNT, seed=SEED, invalid_share=0.1, start=now - dt.timedelta(minutes=10), live=True
    )
    refused = set(with_agency_refusals(items, 0.1, SEED))
    result = push_through(isolated, items, timeout=60)
    assert result.still_open() == []
    pushed = time.monotonic()

    finals = [final for i in result.ids if (final := result.timelines[i].final) is not None]
    finished = [record for name, record in finals if name == "DossierFinished"]
    rejected = [record for name, record in finals if name == "DossierRejected"]
    valid = [i for i in items if not i.invalid]
    assert len(finished) == len(valid) and len(rejected) == COUNT - len(valid) > 0
    reasons = sum(len(record["reasons"]) for record in rejected)
    on_time = sum(1 for record in finished if record["on_time"])

    # Each metric read back through Prometheus's HTTP API. The hub and the agencies are scraped
    # separately (every second), so wait until every expected value has been scraped.
    expected: dict[str, float | None] = {
        "sum(lienthong_dossiers_received_total)": len(valid),
        "sum(lienthong_dossiers_finished_total)": len(finished),
        'sum(lienthong_dossiers_finished_total{on_time="true"})': on_time,
        'sum(lienthong_dossiers_finished_total{outcome="PARTLY_COMPLETED"})': len(refused),
        "sum(lienthong_dossiers_rejected_at_intake_total)": reasons,
        "sum(lienthong_steps_handed_off_total)": sum(len(i.record["procedures"]) for i in valid),
        'sum(lienthong_steps_rejected_total{step="residence"})': len(refused),
        "sum(lienthong_steps_in_flight)": 0,
        "sum(lienthong_dead_letters_total)": None,  # no series: nothing was dead-lettered
        "sum(lienthong_lookups_failed_total)": 1,  # the wrong code above
        **{f'up{{job="{name}"}}': 1 for name in DEPLOYABLES},
    }

    def read_back() -> dict[str, float | None]:
        return {expr: prometheus.scalar(expr) for expr in expected}

    seen = prometheus.wait_for("business metrics", read_back, expected.__eq__, timeout=15)
    print("\n" + "\n".join(f"{expr} = {value}" for expr, value in seen.items()))
    # faust's own sensors and our lag gauge are scraped too.
    assert prometheus.query('faust_messages_received_per_topic_total{job="hub"}')
    assert prometheus.query('lienthong_consumer_lag{job="hub"}')

    # The recording rule, evaluated after every finished dossier was scraped.
    complete_at = time.time()

    def share_sample() -> tuple[float, float] | None:
        result = prometheus.query(f"timestamp({ON_TIME_SHARE})")
        share = prometheus.scalar(ON_TIME_SHARE)
        if not result or share is None:
            return None
        return float(result[0]["value"][1]), share

    prometheus.wait_for(
        ON_TIME_SHARE,
        share_sample,
        lambda sample: sample is not None and sample[0] > complete_at + 1,
        timeout=15,
    )
    body = prometheus.query_raw(ON_TIME_SHARE)
    share = float(body["data"]["result"][0]["value"][1])
    assert 0.0 <= share <= 1.0
    assert math.isclose(share, on_time / len(finished), abs_tol=1e-9), (share, on_time)

    print(f"\n$ curl -s '{prometheus.url}/api/v1/query?query={ON_TIME_SHARE}'")
    print(json.dumps(body))
    promtool = shutil.which("promtool")
    if promtool:
        shown = subprocess.run(
            [promtool, "query", "instant", prometheus.url, ON_TIME_SHARE],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        print(f"$ promtool query instant {prometheus.url} '{ON_TIME_SHARE}'")
        print(shown.stdout.strip() or shown.stderr.strip())
    print(
        f"dossiers: {COUNT} pushed, {len(valid)} received, {len(finished)} finished "
        f"({on_time} on time, {len(refused)} partly completed), {len(rejected)} rejected at "
        f"intake; first scrapes {scraping - began:.1f} s, publish to all final "
        f"{pushed - scraping:.1f} s, read back {time.monotonic() - pushed:.1f} s"
    )
