"""The declared routing graph of the birth group: readiness, blocking, labels, combinations."""

from __future__ import annotations

import pytest

from lienthong.domain.declaration import ProcedureGroup, StepSpec
from lienthong.groups.birth.declaration import GROUP as BIRTH
from lienthong.groups.birth.submission import ALLOWED_COMBINATIONS
from lienthong.groups.registry import GROUPS

CR, RES, HI = "civil_registry", "residence", "health_insurance"

#: One row per combination a citizen may choose: what the graph must say about it.
COMBINATIONS = [
    pytest.param(
        (CR, RES, HI),
        [RES, HI],
        "birth+residence+health_insurance",
        id="full-group",
    ),
    pytest.param((CR, RES), [RES], "birth+residence", id="birth+residence"),
    pytest.param((CR, HI), [HI], "birth+health_insurance", id="birth+health-insurance"),
]


@pytest.mark.parametrize(("chosen", "later", "label"), COMBINATIONS)
def test_only_birth_registration_is_ready_at_the_start(
    chosen: tuple[str, ...], later: list[str], label: str
) -> None:
    assert BIRTH.ready(chosen, done=[], started=[]) == [CR]


@pytest.mark.parametrize(("chosen", "later", "label"), COMBINATIONS)
def test_the_chosen_later_steps_are_ready_once_the_birth_is_registered(
    chosen: tuple[str, ...], later: list[str], label: str
) -> None:
    assert BIRTH.ready(chosen, done=[CR], started=[CR]) == later


@pytest.mark.parametrize(("chosen", "later", "label"), COMBINATIONS)
def test_a_refused_birth_registration_blocks_every_later_step(
    chosen: tuple[str, ...], later: list[str], label: str
) -> None:
    assert BIRTH.blocked_by(chosen, CR) == later


@pytest.mark.parametrize(("chosen", "later", "label"), COMBINATIONS)
def test_combination_label(chosen: tuple[str, ...], later: list[str], label: str) -> None:
    assert BIRTH.combination_label(chosen) == label
    # the label does not depend on the order the citizen's form lists the steps in
    assert BIRTH.combination_label(reversed(chosen)) == label


@pytest.mark.parametrize(("chosen", "later", "label"), COMBINATIONS)
def test_order_is_the_declaration_order_whatever_the_input_order(
    chosen: tuple[str, ...], later: list[str], label: str
) -> None:
    assert BIRTH.order(reversed(chosen)) == [CR, *later]


@pytest.mark.parametrize(
    ("chosen", "done", "started", "ready"),
    [
        pytest.param((CR, RES, HI), [], [CR], [], id="birth-handed-off-not-done"),
        pytest.param((CR, RES, HI), [CR], [CR, RES], [HI], id="residence-already-started"),
        pytest.param((CR, RES, HI), [CR], [CR, RES, HI], [], id="everything-started"),
        pytest.param((CR, RES, HI), [CR, RES], [CR, RES], [HI], id="residence-done-card-waits"),
        # a later step never waits for its parallel sibling
        pytest.param((CR, RES, HI), [CR, HI], [CR, HI], [RES], id="card-done-residence-ready"),
    ],
)
def test_ready_during_the_dossier(
    chosen: tuple[str, ...], done: list[str], started: list[str], ready: list[str]
) -> None:
    assert BIRTH.ready(chosen, done=done, started=started) == ready


@pytest.mark.parametrize(
    ("chosen", "failed"),
    [
        ((CR, RES, HI), RES),
        ((CR, RES, HI), HI),
        ((CR, RES), RES),
        ((CR, HI), HI),
    ],
)
def test_a_refused_later_step_blocks_nothing(chosen: tuple[str, ...], failed: str) -> None:
    assert BIRTH.blocked_by(chosen, failed) == []


@pytest.mark.parametrize(
    "chosen",
    [
        pytest.param({CR, RES, HI}, id="full-group"),
        pytest.param({CR, RES}, id="birth+residence"),
        pytest.param({CR, HI}, id="birth+health-insurance"),
        pytest.param([HI, CR, RES], id="any-order"),
        pytest.param((CR, CR, RES), id="repeats-count-once"),
    ],
)
def test_allows_the_declared_combinations(chosen: set[str] | list[str]) -> None:
    assert BIRTH.allows(chosen)


@pytest.mark.parametrize(
    "chosen",
    [
        pytest.param(set(), id="nothing"),
        pytest.param({CR}, id="birth-alone"),
        pytest.param({RES}, id="residence-alone"),
        pytest.param({HI}, id="card-alone"),
        pytest.param({RES, HI}, id="without-birth"),
        pytest.param({CR, RES, HI, "death_registration"}, id="unknown-step"),
    ],
)
def test_refuses_other_combinations(chosen: set[str]) -> None:
    assert not BIRTH.allows(chosen)


def test_the_birth_group_is_registered_by_name() -> None:
    assert GROUPS["birth"] is BIRTH


def test_intake_validation_allows_exactly_the_declared_combinations() -> None:
    # two declarations of the same fact must not drift apart
    assert set(BIRTH.combinations) == set(ALLOWED_COMBINATIONS)


def test_every_combination_contains_what_its_steps_require() -> None:
    for combination in BIRTH.combinations:
        for step in combination:
            assert set(BIRTH.steps[step].requires) <= combination, (combination, step)


def test_the_declaration_order_is_a_topological_order() -> None:
    seen: set[str] = set()
    for name, spec in BIRTH.steps.items():
        assert set(spec.requires) <= seen, f"{name} is declared before what it requires"
        seen.add(name)


@pytest.mark.parametrize(
    ("step", "days", "days_verification"),
    [(CR, 0, 0), (RES, 2, 5), (HI, 2, 2)],
)
def test_step_targets(step: str, days: int, days_verification: int) -> None:
    spec = BIRTH.steps[step]
    assert (spec.target_days, spec.target_days_verification) == (days, days_verification)


def test_group_deadlines() -> None:
    assert (BIRTH.deadline_days, BIRTH.deadline_days_verification) == (3, 5)


# A second group, declared as data: a chain shows that blocking is transitive.
DEATH = ProcedureGroup(
    name="death",
    steps={
        "death_registration": StepSpec("Commune People's Committee", "UBND cấp xã"),
        "deregistration": StepSpec(
            "Commune police", "Công an cấp xã", requires=("death_registration",)
        ),
        "funeral_allowance": StepSpec(
            "Social Security", "Bảo hiểm xã hội", requires=("deregistration",)
        ),
    },
    combinations=(
        frozenset({"death_registration", "deregistration"}),
        frozenset({"death_registration", "deregistration", "funeral_allowance"}),
    ),
    deadline_days=3,
    deadline_days_verification=5,
)


def test_a_refusal_blocks_everything_downstream_of_it() -> None:
    everything = ("death_registration", "deregistration", "funeral_allowance")
    assert DEATH.blocked_by(everything, "death_registration") == [
        "deregistration",
        "funeral_allowance",
    ]
    assert DEATH.blocked_by(everything, "deregistration") == ["funeral_allowance"]


def test_a_chain_becomes_ready_one_link_at_a_time() -> None:
    everything = ("death_registration", "deregistration", "funeral_allowance")
    first = ["death_registration"]
    assert DEATH.ready(everything, done=[], started=[]) == first
    assert DEATH.ready(everything, done=first, started=first) == ["deregistration"]
    both = [*first, "deregistration"]
    assert DEATH.ready(everything, done=both, started=both) == ["funeral_allowance"]
    assert DEATH.combination_label(everything) == "death+deregistration+funeral_allowance"
