"""``lienthong desk``: the agency official's desk from a terminal, on the desk's HTTP API.

The official signs in as on the web (``--official``, the password from
``LIENTHONG_DESK_PASSWORD`` or asked for); every command is the web's own request, decided by
the agency the same way.
"""

from __future__ import annotations

import base64
import getpass
import json
import os
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Annotated, Any

import typer

from lienthong.cli_output import fail, say
from lienthong.settings import Settings

desk_app = typer.Typer(help="The agency official's desk: list, show, claim, decide.")
Official = Annotated[str, typer.Option(help="The official's sign-in name")]
Url = Annotated[str | None, typer.Option(help="The operators' listener (default: the settings')")]


def _call(
    official: str, url: str | None, path: str, body: dict[str, Any] | None = None
) -> tuple[int, Any]:
    settings = Settings()
    base = url or f"http://{settings.operator_host}:{settings.operator_port()}"
    password = os.environ.get("LIENTHONG_DESK_PASSWORD") or getpass.getpass("password: ")
    token = base64.b64encode(f"{official}:{password}".encode()).decode()
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"{base}{path}", data=data, headers={"Authorization": f"Basic {token}"}
    )
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as refused:
        text = refused.read().decode(errors="replace")
        try:
            return refused.code, json.loads(text)
        except ValueError:
            return refused.code, {"answer": text.strip()}
    except urllib.error.URLError as exc:
        fail(f"desk: cannot reach {base}: {exc.reason}", 2)


def _fail_unless_ok(status: int, body: Any) -> Any:
    if status >= 400:
        fail(f"desk: {status}: {body.get('answer') or body.get('error') or body}")
    return body


@desk_app.command("list")
def desk_list(
    official: Official,
    commune: Annotated[str | None, typer.Option(help="Only this commune's cases")] = None,
    after: Annotated[str | None, typer.Option(help="The next page (printed at the end)")] = None,
    url: Url = None,
) -> None:
    """The cases waiting on the official's desk, oldest due first, 50 at a time."""
    query = urllib.parse.urlencode({k: v for k, v in (("commune", commune), ("after", after)) if v})
    body = _fail_unless_ok(*_call(official, url, f"/api/desk/cases?{query}"))
    for case in body["cases"]:
        holder = case["held_by"] or "-"
        say(
            f"{case['due_at'][:16]}  {case['working_days_left']:>3}d  {case['step']:16} "
            f"{case['register_key']:24} {holder:12} {','.join(case['flags'])}"
        )
    if body["after"]:
        say(f"more: --after '{body['after']}'")


@desk_app.command("show")
def desk_show(key: str, official: Official, url: Url = None) -> None:
    """One case: its state, flags, what the agency received, its audit trail."""
    path = f"/api/desk/case?{urllib.parse.urlencode({'key': key})}"
    body = _fail_unless_ok(*_call(official, url, path))
    for line in json.dumps(body, ensure_ascii=False, indent=2).splitlines():
        say(line)


@desk_app.command("claim")
def desk_claim(key: str, official: Official, url: Url = None) -> None:
    """Claim a case before deciding it (another official's claim is refused)."""
    _act(official, url, {"register_key": key, "action": "claim"})


@desk_app.command("release")
def desk_release(key: str, official: Official, url: Url = None) -> None:
    """Give a claimed case back to the queue."""
    _act(official, url, {"register_key": key, "action": "release"})


@desk_app.command("decide")
def desk_decide(
    key: str,
    official: Official,
    approve: Annotated[bool, typer.Option(help="Approve: the step's result is issued")] = False,
    refuse: Annotated[
        str | None, typer.Option(help="Refuse with this declared reason code")
    ] = None,
    supplement: Annotated[str | None, typer.Option(help="Ask the family for this")] = None,
    reason: Annotated[
        str | None, typer.Option(help="A written reason (with --refuse other)")
    ] = None,
    url: Url = None,
) -> None:
    """Approve, refuse or ask for a supplement (exactly one of them)."""
    given = (("approve", approve), ("refuse", refuse), ("supplement", supplement))
    chosen = [name for name, on in given if on]
    if len(chosen) != 1:
        fail("desk decide: give exactly one of --approve, --refuse CODE, --supplement TEXT", 2)
    body: dict[str, Any] = {"register_key": key, "action": chosen[0]}
    if refuse:
        body.update(reason_code=refuse, reason=reason)
    if supplement:
        body["reason"] = supplement
    _act(official, url, body)


def _act(official: str, url: str | None, body: dict[str, Any]) -> None:
    """Send one command (its id kept, so a retry is the same command) and print the answer."""
    body["command"] = str(uuid.uuid4())
    status, answer = _call(official, url, "/api/desk/case", body)
    _fail_unless_ok(status, answer)
    if status == 202:
        say("sent; the agency has not answered yet (look again with `lienthong desk show`)")
        return
    say(f"{answer['answer']}: {answer['case']['state']}")
