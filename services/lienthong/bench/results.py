"""Where a run's figures go: a JSON file per run (time and commit stamped) and a ``latest`` copy."""

from __future__ import annotations

import datetime as dt
import json
import platform
import subprocess
from pathlib import Path
from typing import Any

from lienthong import __version__
from lienthong.errors import BenchmarkError
from lienthong.places import IN_CHECKOUT, SOURCE_ROOT

#: The modes, each writing ``<mode>-<time>.json`` and ``<mode>-latest.json``.
MODES = ("burst", "paced", "soak", "restart")


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=SOURCE_ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()


def commit() -> str:
    """The checkout's commit (``+dirty`` with uncommitted changes), or ``unknown`` (an
    installed release: its version is in the stamp)."""
    if not IN_CHECKOUT:
        return "unknown"
    try:
        head = _git("rev-parse", "--short=12", "HEAD")
        dirty = _git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def stamp() -> dict[str, str]:
    """When (the start), at which version and commit and on what the figures were measured."""
    return {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "version": __version__,
        "commit": commit(),
        "machine": f"{platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}",
    }


def write(mode: str, figures: dict[str, Any], out_dir: Path) -> Path:
    """Write a run's figures; returns the time-stamped file."""
    if mode not in MODES:
        raise ValueError(f"the mode must be one of {', '.join(MODES)}, not {mode!r}")
    out_dir.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"mode": mode, **figures}, indent=2) + "\n"
    when = str(figures["when"]).replace(":", "").replace("+0000", "Z")
    stamped = out_dir / f"{mode}-{when}.json"
    stamped.write_text(text)
    (out_dir / f"{mode}-latest.json").write_text(text)
    return stamped


def read(path: Path) -> dict[str, Any]:
    """A run's figures as written; says which file when it is not one."""
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise BenchmarkError(f"cannot read benchmark figures from {path}: {exc}") from exc
    if not isinstance(data, dict) or data.get("mode") not in MODES:
        raise BenchmarkError(f"{path} is not a benchmark result (no mode among {', '.join(MODES)})")
    return data
