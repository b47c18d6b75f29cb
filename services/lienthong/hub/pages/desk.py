"""The officials' desk on the operators' listener (sign-in required, as for the board).

    GET  /desk?lang=&commune=&after=     the list: the official's agency, oldest due first, 50
    GET  /desk/case?key=&lang=           one case: what the agency received, flags, audit
    POST /desk/case                      a command from the case's form (then back to it)
    GET  /api/desk/cases?commune=&after= the list, JSON
    GET  /api/desk/case?key=             one case, JSON
    POST /api/desk/case               {register_key, action, reason_code?, reason?, command?}

An official is an operator named in ``desk_officials`` with the agency deployable they decide
for; they see that agency's cases only (any other is "not found") and nothing but the handoff
their step received. A command is published to the agency's handoff topic and the page waits
for the agency's answer (the desk's store gets it from the desk topic): the agency decides.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any, cast
from urllib.parse import urlencode

from aiohttp import web as aioweb

from lienthong import topics
from lienthong.contracts import records
from lienthong.contracts.events import metadata
from lienthong.hub.desk.store import Case, DeskStore
from lienthong.hub.pages.desk_text import DESK, STATES, flag_words, reasons_of, words
from lienthong.hub.pages.site import Site
from lienthong.hub.pages.text import LABELS, language, pick

Json = dict[str, Any]
ACTIONS = ("claim", "release", "approve", "refuse", "supplement")
#: How long a command waits for the agency's answer before the page says "sent".
ANSWER_SECONDS = 10.0
NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


class DeskPages:
    """The desk's pages and API over a hub ``Site`` and the desk's store."""

    def __init__(self, site: Site, store: DeskStore, operator_key: Any) -> None:
        self.site, self.store, self.operator_key = site, store, operator_key
        self.officials = dict(site.settings.desk_officials)

    def register(self, app: aioweb.Application) -> None:
        app.router.add_get("/desk", self.list_page)
        app.router.add_get("/desk/case", self.case_page)
        app.router.add_post("/desk/case", self.case_post)
        app.router.add_get("/api/desk/cases", self.list_api)
        app.router.add_get("/api/desk/case", self.case_api)
        app.router.add_post("/api/desk/case", self.action_api)

    # -- who, and what they may see -------------------------------------------------------
    def agency(self, request: aioweb.Request) -> tuple[str, str]:
        """The official signed in and the agency they decide for (403 for anyone else)."""
        name = str(request[self.operator_key])
        agency = self.officials.get(name)
        if agency is None:
            raise aioweb.HTTPForbidden(
                text=pick(DESK, "no_agency", language(request.query.get("lang"))),
                headers=NO_STORE,
            )
        return name, agency

    def visible(self, request: aioweb.Request, key: str) -> Case:
        """A case of the official's agency; 404 for any other (not even its existence)."""
        _, agency = self.agency(request)
        case = self.store.case(key)
        if case is None or case["deployable"] != agency:
            raise aioweb.HTTPNotFound(
                text=pick(DESK, "not_found", language(request.query.get("lang"))),
                headers=NO_STORE,
            )
        return case

    def listed(self, request: aioweb.Request) -> tuple[list[Json], str | None]:
        _, agency = self.agency(request)
        after = request.query.get("after")
        cursor = (
            cast(tuple[str, str], tuple(after.split("|", 1))) if after and "|" in after else None
        )
        cases = self.store.waiting(agency, request.query.get("commune") or None, cursor)
        last = cases[-1] if len(cases) == 50 else None
        return [self.shown(c) for c in cases], (
            f"{last['due_at']}|{last['register_key']}" if last else None
        )

    def shown(self, case: Case) -> Json:
        """A case as the desk shows it: working days left, whether its claim still holds."""
        now = self.site.dep.clock.now()
        calendar = self.site.dep.calendar
        due = dt.datetime.fromisoformat(case["due_at"])
        days = calendar.working_days_between(calendar.local_date(now), calendar.local_date(due))
        until = str(case.get("claimed_until") or "")
        held = case["state"] == "claimed" and bool(until) and dt.datetime.fromisoformat(until) > now
        shown: Json = {**case}
        shown.update(working_days_left=days, held_by=case["claimed_by"] if held else None)
        shown["fields"] = flatten(case["projection"])
        return shown

    # -- commands -------------------------------------------------------------------------
    async def command(self, official: str, case: Case, form: Any) -> tuple[int, str]:
        """Publish the official's command and wait for the agency's answer."""
        action = str(form.get("action") or "")
        if action not in ACTIONS:
            return 422, f"action: must be one of {', '.join(ACTIONS)}"
        given = str(form.get("command") or "")
        command = given if _is_uuid(given) else str(uuid.uuid4())
        now = self.site.dep.clock.now()
        meta = metadata(topics.DESK_ACTION, case["dossier_id"], "hub", now, None, command)
        record: records.DeskAction = {
            "meta": meta,
            "register_key": case["register_key"],
            "step": case["step"],
            "action": action,
            "official": official,
            "reason_code": str(form.get("reason_code") or "") or None,
            "reason": str(form.get("reason") or "").strip()[:500] or None,
        }
        pipeline = self.site.dep.pipeline
        data = pipeline.codec.encode(topics.DESK_ACTION, record)
        key = case["register_key"].split("/", 1)[0].encode()
        await pipeline.publish(pipeline.topics[topics.handoff(case["step"])], key, data)
        event_id = str(meta["event_id"])
        loop = asyncio.get_running_loop()
        deadline = loop.time() + ANSWER_SECONDS
        while loop.time() < deadline:
            answer = self.store.answer(event_id)
            if answer is not None:
                return (200, answer) if answer == "ok" else (409, answer)
            await asyncio.sleep(0.1)
        return 202, "pending"

    # -- pages ----------------------------------------------------------------------------
    async def list_page(self, request: aioweb.Request) -> aioweb.StreamResponse:
        official, agency = self.agency(request)
        lang = language(request.query.get("lang"))
        cases, more = self.listed(request)
        query = {k: v for k, v in request.query.items() if k in ("commune", "lang")}
        html = self.render(
            "desk.html",
            lang,
            official,
            agency,
            cases=cases,
            next_url=f"/desk?{urlencode({**query, 'after': more})}" if more else None,
            other=_other("/desk", query, lang),
        )
        return aioweb.Response(text=html, content_type="text/html", headers=NO_STORE)

    async def case_page(self, request: aioweb.Request) -> aioweb.StreamResponse:
        official, agency = self.agency(request)
        lang = language(request.query.get("lang"))
        case = self.shown(self.visible(request, request.query.get("key", "")))
        message = request.query.get("answer")
        html = self.render(
            "desk_case.html",
            lang,
            official,
            agency,
            case=case,
            reasons=[(r.code, r.in_language(lang)) for r in reasons_of(case["step"])],
            command=str(uuid.uuid4()),
            message=message,
            other=_other("/desk/case", {"key": case["register_key"]}, lang),
        )
        return aioweb.Response(text=html, content_type="text/html", headers=NO_STORE)

    async def case_post(self, request: aioweb.Request) -> aioweb.StreamResponse:
        form = await request.post()
        official, _ = self.agency(request)
        case = self.visible(request, str(form.get("key") or ""))
        status, answer = await self.command(official, case, form)
        lang = language(str(form.get("lang") or ""))
        if status == 200:
            answer = pick(DESK, "ok", lang)
        elif status == 202:
            answer = pick(DESK, "pending", lang)
        else:
            answer = f"{pick(DESK, 'refused', lang)}: {answer}"
        query = urlencode({"key": case["register_key"], "lang": lang, "answer": answer})
        raise aioweb.HTTPSeeOther(f"/desk/case?{query}")

    async def list_api(self, request: aioweb.Request) -> aioweb.StreamResponse:
        cases, more = self.listed(request)
        return aioweb.json_response({"cases": cases, "after": more}, headers=NO_STORE)

    async def case_api(self, request: aioweb.Request) -> aioweb.StreamResponse:
        case = self.shown(self.visible(request, request.query.get("key", "")))
        return aioweb.json_response(case, headers=NO_STORE)

    async def action_api(self, request: aioweb.Request) -> aioweb.StreamResponse:
        try:
            body = await request.json()
        except ValueError:
            return aioweb.json_response({"error": "the body must be JSON"}, status=400)
        if not isinstance(body, dict):
            return aioweb.json_response({"error": "the body must be a JSON object"}, status=400)
        official, _ = self.agency(request)
        case = self.visible(request, str(body.get("register_key") or ""))
        status, answer = await self.command(official, case, body)
        payload = {
            "answer": answer,
            "case": self.shown(self.store.case(case["register_key"]) or case),
        }
        return aioweb.json_response(payload, status=status, headers=NO_STORE)

    def render(self, name: str, lang: str, official: str, agency: str, **context: Any) -> str:
        return self.site.templates.get_template(name).render(
            lang=lang,
            official=official,
            agency=agency,
            t=words(DESK, lang),
            states=words(STATES, lang),
            flag=lambda step, code: flag_words(step, code, lang),
            service=pick(LABELS, "service", lang),
            **self.site.helpers(lang),
            **context,
        )


def flatten(value: object, path: str = "") -> list[tuple[str, str]]:
    """A projection as (dotted field, value) lines, as the case page lists them."""
    if isinstance(value, dict):
        return [pair for k, v in value.items() for pair in flatten(v, f"{path}.{k}" if path else k)]
    if isinstance(value, list):
        return [pair for n, v in enumerate(value) for pair in flatten(v, f"{path}[{n}]")]
    return [(path, "" if value is None else str(value))]


def _other(path: str, query: dict[str, str], lang: str) -> str:
    """The same page in the other language."""
    return f"{path}?{urlencode({**query, 'lang': 'en' if lang == 'vi' else 'vi'})}"


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
