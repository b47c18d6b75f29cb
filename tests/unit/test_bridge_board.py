"""The operators' board says which steps an agency answers through the webhook bridge."""

from __future__ import annotations

import datetime as dt

from lienthong.hub.pages.board import board_view, merge, part

NOW = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC)


def test_the_board_marks_the_steps_answered_through_webhooks() -> None:
    from zoneinfo import ZoneInfo

    merged = merge([part([], NOW, ZoneInfo("Asia/Ho_Chi_Minh"))])
    view = board_view(merged, {"rows": []}, NOW, webhook_steps=("residence",))
    by_step = {row["step"]: row["answered_by"] for row in view["steps"]}
    assert by_step["residence"] == "webhooks"
    assert by_step["civil_registry"] == "kafka"
    assert all(r["answered_by"] == "kafka" for r in board_view(merged, {}, NOW)["steps"])
