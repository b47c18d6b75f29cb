"""Dossier files as ``generate`` writes them and ``submit`` reads them: one format, any length.

A file holds a JSON list of dossiers (``generate`` writes this), JSON Lines (one dossier per
line, ``generate --jsonl``), or a single JSON object (a dossier written by hand).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lienthong.errors import ClientError

Document = dict[str, Any]


def dumps(items: Sequence[Document], *, jsonl: bool = False) -> str:
    """A JSON list (indented, for reading) or JSON Lines (one compact dossier a line)."""
    if jsonl:
        return "".join(json.dumps(i, ensure_ascii=False, default=str) + "\n" for i in items)
    return json.dumps(list(items), ensure_ascii=False, indent=2, default=str) + "\n"


def loads(text: str, source: str) -> list[Document]:
    """The dossiers in ``text``: a list, JSON Lines, or one object; ClientError naming the line."""
    stripped = text.strip()
    if not stripped:
        raise ClientError(f"{source} holds no dossier (expected a JSON list, JSON Lines or object)")
    try:
        whole = json.loads(stripped)
    except json.JSONDecodeError as exc:
        if stripped.startswith("["):
            raise ClientError(f"{source} is not valid JSON: {exc}") from exc
        return _lines(stripped, source)
    items = whole if isinstance(whole, list) else [whole]
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise ClientError(f"{source}: dossier {number} is not a JSON object")
    return items


def _lines(text: str, source: str) -> list[Document]:
    items = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ClientError(f"{source} line {number} is not valid JSON: {exc.msg}") from exc
        if not isinstance(item, dict):
            raise ClientError(f"{source} line {number} is not a JSON object")
        items.append(item)
    return items


def read(path: Path) -> list[Document]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ClientError(f"cannot read {path}: {exc}") from exc
    return loads(text, str(path))


def dossier_ids(items: Sequence[Document], source: str) -> list[str]:
    """The dossier id of each document (``meta.dossier_id``)."""
    ids = []
    for number, item in enumerate(items, 1):
        meta = item.get("meta")
        if not isinstance(meta, dict) or not meta.get("dossier_id"):
            raise ClientError(f"{source}: dossier {number} has no meta.dossier_id")
        ids.append(str(meta["dossier_id"]))
    return ids
