"""The desk's officials and its HTTP API, as the end-to-end tests of the desk use them."""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from pydantic import SecretStr

from lienthong.passwords import hash_password
from lienthong.settings import Settings

AN = ("an.nguyen", "the civil-status officer's password")
BINH = ("binh.tran", "another civil-status officer's password")
POLICE = ("cong.an", "the commune police officer's password")


def desk_settings(isolated: Settings) -> Settings:
    people = (AN, BINH, POLICE)
    credentials = "\n".join(f"{n}:{hash_password(p, iterations=1000)}" for n, p in people)
    return isolated.model_copy(
        update={
            "review": "civil_registry=review",
            "desk_officials": {
                AN[0]: "civil-registry",
                BINH[0]: "civil-registry",
                POLICE[0]: "residence",
            },
            "operator_credentials": SecretStr(credentials),
        }
    )


def api(settings: Settings, who: tuple[str, str], path: str, body: Any = None) -> tuple[int, Any]:
    url = f"http://127.0.0.1:{settings.operator_port()}{path}"
    token = base64.b64encode(f"{who[0]}:{who[1]}".encode()).decode()
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Authorization": f"Basic {token}"})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=20) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        text = error.read().decode()
        try:
            return error.code, json.loads(text)
        except ValueError:
            return error.code, text


def waiting(settings: Settings, count: int) -> list[Any]:
    """The cases on the civil-registry desk once there are ``count`` (else an empty list)."""
    try:
        status, body = api(settings, AN, "/api/desk/cases")
    except urllib.error.URLError:  # the hub's listener is not up yet
        return []
    cases = list(body["cases"]) if status == 200 else []
    return cases if len(cases) == count else []


def until(check: Callable[[], Any], timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"not within {timeout:.0f} s")
