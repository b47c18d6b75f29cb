"""The README sells in one screen: at most 200 lines, links that land, what it shows current."""

from __future__ import annotations

import datetime as dt
import re

from lienthong import demo
from lienthong.client.batch import RunResult
from lienthong.groups.birth.synthetic import generate
from lienthong.groups.registry import GROUPS
from lienthong.settings import SOURCE_ROOT

README = SOURCE_ROOT / "README.md"
LINK = re.compile(r"\]\(([^)#]+)(?:#[^)]*)?\)")
MAKEFILE = (SOURCE_ROOT / "Makefile").read_text(encoding="utf-8")


def text() -> str:
    return README.read_text(encoding="utf-8")


def test_the_readme_is_at_most_200_lines() -> None:
    lines = text().count("\n")
    assert lines <= 200, f"README.md has {lines} lines: move a section into docs/"


def test_every_link_of_the_readme_lands_on_a_file() -> None:
    targets = [t for t in LINK.findall(text()) if "://" not in t]
    assert len(targets) >= 10, targets
    missing = [t for t in targets if not (SOURCE_ROOT / t).exists()]
    assert not missing, missing


def test_the_readme_links_each_reader_to_the_docs() -> None:
    for page in ("integrators/first-hour", "agencies/own-consumer", "operators/deploy"):
        assert f"(docs/{page}.md)" in text(), page
    assert "(docs/provinces/report.md)" in text()


def test_the_two_commands_are_make_targets() -> None:
    block = re.search(r"## Two commands\n\n```bash\n(.*?)```", text(), re.DOTALL)
    assert block
    targets = [line.split()[1] for line in block.group(1).splitlines() if line.strip()]
    assert targets == ["demo", "test"]
    for target in targets:
        assert re.search(rf"^{target}: .*## ", MAKEFILE, re.MULTILINE), target


def test_the_demo_summary_shown_is_the_one_the_demo_prints() -> None:
    """Each table's title and columns, the refusals' title and the last line, as the code has them
    now: a change to the demo's output fails here until the README shows it."""
    shown = text().split("## What you see", 1)[1].split("```\n", 2)[1]
    at = dt.datetime.now(dt.UTC)
    items = [*generate(40, seed=5, invalid_share=0.2, start=at, live=True)]
    items += demo.death_items(6, seed=3, at=at)
    result = RunResult(items, {}, {})
    tables = [demo.summary_table(result, group) for group in GROUPS.values()]
    assert len(tables) >= 2
    for table in tables:
        assert f"  {table.title}\n" in shown, table.title
        columns = " ".join(str(column.header) for column in table.columns)
        assert any(" ".join(line.split()) == columns for line in shown.splitlines()), columns
    assert f"  {demo.reasons_table(result).title}\n" in shown
    assert 'console.print(f"dossiers still open: {verdict}")' in (
        SOURCE_ROOT / "services" / "lienthong" / "demo.py"
    ).read_text(encoding="utf-8")
    assert shown.rstrip().endswith("dossiers still open: none")
