"""A staged table that keeps its values parsed between accesses (runtime.staged.KeptTable)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from lienthong.hub import app as hub_app
from lienthong.hub.state import DossierState
from lienthong.runtime.staged import KeptTable, Parsing
from lienthong.settings import Settings


class Box:
    """A parsed value: its stored form is ``{"n": n}``."""

    def __init__(self, n: int) -> None:
        self.n = n


class Counting:
    """The parsing of ``Box``, counting how often a stored value is parsed."""

    def __init__(self) -> None:
        self.parsed = 0

    def parse(self, value: Any) -> Box | None:
        if value is None:
            return None
        self.parsed += 1
        return Box(value["n"])

    def dump(self, box: Box) -> dict[str, int]:
        return {"n": box.n}


def kept(table: dict[str, Any] | None = None, limit: int = 8192) -> tuple[KeptTable[Box], Counting]:
    counting = Counting()
    parsing = Parsing(counting.parse, counting.dump)
    return KeptTable(table if table is not None else {}, parsing, limit), counting


def test_a_durable_value_is_taken_again_without_parsing() -> None:
    view, counting = kept()
    view.put("d1", Box(1))
    view.apply()
    taken = view.take("d1")
    assert taken is not None and taken.n == 1
    assert counting.parsed == 0 and view.table["d1"] == {"n": 1}
    assert (view.hits, view.misses) == (1, 0)


def test_a_taken_object_is_the_callers_a_second_take_parses_the_stored_value() -> None:
    view, counting = kept()
    view.put("d1", Box(1))
    view.apply()
    first = view.take("d1")
    assert first is not None
    first.n = 99  # the caller changed it and did not put it back (say, its input was refused)
    second = view.take("d1")
    assert second is not None and second.n == 1 and second is not first
    assert counting.parsed == 1


def test_a_dropped_batch_takes_its_objects_with_it() -> None:
    view, counting = kept({"d1": {"n": 1}})
    taken = view.take("d1")
    assert taken is not None
    taken.n = 2
    view.put("d1", taken)
    view.discard()  # a rebalance dropped the batch
    again = view.take("d1")
    assert again is not None and again.n == 1, "the durable value, not the dropped batch's"
    assert counting.parsed == 2


def test_within_a_batch_the_object_put_is_handed_on_and_its_stored_value_is_what_was_put() -> None:
    view, counting = kept()
    view.put("d1", Box(1))
    handed = view.take("d1")  # a second input about the same dossier in the same batch
    assert handed is not None and handed.n == 1 and counting.parsed == 0
    handed.n = 5  # changed, not put back: the batch stores what was put
    view.apply()
    assert view.table["d1"] == {"n": 1}
    again = view.take("d1")
    assert again is not None and again.n == 1, "not the object changed after its put"


def test_a_value_set_or_popped_directly_is_never_answered_from_the_kept_object() -> None:
    view, _ = kept()
    view.put("d1", Box(1))
    view.apply()
    view["d1"] = {"n": 7}
    staged = view.take("d1")  # in the same batch: what was staged, not the kept object
    assert staged is not None and staged.n == 7
    view.apply()
    seven = view.take("d1")
    assert seven is not None and seven.n == 7
    view.put("d2", Box(2))
    view.apply()
    view.pop("d2")
    assert view.take("d2") is None
    view.apply()
    assert "d2" not in view.table and view.take("d2") is None


def test_only_objects_worth_keeping_are_kept() -> None:
    counting = Counting()
    parsing = Parsing(counting.parse, counting.dump, worth=lambda box: box.n < 10)
    view = KeptTable({"done": {"n": 10}}, parsing)
    view.put("open", Box(1))
    view.put("closed", Box(10))
    done = view.take("done")
    assert done is not None
    view.put("done", done)  # unchanged: not written, and not worth keeping either
    view.apply()
    assert list(view.kept) == ["open"] and view.unchanged == 1
    assert view.take("closed") is not None and view.take("done") is not None
    assert counting.parsed == 3


def test_forget_lets_go_of_every_object() -> None:
    view, _ = kept()
    view.put("d1", Box(1))
    view.apply()
    view.table["d1"] = {"n": 3}  # another worker wrote the partition while it was away
    view.forget()
    three = view.take("d1")
    assert three is not None and three.n == 3


def test_at_most_limit_objects_are_kept_the_least_recently_written_going_first() -> None:
    view, counting = kept(limit=2)
    for n in range(3):
        view.put(f"d{n}", Box(n))
        view.apply()
    assert list(view.kept) == ["d1", "d2"]
    assert view.take("d0") is not None and counting.parsed == 1


async def test_a_write_the_broker_refused_empties_the_cache() -> None:
    view, _ = kept()
    view.put("d1", Box(1))
    view.apply()
    refused: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    refused.set_exception(RuntimeError("not enough replicas"))
    view.sent(refused)
    with pytest.raises(RuntimeError):
        await view.confirm()
    assert view.kept == {}
    assert view.pending["d1"][0] == {"n": 1}, "staged again to be written again"


class Logged(dict[str, Any]):
    """A table that logs the keys written to it."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.writes: list[str] = []

    def __setitem__(self, key: str, value: Any) -> None:
        self.writes.append(key)
        super().__setitem__(key, value)


