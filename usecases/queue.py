"""The desk's day: cases registered today, cases waiting for the result, results to hand over.

``desk_queue`` is what an administrator opens first in the morning (the web
start screen of the desk). It lists the cases of the caller's centre — of
their workplace, for a workplace's administrator — in three groups, plus the
results nobody collected for two months (to send by post) or three (to pass
to archival storage), as the centre's regulation asks. One ``case.list``
entry records the call (counts only, no names).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select

from archive.audit import Action
from archive.models import Case, CaseStatus, Document, Package, PackageKind, utcnow
from usecases.access import event, require
from usecases.case_access import case_scope, require_desk
from usecases.context import Context
from usecases.forms import mask_name
from usecases.policy import Capability, Level, decide
from usecases.registry import use_case

LIMIT = 200
# The regulation: uncollected results go by post after two months, to archival storage
# after three (when there is no address to post them to).
POST_AFTER = dt.timedelta(days=61)
ARCHIVE_AFTER = dt.timedelta(days=92)


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One case in the queue (the applicant masked below full access)."""

    case_id: int
    number: str
    service: str | None
    applicant: str | None
    status: str
    department: str | None
    registered_at: dt.datetime
    result_at: dt.datetime | None = None
    # For an uncollected result: "post" after two months, "archive" after three.
    overdue: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "number": self.number,
            "service": self.service,
            "applicant": self.applicant,
            "status": self.status,
            "department": self.department,
            "registered_at": self.registered_at.isoformat(),
            "result_at": self.result_at.isoformat() if self.result_at else None,
            "overdue": self.overdue,
        }


@dataclass(frozen=True, slots=True)
class DeskQueue:
    """The three lists of the desk's day, and the uncollected results."""

    day: dt.date
    today: list[QueueRow] = field(default_factory=list)
    waiting: list[QueueRow] = field(default_factory=list)
    ready: list[QueueRow] = field(default_factory=list)
    uncollected: list[QueueRow] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "today": [r.as_json() for r in self.today],
            "waiting": [r.as_json() for r in self.waiting],
            "ready": [r.as_json() for r in self.ready],
            "uncollected": [r.as_json() for r in self.uncollected],
        }


def _local_midnight(now: dt.datetime, tz: str) -> tuple[dt.date, dt.datetime]:
    from zoneinfo import ZoneInfo

    local = now.astimezone(ZoneInfo(tz))
    start = dt.datetime.combine(local.date(), dt.time(0), tzinfo=ZoneInfo(tz))
    return local.date(), start.astimezone(dt.UTC)


def _queue_row(
    c: Case, full: bool, *, result_at: dt.datetime | None = None, overdue: str | None = None
) -> QueueRow:
    """A case as a queue shows it: the applicant's name masked below full access."""
    return QueueRow(
        case_id=c.id,
        number=c.number,
        service=c.service,
        applicant=c.applicant_ref if full else mask_name(c.applicant_ref),
        status=c.status.value,
        department=c.department,
        registered_at=c.registered_at,
        result_at=result_at,
        overdue=overdue,
    )


