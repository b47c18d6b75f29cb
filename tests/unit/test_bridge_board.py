"""The operators' board and the agencies see which steps are answered through the webhook bridge."""

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


def test_an_agency_leaves_the_steps_it_answers_through_webhooks() -> None:
    from lienthong.agencies.builder import Decisions

    residence = Decisions("residence", ("residence", "civil_registry"))
    assert residence.delegated == {"residence"}  # another agency's step is not its to leave
    assert residence.answered_elsewhere("ResidenceHandoff", {})
    assert residence.answered_elsewhere("HandoffCancelled", {"step": "residence"})
    assert not residence.answered_elsewhere("ResidenceDeregistrationHandoff", {})
    assert not residence.answered_elsewhere(
        "HandoffCancelled", {"step": "residence_deregistration"}
    )
    assert not Decisions("residence").answered_elsewhere("ResidenceHandoff", {})
