"""The access policy: the one place that decides who may read what.

Every read of the API and the command line asks this module; nothing else
compares roles, centres or departments.

Levels of access to a document, from none to all:

* ``NONE`` — the document does not exist for the user (not in search either);
* ``METADATA`` — its case number, state and dates, no text;
* ``MASKED`` — text with identifiers masked, the redacted PDF (black boxes);
* ``FULL`` — everything, the original included.

Who gets what (DESIGN.md, "Who uses it"):

* administrator — ``FULL`` for cases of their centre (of their workplace when
  they have one); ``MASKED`` for the rest of their centre;
* official — ``FULL`` for cases routed to their department;
* archivist — ``METADATA`` of every case of their centre, ``MASKED`` content of
  cases in archival processing (appraisal does not need the identifiers);
* dpo — ``METADATA`` and the access log, never document content;
* sysadmin — users only, no documents.

Break-glass: an administrator, official or archivist may open a document
beyond their level by giving a reason; the access is ``FULL``, and the log
entry is flagged for the DPO. The DPO and the sysadmin have no content role
to extend, so break-glass does not apply to them.

A principal with no centre (the local console by default) is not limited by
centre. Documents registered without a case belong to the archive's own
centre (``Settings.centre``).
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, aliased

from archive.audit import Action
from archive.database import Database, ListQuery
from archive.models import Case, CaseDocument, CaseStatus, DocState, Document, Tier
from archive.users import Role, User


class Level(enum.IntEnum):
    NONE = 0
    METADATA = 1
    MASKED = 2
    FULL = 3


class Capability(enum.StrEnum):
    """Actions that are not about one document."""

    upload = "upload"
    search = "search"
    lookup_identifier = "lookup_identifier"
    manage_users = "manage_users"
    read_audit = "read_audit"
    verify_audit = "verify_audit"
    # Creating the archive and rebuilding its index: the IT of the council.
    maintain = "maintain"
    # Deleting unreferenced store objects and abandoned uploads (``store gc``).
    collect_garbage = "collect_garbage"
    # Retention: plans, approvals, holds, acts (archivists); the uncollected-results
    # to-do list (administrators); fixity checks (archivists and IT).
    manage_retention = "manage_retention"
    uncollected_results = "uncollected_results"
    check_fixity = "check_fixity"
    # Approving accounts a sysadmin created (the second person); the approval itself
    # checks the centre and that the approver is someone else (usecases/users.py).
    approve_users = "approve_users"
    # The back office's list of the cases routed to the official's department.
    department_cases = "department_cases"


_CAPABILITIES: dict[Capability, frozenset[Role]] = {
    Capability.upload: frozenset({Role.administrator}),
    Capability.search: frozenset({Role.administrator, Role.official, Role.archivist}),
    Capability.lookup_identifier: frozenset({Role.administrator, Role.official, Role.archivist}),
    Capability.manage_users: frozenset({Role.sysadmin}),
    Capability.read_audit: frozenset({Role.dpo}),
    Capability.verify_audit: frozenset({Role.dpo, Role.sysadmin}),
    Capability.maintain: frozenset({Role.sysadmin}),
    Capability.collect_garbage: frozenset({Role.sysadmin}),
    Capability.manage_retention: frozenset({Role.archivist}),
    Capability.uncollected_results: frozenset({Role.administrator}),
    Capability.check_fixity: frozenset({Role.archivist, Role.sysadmin}),
    Capability.approve_users: frozenset({Role.administrator}),
    Capability.department_cases: frozenset({Role.official}),
}

# What each kind of read needs.
REQUIRED: dict[Action, Level] = {
    Action.document_metadata: Level.METADATA,
    Action.document_text: Level.MASKED,
    Action.page_image: Level.MASKED,
    Action.document_pdf: Level.MASKED,  # served redacted below FULL
    Action.document_redacted: Level.MASKED,
    Action.download: Level.FULL,
    Action.document_findings: Level.FULL,
    Action.export: Level.FULL,
}

_BREAK_GLASS_ROLES = frozenset({Role.administrator, Role.official, Role.archivist})


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is acting: a signed-in user, or the local console (``local:<name>``)."""

    login: str
    role: Role
    centre: str | None = None
    workplace: str | None = None
    department: str | None = None
    # The OS account running the command line on the server, trusted to
    # bootstrap users and read the log (it can read the database file anyway).
    local: bool = False
    address: str | None = None
    # False for an account waiting for an administrator's approval: no reach at all.
    approved: bool = True

    @classmethod
    def of(cls, user: User, address: str | None = None) -> Principal:
        return cls(
            login=user.login,
            role=user.role,
            centre=user.centre,
            workplace=user.workplace,
            department=user.department,
            address=address,
            approved=not user.pending,
        )


@dataclass(frozen=True, slots=True)
class DocScope:
    """What the policy needs to know about a document."""

    document_id: str
    case: str | None
    centre: str
    workplace: str | None
    department: str | None
    archival: bool


