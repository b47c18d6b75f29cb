"""The procedure group as posted: the public page, the A4 poster and its QR code."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import test_web
import zxingcpp
from PIL import Image
from test_web import Hub as WebHub

from lienthong.domain.deadline_cuts import parse_cuts
from lienthong.groups.birth.declaration import GROUP as BIRTH
from lienthong.hub.pages.poster import draw_poster
from lienthong.hub.pages.procedures import procedure_view

#: The web tests' hub (its web app under a test client), shared under its fixture name.
hub = test_web.hub
CUTS = parse_cuts(
    {
        "decisions": [
            {
                "province": "01",
                "group": "birth",
                "step": "whole",
                "decision": "9/QĐ-UBND",
                "effective": dt.date(2026, 1, 1),
                "days": 2,
            }
        ]
    }
)


def test_the_deadlines_in_force_follow_the_province_and_the_day() -> None:
    def whole(province: str | None, on: dt.date) -> dict[str, object]:
        rows = procedure_view(BIRTH, CUTS, province, on, "en")["deadlines"]
        return next(r for r in rows if r["step"] == "whole")

    assert whole("01", dt.date(2026, 3, 2)) == {
        "step": "whole",
        "name": "The whole linked dossier",
        "law": "3 (5)",
        "applied": "2 (5)",
        "decisions": ["9/QĐ-UBND"],
    }
    assert whole("01", dt.date(2025, 12, 31))["applied"] == "3 (5)"
    assert whole("79", dt.date(2026, 3, 2))["decisions"] == []
    assert whole(None, dt.date(2026, 3, 2))["applied"] == "3 (5)"


def test_every_combination_and_every_step_is_on_the_notice() -> None:
    view = procedure_view(BIRTH, CUTS, "01", dt.date(2026, 3, 2), "vi")
    shown = BIRTH.on(dt.date(2026, 3, 2))  # the version the notice's day shows
    assert len(view["combinations"]) == len(shown.combinations)
    assert view["combinations"][0].startswith("Đăng ký khai sinh + ")
    assert [r["step"] for r in view["deadlines"]] == ["whole", *shown.steps]
    assert len(view["documents"]) == 1 + len(shown.steps)
    assert view["province_name"] == "Thành phố Hà Nội"


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_poster_is_a4_and_its_qr_code_opens_the_page(lang: str) -> None:
    view = procedure_view(BIRTH, CUTS, "01", dt.date(2026, 3, 2), lang)
    url = f"https://dichvucong.example.vn/procedures/birth?province=01&lang={lang}"
    view["url"] = url
    with Image.open(io.BytesIO(draw_poster(view, "png"))) as image:
        assert abs(image.width / image.height - 210 / 297) < 0.01
        (found,) = zxingcpp.read_barcodes(image)
    assert found.text == url
    pdf = draw_poster(view, "pdf")
    assert pdf.startswith(b"%PDF") and b"/MediaBox [ 0 0 595.44 841.68 ]" in pdf


async def test_the_public_page_and_its_poster(hub: WebHub) -> None:
    status, headers, body = await hub.get("/procedures/birth?province=01&lang=en")
    text = test_web.visible(body)
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    for words in (
        "Linked procedures for a newborn",
        "Birth registration + Permanent residence registration",
        "electronic birth certificate",
        "The whole linked dossier",
        "dichvucong.gov.vn",
        "Thành phố Hà Nội",
    ):
        assert words in text, words
    status, headers, body = await hub.get("/procedures/birth/poster.png?province=01")
    assert status == 200 and headers["Content-Type"] == "image/png"
    with Image.open(io.BytesIO(body)) as image:
        (found,) = zxingcpp.read_barcodes(image)
    assert found.text == f"{test_web.BASE}/procedures/birth?province=01&lang=vi"
    status, headers, body = await hub.get("/procedures/birth/poster.pdf")
    assert status == 200 and body.startswith(b"%PDF")


@pytest.mark.parametrize("path", ["/procedures/marriage", "/procedures/birth?province=99"])
async def test_an_unknown_group_or_province_is_not_found(hub: WebHub, path: str) -> None:
    status, _, _ = await hub.get(path)
    assert status == 404
