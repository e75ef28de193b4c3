"""The desk's review of what arrived but could not be placed: Diia deliveries and e-mail.

A Diia delivery with an unknown or expired request id and an e-mail with no
case reference are *held*: recorded and stored, never dropped. Here the
centre's administrator deals with them:

* :func:`list_held` — what waits, as metadata only: when, from where, the
  attachment names (masked: nobody has full access to what is in no case),
  why it is held (``intake.held``);
* :func:`attach_held` — places one in a case: its held files become documents
  of that case, once (attaching again to the same case answers from the
  record) (``intake.attach``);
* :func:`reject_held` — refuses one with a reason; it stays recorded and
  stored, never deleted (``intake.reject``).

``kind`` is ``delivery`` (Diia) or ``mail``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Any, Literal

from sqlalchemy import select

from archive.audit import Action
from archive.cases import local_time
from archive.models import Case
from archive.sharing import MailMessage, SharingDelivery
from ingest.mail import intake as mail_intake
from ingest.sharing import delivery as deliveries
from ingest.sharing.crypto import CryptoProvider, load_provider
from pii import mask
from usecases.access import event
from usecases.case_access import open_case_for_desk, refuse_annulled, require_desk
from usecases.context import Context
from usecases.disclosure import mask_filename
from usecases.errors import Conflict, Invalid, NotFound
from usecases.registry import use_case

Kind = Literal["delivery", "mail"]
KINDS: tuple[Kind, ...] = ("delivery", "mail")
# Waiting for a person: held, or placed by one whose run did not finish.
_WAITING = ("held", "attaching")
NOT_FOUND = "Відкладену доставку чи лист не знайдено"
MIN_REASON = 10


@dataclass(frozen=True, slots=True)
class HeldItem:
    """One held delivery or message, as the desk sees it (no content, names masked)."""

    kind: Kind
    id: int
    state: str
    received_at: str
    received_local: str
    source: str | None
    code: str | None
    reason: str | None
    case: str | None = None
    files: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "state": self.state,
            "received_at": self.received_at,
            "received_local": self.received_local,
            "from": self.source,
            "code": self.code,
            "reason": self.reason,
            "case": self.case,
            "files": self.files,
        }


@dataclass(frozen=True, slots=True)
class HeldList:
    items: list[HeldItem]

    def as_json(self) -> dict[str, Any]:
        return {"items": [i.as_json() for i in self.items]}


@dataclass(frozen=True, slots=True)
class Reviewed:
    """What a review did: the item's new state, the case and the documents it gave."""

    kind: Kind
    id: int
    state: str
    case: str | None
    documents: list[str]
    replay: bool
    files: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "state": self.state,
            "case": self.case,
            "documents": self.documents,
            "replay": self.replay,
            "files": self.files,
        }


def _masked_sender(raw: str | None) -> str | None:
    if not raw:
        return None
    name, address = parseaddr(raw)
    shown = mask(address, "email") if "@" in address else None
    who = mask(name, "name") if name.strip() else None
    return " ".join(x for x in (who, f"<{shown}>" if shown else None) if x) or None


def _file(name: str | None, entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": mask_filename(name, []) if name else None,
        "status": entry.get("status"),
        "code": entry.get("code"),
        "reason": entry.get("reason"),
        "document_id": entry.get("document_id"),
    }