@dataclass(frozen=True, slots=True)
class Decision:
    level: Level
    # A short code saying why (for the log, never shown as the only message).
    why: str
    break_glass: bool = False

    def allows(self, need: Level) -> bool:
        return self.level >= need


def scope_of(doc: Document, home_centre: str, case: Case | None = None) -> DocScope:
    """A document's scope through ``case`` (its first case by default; ``doc.case`` loaded)."""
    case = case if case is not None else doc.case
    archival = Tier.archival in (doc.pdfa_tier, doc.original_tier) or (
        case is not None and case.status == CaseStatus.archived
    )
    return DocScope(
        document_id=doc.id,
        case=case.number if case else None,
        centre=case.centre if case else home_centre,
        workplace=case.workplace if case else None,
        department=case.department if case else None,
        archival=archival,
    )


def decide_document(
    p: Principal,
    doc: Document,
    home_centre: str,
    reason: str | None = None,
    *,
    min_reason: int = 10,
) -> tuple[DocScope, Decision]:
    """The level on a document held by one or more cases, and the case it is seen through.

    The same bytes handed in for several cases are one document held by each
    (``doc.cases``, loaded). It is visible to whoever may see any case holding
    it, at the best level any of them gives; the scope returned is that case's,
    so what is shown and logged names only it, never another holder the caller
    may not see. Break-glass applies only when no holder gives full access.
    """
    holders = list(doc.cases) or ([doc.case] if doc.case is not None else [])
    scopes = [scope_of(doc, home_centre, c) for c in holders] or [scope_of(doc, home_centre)]
    return decide_held(p, scopes, reason, min_reason=min_reason)


def decide_held(
    p: Principal, scopes: Sequence[DocScope], reason: str | None = None, *, min_reason: int = 10
) -> tuple[DocScope, Decision]:
    """:func:`decide_document` on a document's scopes, one per case holding it (at least one)."""
    best = scopes[0]
    best_level = base_level(p, best).level
    for scope in scopes[1:]:
        level = base_level(p, scope).level
        if level > best_level:
            best, best_level = scope, level
    return best, decide(p, best, reason, min_reason=min_reason)


@dataclass(frozen=True, slots=True)
class Held:
    """A document as the policy sees it: a scope per case holding it, in case order.

    ``applicant_ref`` is the applicant of its first case (``Document.case``),
    whose name is masked in what is shown below full access.
    """

    scopes: tuple[DocScope, ...]
    applicant_ref: str | None


@functools.cache
def _held_query() -> ListQuery:
    """Built once (aliases are costly to build), compiled once per number of hits."""
    holder = aliased(Case)
    first = aliased(Case)
    return ListQuery(
        select(
            Document.id,
            Document.pdfa_tier,
            Document.original_tier,
            holder.number,
            holder.centre,
            holder.workplace,
            holder.department,
            holder.status,
            first.applicant_ref,
        )
        .outerjoin(CaseDocument, CaseDocument.document_id == Document.id)
        .outerjoin(holder, holder.id == func.coalesce(CaseDocument.case_id, Document.case_id))
        .outerjoin(first, first.id == Document.case_id)
        .where(Document.id.in_(bindparam("ids", expanding=True)))
        .order_by(Document.id, holder.id)
    )


def held_documents(
    conn: Connection | Session, ids: Sequence[str], home_centre: str
) -> dict[str, Held]:
    """What :func:`decide_held` needs about several documents, in one Core SELECT.

    The same holders as :func:`decide_document` on loaded objects: every case in
    ``case_documents`` (by case id), else the document's own case, else none
    (the archive's centre). Search hits are decided with this: no ORM objects.
    """
    out: dict[str, Held] = {}
    if not ids:
        return out
    rows = _held_query().rows(conn, list(dict.fromkeys(ids)))
    scopes: dict[str, list[DocScope]] = {}
    applicants: dict[str, str | None] = {}
    for (
        doc_id,
        pdfa_tier,
        original_tier,
        number,
        centre,
        workplace,
        dept,
        status,
        applicant,
    ) in rows:
        archival = Tier.archival in (pdfa_tier, original_tier) or status == CaseStatus.archived
        has_case = number is not None
        scopes.setdefault(doc_id, []).append(
            DocScope(
                document_id=doc_id,
                case=number,
                centre=centre if has_case else home_centre,
                workplace=workplace if has_case else None,
                department=dept if has_case else None,
                archival=archival,
            )
        )
        applicants[doc_id] = applicant
    for doc_id, found in scopes.items():
        out[doc_id] = Held(tuple(found), applicants[doc_id])
    return out


def allows(p: Principal, cap: Capability) -> bool:
    """Whether the principal may do something not tied to one document."""
    if not p.approved:
        return False
    if p.local and cap in (
        Capability.manage_users,
        Capability.read_audit,
        Capability.verify_audit,
        Capability.maintain,
        Capability.collect_garbage,
    ):
        return True
    return p.role in _CAPABILITIES[cap]


