"""The contracts every declared group needs exist: step symbols, submission, handoffs, results."""

from __future__ import annotations

import datetime as dt

import pytest

from lienthong import topics
from lienthong.contracts.catalogue import default_catalogue
from lienthong.contracts.codec import AvroCodec, Decoded
from lienthong.contracts.events import metadata
from lienthong.domain.declaration import ProcedureGroup
from lienthong.errors import WrongEventType
from lienthong.groups.registry import GROUPS, all_steps
from lienthong.limits import MAX_MESSAGE_BYTES
from lienthong.runtime.boundary import Boundary


@pytest.mark.parametrize("group", GROUPS.values(), ids=list(GROUPS))
def test_every_declared_group_has_its_contracts(group: ProcedureGroup) -> None:
    catalogue = default_catalogue()
    symbols = catalogue.types["vn.lienthong.v1.common.Step"]["symbols"]
    assert set(group.steps) <= set(symbols)
    catalogue.get(group.submission)
    for spec in group.steps.values():
        for schema in (spec.handoff, *spec.results):
            catalogue.get(schema)
    assert group.submission in topics.CARRIES[topics.INTAKE]


def test_each_agency_topic_carries_the_handoffs_and_results_of_every_step_it_owns() -> None:
    for step, spec in all_steps().items():
        assert spec.handoff in topics.CARRIES[topics.handoff(step)]
        assert set(spec.results) <= topics.CARRIES[topics.completion(step)]
        assert step in topics.STEPS_OF_ROLE[topics.completion(step)]
    assert topics.STEPS_OF["health-insurance"] == (
        "health_insurance",
        "funeral_allowance",
        "survivor_benefit",
    )
    assert topics.DEPLOYABLES == ("hub", "civil-registry", "residence", "health-insurance")


def test_a_deployable_answers_for_each_of_its_steps_and_no_other() -> None:
    boundary = Boundary("lienthong", MAX_MESSAGE_BYTES, 4)
    at = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
    codec = AvroCodec()

    def rejected(step: str) -> Decoded:
        meta = metadata("StepRejected", "D-1", "health-insurance", at, None)
        record = {"meta": meta, "step": step, "reason_code": "x", "reason": "y"}
        return codec.decode(codec.encode("StepRejected", record))

    for step in ("health_insurance", "funeral_allowance", "survivor_benefit"):
        boundary.check("lienthong.completion.health-insurance", rejected(step))
    with pytest.raises(WrongEventType, match="answers only for the step residence or"):
        boundary.check("lienthong.completion.residence", rejected("funeral_allowance"))
    granted = {"meta": metadata("FuneralAllowanceGranted", "D-1", "residence", at, None)}
    granted |= {"decision_number": "MT-1", "category": "PENSIONER", "paid_to": "A"}
    decoded = codec.decode(codec.encode("FuneralAllowanceGranted", granted))
    with pytest.raises(WrongEventType, match="not FuneralAllowanceGranted"):
        boundary.check("lienthong.completion.residence", decoded)
