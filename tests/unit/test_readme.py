"""The README's integrator-client commands work as written (the broker-free ones)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from lienthong.cli import app
from lienthong.settings import SOURCE_ROOT

README = (SOURCE_ROOT / "README.md").read_text(encoding="utf-8")


def _client_block() -> list[str]:
    section = README.split("## The integrator client", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.DOTALL)
    assert block, "the integrator client section has a bash block"
    return [line.split("#")[0].split() for line in block.group(1).splitlines() if line.strip()]


def test_generate_then_dry_run_submit_as_the_readme_says(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    commands = [
        c for c in _client_block() if (c[1] == "submit" and "--dry-run" in c) or c[1] == "generate"
    ]
    assert [c[1] for c in commands] == ["generate", "submit"]
    for command in commands:
        result = runner.invoke(app, command[1:])
        assert result.exit_code == 0, result.output
    assert "valid (not sent)" in result.output
    dossier = json.loads((tmp_path / "dossier.json").read_text(encoding="utf-8"))
    assert dossier["procedures"]


def test_submit_names_each_problem_before_sending(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    runner = CliRunner()
    assert runner.invoke(app, ["generate", "1", "--seed", "7", "--out", str(path)]).exit_code == 0
    dossier = json.loads(path.read_text(encoding="utf-8"))
    dossier["applicant"]["phone"] = "123"
    dossier["child"]["born_at"] = "not a date"
    path.write_text(json.dumps(dossier), encoding="utf-8")
    result = runner.invoke(app, ["submit", str(path)])
    assert result.exit_code == 2
    assert "child.born_at" in result.output
