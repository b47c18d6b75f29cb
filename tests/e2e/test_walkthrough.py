"""The newcomer test: the integrators' walkthrough (docs/integrators/first-hour.md), run as it
stands, line by line.

The script is the tutorial's bash block itself: each line runs unchanged in one shell, and must
end with exit status 0, or with the status its comment names (``exit status 3``). The test
gives the shell its own topic prefix, state directory and free ports, and stops every process
the walkthrough started even when a line fails.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from lienthong.runtime import detached
from lienthong.runtime.stack import settings_env
from lienthong.settings import SOURCE_ROOT, Settings

pytestmark = [pytest.mark.broker, pytest.mark.e2e]
TUTORIAL = SOURCE_ROOT / "docs" / "integrators" / "first-hour.md"
EXPECTED_STATUS = re.compile(r"exit status (\d+)")
#: Stack start (up to 90 s), the dossier (up to 60 s), the replay's wait (up to 30 s), the stop.
SCRIPT_TIMEOUT = 400


def walkthrough() -> list[str]:
    """The command lines of the first bash block of the tutorial's walkthrough."""
    section = TUTORIAL.read_text(encoding="utf-8").split("## The walkthrough\n", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.DOTALL)
    assert block, "the walkthrough has a bash block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def expected_status(line: str) -> int:
    comment = line.split(" # ", 1)[1] if " # " in line else ""
    found = EXPECTED_STATUS.search(comment)
    return int(found.group(1)) if found else 0


def as_script(lines: list[str]) -> str:
    """Each tutorial line verbatim, echoed first, then its exit status checked."""
    out = ["set -u"]
    for number, line in enumerate(lines, 1):
        want = expected_status(line)
        out += [
            f"echo {shlex.quote('$ ' + line)}",
            line,
            f"rc=$?; if [ $rc -ne {want} ]; then echo {shlex.quote(f'tutorial line {number}')}"
            f' "ended with exit status $rc, not {want}" >&2; exit 90; fi',
        ]
    return "\n".join(out) + "\n"


def test_the_script_is_the_tutorial_block() -> None:
    lines = walkthrough()
    script = as_script(lines)
    for line in lines:
        assert f"\n{line}\n" in script
    wanted = {
        "lienthong stack start",
        'eval "$(lienthong env)"',
        "lienthong submit",
        "lienthong status",
        "--link",
        "lienthong receipt",
        "lienthong stack status",
        "lienthong deadletters list",
        "lienthong deadletters replay",
        "lienthong stack stop",
    }
    missing = {w for w in wanted if not any(w in line for line in lines)}
    assert not missing, f"the walkthrough lost its steps: {missing}"
    assert [expected_status(line) for line in lines].count(3) == 1


def _processes_with_prefix(prefix: str) -> list[int]:
    """PIDs of this user's processes whose environment holds the topic prefix."""
    mark = f"LIENTHONG_TOPIC_PREFIX={prefix}".encode()
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            if mark in (proc / "environ").read_bytes().split(b"\0"):
                state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    found.append(int(proc.name))
        except OSError:
            continue
    return found


@pytest.fixture
def workdir(isolated: Settings, tmp_path: Path) -> Iterator[Path]:
    try:
        yield tmp_path
    finally:  # whatever happened, nothing the walkthrough started stays up
        recorded = detached.load(isolated)
        if recorded is not None:
            detached.stop(recorded)


def test_the_readme_walkthrough_runs_as_written(isolated: Settings, workdir: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LIENTHONG_")},
        **settings_env(isolated),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(SOURCE_ROOT / "services"),
        "COLUMNS": "100",
    }
    done = subprocess.run(
        ["bash", "-c", as_script(walkthrough())],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT,
    )
    transcript = done.stdout + done.stderr
    (workdir / "transcript.txt").write_text(transcript, encoding="utf-8")
    print(transcript)
    assert done.returncode == 0, transcript

    assert "warning" not in done.stderr, "every command found the stack it was pointed at"
    assert re.search(r"receipt +TN-DVC-\d{4}-\d{6}-\w{4}", done.stdout)
    assert re.search(r"lookup code +\S{6,}", done.stdout)
    status_page = f"{isolated.public_base_url}/status/TN-DVC-"
    assert f"status page  {status_page}" in done.stdout
    assert "finished: completed, on time" in done.stdout
    number = re.findall(r"receipt +(TN-DVC-\S+)", done.stdout)[0]
    assert number in (workdir / "status.html").read_text(encoding="utf-8")
    assert "<svg" in (workdir / "receipt.svg").read_text(encoding="utf-8")
    assert (workdir / "qr.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert re.search(r"hub#0 +pid \d+ running", done.stdout), "stack status names each process"
    assert "2 dead letters" in done.stdout
    assert "skipped: it would fail again: the hub has still not received dossier " in done.stdout
    assert "replayed 1 of 2 dead letters" in done.stdout
    assert "1 of 1 read again by their deployable" in done.stdout
    assert "withdrawal refused" in done.stdout

    assert detached.load(isolated) is None, "stack stop removed its record"
    leftovers = _processes_with_prefix(isolated.topic_prefix)
    assert not leftovers, f"processes of the walkthrough still run: {leftovers}"
