"""An agency's timer over the entries that wait on an outside system (the population database):
each is asked again when its delay is over, through the agency's own re-keyed topic."""

from __future__ import annotations

from lienthong import topics
from lienthong.agencies.keys import RegisterKeys
from lienthong.contracts import records
from lienthong.contracts.events import metadata
from lienthong.domain.agency import Entry
from lienthong.domain.due_index import DueIndex
from lienthong.runtime.deployable import Deployable
from lienthong.settings import Settings


def schedule_retries(
    dep: Deployable, keys: RegisterKeys, retries: DueIndex, settings: Settings
) -> None:
    """Ask again for each waiting entry when it is due: the timer takes only those due (an
    index by due time), never a walk through every registration of the year."""
    register = dep.tables["register"]
    topic = keys.topic(dep)
    interval = min(settings.id_retry_base_seconds, 5.0)

    async def retry_waiting() -> None:
        now = dep.clock.now()
        if retries.stale:
            rebuild()
        for key in retries.due(now):
            entry: Entry | None = register.get(key)
            when = keys.retry_at(entry)
            if entry is None or when is None:  # answered meanwhile, or its write was dropped
                continue
            if when > now:
                retries.schedule(key, when)
                continue
            meta = metadata(
                topics.RETRY_EVENT, entry["dossier_id"], keys.name, now, None, entry["attempts"]
            )
            retry: records.WaitingRetry = {"meta": meta, "register_key": key}
            data = dep.pipeline.codec.encode(topics.RETRY_EVENT, retry)
            # keyed as the handoff was re-keyed (a step's entry adds "/<step>" to that key),
            # so the retry reaches the partition that holds the entry
            partition_key = str(key).split("/", 1)[0]
            await dep.pipeline.publish(topic, partition_key.encode(), data)
            # Asked again: the retry's decision schedules the next one. Should the retry be
            # lost, the rescan finds the entry still waiting.

    dep.app.timer(interval=interval)(retry_waiting)
    dep.ticks["retry_waiting"] = retry_waiting

    def rebuild() -> None:
        """Index the entries this worker holds now (once after each rebalance)."""
        retries.clear()
        retries.stale = False
        for key, entry in register.items():  # one at a time: nothing awaits here
            retries.schedule(key, keys.retry_at(entry))

    dep.keep_fresh(retries)
