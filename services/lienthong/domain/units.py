"""Administrative units since 1 July 2025 (34 provinces, 3,321 communes), from vietnam-provinces."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from vietnam_provinces import Province, Ward


@dataclass(frozen=True)
class CommuneInfo:
    """A commune (xã, phường, đặc khu) with its 5-digit code and its province's 2-digit code."""

    code: str
    name: str
    province_code: str


def _province_code(value: int) -> str:
    return f"{value:02d}"


@cache
def _provinces() -> dict[str, str]:
    return {_province_code(int(p.code.value)): p.name for p in Province.iter_all()}


@cache
def _communes() -> dict[str, CommuneInfo]:
    communes = (
        CommuneInfo(
            code=f"{int(w.code.value):05d}",
            name=w.name,
            province_code=_province_code(int(w.province_code.value)),
        )
        for w in Ward.iter_all()
    )
    return {c.code: c for c in communes}


@cache
def _communes_by_province() -> dict[str, tuple[CommuneInfo, ...]]:
    grouped: dict[str, list[CommuneInfo]] = {code: [] for code in _provinces()}
    for c in _communes().values():
        grouped[c.province_code].append(c)
    return {code: tuple(communes) for code, communes in grouped.items()}


def province_codes() -> list[str]:
    """The 2-digit codes of the 34 provinces, in order."""
    return sorted(_provinces())


def province_name(code: str) -> str | None:
    """The official name of a province, or None when the code is unknown."""
    return _provinces().get(code)


def commune(code: str) -> CommuneInfo | None:
    """The commune with this 5-digit code, or None when the code is unknown."""
    return _communes().get(code)


def communes_of(province_code: str) -> list[CommuneInfo]:
    """The communes of a province (empty for an unknown province)."""
    return list(_communes_by_province().get(province_code, ()))


def all_communes() -> list[CommuneInfo]:
    """All 3,321 communes, in code order."""
    return sorted(_communes().values(), key=lambda c: c.code)


def commune_codes() -> list[str]:
    """The 5-digit codes of all communes, in order."""
    return sorted(_communes())


def commune_in_province(commune_code: str, province_code: str) -> bool:
    """Whether the commune exists and belongs to the province."""
    found = commune(commune_code)
    return found is not None and found.province_code == province_code