def _delivery_files(parts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # The part name is Diia's document type (never personal); the file name may be anything.
    return [{"type": p.get("name"), **_file(p.get("filename") or None, p)} for p in parts]


def _mail_files(attachments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [_file(a.get("filename"), a) for a in attachments]


@use_case(Action.intake_held)
def list_held(ctx: Context, *, kind: Kind | None = None) -> HeldList:
    """Held Diia deliveries and e-mail messages of the archive's centre, oldest first."""
    archive = ctx.archive
    p = ctx.principal
    require_desk(archive, ctx.events, p, archive.settings.centre, Action.intake_held)
    tz = archive.settings.desk.timezone
    items: list[HeldItem] = []
    with archive.db.session() as s:
        cases = {
            c.id: c.number
            for c in s.scalars(select(Case).where(Case.centre == archive.settings.centre))
        }
        if kind in (None, "delivery"):
            for d in s.scalars(
                select(SharingDelivery)
                .where(SharingDelivery.state.in_(_WAITING))
                .order_by(SharingDelivery.received_at, SharingDelivery.id)
            ):
                items.append(
                    HeldItem(
                        "delivery",
                        d.id,
                        d.state,
                        d.received_at.isoformat(),
                        local_time(d.received_at, tz).isoformat(timespec="minutes"),
                        d.source_address or "Дія",
                        d.code,
                        d.reason,
                        cases.get(d.case_id) if d.case_id is not None else None,
                        _delivery_files(list(d.parts)),
                    )
                )
        if kind in (None, "mail"):
            for m in s.scalars(
                select(MailMessage)
                .where(MailMessage.state.in_(_WAITING))
                .order_by(MailMessage.received_at, MailMessage.id)
            ):
                items.append(
                    HeldItem(
                        "mail",
                        m.id,
                        m.state,
                        m.received_at.isoformat(),
                        local_time(m.received_at, tz).isoformat(timespec="minutes"),
                        _masked_sender(m.sender),
                        m.code,
                        m.reason,
                        cases.get(m.case_id) if m.case_id is not None else None,
                        _mail_files(list(m.attachments)),
                    )
                )
    items.sort(key=lambda i: (i.received_at, i.kind, i.id))
    ctx.events.publish(
        event(
            p,
            Action.intake_held,
            details={
                "deliveries": [i.id for i in items if i.kind == "delivery"],
                "messages": [i.id for i in items if i.kind == "mail"],
            },
        )
    )
    return HeldList(items)


@contextmanager
def _review_errors() -> Iterator[None]:
    try:
        yield
    except (deliveries.ReviewError, mail_intake.ReviewError) as exc:
        raise Conflict(exc.reason, code=exc.code) from exc


def _check_kind(kind: str) -> Kind:
    if kind not in KINDS:
        raise Invalid("Вид має бути delivery (Дія) або mail (пошта)", code="bad_kind")
    return kind  # type: ignore[return-value]


def _exists(ctx: Context, kind: Kind, item_id: int) -> None:
    table: type[SharingDelivery] | type[MailMessage] = (
        SharingDelivery if kind == "delivery" else MailMessage
    )
    if not 1 <= item_id <= 2**62:  # beyond any database's integer: no such item
        raise NotFound(NOT_FOUND, code="held_not_found")
    with ctx.archive.db.session() as s:
        if s.get(table, item_id) is None:
            raise NotFound(NOT_FOUND, code="held_not_found")


def _run_here(ctx: Context, work: Callable[[Callable[[str], None]], Any]) -> Any:
    """Run ``work`` with the context's dispatcher, or process its documents here and wait."""
    if ctx.dispatcher is not None:
        return work(ctx.dispatcher.submit)
    submitted: list[str] = []
    result = work(submitted.append)
    if submitted:
        # No worker pool in this context (the command line, tests): process here.
        from ingest.dispatch import open_dispatcher

        own = open_dispatcher(ctx.archive)
        try:
            for doc_id in submitted:
                own.submit(doc_id)
            own.wait(submitted)
        finally:
            own.close()
    return result


@use_case(Action.intake_attach)
def attach_held(
    ctx: Context,
    *,
    kind: str,
    item_id: int,
    case: str,
    provider: CryptoProvider | None = None,
) -> Reviewed:
    """Place a held delivery or message in a case of the centre; its files become documents."""
    archive = ctx.archive
    p = ctx.principal
    which = _check_kind(kind)
    require_desk(archive, ctx.events, p, archive.settings.centre, Action.intake_attach)
    _exists(ctx, which, item_id)
    target = open_case_for_desk(archive, ctx.events, p, Action.intake_attach, number=case.strip())
    refuse_annulled(target)
    with _review_errors():
        if which == "delivery":
            settings = archive.settings.sharing
            crypto: Callable[[], CryptoProvider] = (
                (lambda: provider) if provider is not None else (lambda: load_provider(settings))
            )
            got = _run_here(
                ctx,
                lambda submit: deliveries.attach_held(
                    archive,
                    crypto,
                    item_id,
                    case_number=target.number,
                    submit=submit,
                    actor=ctx.actor,
                ),
            )
            result = Reviewed(
                which,
                item_id,
                got.state,
                got.case_number,
                list(got.documents),
                got.replay,
                _delivery_files(got.parts),
            )
        else:
            taken = _run_here(
                ctx,
                lambda submit: mail_intake.attach_held(
                    archive, item_id, case_number=target.number, submit=submit, actor=ctx.actor
                ),
            )
            result = Reviewed(
                which,
                item_id,
                taken.state,
                taken.case_number,
                list(taken.documents),
                taken.seen_before,
                _mail_files(taken.attachments),
            )
    ctx.events.publish(
        event(
            p,
            Action.intake_attach,
            case=target.number,
            documents=result.documents,
            details={"kind": which, "id": item_id, "state": result.state, "replay": result.replay},
        )
    )
    return result


@use_case(Action.intake_reject)
def reject_held(ctx: Context, *, kind: str, item_id: int, reason: str) -> Reviewed:
    """Refuse a held delivery or message with a reason; it is kept, never deleted."""
    archive = ctx.archive
    p = ctx.principal
    which = _check_kind(kind)
    require_desk(archive, ctx.events, p, archive.settings.centre, Action.intake_reject)
    reason = " ".join(reason.split())
    if sum(ch.isalpha() for ch in reason) < MIN_REASON or len(reason) > 1000:
        raise Invalid(
            f"Вкажіть причину відхилення: щонайменше {MIN_REASON} літер, не більше 1000 символів",
            code="reason_required",
        )
    _exists(ctx, which, item_id)
    with _review_errors():
        if which == "delivery":
            got = deliveries.reject_held(archive, item_id, reason=reason, actor=ctx.actor)
            result = Reviewed(
                which, item_id, got.state, got.case_number, [], False, _delivery_files(got.parts)
            )
        else:
            taken = mail_intake.reject_held(archive, item_id, reason=reason, actor=ctx.actor)
            result = Reviewed(
                which,
                item_id,
                taken.state,
                taken.case_number,
                [],
                False,
                _mail_files(taken.attachments),
            )
    ctx.events.publish(event(p, Action.intake_reject, details={"kind": which, "id": item_id}))
    return result


__all__ = [
    "KINDS",
    "HeldItem",
    "HeldList",
    "Reviewed",
    "attach_held",
    "list_held",
    "reject_held",
]
