"""The operator board from the dossier table: in flight per step, overdue, on time today.

Each hub worker holds only its partitions of the table, so a worker computes its *part* and
the worker that serves the board merges the parts of all workers (``merge``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from lienthong.groups.registry import GROUPS
from lienthong.hub.steps import receipt_number

Json = dict[str, Any]
#: Overdue rows a part carries (the oldest first); the count is always complete.
OVERDUE_ROWS = 50


def _agency(group: str, step: str) -> Json:
    spec = GROUPS[group].steps.get(step) if group in GROUPS else None
    return {"vi": spec.agency_vi, "en": spec.agency} if spec else {"vi": step, "en": step}


def _step_names() -> list[str]:
    names: list[str] = []
    for group in GROUPS.values():
        names += [s for s in group.steps if s not in names]
    return names


def _moment(value: Any) -> dt.datetime | None:
    """A stored timestamp (ISO 8601 text in the table's JSON) as an aware UTC datetime."""
    return None if not value else dt.datetime.fromisoformat(str(value)).astimezone(dt.UTC)


def part(stored: Iterable[Mapping[str, Any]], now: dt.datetime, zone: ZoneInfo) -> Json:
    """One worker's share of the board (JSON-safe, so other workers can fetch and merge it).

    It reads the table's stored JSON directly rather than building a ``DossierState`` per
    dossier: the scan runs on the hub's event loop, and full parsing (~40 µs a dossier) would
    hold it for seconds on a table of a few months of dossiers.
    """
    today = now.astimezone(zone).date()
    flight: dict[str, Json] = {s: _flight_row(s) for s in _step_names()}
    overdue: list[Json] = []
    duplicates: list[Json] = []
    finished = on_time = 0
    for state in stored:
        phase = state.get("phase")
        duplicates += _duplicates(state)
        _count_decided(flight, state)
        if phase == "finished":
            ended = _moment(state.get("finished_at"))
            if ended is not None and ended.astimezone(zone).date() == today:
                finished += 1
                on_time += bool(state.get("on_time"))
        if phase != "open":
            continue
        receipt = str(state.get("receipt_number", ""))
        for name, step in (state.get("steps") or {}).items():
            row = flight.setdefault(name, _flight_row(name))
            if step.get("phase") == "supplement":
                row["with_citizen"] += 1
            if step.get("phase") != "handed_off":
                continue  # a waiting step is late because of the one before it, listed itself
            row["in_flight"] += 1
            since = _moment(step.get("handed_off_at"))
            oldest = row["oldest"]
            if since is not None and (oldest is None or since.isoformat() < oldest["since"]):
                row["oldest"] = {"receipt": receipt, "since": since.isoformat()}
            due = _moment(step.get("extended_due_at") or step.get("due_at"))
            if due is not None and now > due:
                agency = _agency(str(state.get("group", "")), name)
                overdue.append(
                    {"receipt": receipt, "step": name, "agency": agency, "due_at": due.isoformat()}
                )
    overdue.sort(key=lambda r: str(r["due_at"]))
    return {
        "steps": list(flight.values()),
        "overdue": overdue[:OVERDUE_ROWS],
        "overdue_count": len(overdue),
        "finished_today": finished,
        "on_time_today": on_time,
        "duplicates": duplicates[:OVERDUE_ROWS],
    }


def _duplicates(state: Mapping[str, Any]) -> list[Json]:
    """Steps refused because another dossier used the same certificate: both receipts, which
    only operators see (the citizen is told the certificate was used, not by whom)."""
    receipt = str(state.get("receipt_number", ""))
    return [
        {"receipt": receipt, "step": name, "duplicate_of": receipt_number(str(other))}
        for name, step in (state.get("steps") or {}).items()
        if (other := step.get("duplicate_of"))
    ]


def _count_decided(flight: dict[str, Json], state: Mapping[str, Any]) -> None:
    """Each step its agency answered, counted as decided by the rules alone or by an official
    on the agency's desk (the step waited for review)."""
    for name, step in (state.get("steps") or {}).items():
        if step.get("finished_at") and step.get("phase") in ("completed", "rejected"):
            row = flight.setdefault(name, _flight_row(name))
            row["reviewed" if step.get("reviewed") else "automatic"] += 1


COUNTS = ("in_flight", "with_citizen", "automatic", "reviewed")


def _flight_row(step: str) -> Json:
    return {"step": step, **dict.fromkeys(COUNTS, 0), "oldest": None}


def merge(parts: list[Json]) -> Json:
    """Add the workers' parts together (counts summed, oldest kept, overdue rows re-sorted)."""
    steps: dict[str, Json] = {}
    overdue: list[Json] = []
    duplicates: list[Json] = []
    merged: Json = {"overdue_count": 0, "finished_today": 0, "on_time_today": 0}
    for one in parts:
        for row in one["steps"]:
            into = steps.setdefault(row["step"], _flight_row(row["step"]))
            for count in COUNTS:
                into[count] += row.get(count, 0)
            mine, theirs = into["oldest"], row["oldest"]
            if theirs is not None and (mine is None or theirs["since"] < mine["since"]):
                into["oldest"] = theirs
        overdue += one["overdue"]
        duplicates += one.get("duplicates", [])
        for key in merged:
            merged[key] += one[key]
    overdue.sort(key=lambda r: str(r["due_at"]))
    return {
        "steps": list(steps.values()),
        "overdue": overdue[:OVERDUE_ROWS],
        "duplicates": duplicates[:OVERDUE_ROWS],
        **merged,
    }


def board_view(
    merged: Json,
    dead_letters: Json,
    now: dt.datetime,
    *,
    partial: list[str] | None = None,
    webhook_steps: Iterable[str] = (),
) -> Json:
    """The JSON of ``GET /api/board``: the merged parts, ages and shares computed at ``now``;
    ``webhook_steps``: the steps whose agency answers through the webhook bridge."""
    through_webhooks = frozenset(webhook_steps)
    steps = []
    for row in merged["steps"]:
        oldest = row["oldest"]
        if oldest is not None:
            since = dt.datetime.fromisoformat(oldest["since"])
            oldest = {**oldest, "age_seconds": round((now - since).total_seconds(), 1)}
        group = next((g for g in GROUPS if row["step"] in GROUPS[g].steps), "")
        agency = _agency(group, row["step"])
        answered_by = "webhooks" if row["step"] in through_webhooks else "kafka"
        decided = row.get("automatic", 0) + row.get("reviewed", 0)
        reviewed_share = round(row.get("reviewed", 0) / decided, 4) if decided else None
        steps.append(
            {
                **row,
                "agency": agency,
                "oldest": oldest,
                "answered_by": answered_by,
                "reviewed_share": reviewed_share,
            }
        )
    overdue = [
        {
            **row,
            "late_by_seconds": round(
                (now - dt.datetime.fromisoformat(row["due_at"])).total_seconds(), 1
            ),
        }
        for row in merged["overdue"]
    ]
    finished, on_time = merged["finished_today"], merged["on_time_today"]
    return {
        "as_of": now.isoformat(),
        "steps": steps,
        "overdue": overdue,
        "overdue_count": merged["overdue_count"],
        "today": {
            "finished": finished,
            "on_time": on_time,
            "share": round(on_time / finished, 4) if finished else None,
        },
        "duplicates": merged["duplicates"],
        "dead_letters": dead_letters,
        "partial": partial or [],
    }
