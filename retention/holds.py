"""Legal holds: a case under a dispute or investigation is kept until the hold is released.

A held case is never transferred out of reach, destroyed or exported; the
hold shows on the case (``Case.legal_hold``), in its routing sheet and in
plans. On S3 the objects' legal-hold flag is set as well (:mod:`retention.archival`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.models import Case, CaseEvent, Document, utcnow
from archive.retention_models import LegalHold


class HoldError(Exception):
    """A hold that cannot be placed or released (message in Ukrainian)."""


@dataclass(slots=True)
class HoldView:
    id: int
    case: str
    centre: str
    reason: str
    placed_by: str
    placed_at: str
    released_by: str | None
    released_at: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "case": self.case,
            "centre": self.centre,
            "reason": self.reason,
            "placed_by": self.placed_by,
            "placed_at": self.placed_at,
            "released_by": self.released_by,
            "released_at": self.released_at,
        }


def view(h: LegalHold, case: Case) -> HoldView:
    return HoldView(
        id=h.id,
        case=case.number,
        centre=case.centre,
        reason=h.reason,
        placed_by=h.placed_by,
        placed_at=h.placed_at.isoformat(),
        released_by=h.released_by,
        released_at=h.released_at.isoformat() if h.released_at else None,
    )


def active(s: Session, case: Case) -> list[LegalHold]:
    return list(
        s.scalars(
            select(LegalHold).where(LegalHold.case_id == case.id, LegalHold.released_at.is_(None))
        )
    )


def _check_reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if not 5 <= len(reason) <= 1000:
        raise HoldError("причина: від 5 до 1000 символів")
    return reason


def place(s: Session, case: Case, reason: str, actor: str) -> LegalHold:
    """Place a hold (a case may carry several, from different matters)."""
    hold = LegalHold(case_id=case.id, reason=_check_reason(reason), placed_by=actor)
    s.add(hold)
    case.legal_hold = True
    for doc in s.scalars(select(Document).where(Document.case_id == case.id)):
        doc.legal_hold = True
    s.flush()
    # The reason may name a dispute: the routing sheet keeps only that a hold exists.
    s.add(CaseEvent(case_id=case.id, kind="retention.hold", actor=actor, details={"hold": hold.id}))
    return hold


def release(s: Session, case: Case, reason: str, actor: str) -> list[LegalHold]:
    """Release every active hold of the case."""
    holds = active(s, case)
    if not holds:
        raise HoldError(f"справа № {case.number} не має чинного утримання")
    why = _check_reason(reason)
    for h in holds:
        h.released_by, h.released_at, h.release_reason = actor, utcnow(), why
    case.legal_hold = False
    for doc in s.scalars(select(Document).where(Document.case_id == case.id)):
        doc.legal_hold = False
    s.add(
        CaseEvent(
            case_id=case.id,
            kind="retention.released",
            actor=actor,
            details={"holds": [h.id for h in holds]},
        )
    )
    s.flush()
    return holds


def listing(s: Session, *, centre: str | None, active_only: bool = True) -> list[HoldView]:
    q = select(LegalHold, Case).join(Case, Case.id == LegalHold.case_id).order_by(LegalHold.id)
    if active_only:
        q = q.where(LegalHold.released_at.is_(None))
    if centre is not None:
        q = q.where(Case.centre == centre)
    return [view(h, c) for h, c in s.execute(q)]
