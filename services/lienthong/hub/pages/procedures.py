"""A procedure group as posted at the one-stop counter: what a citizen can combine, the
documents, the deadlines in force in the province, where to submit; as a page and a poster.

    GET /procedures/{group}?province=&lang=               the public page
    GET /procedures/{group}/poster.{pdf|png}?province=&lang=   the A4 poster with its QR code
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from faust.web import Request, Response, View

from lienthong.domain import units
from lienthong.domain.deadline_cuts import WHOLE, DeadlineCuts, load_cuts
from lienthong.domain.declaration import ProcedureGroup
from lienthong.groups.registry import GROUPS
from lienthong.hub.pages.order import order_sentence
from lienthong.hub.pages.site import Site
from lienthong.hub.pages.text import language, step_label, words

Json = dict[str, Any]

TEXT: dict[str, tuple[str, str]] = {
    "combinations": ("Các thủ tục có thể đăng ký cùng lúc", "What you can apply for together"),
    "documents": ("Thành phần hồ sơ", "What you need"),
    "deadlines": ("Thời hạn giải quyết (ngày làm việc)", "Deadlines (working days)"),
    "procedure": ("Thủ tục", "Procedure"),
    "law": ("Luật định", "By law"),
    "applied": ("Áp dụng tại tỉnh", "In this province"),
    "verification": ("khi phải xác minh", "when verification is needed"),
    "whole": ("Cả hồ sơ liên thông", "The whole linked dossier"),
    "same_day": ("trong ngày", "same day"),
    "decision": ("Quyết định", "Decision"),
    "where": ("Nơi nộp hồ sơ", "Where to apply"),
    "where_text": (
        "Chỉ nộp trực tuyến: Cổng Dịch vụ công quốc gia (dichvucong.gov.vn) hoặc ứng dụng VNeID.",
        "Online only: the National Public Service Portal (dichvucong.gov.vn) or the VNeID app.",
    ),
    "no_fees": (
        "Lệ phí: chưa có thông tin đã kiểm chứng cho nhóm thủ tục này; hãy hỏi cơ quan tiếp "
        "nhận hồ sơ.",
        "Fees: no verified information for this group yet; ask the office that receives the "
        "dossier.",
    ),
    "source": ("Căn cứ pháp lý", "Legal basis"),
    "scan": ("Quét mã để xem thủ tục", "Scan to read this online"),
    "province": ("Tỉnh, thành phố", "Province"),
    "as_of": ("Thời hạn áp dụng cho hồ sơ tiếp nhận ngày", "Deadlines for dossiers received on"),
}


def _words(lang: str) -> dict[str, str]:
    return words(TEXT, lang)


def _days(days: int, lang: str) -> str:
    return _words(lang)["same_day"] if days == 0 else str(days)


def _pair(days: int, verification: int, lang: str) -> str:
    """``3 (5)``: the days, and in brackets those when verification is needed, if different."""
    text = _days(days, lang)
    return text if days == verification else f"{text} ({_days(verification, lang)})"


def deadline_rows(
    group: ProcedureGroup[Any], cuts: DeadlineCuts, province: str | None, on: dt.date, lang: str
) -> list[Json]:
    """The whole dossier's and each step's days: the law's, and those in force in ``province``."""
    words = _words(lang)
    rows = []
    for step in (WHOLE, *group.steps):
        plain, checked = (
            cuts.applied(group.name, step, verification=v, province=province, received_on=on)
            for v in (False, True)
        )
        rows.append(
            {
                "step": step,
                "name": words["whole"] if step == WHOLE else step_label(group.steps[step], lang),
                "law": _pair(plain.statutory_days, checked.statutory_days, lang),
                "applied": _pair(plain.days, checked.days, lang),
                "decisions": sorted({d for d in (plain.decision, checked.decision) if d}),
            }
        )
    return rows


