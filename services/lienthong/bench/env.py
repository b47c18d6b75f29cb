"""The ground every mode runs on: its own topics on the local broker, the four deployables."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from kafka.admin import KafkaAdminClient
from rich.console import Console

from lienthong.broker.local import running_broker
from lienthong.places import VAR_DIR
from lienthong.runtime.stack import LocalStack
from lienthong.settings import Settings
from lienthong.worker import prepare_topics


@contextmanager
def own_topics(base: Settings, console: Console, *, keep: bool = False) -> Iterator[Settings]:
    """Settings with a fresh topic prefix, on a broker that answers (started if none does).

    Every topic of the prefix is deleted afterwards unless ``keep``: runs of a day left hundreds
    of topics on a long-lived local broker, which slowed it.
    """
    settings = base.model_copy(update={"topic_prefix": f"lienthong-bench-{uuid.uuid4().hex[:8]}"})
    with running_broker(settings) as broker:
        console.print(broker.message)
        try:
            yield settings
        finally:
            if keep:
                console.print(f"the run's topics stay on the broker: {settings.topic_prefix}*")
            else:
                gone = delete_topics(settings, settings.topic_prefix)
                console.print(f"deleted the run's {gone} topics ({settings.topic_prefix}*)")


def delete_topics(settings: Settings, prefix: str) -> int:
    """Delete every topic whose name starts with ``prefix``; how many there were."""
    admin = KafkaAdminClient(**settings.kafka_client_options(), client_id="lienthong-bench")
    try:
        names = [name for name in admin.list_topics() if name.startswith(prefix)]
        if names:
            admin.delete_topics(names)
        return len(names)
    finally:
        admin.close()


def stack(settings: Settings) -> LocalStack:
    """The four deployables on ``settings``' topics (created first), logs under ``var/logs`` (the
    checkout's, or the user's state folder)."""
    prepare_topics(settings)
    return LocalStack(settings, VAR_DIR / "logs" / settings.topic_prefix)
