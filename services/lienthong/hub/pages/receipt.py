"""The receipt as an image: an SVG card with the QR code drawn in, or the QR code as PNG."""

from __future__ import annotations

import io
from zoneinfo import ZoneInfo

import segno

from lienthong.hub.pages.text import LABELS, PROCEDURES, pick, service_name, when
from lienthong.hub.state import DossierState

#: Border of the QR code in modules: the 4 the QR standard asks for, so any reader finds it.
QR_BORDER = 4
#: Pixels per module in the PNG: about 360 px for a status link, sharp when printed at 3 cm.
PNG_SCALE = 8


def qr_code(url: str) -> segno.QRCode:
    """The QR code of a status link (error correction M: survives a crease or a smudge)."""
    return segno.make(url, error="m", micro=False)


def qr_png(url: str) -> bytes:
    """The QR code of ``url`` alone, as PNG: what a portal puts beside its own receipt text."""
    out = io.BytesIO()
    qr_code(url).save(out, kind="png", scale=PNG_SCALE, border=QR_BORDER)
    return out.getvalue()


def qr_path(url: str, size: float) -> tuple[str, float]:
    """An SVG path drawing the QR code of ``url`` in a ``size`` square, and its module size."""
    rows = [list(row) for row in qr_code(url).matrix_iter(scale=1, border=QR_BORDER)]
    unit = size / len(rows)
    parts = []
    for y, row in enumerate(rows):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                parts.append(f"M{start * unit:.2f} {y * unit:.2f}h{(x - start) * unit:.2f}")
                parts.append(f"v{unit:.2f}h{-(x - start) * unit:.2f}z")
            else:
                x += 1
    return "".join(parts), unit


def receipt_context(state: DossierState, url: str, lang: str, zone: ZoneInfo) -> dict[str, object]:
    """What ``receipt.svg`` draws: labels, the dossier's receipt facts and the QR path."""
    path, _ = qr_path(url, 220.0)
    return {
        "lang": lang,
        "t": {
            **{key: pick(LABELS, key, lang) for key in LABELS},
            "service": service_name(state.group, lang),
        },
        "receipt_number": state.receipt_number,
        "lookup_code": state.lookup_code,
        "received": when(state.submitted_at, lang, zone),
        "due": when(state.due_at, lang, zone),
        "procedures": [
            PROCEDURES.get(step, {}).get(lang, step) for step in state.procedures or state.steps
        ],
        "qr_path": path,
        "url": url,
    }
