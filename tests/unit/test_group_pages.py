"""Each registered group's pages are its own: the procedures page, the poster and the status page
say the group's title, documents and fee rule, in Vietnamese and English, and nothing of another
group; the pages' code names no group and no step (it reads the declarations)."""

from __future__ import annotations

import ast
import datetime as dt
import html
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import test_web
from test_web import Hub as WebHub

from lienthong.domain.deadline_cuts import parse_cuts
from lienthong.domain.declaration import ProcedureGroup, StepSpec
from lienthong.groups.birth.declaration import GROUP as BIRTH
from lienthong.groups.death.declaration import GROUP as DEATH
from lienthong.groups.registry import GROUPS
from lienthong.hub.pages.order import order_sentence
from lienthong.hub.pages.poster import draw_poster
from lienthong.hub.pages.procedures import procedure_view
from lienthong.hub.state import DossierState, StepState
from lienthong.hub.steps import lookup_code

#: The web tests' hub (its web app under a test client), shared under its fixture name.
hub = test_web.hub
PAGES = Path(__file__).parents[2] / "services" / "lienthong" / "hub"
NO_CUTS = parse_cuts({"decisions": []})
LANGS = ("vi", "en")
EVERY = [pytest.param(group, lang, id=f"{group}-{lang}") for group in GROUPS for lang in LANGS]


def read(body: bytes) -> str:
    """What a person reads on the page (entities decoded)."""
    return html.unescape(test_web.visible(body))


def title(group: ProcedureGroup, lang: str) -> str:
    assert group.title is not None, f"{group.name} declares no page title"
    return group.title.in_language(lang)


def documents(group: ProcedureGroup, lang: str) -> list[str]:
    declared = [*group.documents, *(d for s in group.steps.values() for d in s.documents)]
    return [d.in_language(lang) for d in declared]


def others(group: ProcedureGroup) -> list[ProcedureGroup]:
    return [g for g in GROUPS.values() if g.name != group.name]


def foreign(group: ProcedureGroup, lang: str) -> list[str]:
    """What only another group's pages may say: its title, label and step names."""
    words: list[str] = []
    for other in others(group):
        words += [title(other, lang), other.label_en if lang == "en" else other.label_vi]
        words += [s.label_en if lang == "en" else s.label_vi for s in other.steps.values()]
    return [w for w in words if w not in own_labels(group, lang)]


def own_labels(group: ProcedureGroup, lang: str) -> set[str]:
    return {s.label_en if lang == "en" else s.label_vi for s in group.steps.values()}


def fee(group: ProcedureGroup, lang: str) -> str:
    """The declared fee rule, or the page's honest "not verified" (a fee is never guessed)."""
    if group.fees is not None:
        return group.fees.in_language(lang)
    return "chưa có thông tin đã kiểm chứng" if lang == "vi" else "no verified information"


def check_own(text: str, group: ProcedureGroup, lang: str) -> None:
    assert title(group, lang) in text
    for document in documents(group, lang):
        assert document in text, document
    assert fee(group, lang) in text
    assert group.source and group.source in text
    for word in foreign(group, lang):
        assert word not in text, (group.name, word)


# -- the declarations ---------------------------------------------------------------------------


@pytest.mark.parametrize("group", list(GROUPS.values()), ids=list(GROUPS))
def test_every_group_declares_what_its_pages_say(group: ProcedureGroup) -> None:
    assert group.title is not None and group.title.vi and group.title.en
    assert group.source, "the legal basis the page cites"
    assert group.documents, "what the whole dossier needs (its declaration)"
    assert all(d.vi and d.en for s in group.steps.values() for d in s.documents)
    titles = [title(g, lang) for g in GROUPS.values() for lang in LANGS]
    assert len(titles) == len(set(titles)), "two groups' pages would read alike"


def test_the_pages_name_no_group_and_no_step() -> None:
    names = {*GROUPS, *(step for group in GROUPS.values() for step in group.steps)}
    sources = [*sorted((PAGES / "pages").glob("*.py")), *sorted((PAGES / "templates").iterdir())]
    found = [
        (path.name, name)
        for path in sources
        for name in names
        for pattern in {name, name.replace("_", " "), name.replace("_", "-")}
        if re.search(rf"(?i)\b{re.escape(pattern)}\b", path.read_text())
    ]
    assert len(sources) > 10 and found == []


def test_the_order_is_derived_from_the_declared_dependencies() -> None:
    before_card = BIRTH.named("2026-07-01")  # the identity card's version adds a parallel step
    assert order_sentence(before_card, "en") == (
        "Birth registration comes first; permanent residence registration and health-insurance "
        "card for a child under 6 then run in parallel."
    )
    assert order_sentence(before_card, "vi") == (
        "Đăng ký khai sinh làm trước; sau đó đăng ký thường trú và cấp thẻ BHYT cho trẻ em "
        "dưới 6 tuổi làm song song."
    )
    assert order_sentence(DEATH, "en").startswith("Death registration comes first; ")
    chain = ProcedureGroup(
        name="chain",
        steps={
            "a": StepSpec(agency="A", agency_vi="A", label_en="Apply", label_vi="Nộp"),
            "b": StepSpec(
                agency="B", agency_vi="B", label_en="Check", label_vi="Kiểm tra", requires=("a",)
            ),
            "c": StepSpec(
                agency="C", agency_vi="C", label_en="Pay", label_vi="Trả", requires=("b",)
            ),
        },
        combinations=(frozenset("abc"),),
        deadline_days=3,
        deadline_days_verification=3,
    )
    assert chain.stages() == [["a"], ["b"], ["c"]]
    assert order_sentence(chain, "en") == "Apply comes first; then check; then pay."


