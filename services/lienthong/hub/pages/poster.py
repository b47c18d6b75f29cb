"""The A4 poster of a procedure group for the one-stop counter's wall, with its QR code."""

from __future__ import annotations

import io
import textwrap
from typing import Any

import segno

from lienthong.hub.pages.receipt import QR_BORDER

#: Characters a line holds across the page, and beside the QR code (the last section).
WIDE, BESIDE_QR = 88, 56
#: A4 portrait in inches (210 x 297 mm).
A4 = (8.27, 11.69)
INK, BRAND, MUTED = "#1d2430", "#a3161a", "#5b6472"


def _qr_matrix(url: str) -> list[list[int]]:
    code = segno.make(url, error="m", micro=False)
    return [[1 if dark else 0 for dark in row] for row in code.matrix_iter(border=QR_BORDER)]


def draw_poster(view: dict[str, Any], fmt: str = "pdf") -> bytes:
    """The poster as PDF (to print), PNG (to show) or SVG (its text kept as text, as a reader
    or a test reads it); ``view`` is ``procedure_view``'s."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    with matplotlib.rc_context({"svg.fonttype": "none"}):
        fig = plt.figure(figsize=A4, dpi=150 if fmt == "png" else 72)
        try:
            _draw(fig, view)
            out = io.BytesIO()
            fig.savefig(out, format=fmt)
            return out.getvalue()
        finally:
            plt.close(fig)


def _draw(fig: Any, view: dict[str, Any]) -> None:
    from matplotlib.patches import Rectangle

    t = view["t"]
    fig.patch.set_facecolor("white")
    fig.add_artist(Rectangle((0, 0.9), 1, 0.1, color=BRAND, transform=fig.transFigure))
    fig.text(0.06, 0.955, t["title"], color="white", fontsize=22, weight="bold", va="center")
    if view["province_name"]:
        fig.text(0.06, 0.915, view["province_name"], color="white", fontsize=13, va="center")
    y = 0.86
    y = _section(fig, y, t["combinations"], [f"• {c}" for c in view["combinations"]])
    for part in textwrap.wrap(t["order"], 100):
        fig.text(0.08, y, part, fontsize=10, color=MUTED, style="italic")
        y -= 0.02
    y = _section(fig, y - 0.015, t["documents"], [f"• {d}" for d in view["documents"]])
    y = _deadlines(fig, y, view)
    y = _section(fig, y, t["where"], [t["where_text"], t["fees"], t["source_text"]], BESIDE_QR)
    qr = fig.add_axes((0.62, 0.035, 0.32, 0.32 * A4[0] / A4[1]))
    qr.imshow(_qr_matrix(view["url"]), cmap="Greys", interpolation="nearest")
    qr.set_axis_off()
    fig.text(0.78, 0.03, t["scan"], fontsize=11, ha="center", weight="bold")
    fig.text(0.06, 0.05, view["url"], fontsize=8, color=MUTED, wrap=True)


def _section(fig: Any, y: float, title: str, lines: list[str], width: int = WIDE) -> float:
    fig.text(0.06, y, title, fontsize=15, weight="bold", color=BRAND)
    y -= 0.03
    for line in lines:
        for part in textwrap.wrap(line, width) or [""]:
            fig.text(0.08, y, part, fontsize=11, color=INK)
            y -= 0.022
    return y - 0.015


def _deadlines(fig: Any, y: float, view: dict[str, Any]) -> float:
    t = view["t"]
    rows = [[t["procedure"], t["law"], t["applied"]]]
    decisions: set[str] = set()
    for r in view["deadlines"]:
        rows.append([r["name"], r["law"], r["applied"]])
        decisions.update(r["decisions"])
    fig.text(0.06, y, t["deadlines"], fontsize=15, weight="bold", color=BRAND)
    y -= 0.03
    for i, (name, law, applied) in enumerate(rows):
        weight = "bold" if i == 0 else "normal"
        fig.text(0.08, y, name, fontsize=11, weight=weight)
        fig.text(0.66, y, law, fontsize=11, weight=weight, ha="center")
        fig.text(0.86, y, applied, fontsize=11, weight=weight, ha="center")
        y -= 0.024
    note = f"( ) = {t['verification']}"
    if decisions:
        note += f" · {t['decision']} " + ", ".join(sorted(decisions))
    fig.text(0.08, y, note, fontsize=9, color=MUTED)
    return y - 0.04