def test_a_value_put_back_unchanged_is_not_written_again() -> None:
    table = Logged({"d1": {"n": 1}})
    view, _ = kept(table)
    same = view.take("d1")  # parsed from the table
    assert same is not None
    view.put("d1", same)
    assert view.idle() is False, "the batch still ends (its take is forgotten on apply)"
    view.apply()
    assert table.writes == [] and view.unchanged == 1
    again = view.take("d1")  # kept, though not written
    assert again is same and view.hits == 1
    assert again is not None
    view.put("d1", again)
    view.apply()
    assert table.writes == [] and view.unchanged == 2
    changed = view.take("d1")
    assert changed is not None
    changed.n = 2
    view.put("d1", changed)
    view.apply()
    assert table.writes == ["d1"] and table["d1"] == {"n": 2}


def test_only_a_value_its_own_batch_took_is_compared() -> None:
    table = Logged({"d1": {"n": 1}})
    view, _ = kept(table)
    assert view.take("d1") is not None
    view.discard()  # the batch dropped: what it took says nothing of the next
    view.put("d1", Box(1))  # put without a take (a new dossier state): written
    view.apply()
    assert table.writes == ["d1"]
    view.put("d1", Box(1))
    view.apply()
    assert table.writes == ["d1", "d1"], "no take in this batch: nothing to compare with"
    view["d1"] = {"n": 3}  # staged directly in the batch, then taken and put back
    three = view.take("d1")
    assert three is not None and three.n == 3
    view.put("d1", three)
    view.apply()
    assert table.writes == ["d1", "d1", "d1"] and table["d1"] == {"n": 3}


async def test_the_hubs_dossiers_are_forgotten_on_a_rebalance(tmp_path: Any) -> None:
    settings = Settings(state_dir=tmp_path, topic_prefix="kept", partitions=2)
    dep = hub_app.create(settings, with_web_metrics=False)
    (view,) = [v for v in dep.pipeline.staged if isinstance(v, KeptTable)]
    assert view.parsing.worth(DossierState(dossier_id="open", group="birth"))
    closed = DossierState(dossier_id="closed", group="birth", phase="finished")
    assert not view.parsing.worth(closed), "a finished dossier is not kept parsed"
    view.kept["some-dossier"] = (object(), {})
    await dep.app.on_partitions_revoked.send(set())
    assert view.kept == {}
    view.kept["some-dossier"] = (object(), {})
    await dep.app.on_rebalance_complete.send()
    assert view.kept == {}


def test_the_hubs_kept_states_are_on_its_metrics_page(tmp_path: Any) -> None:
    """An operator sees the cache at work: reads kept or parsed, writes left out, its size."""
    settings = Settings(state_dir=tmp_path, topic_prefix="kept", partitions=2)
    dep = hub_app.create(settings, with_web_metrics=False)
    (view,) = [v for v in dep.pipeline.staged if isinstance(v, KeptTable)]
    # the faust table is written from a stream only: a dict stands in for its store
    view.table = {"d1": DossierState(dossier_id="d1", group="birth").to_stored()}
    state = view.take("d1")  # parsed from the store
    assert state is not None
    view.put("d1", state)  # unchanged: left out
    view.apply()
    again = view.take("d1")  # kept
    assert again is state

    def sample(name: str, **labels: str) -> float | None:
        return dep.registry.get_sample_value(name, {"table": "dossiers", **labels})

    assert sample("lienthong_kept_state_reads_total", answer="parsed") == 1
    assert sample("lienthong_kept_state_reads_total", answer="kept") == 1
    assert sample("lienthong_unchanged_writes_left_out_total") == 1
    assert sample("lienthong_kept_states") == 0, "taken: out of the cache until put back"
    view.put("d1", again)
    view.apply()
    assert sample("lienthong_kept_states") == 1


def test_the_working_table_keeps_a_state_as_its_json_bytes_and_reads_older_objects(
    tmp_path: Any,
) -> None:
    """The stored bytes are the same JSON the table's codec wrote before (an upgraded hub reads
    its changelog as it was), and a state reads back the same from either form."""
    import json

    from lienthong.hub.state import stored_json

    state = DossierState(dossier_id="d1", group="birth", procedures=["civil_registry"])
    stored = state.to_stored()
    assert isinstance(stored, bytes)
    assert json.loads(stored) == state.to_table()
    assert DossierState.from_table(stored) == state
    assert DossierState.from_table(state.to_table()) == state, "a JSON object (the archive)"
    assert stored_json(stored) == stored_json(state.to_table()) == state.to_table()
    settings = Settings(state_dir=tmp_path, topic_prefix="kept", partitions=2)
    dep = hub_app.create(settings, with_web_metrics=False)
    assert dep.tables["dossiers"].value_type is bytes, "stored as they are, not encoded again"
    assert dep.tables["archive"].value_type is not bytes
