"""The release: the built wheel, installed alone in a fresh virtualenv (its dependencies from the
package index), runs the demo from a folder outside any checkout against the running broker."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import lienthong
from lienthong.settings import SOURCE_ROOT, Settings
from netports import free_ports

pytestmark = pytest.mark.broker

#: What the wheel must carry beside the code, as paths inside it.
SHIPPED = (
    "lienthong/schemas/intake/DossierSubmitted.avsc",
    "lienthong/schemas/released/0.5.0/intake/DossierSubmitted.avsc",
    "lienthong/deploy/prometheus/rules/lienthong.rules.yml",
    "lienthong/deploy/deadline-cuts.yaml",
    "lienthong/deploy/k8s/deployments.yaml",
    "lienthong/deploy/kafka/server.properties.template",
    "lienthong/broker/kafka-jars.txt",
)


def _run(command: list[str], **options: object) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(command, capture_output=True, text=True, **options)  # type: ignore[call-overload]
    assert done.returncode == 0, (
        f"{command[:3]} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    return done  # type: ignore[no-any-return]


def _outside_env(home: Path, broker: Settings) -> dict[str, str]:
    """No checkout on the path, the user's folders under ``home``, ports nobody else uses."""
    hub, civil, residence, health, operators = free_ports(5)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIENTHONG_", "PYTHON"))}
    return {
        **env,
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "COLUMNS": "120",
        "LIENTHONG_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
        "LIENTHONG_KAFKA_PORT": str(broker.kafka_port),
        "LIENTHONG_HUB_WEB_PORT": str(hub),
        "LIENTHONG_CIVIL_REGISTRY_WEB_PORT": str(civil),
        "LIENTHONG_RESIDENCE_WEB_PORT": str(residence),
        "LIENTHONG_HEALTH_INSURANCE_WEB_PORT": str(health),
        "LIENTHONG_HUB_OPERATOR_PORT": str(operators),
    }


@pytest.mark.timeout(420)
def test_the_wheel_alone_runs_the_demo_outside_the_checkout(
    broker: Settings, tmp_path: Path
) -> None:
    dist = tmp_path / "dist"
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(SOURCE_ROOT)]
    )
    (wheel,) = dist.glob("lienthong-*.whl")
    assert wheel.name.startswith(f"lienthong-{lienthong.__version__}-")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert set(SHIPPED) <= names, set(SHIPPED) - names
    assert not [n for n in names if n.endswith(".jar") or "/crds/" in n]

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    python = venv / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "-q", str(wheel)])

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = _outside_env(tmp_path / "home", broker)
    where = _run(
        [str(python), "-c", "import lienthong; print(lienthong.__file__, lienthong.__version__)"],
        cwd=elsewhere,
        env=env,
    ).stdout.split()
    assert Path(where[0]).is_relative_to(venv) and where[1] == lienthong.__version__
    said = _run([str(venv / "bin" / "lienthong"), "--version"], cwd=elsewhere, env=env)
    assert said.stdout.strip() == f"lienthong {lienthong.__version__}"

    demo = _run(
        [str(venv / "bin" / "lienthong"), "demo", "--dossiers", "30", "--timeout", "150"],
        cwd=elsewhere,
        env=env,
        timeout=300,
    )
    assert "dossiers still open: none" in demo.stdout, demo.stdout[-3000:]
    # What it wrote went to the user's state folder, nothing into the installed package.
    assert (tmp_path / "home" / "state" / "lienthong" / "state").is_dir()
    assert not (Path(where[0]).parents[2] / "var").exists()
