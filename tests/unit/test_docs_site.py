"""The documentation site builds in strict mode; every alert links a runbook page that exists."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from lienthong.settings import SOURCE_ROOT

DOCS = SOURCE_ROOT / "docs"
CONFIG = SOURCE_ROOT / "mkdocs.yml"
RULES = SOURCE_ROOT / "deploy" / "prometheus" / "rules" / "lienthong.rules.yml"
RULE_TESTS = SOURCE_ROOT / "deploy" / "prometheus" / "tests" / "lienthong.rules.test.yml"
RUNBOOKS = DOCS / "operators" / "runbooks"


def build(root: Path, site: Path) -> subprocess.CompletedProcess[str]:
    """``mkdocs build --strict`` of the checkout (or a copy) into ``site``."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)]
    return subprocess.run(
        command, cwd=root, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def config() -> dict[str, object]:
    loaded: dict[str, object] = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    return loaded


def nav_pages(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, list):
        return [page for item in node for page in nav_pages(item)]
    if isinstance(node, dict):
        return [page for value in node.values() for page in nav_pages(value)]
    return []


def alerts() -> dict[str, dict[str, str]]:
    groups = yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"]
    return {
        rule["alert"]: rule.get("annotations", {})
        for group in groups
        for rule in group["rules"]
        if "alert" in rule
    }


def test_the_site_builds_in_strict_mode(tmp_path: Path) -> None:
    result = build(SOURCE_ROOT, tmp_path / "site")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "site" / "operators" / "runbooks" / "step-stalled" / "index.html").is_file()
    assert config()["strict"] is True


def test_a_broken_link_or_a_page_left_out_fails_the_build(tmp_path: Path) -> None:
    copy = tmp_path / "checkout"
    shutil.copytree(DOCS, copy / "docs")
    shutil.copy(CONFIG, copy / "mkdocs.yml")
    page = copy / "docs" / "operators" / "backups.md"
    page.write_text(page.read_text(encoding="utf-8") + "\n[gone](no-such-page.md)\n")
    broken = build(copy, tmp_path / "broken")
    assert broken.returncode != 0 and "no-such-page.md" in broken.stderr
    page.write_text(page.read_text(encoding="utf-8").replace("[gone](no-such-page.md)", ""))
    (copy / "docs" / "orphan.md").write_text("# Not in the navigation\n", encoding="utf-8")
    orphan = build(copy, tmp_path / "orphan")
    assert orphan.returncode != 0 and "orphan.md" in orphan.stderr


def test_every_page_is_in_the_navigation() -> None:
    listed = set(nav_pages(config()["nav"]))
    pages = {str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md")}
    assert pages == listed, {"not in nav": pages - listed, "missing": listed - pages}


def test_every_alert_links_its_runbook_page_on_the_site() -> None:
    site = str(config()["site_url"])
    listed = set(nav_pages(config()["nav"]))
    for name, notes in alerts().items():
        url = notes.get("runbook_url", "")
        assert url.startswith(site + "operators/runbooks/"), (name, url)
        page = url.removeprefix(site).rstrip("/") + ".md"
        assert (DOCS / page).is_file() and page in listed, (name, page)
        text = (DOCS / page).read_text(encoding="utf-8")
        assert text.startswith(f"# {name}\n"), page
        for part in ("## What it means", "## What to check", "## What to do"):
            assert part in text, (page, part)


def test_every_runbook_page_belongs_to_an_alert() -> None:
    linked = {a["runbook_url"].rstrip("/").rsplit("/", 1)[1] for a in alerts().values()}
    pages = {p.stem for p in RUNBOOKS.glob("*.md")} - {"index"}
    assert pages == linked
    index = (RUNBOOKS / "index.md").read_text(encoding="utf-8")
    for name in alerts():
        assert f"[{name}](" in index, name


def test_promtool_s_cases_expect_each_runbook_link() -> None:
    """promtool compares annotations exactly, so each firing case names the link it expects."""
    cases = [
        (case["alertname"], alert)
        for test in yaml.safe_load(RULE_TESTS.read_text(encoding="utf-8"))["tests"]
        for case in test.get("alert_rule_test", [])
        for alert in case.get("exp_alerts") or []
    ]
    assert cases
    for name, alert in cases:
        assert alert["exp_annotations"]["runbook_url"] == alerts()[name]["runbook_url"], name


def test_no_page_names_a_path_of_this_machine() -> None:
    for page in DOCS.rglob("*.md"):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"(?<![\w.])/(work|tmp|home|root)/", text), page


def test_every_make_target_is_on_the_make_page() -> None:
    makefile = (SOURCE_ROOT / "Makefile").read_text(encoding="utf-8")
    targets = re.findall(r"^([a-z-]+):.*## ", makefile, re.MULTILINE)
    page = (DOCS / "reference" / "make.md").read_text(encoding="utf-8")
    assert "docs" in targets and "help" in targets
    missing = [t for t in targets if t != "help" and f"`make {t}`" not in page]
    assert not missing, missing


def lienthong_lines(page: Path) -> list[str]:
    """The ``lienthong ...`` command lines of a page's bash blocks (comments and placeholders
    in brackets left out)."""
    found: list[str] = []
    for block in re.findall(r"```bash\n(.*?)```", page.read_text(encoding="utf-8"), re.DOTALL):
        for line in block.replace("\\\n", " ").splitlines():
            command = line.split(" # ")[0].strip()
            if command.startswith("lienthong ") and "[" not in command:
                found.append(command)
    return found


def test_every_lienthong_command_on_the_pages_parses() -> None:
    """A renamed command or option fails here, on whichever page shows it."""
    import shlex

    import typer

    from lienthong.cli import app

    root = typer.main.get_command(app)
    checked = 0
    for page in DOCS.rglob("*.md"):
        for line in lienthong_lines(page):
            words = [w for w in shlex.split(line)[1:] if w not in ("--secure", "--debug")]
            command = root
            while words and words[0] in getattr(command, "commands", {}):
                command = command.commands[words.pop(0)]  # type: ignore[attr-defined]
            assert command is not root, f"{page.relative_to(DOCS)}: {line}: no such command"
            try:
                command.make_context(command.name or "lienthong", list(words))
            except Exception as exc:
                raise AssertionError(f"{page.relative_to(DOCS)}: {line}: {exc}") from exc
            checked += 1
    assert checked >= 25, checked
