"""The demo's summary fits an 80-column terminal or log: nothing cut to "se…" or "do…"."""

from __future__ import annotations

import datetime as dt

import pytest
from rich.console import Console

from lienthong import demo
from lienthong.client.batch import RunResult
from lienthong.groups.birth.declaration import GROUP as BIRTH
from lienthong.groups.birth.synthetic import generate
from lienthong.groups.death.declaration import GROUP as DEATH

WIDTH = 80


def _render(*renderables: object) -> list[str]:
    console = Console(width=WIDTH, record=True, force_terminal=False)
    for item in renderables:
        console.print(item)
    return console.export_text().splitlines()


def test_the_summary_table_fits_80_columns_uncut() -> None:
    # Dossiers received before the child's identity card joins the group (2026-09-01): a label
    # with the card (46 characters) does not fit one line of the 80-column table.
    before_card = dt.datetime(2026, 8, 28, 2, 0, tzinfo=dt.UTC)
    items = generate(120, seed=5, invalid_share=0.2, start=before_card, live=True)
    result = RunResult(items, {}, {})
    labels = {
        BIRTH.combination_label(i.record["procedures"])
        for i in items
        if BIRTH.allows(i.record["procedures"])
    }
    assert "birth+residence+health_insurance" in labels, "the widest label is in the table"
    lines = _render(demo.summary_table(result))
    assert max(len(line) for line in lines) <= WIDTH
    text = "\n".join(lines)
    assert "…" not in text
    for header in ("combination", "sent", "done", "partly", "refused", "open", "p50", "p95"):
        assert header in text
    for label in labels:
        assert label in text


def test_the_reasons_table_wraps_within_80_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    long_reason = "intake: " + "The child was born more than 60 days ago. " * 4
    monkeypatch.setattr(demo, "top_reasons", lambda result, limit=6: [(long_reason, 12)])
    lines = _render(demo.reasons_table(None))  # type: ignore[arg-type]
    assert max(len(line) for line in lines) <= WIDTH
    assert "…" not in "\n".join(lines)
    assert " ".join(" ".join(lines).split()).count("60 days ago") == 4


def test_the_death_group_has_its_own_table_with_its_three_combinations() -> None:
    at = dt.datetime.now(dt.UTC)
    items = [*demo.death_items(9, seed=3, at=at), *generate(12, seed=5, start=at, live=True)]
    lines = _render(demo.summary_table(RunResult(items, {}, {}), DEATH))
    assert max(len(line) for line in lines) <= WIDTH
    assert "Death dossiers by combination" in lines[0]
    header = next(line for line in lines if "combination" in line and "sent" in line)
    width = header.index("sent")
    labels: list[str] = []
    sent: list[str] = []
    for line in lines[lines.index(header) + 2 :]:
        if not line.strip():
            break
        cell, rest = line[:width].strip(), line[width:].split()
        if rest:  # a row; a line with nothing after the label continues a folded label
            labels.append(cell)
            sent.append(rest[0])
        else:
            labels[-1] += cell
    assert sorted(labels) == sorted(DEATH.combination_label(c) for c in DEATH.combinations)
    assert sent == ["3", "3", "3"]  # the birth dossiers are in the birth table only
