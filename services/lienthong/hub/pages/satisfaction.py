"""The satisfaction question on a finished dossier's status page, and the answer it posts.

    GET  /satisfaction/{receipt}?code=&lang=   the question alone (also on the status page)
    POST /satisfaction/{receipt}   form: code, satisfied (yes|no), reason (optional), lang

The lookup code authorises the answer (a wrong code and an unknown receipt get the same 404);
the hub keeps one answer per dossier and stores nothing personal with it.
"""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import quote, urlencode

import aiohttp
from aiohttp import web as aioweb
from faust.web import Request, Response, View

from lienthong import topics
from lienthong.hub.pages.audit import CITIZEN
from lienthong.hub.pages.guard import client_address, is_routed, routed_signature
from lienthong.hub.pages.routing import FORWARD_SECONDS, ROUTED
from lienthong.hub.pages.site import Site
from lienthong.hub.pages.status import find
from lienthong.hub.pages.text import LABELS, language, pick, words
from lienthong.hub.satisfaction import REASONS, can_answer, reason_label, satisfaction_given
from lienthong.hub.state import DossierState
from lienthong.hub.steps import dossier_id_of_receipt

#: The page's words, (Vietnamese, English).
TEXT: dict[str, tuple[str, str]] = {
    "question": (
        "Ông/bà có hài lòng với việc giải quyết hồ sơ này không?",
        "Are you satisfied with how this dossier was handled?",
    ),
    "yes": ("Hài lòng", "Satisfied"),
    "no": ("Không hài lòng", "Not satisfied"),
    "why": ("Lý do (không bắt buộc)", "Reason (optional)"),
    "none": ("Không chọn", "No reason given"),
    "send": ("Gửi đánh giá", "Send my answer"),
    "private": (
        "Câu trả lời không kèm thông tin cá nhân. Mỗi hồ sơ được đánh giá một lần.",
        "Your answer carries no personal data. Each dossier can be rated once.",
    ),
    "thanks": ("Cảm ơn ông/bà đã đánh giá.", "Thank you for your answer."),
    "answered": (
        "Hồ sơ này đã được đánh giá. Cảm ơn ông/bà.",
        "This dossier has already been rated. Thank you.",
    ),
    "not_yet": (
        "Chỉ đánh giá được khi hồ sơ đã giải quyết xong.",
        "A dossier can be rated once it is finished.",
    ),
    "back": ("Quay lại trang hồ sơ", "Back to the dossier"),
    "bad_choice": (
        "Vui lòng chọn Hài lòng hoặc Không hài lòng.",
        "Please choose Satisfied or Not satisfied.",
    ),
}


def labels(lang: str) -> dict[str, str]:
    return words(TEXT, lang)


def satisfaction_context(state: DossierState, lang: str) -> dict[str, Any]:
    """What the status page needs to ask the question (or to thank for the answer)."""
    return {
        "satisfaction": {
            "ask": can_answer(state),
            "answered": state.satisfied is not None,
            "action": f"/satisfaction/{quote(state.receipt_number)}",
            "code": state.lookup_code,
            "lang": lang,
            "reasons": [(code, reason_label(code, lang)) for code in REASONS],
            "t": labels(lang),
        }
    }


