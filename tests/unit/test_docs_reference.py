"""The reference pages are generated from the code: they follow a change, and are never stale."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Annotated

import typer
from pydantic import Field
from typer.testing import CliRunner

from lienthong.cli import app
from lienthong.contracts.catalogue import SchemaCatalogue
from lienthong.docsgen import cli_page, pages, settings_page, topics_page
from lienthong.settings import SOURCE_ROOT, Settings


def root_command() -> cli_page.Command:
    return typer.main.get_command(app)


def test_the_committed_pages_are_what_the_code_gives() -> None:
    stale = pages.stale(root_command())
    assert not stale, f"run `lienthong docs generate` and commit: {stale}"


def test_the_check_names_stale_pages_and_writing_mends_them(tmp_path: Path) -> None:
    root = root_command()
    assert sorted(pages.stale(root, tmp_path)) == sorted(pages.pages(root))
    written = pages.write(root, tmp_path)
    assert sorted(written) == sorted(pages.pages(root)) and pages.stale(root, tmp_path) == []
    page = tmp_path / pages.REFERENCE / "settings.md"
    page.write_text(page.read_text(encoding="utf-8") + "edited by hand\n", encoding="utf-8")
    assert pages.stale(root, tmp_path) == [pages.REFERENCE / "settings.md"]


def test_the_command_checks_the_checkout() -> None:
    result = CliRunner().invoke(app, ["docs", "generate", "--check"])
    assert result.exit_code == 0, result.output
    assert "pages up to date" in result.output


def test_a_new_setting_changes_the_settings_page() -> None:
    class MoreSettings(Settings):
        # -- Made up for this test ---------------------------------------------------------
        parcel_weight_limit: int = Field(30, description="Heaviest parcel, in kilograms")

    before = settings_page.render(Settings, "LIENTHONG_")
    after = settings_page.render(MoreSettings, "LIENTHONG_")
    assert "LIENTHONG_PARCEL_WEIGHT_LIMIT" not in before
    row = "| `LIENTHONG_PARCEL_WEIGHT_LIMIT` | `int` | `30` | Heaviest parcel, in kilograms |"
    assert row in after and "## Made up for this test" in after


def test_every_setting_has_its_row_with_variable_and_default() -> None:
    page = settings_page.render(Settings, "LIENTHONG_")
    for name in Settings.model_fields:
        assert f"| `LIENTHONG_{name.upper()}` |" in page, name
    assert "| `LIENTHONG_PARTITIONS` | `int` | `4` | Partitions of every topic" in page
    assert "`'restart' or 'pause'`" in page  # a Literal's choices
    assert "local-development-only" not in page  # a secret's default is never printed


def test_a_new_command_and_option_change_the_cli_page() -> None:
    extra = typer.Typer()

    @extra.command()
    def weigh(
        parcel: Annotated[str, typer.Argument(help="The parcel's id")],
        grams: Annotated[bool, typer.Option(help="Print grams, not kilograms")] = False,
    ) -> None:
        """Weigh one parcel at the counter."""

    root = root_command()
    before = cli_page.render(root)
    root.commands["weigh"] = typer.main.get_command(extra)  # type: ignore[attr-defined]
    after = cli_page.render(root)
    assert "weigh" not in before
    assert "## `lienthong weigh`" in after and "lienthong weigh PARCEL [OPTIONS]" in after
    assert "Weigh one parcel at the counter." in after
    assert "| `--grams, --no-grams` | – | Print grams, not kilograms |" in after


def test_every_command_has_its_section() -> None:
    page = cli_page.render(root_command())
    for command in ("submit", "status", "deadletters replay", "stack start", "docs generate"):
        assert f"`lienthong {command}`" in page, command
    assert "`--wait`" in page


def test_a_new_or_changed_schema_changes_the_event_and_topic_pages(tmp_path: Path) -> None:
    root = tmp_path / "schemas"
    shutil.copytree(SOURCE_ROOT / "schemas", root)
    before_events = topics_page.render_events(SchemaCatalogue(root))
    before_topics = topics_page.render_topics(SchemaCatalogue(root))
    (root / "status" / "ParcelWeighed.avsc").write_text(
        json.dumps(
            {
                "type": "record",
                "name": "ParcelWeighed",
                "namespace": "vn.lienthong.v1.status",
                "doc": "A parcel was weighed at the counter.",
                "fields": [{"name": "grams", "type": "int", "doc": "Its weight."}],
            }
        ),
        encoding="utf-8",
    )
    withdrawn = root / "intake" / "DossierWithdrawn.avsc"
    schema = json.loads(withdrawn.read_text(encoding="utf-8"))
    schema["fields"][1]["doc"] = "Why the citizen withdraws, in their words."
    withdrawn.write_text(json.dumps(schema), encoding="utf-8")
    after_events = topics_page.render_events(SchemaCatalogue(root))
    after_topics = topics_page.render_topics(SchemaCatalogue(root))
    assert "## ParcelWeighed" not in before_events and "## ParcelWeighed" in after_events
    assert "| `grams` | `int` | (required) | Its weight. |" in after_events
    assert "Why the citizen withdraws, in their words." in after_events
    assert "[ParcelWeighed](events.md#parcelweighed)" in after_topics
    assert "ParcelWeighed" not in before_topics


def test_every_topic_and_event_type_is_listed() -> None:
    catalogue = SchemaCatalogue()
    events = topics_page.render_events(catalogue)
    table = topics_page.render_topics(catalogue)
    for entry in catalogue:
        assert f"## {entry.name}\n" in events and entry.fingerprint.hex() in events
    for role in ("intake", "status", "deadletter", "handoff.residence", "hub.deadlines"):
        assert f"| `{role}` |" in table, role


def test_no_page_names_a_path_of_this_machine() -> None:
    for text in pages.pages(root_command()).values():
        assert str(SOURCE_ROOT) not in text and "/tmp/" not in text


def test_a_changed_declaration_changes_the_groups_page() -> None:
    from dataclasses import replace

    from lienthong.docsgen import groups_page
    from lienthong.groups.registry import GROUPS

    before = groups_page.render(GROUPS)
    death = GROUPS["death"]
    step = replace(death.steps["funeral_allowance"], legal_source=("Decree 99/2099, art. 1",))
    changed = replace(death, steps={**death.steps, "funeral_allowance": step})
    after = groups_page.render({**GROUPS, "death": changed})
    assert "Decree 99/2099, art. 1" not in before and "Decree 99/2099, art. 1" in after
    for group in GROUPS.values():
        assert f"## {group.name}: " in before
        for name in group.steps:
            assert f"| `{name}`: " in before, name
