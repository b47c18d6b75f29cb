"""The desk's words, Vietnamese first (the default) and English."""

from __future__ import annotations

from lienthong.domain.review import Reason
from lienthong.groups.registry import all_steps

DESK: dict[str, dict[str, str]] = {
    "title": {"vi": "Bàn làm việc của cán bộ", "en": "Official's desk"},
    "signed_in": {"vi": "Đăng nhập", "en": "Signed in as"},
    "language": {"vi": "English", "en": "Tiếng Việt"},
    "waiting": {"vi": "Hồ sơ chờ xem xét", "en": "Cases waiting for review"},
    "none": {"vi": "Không có hồ sơ nào đang chờ.", "en": "No case is waiting."},
    "due": {"vi": "Hạn xử lý", "en": "Due"},
    "days_left": {"vi": "Ngày làm việc còn lại", "en": "Working days left"},
    "step": {"vi": "Thủ tục", "en": "Procedure"},
    "flags": {"vi": "Lý do cần xem xét", "en": "Why it is flagged"},
    "holder": {"vi": "Người nhận xử lý", "en": "Claimed by"},
    "open": {"vi": "Mở", "en": "Open"},
    "next": {"vi": "50 hồ sơ tiếp theo", "en": "Next 50"},
    "back": {"vi": "Về danh sách", "en": "Back to the list"},
    "case": {"vi": "Hồ sơ", "en": "Case"},
    "needs": {"vi": "Thông tin cơ quan nhận được", "en": "What the agency received"},
    "audit": {"vi": "Nhật ký xử lý", "en": "Audit trail"},
    "claim": {"vi": "Nhận xử lý", "en": "Claim"},
    "release": {"vi": "Trả lại hàng chờ", "en": "Release"},
    "approve": {"vi": "Phê duyệt", "en": "Approve"},
    "refuse": {"vi": "Từ chối", "en": "Refuse"},
    "supplement": {"vi": "Yêu cầu bổ sung", "en": "Ask for a supplement"},
    "reason": {"vi": "Lý do", "en": "Reason"},
    "written": {"vi": "Lý do khác (ghi rõ)", "en": "Other (write it)"},
    "what": {
        "vi": "Nội dung (lý do khác / giấy tờ cần bổ sung)",
        "en": "Text (other reason / what to supply)",
    },
    "state": {"vi": "Trạng thái", "en": "State"},
    "ok": {"vi": "Đã thực hiện.", "en": "Done."},
    "pending": {
        "vi": "Đã gửi; cơ quan chưa trả lời. Tải lại trang sau ít giây.",
        "en": "Sent; the agency has not answered yet. Reload in a few seconds.",
    },
    "refused": {"vi": "Không thực hiện được", "en": "Not done"},
    "no_agency": {
        "vi": "Tài khoản này không phải cán bộ của cơ quan nào.",
        "en": "This account is no agency's official.",
    },
    "not_found": {"vi": "Không có hồ sơ này trên bàn của bạn.", "en": "No such case on your desk."},
}

STATES: dict[str, dict[str, str]] = {
    "waiting": {"vi": "Chờ nhận", "en": "Waiting"},
    "claimed": {"vi": "Đang xử lý", "en": "Claimed"},
    "approved": {"vi": "Đã phê duyệt", "en": "Approved"},
    "refused": {"vi": "Đã từ chối", "en": "Refused"},
    "supplement": {"vi": "Đã yêu cầu bổ sung", "en": "Supplement asked"},
    "cancelled": {"vi": "Công dân đã rút hồ sơ", "en": "Withdrawn"},
}


def words(table: dict[str, dict[str, str]], lang: str) -> dict[str, str]:
    return {key: texts.get(lang, texts["vi"]) for key, texts in table.items()}


def flag_words(step: str, code: str, lang: str) -> str:
    """A flag's words (its code when the step no longer declares it)."""
    spec = all_steps().get(step)
    found = spec.review.flag(code) if spec and spec.review else None
    return found.in_language(lang) if found else code


def reasons_of(step: str) -> tuple[Reason, ...]:
    """The refusal reasons the step declares."""
    spec = all_steps().get(step)
    return spec.review.reasons if spec and spec.review else ()