class Answers:
    """Checks a posted answer against the dossier and hands it to the hub."""

    def __init__(self, site: Site, headers: dict[str, str]) -> None:
        self.site, self.headers = site, headers
        self.topic = site.dep.app.topic(
            site.settings.topic(topics.DEADLINES), key_serializer="raw", value_serializer="raw"
        )

    def where(self, request: Request) -> tuple[str, bool]:
        """The client's address, and whether another hub worker forwarded the request (signed
        with the lookup key, so no client can pass for one)."""
        raw = cast(aioweb.Request, request)
        routed = is_routed(self.site.keys.newest, raw, request.headers.get(ROUTED))
        return client_address(raw, self.site.proxies, routed), routed

    def owner(self, request: Request, routed: bool) -> str | None:
        """The hub worker holding the dossier when it is not this one."""
        if routed:
            return None
        return self.site.workers.owner(dossier_id_of_receipt(request.match_info["receipt"]))

    def dossier(
        self, view: View, request: Request, code: Any, address: str, lang: str
    ) -> DossierState | Response:
        """The dossier when the receipt and code match, under the status page's lockouts;
        otherwise the status page's own refusal (429 locked out, 404 for any mismatch)."""
        receipt = request.match_info["receipt"]
        refusal = self.site.guard.refusal(address, receipt)
        if refusal is not None:
            self.site.dep.metrics.lookup_refused(refusal[0])
            return self.site.locked_out(view, "status_page", lang, refusal[1])
        state = find(
            self.site.state, receipt, code if isinstance(code, str) else None, self.site.keys
        )
        if state is None:
            self.site.dep.metrics.lookup_failed(self.site.guard.failed(address, receipt))
            return self.site.not_found(view, "status_page", lang)
        return state

    @staticmethod
    def back(state: DossierState, lang: str) -> str:
        query = urlencode({"code": state.lookup_code, "lang": lang})
        return f"/status/{quote(state.receipt_number)}?{query}"

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
        t, back = labels(lang), self.back(state, lang)
        if not can_answer(state):
            message = t["answered"] if state.satisfied is not None else t["not_yet"]
            return self.page(view, lang, message, back, 409)
        choice, reason = form.get("satisfied"), form.get("reason") or None
        if choice not in ("yes", "no") or (reason is not None and reason not in REASONS):
            return self.page(view, lang, t["bad_choice"], back, 400)
        now = self.site.dep.clock.now()
        answer = satisfaction_given(
            state.dossier_id, state.lookup_code, choice == "yes", reason, now
        )
        pipeline = self.site.dep.pipeline
        data = pipeline.codec.encode(answer.schema, answer.record)
        await pipeline.publish(self.topic, answer.key.encode(), data)
        return self.page(view, lang, t["thanks"], back, 200)

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
        raw = cast(aioweb.Request, request)
        now = self.site.dep.clock.now()
        await self.site.audit(state, "satisfaction_page", raw, CITIZEN, address, now)
        asked = can_answer(state) or state.satisfied is not None
        message = "" if asked else labels(lang)["not_yet"]
        form = satisfaction_context(state, lang)
        return self.page(view, lang, message, self.back(state, lang), 200, form)

    def page(
        self,
        view: View,
        lang: str,
        message: str,
        back: str,
        status: int,
        form: dict[str, Any] | None = None,
    ) -> Response:
        html = self.site.templates.get_template("satisfaction.html").render(
            lang=lang,
            message=message,
            back=back,
            outcome="ok" if status == 200 else "warn",
            t={**{k: pick(LABELS, k, lang) for k in LABELS}, **labels(lang)},
            **(form or {}),
        )
        return view.html(html, status=status, headers=self.headers)

    async def forward(
        self, view: View, request: Request, owner: str, form: dict[str, Any], address: str
    ) -> Response:
        """The owning worker decides: post the same form there (signed, with the client's
        address) and relay its answer."""
        target = f"{owner}{request.rel_url}"
        client = self.site.dep.app.http_client
        timeout = aiohttp.ClientTimeout(total=FORWARD_SECONDS)
        asked = {
            ROUTED: routed_signature(self.site.keys.newest, address, str(request.rel_url)),
            "X-Forwarded-For": address,
        }
        try:
            async with client.post(target, data=form, headers=asked, timeout=timeout) as answer:
                body = await answer.read()
                kind = answer.headers.get("Content-Type", "text/html")
        except (aiohttp.ClientError, TimeoutError):
            return view.text("hub worker unavailable, try again", status=503, headers=self.headers)
        return view.bytes(
            body, status=answer.status, headers={**self.headers, "Content-Type": kind}
        )


def register_satisfaction(site: Site, headers: dict[str, str]) -> None:
    """Add ``POST /satisfaction/{receipt}`` to the hub's web server, and its question to the
    status page."""
    answers = Answers(site, headers)
    site.status_parts.append(satisfaction_context)

    @site.dep.app.page("/satisfaction/{receipt}")
    class SatisfactionAnswer(View):
        async def get(self, request: Request, **_: Any) -> Response:
            return await answers.get(self, request)

        async def post(self, request: Request, **_: Any) -> Response:
            return await answers.post(self, request)
