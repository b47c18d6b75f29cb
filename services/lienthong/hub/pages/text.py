"""What the pages say, in Vietnamese (the default) and English, and how they write times."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from lienthong.domain.declaration import StepSpec, Words
from lienthong.groups.registry import GROUPS, all_steps

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"

#: Procedure names by step, as the citizen knows them from the declaration (form 01).
PROCEDURES: dict[str, dict[str, str]] = {
    step: {"vi": spec.label_vi, "en": spec.label_en} for step, spec in all_steps().items()
}

#: A step's state as the citizen reads it; the keys are ``StepState.phase`` values.
STEP_STATES: dict[str, dict[str, str]] = {
    "waiting": {"vi": "Chờ bước trước", "en": "Waiting for the previous step"},
    "handed_off": {"vi": "Đang xử lý", "en": "In progress at the agency"},
    "supplement": {"vi": "Cần bổ sung hồ sơ", "en": "Supplement needed"},
    "completed": {"vi": "Hoàn thành", "en": "Completed"},
    "rejected": {"vi": "Bị từ chối", "en": "Refused"},
    "not_started": {"vi": "Không thực hiện", "en": "Not started"},
    "withdrawn": {"vi": "Đã rút", "en": "Withdrawn"},
    "not_applicable": {"vi": "Không áp dụng", "en": "Does not apply"},
}

#: The dossier as a whole, by phase and (when finished) outcome.
DOSSIER_STATES: dict[str, dict[str, str]] = {
    "open": {"vi": "Đang giải quyết", "en": "Being processed"},
    "COMPLETED": {"vi": "Đã hoàn thành", "en": "Completed"},
    "PARTLY_COMPLETED": {"vi": "Hoàn thành một phần", "en": "Partly completed"},
    "REJECTED": {"vi": "Bị từ chối", "en": "Refused"},
    "WITHDRAWN": {"vi": "Đã rút hồ sơ", "en": "Withdrawn"},
    "withdrawn": {"vi": "Đã rút hồ sơ", "en": "Withdrawn"},
    "rejected": {"vi": "Bị từ chối", "en": "Refused"},
    "awaiting_family": {"vi": "Chờ gia đình bổ sung", "en": "Waiting for the family"},
    "NOT_COMPLETED": {"vi": "Đã đóng: gia đình chưa bổ sung", "en": "Closed: not completed"},
}

LABELS: dict[str, dict[str, str]] = {
    "title": {"vi": "Tra cứu hồ sơ liên thông", "en": "Linked dossier status"},
    #: The service's name where no dossier's group is known (a dossier's page names its group).
    "service": {"vi": "Dịch vụ công liên thông", "en": "Linked public services"},
    "receipt": {"vi": "Mã hồ sơ", "en": "Receipt number"},
    "received": {"vi": "Tiếp nhận", "en": "Received"},
    "received_node": {"vi": "Hồ sơ đã được tiếp nhận", "en": "Dossier received"},
    "due": {"vi": "Hẹn trả kết quả", "en": "Due"},
    "finished": {"vi": "Hoàn thành lúc", "en": "Finished"},
    "deadline_days": {"vi": "Thời hạn giải quyết", "en": "Deadline"},
    "working_days": {"vi": "ngày làm việc", "en": "working days"},
    "deadline_cut": {"vi": "rút ngắn theo Quyết định", "en": "cut by decision"},
    "statutory": {"vi": "luật định", "en": "statutory"},
    "result": {"vi": "Số kết quả", "en": "Result reference"},
    "reason": {"vi": "Lý do", "en": "Reason"},
    "step_due": {"vi": "Hạn xử lý", "en": "Due by"},
    "on_time": {"vi": "Đúng hạn", "en": "On time"},
    "late": {"vi": "Trễ hạn", "en": "Late"},
    "overdue": {"vi": "Quá hạn", "en": "Overdue"},
    "in_time": {"vi": "Còn trong hạn", "en": "Within the deadline"},
    "results_node": {"vi": "Trả kết quả", "en": "Results"},
    "results_pending": {
        "vi": "Kết quả được gửi về tài khoản Cổng DVC / VNeID khi mọi thủ tục xong.",
        "en": "Results go to your portal / VNeID account once every procedure is done.",
    },
    "action": {"vi": "Việc bạn cần làm", "en": "What you need to do"},
    "supplement": {
        "vi": "Cơ quan yêu cầu bổ sung hồ sơ",
        "en": "The agency asks for more documents",
    },
    "missing": {"vi": "Cần bổ sung", "en": "Missing"},
    "deadline": {"vi": "Hạn bổ sung", "en": "Send them by"},
    "supplement_how": {
        "vi": "Bổ sung trên Cổng Dịch vụ công hoặc ứng dụng VNeID.",
        "en": "Send them through the National Public Service Portal or the VNeID app.",
    },
    "extended": {"vi": "Cơ quan đã hẹn lại ngày trả", "en": "The agency set a new date"},
    "no_action": {"vi": "Bạn không cần làm gì thêm.", "en": "Nothing to do for now."},
    "receipt_png": {"vi": "Phiếu tiếp nhận (ảnh)", "en": "Receipt (image)"},
    "procedures_page": {"vi": "Thủ tục, giấy tờ và lệ phí", "en": "Procedures, documents and fees"},
    "language": {"vi": "English", "en": "Tiếng Việt"},
    "updated": {"vi": "Cập nhật", "en": "Updated"},
    "not_found_title": {"vi": "Không tìm thấy hồ sơ", "en": "Dossier not found"},
    "not_found": {
        "vi": "Không có hồ sơ với mã hồ sơ và mã tra cứu này. Hãy kiểm tra lại phiếu tiếp nhận "
        "hoặc quét lại mã QR.",
        "en": "There is no dossier with this receipt number and lookup code. Check your receipt "
        "or scan its QR code again.",
    },
    "locked_out": {
        "vi": "Đã tra cứu sai quá nhiều lần. Hãy thử lại sau ít phút.",
        "en": "Too many failed lookups. Please try again in a few minutes.",
    },
    "receipt_title": {"vi": "PHIẾU TIẾP NHẬN HỒ SƠ", "en": "DOSSIER RECEIPT"},
    "lookup_code": {"vi": "Mã tra cứu", "en": "Lookup code"},
    "procedures": {"vi": "Thủ tục", "en": "Procedures"},
    "scan": {"vi": "Quét mã để tra cứu", "en": "Scan to follow it"},
}

BOARD_LABELS: dict[str, dict[str, str]] = {
    "title": {"vi": "Bảng điều hành liên thông", "en": "Operator board"},
    "on_time_today": {"vi": "Đúng hạn hôm nay", "en": "On time today"},
    "finished_today": {"vi": "hồ sơ hoàn thành hôm nay", "en": "dossiers finished today"},
    "none_today": {"vi": "Chưa có hồ sơ hoàn thành hôm nay", "en": "None finished yet today"},
    "in_flight": {"vi": "Đang xử lý theo bước", "en": "In flight per step"},
    "step": {"vi": "Bước", "en": "Step"},
    "count": {"vi": "Đang xử lý", "en": "In flight"},
    "citizen": {"vi": "Chờ công dân bổ sung", "en": "Waiting for the citizen"},
    "decided_by": {"vi": "Tự động / cán bộ xét", "en": "Automatic / reviewed"},
    "reviewed": {"vi": "cán bộ xét", "en": "reviewed"},
    "oldest": {"vi": "Chờ lâu nhất", "en": "Oldest waiting"},
    "webhook": {"vi": "qua webhook (cầu nối)", "en": "through webhooks (the bridge)"},
    "overdue": {"vi": "Hồ sơ quá hạn", "en": "Overdue dossiers"},
    "no_overdue": {"vi": "Không có hồ sơ quá hạn", "en": "No overdue dossier"},
    "receipt": {"vi": "Mã hồ sơ", "en": "Receipt"},
    "agency": {"vi": "Cơ quan", "en": "Agency"},
    "due": {"vi": "Hạn", "en": "Due"},
    "late_by": {"vi": "Quá hạn", "en": "Late by"},
    "dead_letters": {"vi": "Thư lỗi gần đây", "en": "Recent dead letters"},
    "no_dead_letters": {"vi": "Không có thư lỗi", "en": "No dead letter"},
    "dead_letters_unavailable": {
        "vi": "Không đọc được thư lỗi",
        "en": "Dead letters cannot be read",
    },
    "at": {"vi": "Lúc", "en": "At"},
    "where": {"vi": "Vị trí", "en": "Where"},
    "kind": {"vi": "Loại lỗi", "en": "Error"},
    "reason": {"vi": "Lý do", "en": "Reason"},
    "partial": {
        "vi": "Thiếu dữ liệu từ một số tiến trình hub",
        "en": "Some hub workers did not answer",
    },
    "language": {"vi": "English", "en": "Tiếng Việt"},
    "updated": {"vi": "Cập nhật", "en": "Updated"},
    "more": {"vi": "và {n} hồ sơ khác", "en": "and {n} more"},
    "duplicates": {"vi": "Hồ sơ bị từ chối vì trùng", "en": "Refused as duplicates"},
    "duplicate_of": {"vi": "Đã dùng trong hồ sơ", "en": "Already used by"},
    "signed_in": {"vi": "Đăng nhập", "en": "Signed in as"},
}
#: The operators' listener's answer to a visitor who has not signed in.
SIGN_IN: dict[str, dict[str, str]] = {
    "title": {"vi": "Cần đăng nhập", "en": "Sign in required"},
    "text": {
        "vi": "Trang này dành cho cán bộ vận hành. Hãy đăng nhập bằng tài khoản được cấp.",
        "en": "This page is for operators. Please sign in with the account you were given.",
    },
    "locked": {
        "vi": "Đăng nhập sai quá nhiều lần. Hãy thử lại sau.",
        "en": "Too many failed sign-ins. Please try again later.",
    },
}


#: A step returned for a correction of the group's first step (its agency and procedure named).
CORRECTION = {
    "vi": "Hồ sơ được chuyển về {agency} để điều chỉnh kết quả {procedure}. Bạn không cần làm gì.",
    "en": "Returned to the {agency} for a correction of the {procedure}; nothing is needed "
    "from you.",
}


def step_label(spec: StepSpec[Any, Any, Any], lang: str) -> str:
    """A procedure's name as the citizen knows it, from its declaration."""
    return spec.label_en if lang == "en" else spec.label_vi