# Roles whose reach stops at the archive's door (retention, issue 12).
_NARROWED_WHEN_ARCHIVED = frozenset({Role.administrator, Role.official})


def base_level(p: Principal, d: DocScope) -> Decision:
    """The level a principal has on a document by their role and scope alone."""
    if not p.approved:
        return Decision(Level.NONE, "pending_approval")
    decision = _role_level(p, d)
    if d.archival and p.role in _NARROWED_WHEN_ARCHIVED and decision.level > Level.METADATA:
        # Archived documents are the archivists'; the desk and the back office still see that
        # they exist (routing sheet, metadata) and open them only by break-glass.
        return Decision(Level.METADATA, "archived")
    return decision


def _role_level(p: Principal, d: DocScope) -> Decision:
    """The level by role and scope, before archival narrowing."""
    in_centre = p.centre is None or d.centre == p.centre
    if p.role == Role.administrator:
        if not in_centre:
            return Decision(Level.NONE, "other_centre")
        if p.workplace and d.workplace != p.workplace:
            return Decision(Level.MASKED, "other_workplace")
        return Decision(Level.FULL, "own_centre")
    if p.role == Role.official:
        if in_centre and p.department is not None and d.department == p.department:
            return Decision(Level.FULL, "own_department")
        return Decision(Level.NONE, "other_department")
    if p.role == Role.archivist:
        if not in_centre:
            return Decision(Level.NONE, "other_centre")
        if d.archival:
            return Decision(Level.MASKED, "archival_processing")
        return Decision(Level.METADATA, "not_archival")
    if p.role == Role.dpo:
        return Decision(Level.METADATA if in_centre else Level.NONE, "dpo")
    return Decision(Level.NONE, "no_document_role")


def decide(
    p: Principal, d: DocScope, reason: str | None = None, *, min_reason: int = 10
) -> Decision:
    """The level granted, with break-glass when a sufficient reason is given."""
    base = base_level(p, d)
    if base.level == Level.FULL:
        return base
    if p.approved and p.role in _BREAK_GLASS_ROLES and reason_letters(reason) >= min_reason:
        return Decision(Level.FULL, "break_glass", break_glass=True)
    return base


def reason_letters(reason: str | None) -> int:
    """How many letters a break-glass reason has (digits, dots and blanks do not count).

    "..........", "1234567890" or ten spaces say nothing about why; a reason
    must be words.
    """
    return sum(1 for ch in reason or "" if ch.isalpha())


def may_use_break_glass(p: Principal) -> bool:
    return p.role in _BREAK_GLASS_ROLES


def may_upload_to(p: Principal, home_centre: str) -> bool:
    """Uploads create cases in the archive's own centre, so only its administrators upload."""
    return allows(p, Capability.upload) and (p.centre is None or p.centre == home_centre)


def may_upload_into(p: Principal, case: DocScope) -> str | None:
    """Why the principal may not add documents to this case (None: they may).

    Decided like a read of the case in full: an administrator of its centre
    (and of its workplace, when she has one). An archived case takes nothing
    new, whoever asks (issue 9, item 4).
    """
    if not allows(p, Capability.upload) or base_level(p, case).level < Level.FULL:
        return "out_of_scope"
    if case.archival:
        return "archived_case"
    return None


@dataclass(frozen=True, slots=True)
class SearchScope:
    """The index filter for a principal (None fields: unrestricted)."""

    centres: Sequence[str] | None = None
    departments: Sequence[str] | None = None
    document_ids: Sequence[str] | None = None
    # The least level of every document in scope; hits are re-checked one by one.
    nothing: bool = False


def search_scope(p: Principal, db: Database) -> SearchScope:
    """What a principal's searches may return: documents they can open (MASKED or more).

    Only an archivist's scope is read from the database (the archived documents);
    the others follow from the principal alone, without a session per search.
    """
    if not allows(p, Capability.search):
        return SearchScope(nothing=True)
    centres = [p.centre] if p.centre is not None else None
    if p.role == Role.administrator:
        return SearchScope(centres=centres)
    if p.role == Role.official:
        if p.department is None:
            return SearchScope(nothing=True)
        return SearchScope(centres=centres, departments=[p.department])
    if p.role == Role.archivist:
        q = (
            select(Document.id)
            .outerjoin(Case, Case.id == Document.case_id)
            .where(Document.state == DocState.archived)
            .where(
                or_(
                    Document.pdfa_tier == Tier.archival,
                    Document.original_tier == Tier.archival,
                    Case.status == CaseStatus.archived,
                )
            )
        )
        if p.centre is not None:
            q = q.where(Case.centre == p.centre)
        with db.session() as s:
            return SearchScope(centres=centres, document_ids=list(s.scalars(q)))
    return SearchScope(nothing=True)
