"""The contracts every declared group needs exist: step symbols, submission, handoffs, results."""

from __future__ import annotations

import json

import pytest

from lienthong import topics
from lienthong.contracts.catalogue import default_catalogue, schema_root
from lienthong.procedures import GROUPS, ProcedureGroup, all_steps


@pytest.mark.parametrize("group", GROUPS.values(), ids=list(GROUPS))
def test_every_declared_group_has_its_contracts(group: ProcedureGroup) -> None:
    catalogue = default_catalogue()
    step = json.loads((schema_root() / "common" / "Step.avsc").read_text())
    symbols = step["symbols"]
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