def service_name(group: str, lang: str) -> str:
    """The dossier's procedure group as its pages name it."""
    found = GROUPS.get(group)
    if found is None or not found.label_en:
        return pick(LABELS, "service", lang)
    return found.label_en if lang == "en" else found.label_vi


def procedures_url(group: str, lang: str) -> str:
    """The public page of the dossier's group (what it needs, its fees), or "" if unknown."""
    return f"/procedures/{group}?lang={language(lang)}" if group in GROUPS else ""


#: What a step waiting on a shared outside system says, whichever group and step it is.
AWAITING: dict[str, Words] = {
    "population_database": Words(
        "Đang chờ Cơ sở dữ liệu quốc gia về dân cư phản hồi; cơ quan tự động hỏi lại và "
        "tiếp tục ngay khi có phản hồi. Bạn không cần làm gì.",
        "Waiting for the national population database to answer; the agency asks again "
        "by itself and goes on as soon as it answers. Nothing is needed from you.",
    ),
}


#: What a step on an agency official's desk says (the clock keeps counting meanwhile).
REVIEWING = {
    "vi": "Hồ sơ đang được {agency} xem xét. Bạn không cần làm gì; thời hạn giải quyết vẫn tính.",
    "en": "Being reviewed by the {agency}. Nothing is needed from you; the time limit still runs.",
}


