"""The integrators' tutorial's commands work as written (the broker-free ones)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lienthong.cli import app
from lienthong.settings import SOURCE_ROOT

#: The integrators' first hour (docs/integrators/first-hour.md), once the README's section.
TUTORIAL = (SOURCE_ROOT / "docs" / "integrators" / "first-hour.md").read_text(encoding="utf-8")


def _client_block() -> list[str]:
    section = TUTORIAL.split("## The walkthrough", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.DOTALL)
    assert block, "the walkthrough has a bash block"
    return [line.split("#")[0].split() for line in block.group(1).splitlines() if line.strip()]


def test_generate_then_dry_run_submit_as_the_tutorial_says(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
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
    (dossier,) = json.loads((tmp_path / "dossier.json").read_text(encoding="utf-8"))
    assert dossier["procedures"]


def test_submit_names_each_problem_before_sending(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    runner = CliRunner()
    assert runner.invoke(app, ["generate", "1", "--seed", "7", "--out", str(path)]).exit_code == 0
    (dossier,) = json.loads(path.read_text(encoding="utf-8"))
    dossier["applicant"]["phone"] = "123"
    dossier["child"]["born_at"] = "not a date"
    path.write_text(json.dumps(dossier), encoding="utf-8")
    result = runner.invoke(app, ["submit", str(path)])
    assert result.exit_code == 2
    assert "child.born_at" in result.output


@pytest.mark.parametrize("count", [1, 3])
def test_generate_writes_what_submit_reads_for_any_count(tmp_path: Path, count: int) -> None:
    path = tmp_path / "dossiers.json"
    runner = CliRunner()
    assert runner.invoke(app, ["generate", str(count), "--out", str(path)]).exit_code == 0
    items = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(items, list) and len(items) == count
    checked = runner.invoke(app, ["submit", str(path), "--dry-run"])
    assert checked.exit_code == 0, checked.output
    assert checked.output.count("valid (not sent)") == count


def test_generate_and_submit_speak_json_lines_too(tmp_path: Path) -> None:
    path = tmp_path / "dossiers.jsonl"
    runner = CliRunner()
    assert runner.invoke(app, ["generate", "4", "--jsonl", "--out", str(path)]).exit_code == 0
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 4 and all(isinstance(json.loads(line), dict) for line in lines)
    checked = runner.invoke(app, ["submit", str(path), "--dry-run"])
    assert checked.exit_code == 0, checked.output
    assert checked.output.count("valid (not sent)") == 4


def test_submit_takes_one_object_and_names_the_bad_dossier_of_a_list(tmp_path: Path) -> None:
    runner = CliRunner()
    path = tmp_path / "list.json"
    assert runner.invoke(app, ["generate", "3", "--out", str(path)]).exit_code == 0
    items = json.loads(path.read_text(encoding="utf-8"))
    single = tmp_path / "one.json"
    single.write_text(json.dumps(items[0]), encoding="utf-8")
    assert runner.invoke(app, ["submit", str(single), "--dry-run"]).exit_code == 0
    items[1]["applicant"]["phone"] = "123"
    path.write_text(json.dumps(items), encoding="utf-8")
    refused = runner.invoke(app, ["submit", str(path)])  # no broker needed: nothing is sent
    assert refused.exit_code == 2
    assert "dossier 2 in" in refused.output and "applicant.phone" in refused.output
    assert "nothing was sent: 1 of 3 dossiers are not valid" in refused.output
    broken = tmp_path / "broken.jsonl"
    broken.write_text(json.dumps(items[0]) + "\n{not json\n", encoding="utf-8")
    unreadable = runner.invoke(app, ["submit", str(broken), "--dry-run"])
    assert unreadable.exit_code != 0
    assert "line 2 is not valid JSON" in str(unreadable.exception)


def test_generated_dossiers_are_dated_today(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    runner = CliRunner()
    assert runner.invoke(app, ["generate", "5", "--seed", "3", "--out", str(path)]).exit_code == 0
    now = dt.datetime.now(dt.UTC)
    for item in json.loads(path.read_text(encoding="utf-8")):
        submitted = dt.datetime.fromisoformat(item["meta"]["occurred_at"])
        assert now - dt.timedelta(minutes=5) < submitted <= now
        born = dt.datetime.fromisoformat(item["child"]["born_at"])
        assert now - dt.timedelta(days=60) < born < submitted
