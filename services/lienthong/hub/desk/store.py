"""The desk's store: SQLite, one row per case (its newest version), fed from the desk topic.

Why SQLite: the list an official opens (their agency, their commune, oldest due first, 50 at a
time) is an ordered range of an index, which a database answers in milliseconds however many
cases wait across the province; a stream table would be scanned whole for each page. Embedded,
it needs nothing to run beside the hub, and it is a copy: rebuilt from the desk topic (which
keeps every case's versions), so losing it loses nothing. The feed writes each batch and the
offsets it reached in one transaction, so a restart resumes exactly where it stopped.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Iterable, Mapping
from typing import Any, TypedDict, cast

from lienthong.contracts import records


class Case(TypedDict):
    """A case as the desk's store keeps it (its newest version)."""

    register_key: str
    deployable: str
    step: str
    dossier_id: str
    version: int
    state: str
    commune: str
    received_at: str
    due_at: str
    flags: list[str]
    projection: dict[str, object]
    claimed_by: str | None
    claimed_until: str | None
    audit: list[dict[str, str]]


class Tally(TypedDict):
    """Cases per agency and step (and per official and outcome for the decided ones)."""

    deployable: str
    step: str
    n: int
    oldest: str
    unclaimed: int
    official: str
    state: str


#: The states in which a case waits on the desk (listed); the others are decided or withdrawn.
OPEN = ("waiting", "claimed")
PAGE = 50
#: A case nobody holds now: waiting, or its claim lapsed (the one parameter: now).
UNHELD = "(state = 'waiting' OR claimed_until IS NULL OR claimed_until <= ?)"

SCHEMA = """
CREATE TABLE IF NOT EXISTS cases (
    register_key TEXT PRIMARY KEY,
    deployable TEXT NOT NULL,
    step TEXT NOT NULL,
    dossier_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    state TEXT NOT NULL,
    open INTEGER NOT NULL,
    commune TEXT NOT NULL,
    received_at TEXT NOT NULL,
    due_at TEXT NOT NULL,
    flags TEXT NOT NULL,
    projection TEXT NOT NULL,
    claimed_by TEXT,
    claimed_until TEXT,
    audit TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS queue ON cases (deployable, open, due_at, register_key);
CREATE INDEX IF NOT EXISTS queue_commune
    ON cases (deployable, open, commune, due_at, register_key);
CREATE TABLE IF NOT EXISTS answers (
    command_id TEXT PRIMARY KEY, register_key TEXT NOT NULL, answer TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS offsets (part INTEGER PRIMARY KEY, next INTEGER NOT NULL);
"""

UPSERT = """
INSERT INTO cases VALUES (
    :register_key, :deployable, :step, :dossier_id, :version, :state, :open, :commune,
    :received_at, :due_at, :flags, :projection, :claimed_by, :claimed_until, :audit)
ON CONFLICT (register_key) DO UPDATE SET
    deployable = excluded.deployable, step = excluded.step, dossier_id = excluded.dossier_id,
    version = excluded.version, state = excluded.state, open = excluded.open,
    commune = excluded.commune, received_at = excluded.received_at, due_at = excluded.due_at,
    flags = excluded.flags, projection = excluded.projection, claimed_by = excluded.claimed_by,
    claimed_until = excluded.claimed_until, audit = excluded.audit
WHERE excluded.version >= cases.version
"""


