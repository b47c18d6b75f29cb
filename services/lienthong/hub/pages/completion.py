"""The family's part of a dossier a health facility's notice opened, through the signed link sent
to the mother's phone (the status page's lookup code signs it).

    GET  /complete/{receipt}?code=&lang=   the form of the family's part (as the group declares it)
    POST /complete/{receipt}               form: code, lang and the declared fields

The answer is the group's usual filing (its intake rules checked here first, so the family
reads what to fix at once), handed to the hub on its own topic: the hub decides it as any
filing, in the dossier's partition, and the legal clock starts then.
"""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import quote, urlencode

from aiohttp import web as aioweb
from faust.web import Request, Response, View

from lienthong.errors import ValidationFailed
from lienthong.groups.registry import GROUPS
from lienthong.hub.notices import notice_record
from lienthong.hub.pages.audit import CITIZEN
from lienthong.hub.pages.satisfaction import Answers
from lienthong.hub.pages.site import Site
from lienthong.hub.pages.text import LABELS, language, pick
from lienthong.hub.state import DossierState

#: The page's words, (Vietnamese, English).
TEXT: dict[str, tuple[str, str]] = {
    "complete_title": ("Bổ sung hồ sơ", "Complete the dossier"),
    "complete_send": ("Gửi", "Send"),
    "complete_thanks": (
        "Đã nhận. Hồ sơ được tiếp nhận; thời hạn giải quyết tính từ bây giờ.",
        "Received. The dossier is complete; its legal deadline counts from now.",
    ),
    "complete_not_waiting": (
        "Hồ sơ này không chờ gia đình bổ sung.",
        "This dossier is not waiting for the family.",
    ),
}


def _words(lang: str) -> dict[str, str]:
    own = {key: (vi if lang != "en" else en) for key, (vi, en) in TEXT.items()}
    return {**{k: pick(LABELS, k, lang) for k in LABELS}, **own}


class Completion(Answers):
    """Checks the family's part against the waiting dossier and hands the filing to the hub."""

    async def post(self, view: View, request: Request) -> Response:
        form = await request.post()
        address, routed = self.where(request)
        owner = self.owner(request, routed)
        if owner is not None:
            return await self.forward(view, request, owner, dict(form), address)
        lang = language(form.get("lang"))
        state = self.dossier(view, request, form.get("code"), address, lang)
        if not isinstance(state, DossierState):
            return state
        back = self.back(state, lang)
        if state.phase != "awaiting_family":
            return self.render(view, state, lang, _words(lang)["complete_not_waiting"], 409)
        group = GROUPS[state.group]
        assert group.notice is not None  # a waiting dossier's group declares its notice
        part = {k: v for k, v in form.items() if isinstance(v, str) and k not in ("code", "lang")}
        now = self.site.dep.clock.now()
        try:
            filing = group.notice.complete(notice_record(state), part, now)
            group.admit(cast(Any, filing), now)
        except ValidationFailed as refused:
            message = "; ".join(f"{r.field}: {r.message}" for r in refused.reasons)
            return self.render(view, state, lang, message, 400, back)
        pipeline = self.site.dep.pipeline
        data = pipeline.codec.encode(group.submission, filing)
        await pipeline.publish(self.topic, state.dossier_id.encode(), data)
        return self.render(view, state, lang, _words(lang)["complete_thanks"], 200)

    async def get(self, view: View, request: Request) -> Response:
        address, routed = self.where(request)
        owner = self.owner(request, routed)
        if owner is not None:
            return await self.site.workers.forward(
                view, request, owner, self.headers, address, self.site.keys.newest
            )
        lang = language(request.query.get("lang"))
        state = self.dossier(view, request, request.query.get("code"), address, lang)
        if not isinstance(state, DossierState):
            return state
        now = self.site.dep.clock.now()
        await self.site.audit(
            state, "completion_page", cast(aioweb.Request, request), CITIZEN, address, now
        )
        waiting = state.phase == "awaiting_family"
        message = "" if waiting else _words(lang)["complete_not_waiting"]
        return self.render(view, state, lang, message, 200)

    def render(
        self,
        view: View,
        state: DossierState,
        lang: str,
        message: str,
        status: int,
        form_back: str | None = None,
    ) -> Response:
        notice = GROUPS[state.group].notice
        asks = state.phase == "awaiting_family" and notice is not None
        intro = notice.waiting.in_language(lang) if notice else ""
        html = self.site.templates.get_template("completion.html").render(
            lang=lang,
            message=message,
            back=form_back or self.back(state, lang),
            outcome="ok" if status == 200 else "warn",
            t={**_words(lang), "complete_intro": intro},
            fields=[(n, w.in_language(lang)) for n, w in notice.form] if asks and notice else [],
            action=f"/complete/{quote(state.receipt_number)}",
            code=state.lookup_code,
        )
        return view.html(html, status=status, headers=self.headers)


def family_context(state: DossierState, lang: str) -> dict[str, Any]:
    """What the status page shows of a dossier opened from a facility's notice: what it waits
    for, until when, and the family's link (or why it closed)."""
    notice = GROUPS[state.group].notice if state.group in GROUPS else None
    if state.path != "facility" or notice is None:
        return {}
    waiting = state.phase == "awaiting_family"
    closed = state.outcome == "NOT_COMPLETED"
    if not waiting and not closed:
        return {}
    query = urlencode({"code": state.lookup_code, "lang": lang})
    return {
        "family": {
            "message": (notice.waiting if waiting else notice.expired).in_language(lang),
            "complete_by": state.complete_by.isoformat() if state.complete_by else None,
            "link": f"/complete/{quote(state.receipt_number)}?{query}" if waiting else None,
            "send": _words(lang)["complete_title"],
        }
    }


def register_completion(site: Site, headers: dict[str, str]) -> None:
    """Add ``GET|POST /complete/{receipt}`` to the hub's web server, and the family's part to
    the status page."""
    pages = Completion(site, headers)
    site.status_parts.append(family_context)

    @site.dep.app.page("/complete/{receipt}")
    class CompletionForm(View):
        async def get(self, request: Request, **_: Any) -> Response:
            return await pages.get(self, request)

        async def post(self, request: Request, **_: Any) -> Response:
            return await pages.post(self, request)
