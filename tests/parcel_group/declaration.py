"""The parcel group: a request to the land office, then the review board's review."""

from __future__ import annotations

from lienthong.domain.declaration import ProcedureGroup, StepSpec, Words
from lienthong.limits import ADDRESS, CODE
from parcel_group import rules

GROUP = ProcedureGroup(
    name="parcel",
    position=50,
    label_en="Parcel request and review",
    label_vi="Yêu cầu và thẩm định thửa đất",
    title=Words("Thủ tục thửa đất (thử nghiệm)", "Parcel procedures (made up)"),
    submission="ParcelSubmitted",
    validate=rules.validate,
    subject="parcel",
    steps={
        rules.REQUEST: StepSpec(
            agency="Land office (made up)",
            agency_vi="Văn phòng đất đai (giả)",
            deployable="land-office",
            label_en="Parcel request",
            label_vi="Yêu cầu thửa đất",
            projection=rules.request_part,
            result_ref="request_ref",
            target_days=1,
            results=("ParcelRequested",),
            handoff="ParcelRequestHandoff",
            result_text={"ParcelRequested": {"request_ref": CODE, "parcel.lot": ADDRESS}},
            decide=rules.request_parcel,
        ),
        rules.REVIEW: StepSpec(
            agency="Review board (made up)",
            agency_vi="Hội đồng thẩm định (giả)",
            deployable="review-board",
            label_en="Parcel review",
            label_vi="Thẩm định thửa đất",
            projection=rules.review_part,
            result_ref="review_ref",
            requires=(rules.REQUEST,),
            target_days=2,
            results=("ParcelReviewed",),
            handoff="ParcelReviewHandoff",
            result_text={"ParcelReviewed": {"review_ref": CODE}},
            decide=rules.review_parcel,
        ),
    },
    combinations=(frozenset({rules.REQUEST, rules.REVIEW}),),
    deadline_days=3,
    deadline_days_verification=5,
)
