"""Which reference pages are generated, where they go, and whether the committed ones are stale."""

from __future__ import annotations

from pathlib import Path

from lienthong.contracts.catalogue import SchemaCatalogue, default_catalogue
from lienthong.docsgen import cli_page, groups_page, settings_page, topics_page
from lienthong.groups.registry import GROUPS
from lienthong.settings import SOURCE_ROOT, Settings

#: Where the generated pages live in the checkout (the site's reference section).
REFERENCE = Path("docs") / "reference"


def pages(root: cli_page.Command, catalogue: SchemaCatalogue | None = None) -> dict[Path, str]:
    """Every generated page, by its path under the checkout, from the code as it is now."""
    schemas = catalogue or default_catalogue()
    return {
        REFERENCE / "settings.md": settings_page.render(Settings, "LIENTHONG_"),
        REFERENCE / "cli.md": cli_page.render(root),
        REFERENCE / "topics.md": topics_page.render_topics(schemas),
        REFERENCE / "events.md": topics_page.render_events(schemas),
        REFERENCE / "groups.md": groups_page.render(GROUPS),
    }


def stale(root: cli_page.Command, base: Path = SOURCE_ROOT) -> list[Path]:
    """The generated pages whose committed text differs from what the code gives now."""
    return [
        path
        for path, text in pages(root).items()
        if not (base / path).is_file() or (base / path).read_text(encoding="utf-8") != text
    ]


def write(root: cli_page.Command, base: Path = SOURCE_ROOT) -> list[Path]:
    """Write the pages that changed; the paths written."""
    changed = stale(root, base)
    generated = pages(root)
    for path in changed:
        (base / path).parent.mkdir(parents=True, exist_ok=True)
        (base / path).write_text(generated[path], encoding="utf-8")
    return changed
