"""The ground every mode runs on: its own topics on the local broker, the four deployables."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console

from lienthong.broker.local import running_broker
from lienthong.places import VAR_DIR
from lienthong.runtime.stack import LocalStack
from lienthong.settings import Settings
from lienthong.worker import prepare_topics


@contextmanager
def own_topics(base: Settings, console: Console) -> Iterator[Settings]:
    """Settings with a fresh topic prefix, on a broker that answers (started if none does)."""
    settings = base.model_copy(update={"topic_prefix": f"lienthong-bench-{uuid.uuid4().hex[:8]}"})
    with running_broker(settings) as broker:
        console.print(broker.message)
        yield settings


def stack(settings: Settings) -> LocalStack:
    """The four deployables on ``settings``' topics (created first), logs under ``var/logs`` (the
    checkout's, or the user's state folder)."""
    prepare_topics(settings)
    return LocalStack(settings, VAR_DIR / "logs" / settings.topic_prefix)