def group_words(group: ProcedureGroup[Any], lang: str) -> dict[str, str]:
    """The page's words, those that belong to the group taken from its declaration: its title,
    its fee rule (or that none is known), the order its steps run in, its legal basis."""
    t = _words(lang)
    title = group.title.in_language(lang) if group.title else None
    label = group.label_en if lang == "en" else group.label_vi
    return {
        **t,
        "title": title or label or group.name,
        "fees": group.fees.in_language(lang) if group.fees else t["no_fees"],
        "order": order_sentence(group, lang),
        "source_text": f"{t['source']}: {group.source}" if group.source else "",
    }


def version_view(group: ProcedureGroup[Any], lang: str) -> dict[str, str | None]:
    """The version a page shows: its name, its first day (None: the group's first version),
    what it changed, its legal basis."""
    first = group.valid_from == dt.date.min
    return {
        "name": group.version,
        "valid_from": None if first else group.valid_from.isoformat(),
        "change": group.change.in_language(lang) if group.change else None,
        "source": group.change_source,
    }


def documents(group: ProcedureGroup[Any], lang: str) -> list[str]:
    """What the citizen supplies: the group's declaration, then each procedure's own."""
    declared = [*group.documents, *(d for spec in group.steps.values() for d in spec.documents)]
    return [d.in_language(lang) for d in declared]


def procedure_view(
    group: ProcedureGroup[Any], cuts: DeadlineCuts, province: str | None, on: dt.date, lang: str
) -> Json:
    """Everything the page and the poster show, derived from the group's version in force on
    ``on`` (what a dossier received that day is held to)."""
    group = group.on(on)
    combos = [
        " + ".join(step_label(group.steps[step], lang) for step in group.order(chosen))
        for chosen in group.combinations
    ]
    return {
        "group": group.name,
        "lang": lang,
        "t": group_words(group, lang),
        "province": province,
        "province_name": units.province_name(province) if province else None,
        "as_of": on.isoformat(),
        "version": version_view(group, lang),
        "combinations": combos,
        "documents": documents(group, lang),
        "deadlines": deadline_rows(group, cuts, province, on, lang),
    }


class Notices:
    """Serves the page and the poster of each declared group."""

    def __init__(self, site: Site, headers: dict[str, str]) -> None:
        self.site, self.headers = site, headers
        self.cuts = load_cuts(site.settings.deadline_cuts_file)

    def view(self, request: Request) -> tuple[Json, str] | None:
        group = GROUPS.get(request.match_info["group"])
        province = request.query.get("province") or None
        if group is None or (province is not None and units.province_name(province) is None):
            return None
        lang = language(request.query.get("lang"))
        on = self.site.dep.calendar.local_date(self.site.dep.clock.now())
        query = urlencode({k: v for k, v in (("province", province), ("lang", lang)) if v})
        url = f"{self.site.settings.public_base_url}/procedures/{group.name}?{query}"
        return {**procedure_view(group, self.cuts, province, on, lang), "url": url}, lang

    async def page(self, view: View, request: Request) -> Response:
        found = self.view(request)
        if found is None:
            return self.site.not_found(view, "status_page", language(request.query.get("lang")))
        data, lang = found
        html = self.site.templates.get_template("procedures.html").render(
            p=data, lang=lang, poster=data["url"].replace("?", "/poster.pdf?", 1)
        )
        return view.html(html, headers=self.headers)

    async def poster(self, view: View, request: Request) -> Response:
        from lienthong.hub.pages.poster import draw_poster

        found = self.view(request)
        if found is None:
            return self.site.not_found(view, "status_page", language(request.query.get("lang")))
        fmt = request.match_info["fmt"]
        kind = "application/pdf" if fmt == "pdf" else "image/png"
        body = draw_poster(found[0], fmt)
        return view.bytes(body, content_type=kind, headers=self.headers)


def register_procedures(site: Site, headers: dict[str, str]) -> None:
    """Add the public procedure pages and posters to the hub's web server."""
    notices = Notices(site, headers)
    app = site.dep.app

    @app.page("/procedures/{group}")
    async def procedure_page(view: View, request: Request, **_: Any) -> Response:
        return await notices.page(view, request)

    @app.page("/procedures/{group}/poster.{fmt:pdf|png}")
    async def procedure_poster(view: View, request: Request, **_: Any) -> Response:
        return await notices.poster(view, request)
