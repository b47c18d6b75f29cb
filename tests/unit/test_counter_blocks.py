"""Counters reserved in blocks: one saved write per block, and never a number given twice."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lienthong.domain.allocation import BufferedCounters, Reservations, ceiling_of


def test_one_worker_gives_consecutive_numbers_and_saves_one_ceiling_per_block() -> None:
    table: dict[str, int] = {}
    reserved = Reservations(block=4)
    given_numbers, saves = [], 0
    for _ in range(10):
        view = BufferedCounters(table, reserved)
        given_numbers.append(view.next("reg:x"))
        saves += len(view.updates)
        table.update(view.updates)
    assert given_numbers == list(range(10))
    assert saves == 3  # ceilings 4, 8 and 12
    assert ceiling_of(table["reg:x"]) == 12


def test_without_reservations_every_number_is_saved_as_the_next_value() -> None:
    table: dict[str, int] = {}
    view = BufferedCounters(table)
    assert [view.next("k"), view.next("k")] == [0, 1]
    assert view.updates == {"k": 2}


def test_a_worker_whose_counter_another_worker_moved_starts_from_the_new_ceiling() -> None:
    table: dict[str, int] = {}
    first, second = Reservations(block=4), Reservations(block=4)
    a = BufferedCounters(table, first)
    assert a.next("k") == 0
    table.update(a.updates)  # first worker's block 0..3 saved
    b = BufferedCounters(table, second)  # the partition moved: the second worker reserves
    assert b.next("k") == 4
    table.update(b.updates)
    back = BufferedCounters(table, first)  # and moved back: the first's open block is stale
    assert back.next("k") == 8


def test_a_batch_dropped_after_reserving_starts_again_from_the_saved_ceiling() -> None:
    table = {"k": 4}
    reserved = Reservations(block=4)
    dropped = BufferedCounters(table, reserved)
    assert dropped.next("k") == 4  # reserved 4..7 in memory; the batch is dropped, never saved
    again = BufferedCounters(table, reserved)
    assert again.next("k") == 4  # nothing was announced from the dropped block
    assert ceiling_of(again.updates["k"]) == 8


def test_a_ceiling_saved_by_an_earlier_release_as_the_next_value_is_where_blocks_start() -> None:
    table = {"k": 17}  # the next number, as saved before blocks
    view = BufferedCounters(table, Reservations(block=10))
    assert view.next("k") == 17
    assert ceiling_of(view.updates["k"]) == 27


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 1), st.integers(1, 5), st.booleans()), min_size=1, max_size=40
    ),
    st.integers(1, 6),
)
def test_numbers_saved_by_any_interleaving_of_two_workers_and_dropped_batches_are_unique(
    batches: list[tuple[int, int, bool]], block: int
) -> None:
    """Two workers take turns on one counter; each batch takes some numbers and is saved (its
    numbers announced) or dropped (nothing announced, nothing saved)."""
    table: dict[str, int] = {}
    workers = [Reservations(block=block), Reservations(block=block)]
    announced: list[int] = []
    for worker, count, saved in batches:
        view = BufferedCounters(table, workers[worker])
        numbers = [view.next("k") for _ in range(count)]
        if saved:
            table.update(view.updates)
            announced += numbers
    assert len(announced) == len(set(announced))
    assert all(n < ceiling_of(table.get("k")) for n in announced)


def test_another_worker_reserving_up_to_the_same_ceiling_does_not_reopen_a_dropped_block() -> None:
    """Found by the test above: a block reserved in a dropped batch, then the same ceiling saved
    by another worker's reservation; equal ceilings alone would hand out its numbers twice."""
    table: dict[str, object] = {}
    first, second = Reservations(block=2), Reservations(block=2)
    assert BufferedCounters(table, first).next("k") == 0  # 0..1 reserved, the batch dropped
    other = BufferedCounters(table, second)
    assert other.next("k") == 0  # the other worker reserves 0..1 (ceiling 2) and saves it
    table.update(other.updates)
    assert BufferedCounters(table, first).next("k") == 2  # not 1: that block is not its own
