"""The compiled yes/no check agrees with the reasoned check on every record, good or hostile."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest
from fuzzing import cases
from hostile_values import anything, hostile_value, paths, replace

from lienthong.contracts.catalogue import default_catalogue
from lienthong.contracts.codec import AvroCodec
from lienthong.contracts.conformance import compile_fits, problems
from lienthong.errors import RecordMismatch

CATALOGUE = default_catalogue()


def agree(name: str, record: Any) -> bool:
    schema = CATALOGUE.get(name).expanded
    return compile_fits(schema)(record) == (not problems(schema, record))


def test_every_valid_event_fits_both_ways() -> None:
    for case in cases():
        schema = CATALOGUE.get(case.name).expanded
        assert compile_fits(schema)(case.record), case.name
        assert problems(schema, case.record) == [], case.name


@pytest.mark.parametrize("seed", range(4))
def test_hostile_and_junk_records_get_the_same_verdict(seed: int) -> None:
    rng = random.Random(seed)
    refused = 0
    for _ in range(500):
        case = rng.choice(cases())
        record = copy.deepcopy(case.record)
        places = list(paths(record))
        for path in rng.sample(places, min(len(places), rng.randint(1, 3))):
            if rng.random() < 0.5:
                replace(record, path, lambda like: hostile_value(rng, like))
            else:
                replace(record, path, lambda like: anything(rng))
        assert agree(case.name, record), (case.name, record)
        refused += not compile_fits(CATALOGUE.get(case.name).expanded)(record)
    assert 100 < refused < 500  # both kinds of verdict were exercised


@pytest.mark.parametrize(
    ("value", "fits"),
    [(2**31, False), (True, False), (1.5, False), ("7", False), (None, False), (7, True)],
)
def test_the_rules_fastavro_would_let_through_are_still_refused(value: Any, fits: bool) -> None:
    # fastavro writes a 2**31, a bool or a float into an int field without a word; readers in
    # other stacks would then read garbage. The fast path refuses them as the reasoned one does.
    case = next(c for c in cases() if c.name == "PersonalIdIssued")
    record = copy.deepcopy(case.record)
    record["attempts"] = value
    assert agree("PersonalIdIssued", record)
    if fits:
        AvroCodec().encode("PersonalIdIssued", record)
    else:
        with pytest.raises(RecordMismatch, match="attempts"):
            AvroCodec().encode("PersonalIdIssued", record)