@use_case(Action.case_list)
def desk_queue(ctx: Context, *, now: dt.datetime | None = None) -> DeskQueue:
    """Today's queue of the caller's desk (``now``: for tests; default the clock)."""
    p = ctx.principal
    settings = ctx.archive.settings
    centre = p.centre or settings.centre
    require_desk(ctx.archive, ctx.events, p, centre, Action.case_list)
    now = now or utcnow()
    day, midnight = _local_midnight(now, settings.desk.timezone)
    with ctx.archive.db.session() as s:
        q = select(Case).where(Case.centre == centre)
        if p.workplace:
            q = q.where(Case.workplace == p.workplace)
        # A result is back when the outgoing package holds a document (or the status says so).
        has_result = (
            select(Document.id)
            .join(Package, Document.package_id == Package.id)
            .where(Package.case_id == Case.id, Package.kind == PackageKind.output)
            .exists()
        )
        today_cases = list(
            s.scalars(q.where(Case.registered_at >= midnight).order_by(Case.id).limit(LIMIT))
        )
        waiting = list(
            s.scalars(
                q.where(Case.status.in_((CaseStatus.registered, CaseStatus.sent)), ~has_result)
                .order_by(Case.id)
                .limit(LIMIT)
            )
        )
        ready = list(
            s.scalars(
                q.where(
                    Case.status.in_(
                        (CaseStatus.registered, CaseStatus.sent, CaseStatus.result_received)
                    ),
                    or_(Case.status == CaseStatus.result_received, has_result),
                )
                .order_by(Case.id)
                .limit(LIMIT * 2)
            )
        )
        results: dict[int, dt.datetime] = {}
        ids = [c.id for c in (*today_cases, *waiting, *ready)]
        if ids:
            rows = s.execute(
                select(Package.case_id, Package.received_at, Package.created_at).where(
                    Package.case_id.in_(ids), Package.kind == PackageKind.output
                )
            )
            for case_id, received, created in rows:
                results[case_id] = received or created

        def row(c: Case, overdue: str | None = None) -> QueueRow:
            full = decide(p, case_scope(c)).level >= Level.FULL
            return _queue_row(c, full, result_at=results.get(c.id), overdue=overdue)

        out = DeskQueue(day, today=[row(c) for c in today_cases], waiting=[row(c) for c in waiting])
        for c in ready:
            back = results.get(c.id)
            age = now - back if back else dt.timedelta(0)
            if age >= ARCHIVE_AFTER:
                out.uncollected.append(row(c, "archive"))
            elif age >= POST_AFTER:
                out.uncollected.append(row(c, "post"))
            elif len(out.ready) < LIMIT:
                out.ready.append(row(c))
    ctx.events.publish(
        event(
            p,
            Action.case_list,
            details={
                "today": len(out.today),
                "waiting": len(out.waiting),
                "ready": len(out.ready),
                "uncollected": len(out.uncollected),
            },
        )
    )
    return out


@dataclass(frozen=True, slots=True)
class DepartmentCases:
    """The cases routed to the caller's department, newest first."""

    department: str
    # Sent to the department and not yet answered.
    open: list[QueueRow] = field(default_factory=list)
    # The result is back, issued, or the case closed.
    done: list[QueueRow] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "department": self.department,
            "open": [r.as_json() for r in self.open],
            "done": [r.as_json() for r in self.done],
        }


_OPEN = (CaseStatus.registered, CaseStatus.sent)
# Archived cases are the archivists' (the official sees only that they exist), and an
# annulled case was registered by mistake: neither belongs on the official's list.
_HIDDEN = (CaseStatus.archived, CaseStatus.annulled)


@use_case(Action.case_list)
def department_cases(ctx: Context) -> DepartmentCases:
    """The official's "cases of my department": those the desk routed to it (``case.list``).

    The department is the one the routing sheet records (the case's current
    department); every row is decided by the policy like the case page.
    """
    p = ctx.principal
    require(ctx.events, p, Capability.department_cases, Action.case_list)
    centre = p.centre or ctx.archive.settings.centre
    department = p.department or ""
    out = DepartmentCases(department)
    with ctx.archive.db.session() as s:
        cases = s.scalars(
            select(Case)
            .where(
                Case.centre == centre,
                Case.department == department,
                Case.status.not_in(_HIDDEN),
            )
            .order_by(Case.registered_at.desc(), Case.id.desc())
            .limit(LIMIT * 2)
        )
        for c in cases:
            decision = decide(p, case_scope(c))
            if not decision.allows(Level.METADATA):
                continue
            row = _queue_row(c, decision.level >= Level.FULL)
            group = out.open if c.status in _OPEN else out.done
            if len(group) < LIMIT:
                group.append(row)
    ctx.events.publish(
        event(p, Action.case_list, details={"open": len(out.open), "done": len(out.done)})
    )
    return out


__all__ = ["DepartmentCases", "DeskQueue", "QueueRow", "department_cases", "desk_queue"]
