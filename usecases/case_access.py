"""Who may see or act on a case, and the desk's errors translated at the use-case edge.

A case is judged like its documents (centre, workplace, department,
archival state) by :mod:`usecases.policy`. Desk actions (register, route,
notify, issue, print the cover sheet, reserve numbers, scans) need the upload
capability in the archive's own centre and in the case's centre — an
administrator of that centre — and full access to the case (its own
workplace, for a workplace's administrator). Every refusal is logged with
the action refused before :class:`~usecases.errors.Denied` is raised.

These helpers take the backends, the publisher and the principal one by one
(the use cases pass them from their :class:`~usecases.context.Context`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select

from archive import cases as ops
from archive.audit import Action, Events, Outcome
from archive.journal import JournalError
from archive.models import Case, CaseStatus
from backends import Archive
from usecases.access import event, require
from usecases.errors import Conflict, Denied, Invalid, NotFound
from usecases.policy import Capability, Decision, DocScope, Level, Principal, decide, may_upload_to

CASE_NOT_FOUND = "Справу не знайдено"
# How many near numbers a refusal suggests, and how alike they must be.
_SUGGEST = 3
_ALIKE = 0.75


def case_not_found(number: str | None = None, suggestions: list[str] | None = None) -> NotFound:
    """A missing case: its number and the closest numbers the caller may see (never a name)."""
    text = f"Справу № {number} не знайдено." if number else f"{CASE_NOT_FOUND}."
    if suggestions:
        text += f" Можливо, {', '.join(suggestions)}?"
    return NotFound(
        text,
        code="case_not_found",
        details={"case": number, "suggestions": list(suggestions or [])},
    )


def _digit_groups(number: str) -> tuple[int, ...]:
    return tuple(int(g) for g in re.findall(r"\d+", number))


def closest_numbers(archive: Archive, p: Principal | None, number: str, centre: str) -> list[str]:
    """Existing case numbers of ``centre`` nearest to a mistyped ``number``.

    Only numbers of cases the caller may see are offered (a refusal must not
    reveal another workplace's or department's cases). First the numbers that
    differ only in leading zeros (``2026/0003`` → ``2026/00003``), then the
    most alike by characters.
    """
    number = number.strip()
    with archive.db.session() as s:
        rows = s.execute(
            select(Case.number, Case.workplace, Case.department, Case.status).where(
                Case.centre == centre
            )
        ).all()
    # Cheap filter first: a typo rarely changes the length by more than two.
    near = [r for r in rows if abs(len(r.number) - len(number)) <= 2 and r.number != number]
    if p is not None:
        near = [
            r
            for r in near
            if decide(
                p,
                DocScope(
                    document_id="",
                    case=r.number,
                    centre=centre,
                    workplace=r.workplace,
                    department=r.department,
                    archival=r.status == CaseStatus.archived,
                ),
            ).allows(Level.METADATA)
        ]
    numbers = [r.number for r in near]
    wanted = _digit_groups(number)
    same = sorted(n for n in numbers if wanted and _digit_groups(n) == wanted)
    alike = difflib.get_close_matches(number, numbers, n=_SUGGEST, cutoff=_ALIKE)
    return list(dict.fromkeys([*same, *alike]))[:_SUGGEST]


def unknown_case(archive: Archive, p: Principal | None, number: str, centre: str) -> NotFound:
    """The refusal for a case number nobody registered (with the nearest ones suggested)."""
    return case_not_found(number, closest_numbers(archive, p, number, centre))


def case_scope(case: Case) -> DocScope:
    """A case as the policy sees it (like a document of that case)."""
    return DocScope(
        document_id="",
        case=case.number,
        centre=case.centre,
        workplace=case.workplace,
        department=case.department,
        archival=case.status == CaseStatus.archived,
    )


def require_desk(
    archive: Archive, events: Events, p: Principal, centre: str, action: Action
) -> None:
    """Desk actions: an administrator of the archive's centre and of ``centre``.

    The local console (no centre) may act for any centre.
    """
    require(events, p, Capability.upload, action)
    for where in dict.fromkeys((archive.settings.centre, centre)):
        if not may_upload_to(p, where):
            events.publish(event(p, action, Outcome.denied, details={"why": "other_centre"}))
            raise Denied("Справи цього ЦНАП веде лише його адміністратор")


def load_case(
    archive: Archive,
    case_id: int | None = None,
    number: str | None = None,
    centre: str | None = None,
    p: Principal | None = None,
) -> Case:
    """The case by id, or by number in ``centre`` (default: the archive's centre).

    A number nobody registered is refused with the nearest numbers ``p`` may see.
    """
    where = centre or archive.settings.centre
    with archive.db.session() as s:
        if case_id is not None:
            case = s.get(Case, case_id)
        elif number is not None:
            case = ops.find_case(s, where, number)
        else:
            case = None
    if case is None:
        if case_id is None and number:
            raise unknown_case(archive, p, number, where)
        raise case_not_found(number)
    return case


def known_case(archive: Archive, p: Principal, number: str, centre: str | None = None) -> Case:
    """A registered case the caller may see, by number; never made up on the fly.

    A case outside the caller's scope is refused exactly like a missing one.
    """
    where = centre or archive.settings.centre
    case = load_case(archive, number=number, centre=where, p=p)
    if not decide(p, case_scope(case)).allows(Level.METADATA):
        raise unknown_case(archive, p, number, where)
    refuse_annulled(case)
    return case


def refuse_annulled(case: Case) -> None:
    """Nothing more is filed into a case annulled as registered by mistake."""
    if case.status == CaseStatus.annulled:
        raise Conflict(
            f"Справу № {case.number} анульовано: до неї нічого не долучають",
            code="case_annulled",
            details={"case": case.number},
        )


def open_case(
    archive: Archive,
    events: Events,
    p: Principal,
    *,
    case_id: int | None = None,
    number: str | None = None,
    centre: str | None = None,
    need: Level = Level.METADATA,
    action: Action = Action.case_read,
    log_allowed: bool = True,
) -> tuple[Case, Decision]:
    """A case the principal may see at ``need`` level; the access (or refusal) is logged."""
    case = load_case(archive, case_id, number, centre, p)
    decision = decide(p, case_scope(case))
    if not decision.allows(need):
        events.publish(
            event(p, action, Outcome.denied, case=case.number, details={"why": decision.why})
        )
        if decision.level == Level.NONE:
            # Outside the caller's scope: answered exactly like a case that does not exist.
            raise case_not_found(number)
        raise Denied("Ця справа поза межами ваших повноважень")
    if log_allowed:
        events.publish(
            event(p, action, case=case.number, details={"level": decision.level.name.lower()})
        )
    return case, decision


def open_case_for_desk(
    archive: Archive,
    events: Events,
    p: Principal,
    action: Action | str,
    *,
    case_id: int | None = None,
    number: str | None = None,
    centre: str | None = None,
) -> Case:
    """A case the principal may act on at the desk (nothing is logged when allowed)."""
    action = Action(action)
    case = load_case(archive, case_id, number, centre, p)
    if decide(p, case_scope(case)).level == Level.NONE:
        # A case the caller cannot see is not there for them: 404, never 403.
        open_case(archive, events, p, case_id=case.id, action=action, log_allowed=False)
    require_desk(archive, events, p, case.centre, action)
    case, _ = open_case(
        archive, events, p, case_id=case.id, need=Level.FULL, action=action, log_allowed=False
    )
    return case


@contextmanager
def desk_errors() -> Iterator[None]:
    """The desk's subsystem errors as the use-case taxonomy (one place for all desk use cases)."""
    from ingest.batch import BatchUnreadable, PartError
    from ingest.pipeline import NotAFile

    try:
        yield
    except (ops.CaseError, JournalError) as exc:
        raise Invalid(str(exc), code="desk_rule") from exc
    except PartError as exc:
        raise Conflict(str(exc), code="part_not_held") from exc
    except BatchUnreadable as exc:
        raise Invalid(exc.reason, code=exc.code) from exc
    except NotAFile as exc:
        raise Invalid(str(exc), code="not_a_file") from exc


__all__ = [
    "CASE_NOT_FOUND",
    "case_not_found",
    "case_scope",
    "closest_numbers",
    "desk_errors",
    "known_case",
    "load_case",
    "open_case",
    "open_case_for_desk",
    "refuse_annulled",
    "require_desk",
    "unknown_case",
]
