"""Is anybody reading the intake topic? The check behind ``submit``'s and ``status``'s warning."""

from __future__ import annotations

from kafka.errors import KafkaError

from lienthong import topics
from lienthong.client import connect
from lienthong.runtime.app import app_id
from lienthong.settings import Settings


def hub_members(settings: Settings) -> int | None:
    """Members of the hub's consumer group; None when the broker will not say (no permission)."""
    group = app_id("hub", settings)
    admin = connect.admin(settings, "lienthong-check")
    try:
        described = admin.describe_groups([group])
    except KafkaError:
        return None
    finally:
        admin.close()
    info = described.get(group) if isinstance(described, dict) else None
    return len(info.get("members") or []) if info else 0


def nobody_reads_intake(settings: Settings) -> str | None:
    """A warning when no hub consumes this prefix's intake topic; None when one does."""
    if hub_members(settings) != 0:
        return None
    return (
        f"nobody reads {settings.topic(topics.INTAKE)}: the hub's consumer group "
        f"{app_id('hub', settings)} has no member. Is the stack running with topic prefix "
        f"{settings.topic_prefix!r}? See `lienthong stack status`; for a stack started by "
        '`lienthong stack start` or the demo, run: eval "$(lienthong env)"'
    )