# -- the procedures page and the poster ---------------------------------------------------------


@pytest.mark.parametrize(("name", "lang"), EVERY)
def test_the_notice_of_each_group_is_its_own(name: str, lang: str) -> None:
    group = GROUPS[name].on(dt.date(2026, 3, 2))  # the version the page's day shows
    view = procedure_view(group, NO_CUTS, None, dt.date(2026, 3, 2), lang)
    assert view["t"]["title"] == title(group, lang)
    assert view["documents"] == documents(group, lang)
    assert fee(group, lang) in view["t"]["fees"]
    assert view["t"]["order"] == order_sentence(group, lang)
    assert [r["step"] for r in view["deadlines"]] == ["whole", *group.steps]


@pytest.mark.parametrize(("name", "lang"), EVERY)
async def test_the_procedures_page_of_each_group_is_its_own(
    hub: WebHub, name: str, lang: str
) -> None:
    group = GROUPS[name].on(test_web.NOW.date())  # the version in force on the hub's day
    status, _, body = await hub.get(f"/procedures/{name}?lang={lang}")
    assert status == 200
    text = read(body)
    check_own(text, group, lang)
    assert order_sentence(group, lang) in text


@pytest.mark.parametrize(("name", "lang"), EVERY)
def test_the_poster_of_each_group_is_its_own(name: str, lang: str) -> None:
    group = GROUPS[name].on(dt.date(2026, 3, 2))  # the version the poster's day shows
    view = procedure_view(group, NO_CUTS, "01", dt.date(2026, 3, 2), lang)
    view["url"] = f"{test_web.BASE}/procedures/{name}?province=01&lang={lang}"
    svg = ET.fromstring(draw_poster(view, "svg"))
    lines = [t.text or "" for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    text = re.sub(r"\s+", " ", " ".join(lines))
    check_own(text, group, lang)


# -- the status page -----------------------------------------------------------------------------


def open_dossier(group: ProcedureGroup, dossier_id: str) -> DossierState:
    """A dossier of ``group``'s largest combination: its first step done, the others at their
    agencies, each step that declares a wait waiting for it."""
    chosen = group.order(max(group.combinations, key=len))
    steps = {step: StepState(phase="handed_off", due_at=test_web.at(days=1)) for step in chosen}
    steps[group.first] = StepState(phase="completed", result_ref="R-1", on_time=True)
    for step in chosen:
        for reason in group.steps[step].waiting:
            steps[step].awaiting = reason
    return DossierState(
        dossier_id=dossier_id,
        group=group.name,
        procedures=chosen,
        combination=group.combination_label(chosen),
        channel="PORTAL",
        submitted_at=test_web.at(days=-1),
        due_at=test_web.at(days=2),
        receipt_number=f"TN-{dossier_id}",
        lookup_code=lookup_code(test_web.KEYS, dossier_id),
        steps=steps,
    )


@pytest.mark.parametrize(("name", "lang"), EVERY)
async def test_the_status_page_of_each_group_is_its_own(hub: WebHub, name: str, lang: str) -> None:
    group = GROUPS[name]
    state = open_dossier(group, f"DVC-2026-{len(name):06d}-{name[:4]}")
    hub.keep(state)
    status, _, body = await hub.get(test_web.url_of(state, lang=lang))
    assert status == 200
    text = read(body)
    assert (group.label_en if lang == "en" else group.label_vi) in text
    for step in state.procedures:
        spec = group.steps[step]
        assert (spec.label_en if lang == "en" else spec.label_vi) in text
        assert (spec.agency if lang == "en" else spec.agency_vi) in text
        for words in spec.waiting.values():
            assert words.in_language(lang) in text
    for other in others(group):
        assert title(other, lang) not in text
        assert (other.label_en if lang == "en" else other.label_vi) not in text
    assert f'href="/procedures/{name}?lang={lang}"' in body.decode()


async def test_a_step_returned_for_correction_names_its_own_group_first_step(hub: WebHub) -> None:
    for group in GROUPS.values():
        state = open_dossier(group, f"DVC-2026-000777-{group.name[:4]}")
        later = state.procedures[-1]
        state.steps[later].awaiting = "correction"
        hub.keep(state)
        first = group.steps[group.first]
        _, _, body = await hub.get(test_web.url_of(state, lang="en"))
        procedure = first.label_en[:1].lower() + first.label_en[1:]
        expected = f"Returned to the {first.agency} for a correction of the {procedure}"
        assert expected in read(body), group.name


def test_a_group_without_a_verified_fee_says_so() -> None:
    unknown = GROUPS["death"]
    assert unknown.fees is None
    view = procedure_view(unknown, NO_CUTS, None, dt.date(2026, 3, 2), "en")
    assert view["t"]["fees"].startswith("Fees: no verified information")
    assert procedure_view(unknown, NO_CUTS, None, dt.date(2026, 3, 2), "vi")["t"]["fees"] == (
        "Lệ phí: chưa có thông tin đã kiểm chứng cho nhóm thủ tục này; hãy hỏi cơ quan tiếp "
        "nhận hồ sơ."
    )


def test_the_pages_never_import_the_module_that_wires_them() -> None:
    """``hub.web`` registers the pages; the pages share ``pages.site`` and never import back."""
    back = []
    for path in sorted((PAGES / "pages").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module is not None:
                names = {f"{node.module}.{a.name}" for a in node.names} | {node.module}
                if "lienthong.hub.web" in names:
                    back.append(path.name)
    assert back == []
