"""The agency official's review: per step, which cases a person decides, and why.

A step declares its ``Review``: the flags its cases may raise (each a code with words the
official reads) and the reasons an official may refuse with. A province sets each step's policy
(``auto``: decided by code alone; ``review``: every case to a person; ``flagged``: a case goes to
a person when one of its flags fires). Nothing here knows a group or a step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal, cast

Policy = Literal["auto", "review", "flagged"]
POLICIES: tuple[Policy, ...] = ("auto", "review", "flagged")


@dataclass(frozen=True)
class Reason:
    """A flag or a refusal reason: a stable code and the words an official reads."""

    code: str
    vi: str
    en: str

    def in_language(self, lang: str) -> str:
        return self.en if lang == "en" else self.vi


#: A step's flags: from its handoff (read by its schema's field names), those that fire.
Flags = Callable[[Mapping[str, object]], tuple[Reason, ...]]


def no_flags(handoff: Mapping[str, object]) -> tuple[Reason, ...]:
    return ()


@dataclass(frozen=True)
class Review:
    """What a step declares for the official's desk."""

    flags: Flags = no_flags
    #: Every flag ``flags`` may return (what the desk shows for a code).
    raises: tuple[Reason, ...] = ()
    #: The reasons an official may choose when refusing (a written one is also accepted).
    reasons: tuple[Reason, ...] = ()
    #: The policy when the configuration names none for the step.
    default: Policy = "auto"

    def reason(self, code: str) -> Reason | None:
        """A declared refusal reason by its code."""
        return next((r for r in self.reasons if r.code == code), None)

    def flag(self, code: str) -> Reason | None:
        """A declared flag by its code."""
        return next((r for r in self.raises if r.code == code), None)


def parse_policies(text: str) -> dict[str, Policy]:
    """``step=policy`` pairs separated by commas (``civil_registry=flagged,residence=review``);
    a bad pair raises ValueError naming it and the rule."""
    out: dict[str, Policy] = {}
    for pair in text.split(","):
        if not pair.strip():
            continue
        step, sep, policy = (part.strip() for part in pair.partition("="))
        if not sep or not step:
            raise ValueError(f"review: {pair.strip()!r} must be STEP=POLICY")
        if policy not in POLICIES:
            raise ValueError(
                f"review: the policy of {step!r} must be one of {', '.join(POLICIES)}, "
                f"not {policy!r}"
            )
        out[step] = policy
    return out


def policy_of(step: str, review: Review | None, configured: Mapping[str, str]) -> Policy:
    """The policy a step runs under: the configuration's, else its declared default."""
    chosen = configured.get(step) or (review.default if review else "auto")
    return cast(Policy, chosen)


def to_person(policy: Policy, fired: tuple[Reason, ...]) -> bool:
    """Whether a case goes to an official."""
    return policy == "review" or (policy == "flagged" and bool(fired))