def waiting_text(group: str, step: str, awaiting: str | None, lang: str) -> str:
    """What the citizen reads while ``step`` waits: the step's declared words for the reason,
    or, for a correction, the group's first step named; empty for anything else."""
    found = GROUPS.get(group)
    if found is None or not awaiting:
        return ""
    spec = found.steps.get(step)
    if spec is not None and awaiting in spec.waiting:
        return spec.waiting[awaiting].in_language(lang)
    if spec is not None and awaiting == "review":  # an official's desk (any step)
        agency = spec.agency if lang == "en" else spec.agency_vi
        return REVIEWING[language(lang)].format(agency=agency)
    if awaiting in AWAITING:
        return AWAITING[awaiting].in_language(lang)
    if awaiting != "correction":
        return ""
    first = found.steps[found.first]
    agency, label = (
        (first.agency, first.label_en) if lang == "en" else (first.agency_vi, first.label_vi)
    )
    return CORRECTION[language(lang)].format(agency=agency, procedure=lowered(label))


def duplicates_heading(step: str, lang: str) -> str:
    """The operators' heading over dossiers ``step`` refused as duplicates."""
    spec = all_steps().get(step)
    if spec is None or spec.duplicates is None:
        return pick(PROCEDURES, step, lang)
    return spec.duplicates.in_language(lang)


def lowered(label: str) -> str:
    """A label inside a sentence: ``Đăng ký X`` -> ``đăng ký X`` (``BHYT ...`` keeps its
    capitals)."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def language(requested: str | None) -> str:
    """The page language: ``en`` when asked for, else Vietnamese."""
    return requested if requested in LANGUAGES else DEFAULT_LANGUAGE


def pick(table: dict[str, dict[str, str]], key: str, lang: str) -> str:
    """``table[key][lang]``, falling back to the key itself for a value the table lacks."""
    return table.get(key, {}).get(lang, key)


def words(table: dict[str, tuple[str, str]], lang: str) -> dict[str, str]:
    """A table of (Vietnamese, English) pairs in the page's language."""
    return {key: en if lang == "en" else vi for key, (vi, en) in table.items()}


def when(at: dt.datetime | None, lang: str, zone: ZoneInfo) -> str:
    """A moment as a citizen reads it, in the legal timezone: ``17:00 05/03/2026``."""
    if at is None:
        return ""
    local = at.astimezone(zone)
    if lang == "en":
        return f"{local:%d %b %Y, %H:%M}"
    return f"{local:%H:%M} {local:%d/%m/%Y}"


def duration(seconds: float, lang: str) -> str:
    """A wait or a delay, rounded to what matters: ``2 ngày 3 giờ`` / ``2 d 3 h`` / ``5 min``."""
    seconds = max(0.0, seconds)
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    units = {"vi": ("ngày", "giờ", "phút"), "en": ("d", "h", "min")}[language(lang)]
    if days:
        return f"{days} {units[0]} {hours} {units[1]}"
    if hours:
        return f"{hours} {units[1]} {minutes} {units[2]}"
    return f"{minutes} {units[2]}"