def _iso(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    return str(value)


class DeskStore:
    """The cases on every agency's desk, as the newest ``DeskCase`` of each says."""

    def __init__(self, path: str = ":memory:") -> None:
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.lock = threading.Lock()
        with self.lock:
            if path != ":memory:":
                self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(SCHEMA)

    # -- the feed -------------------------------------------------------------------------
    def apply(self, cases: Iterable[records.DeskCase], offsets: Mapping[int, int]) -> None:
        """One batch of ``DeskCase`` records and the offsets reached, in one transaction."""
        with self.lock:
            self.db.execute("BEGIN")
            try:
                for case in cases:
                    self._apply_one(case)
                self.db.executemany(
                    "INSERT OR REPLACE INTO offsets VALUES (?, ?)", list(offsets.items())
                )
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    def _apply_one(self, case: records.DeskCase) -> None:
        row = {
            "register_key": case["register_key"],
            "deployable": case["deployable"],
            "step": case["step"],
            "dossier_id": case["meta"]["dossier_id"],
            "version": int(case["version"]),
            "state": case["state"],
            "open": int(case["state"] in OPEN),
            "commune": case["commune"],
            "received_at": _iso(case["received_at"]),
            "due_at": _iso(case["due_at"]),
            "flags": json.dumps(list(case["flags"])),
            "projection": case["projection"],
            "claimed_by": case.get("claimed_by"),
            "claimed_until": _iso(case.get("claimed_until")),
            "audit": case["audit"],
        }
        self.db.execute(UPSERT, row)
        if case.get("answer_to"):
            self.db.execute(
                "INSERT OR REPLACE INTO answers VALUES (?, ?, ?)",
                (case["answer_to"], case["register_key"], case.get("answer") or ""),
            )

    def offsets(self) -> dict[int, int]:
        with self.lock:
            rows = self.db.execute("SELECT part, next FROM offsets").fetchall()
        return {int(r["part"]): int(r["next"]) for r in rows}

    # -- the desk -------------------------------------------------------------------------
    def waiting(
        self, deployable: str, commune: str | None = None, after: tuple[str, str] | None = None
    ) -> list[Case]:
        """The next page of open cases of an agency (of a commune), oldest due first."""
        where = ["deployable = ?", "open = 1"]
        args: list[Any] = [deployable]
        if commune:
            where.append("commune = ?")
            args.append(commune)
        if after is not None:
            where.append("(due_at, register_key) > (?, ?)")
            args.extend(after)
        sql = (
            f"SELECT * FROM cases WHERE {' AND '.join(where)} "
            f"ORDER BY due_at, register_key LIMIT {PAGE}"
        )
        with self.lock:
            rows = self.db.execute(sql, args).fetchall()
        return [self._case(row) for row in rows]

    def case(self, register_key: str) -> Case | None:
        with self.lock:
            row = self.db.execute(
                "SELECT * FROM cases WHERE register_key = ?", (register_key,)
            ).fetchone()
        return self._case(row) if row is not None else None

    def answer(self, command_id: str) -> str | None:
        with self.lock:
            row = self.db.execute(
                "SELECT answer FROM answers WHERE command_id = ?", (command_id,)
            ).fetchone()
        return str(row["answer"]) if row is not None else None

    def queue(self, now: dt.datetime) -> list[Tally]:
        """Per agency and step: how many wait, how many nobody holds (a lapsed claim holds
        nothing), and the oldest's arrival (the metrics)."""
        with self.lock:
            rows = self.db.execute(
                "SELECT deployable, step, count(*) AS n, min(received_at) AS oldest, "
                f"sum({UNHELD}) AS unclaimed "
                "FROM cases WHERE open = 1 GROUP BY deployable, step",
                (_iso(now),),
            ).fetchall()
        return [cast(Tally, dict(row)) for row in rows]

    def decided(self) -> list[Tally]:
        """Per agency, step and official: the cases they decided (the audit's last line)."""
        with self.lock:
            rows = self.db.execute(
                "SELECT deployable, step, state, audit FROM cases WHERE open = 0"
            ).fetchall()
        counts: dict[tuple[str, str, str, str], int] = {}
        for row in rows:
            audit = json.loads(row["audit"]) or [{}]
            key = (row["deployable"], row["step"], row["state"], audit[-1].get("official", ""))
            counts[key] = counts.get(key, 0) + 1
        return [
            cast(Tally, {"deployable": d, "step": s, "state": st, "official": o, "n": n})
            for (d, s, st, o), n in sorted(counts.items())
        ]

    def due_unclaimed(self, before: dt.datetime, now: dt.datetime) -> list[Tally]:
        """Per agency and step: open cases nobody holds whose target is before ``before``."""
        with self.lock:
            rows = self.db.execute(
                "SELECT deployable, step, count(*) AS n FROM cases "
                f"WHERE open = 1 AND {UNHELD} AND due_at < ? GROUP BY deployable, step",
                (_iso(now), _iso(before)),
            ).fetchall()
        return [cast(Tally, dict(row)) for row in rows]

    @staticmethod
    def _case(row: sqlite3.Row) -> Case:
        out: dict[str, object] = dict(row)
        out["flags"] = json.loads(row["flags"])
        out["projection"] = json.loads(row["projection"])
        out["audit"] = json.loads(row["audit"])
        out.pop("open", None)
        return cast(Case, out)
