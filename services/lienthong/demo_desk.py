"""``lienthong demo --review POLICY``: every step that declares a review runs under POLICY, one
official per agency signs in to its desk, and the demo stops waiting for the cases on the desks
(they wait for a person) and says where to open them."""

from __future__ import annotations

import base64
import json
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import SecretStr
from rich.console import Console

from lienthong.domain.review import POLICIES
from lienthong.groups.registry import all_steps
from lienthong.passwords import hash_password
from lienthong.settings import Settings

#: How often the demo asks the desks which dossiers wait there.
ASK_EVERY = 2.0


@dataclass(frozen=True)
class Official:
    name: str
    password: str
    agency: str


def with_review(settings: Settings, policy: str) -> tuple[Settings, list[Official]]:
    """The settings with ``policy`` on every step that declares a review, and an official of
    each such agency added to the operators who may sign in."""
    if policy not in POLICIES:
        raise ValueError(f"review: must be one of {', '.join(POLICIES)}, not {policy!r}")
    steps = {step: spec.deployable for step, spec in all_steps().items() if spec.review}
    officials = [
        Official(f"desk.{agency}", secrets.token_urlsafe(12), agency)
        for agency in dict.fromkeys(steps.values())
    ]
    known = (
        settings.operator_credentials.get_secret_value() if settings.operator_credentials else ""
    )
    lines = [known, *(f"{o.name}:{hash_password(o.password)}" for o in officials)]
    update = {
        "review": ",".join(f"{step}={policy}" for step in steps),
        "desk_officials": {o.name: o.agency for o in officials},
        "operator_credentials": SecretStr("\n".join(line for line in lines if line)),
    }
    return settings.model_copy(update=update), officials


def on_desks(settings: Settings, officials: list[Official]) -> Callable[[], set[str]]:
    """The dossiers waiting on any desk (asked at most every ``ASK_EVERY`` seconds)."""
    asked = [0.0]
    found: set[str] = set()

    def ids() -> set[str]:
        if time.monotonic() - asked[0] >= ASK_EVERY:
            found.clear()
            for official in officials:
                found.update(c["dossier_id"] for c in desk_cases(settings, official))
            asked[0] = time.monotonic()
        return set(found)

    return ids


def desk_cases(settings: Settings, official: Official) -> list[dict[str, str]]:
    """Every case waiting on the official's desk, page after page (none if it cannot answer)."""
    base = f"http://{settings.operator_host}:{settings.operator_port()}/api/desk/cases"
    token = base64.b64encode(f"{official.name}:{official.password}".encode()).decode()
    out: list[dict[str, str]] = []
    after: str | None = ""
    while after is not None:
        url = f"{base}?{urllib.parse.urlencode({'after': after})}" if after else base
        request = urllib.request.Request(url, headers={"Authorization": f"Basic {token}"})
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                page = json.loads(answer.read())
        except (urllib.error.URLError, TimeoutError, ValueError):
            return out
        out += page["cases"]
        after = page["after"]
    return out


def explain(console: Console, settings: Settings, officials: list[Official], total: int) -> None:
    """How many cases wait on each desk, and where to sign in to decide them."""
    operators = f"http://{settings.operator_host}:{settings.operator_port()}"
    waiting = 0
    for official in officials:
        cases = desk_cases(settings, official)
        waiting += len(cases)
        console.print(
            f"desk of {official.agency:17} {len(cases):4} case(s) waiting: {operators}/desk "
            f"(sign in as {official.name}, password {official.password})"
        )
    share = waiting / total if total else 0.0
    console.print(
        f"on the desks: {waiting} of {total} dossiers' steps ({share:.0%}) wait for a person"
    )
