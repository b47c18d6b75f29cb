"""A text the citizen reads, in Vietnamese (the pages' default) and English."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Words:
    """A text the citizen reads, in Vietnamese (the pages' default) and English."""

    vi: str
    en: str

    def in_language(self, lang: str) -> str:
        return self.en if lang == "en" else self.vi
