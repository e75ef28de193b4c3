"""E-mail intake: ``cnap-archive mail`` reads the centre's mailbox into the archive.

Each message is recorded, its attachments archived into the case named in
the subject or text (or the message held for review), and it is then moved
to the processed or the held folder; nothing is deleted. One
``mail.intake`` entry per run names the documents it created or found again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from archive.audit import Action
from ingest.dispatch import open_dispatcher
from ingest.mail.imap import Mailbox, MailUnavailable
from ingest.mail.intake import Taken, mark_moved, take
from usecases.access import event, require_upload
from usecases.context import Context
from usecases.errors import Invalid, Unavailable
from usecases.registry import use_case

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class MailRun:
    """What one pass over the mailbox did."""

    messages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def held(self) -> int:
        return sum(1 for m in self.messages if m["state"] == "held")

    def as_json(self) -> dict[str, Any]:
        return {"messages": self.messages, "held": self.held}


@use_case(Action.mail_intake)
def take_mail(ctx: Context, *, limit: int | None = None) -> MailRun:
    """Take the messages waiting in the mailbox (at most ``limit``), oldest first."""
    archive = ctx.archive
    require_upload(archive, ctx.events, ctx.principal)
    settings = archive.settings.mail
    if not settings.imap_url:
        raise Invalid(
            "Поштову скриньку не налаштовано (CNAP_MAIL__IMAP_URL)", code="mail_not_configured"
        )
    own = ctx.dispatcher is None
    dispatcher = ctx.dispatcher or open_dispatcher(archive)
    taken: list[Taken] = []
    try:
        if own:
            dispatcher.recover()
        with Mailbox(settings.imap_url, settings.mailbox, timeout=settings.timeout_seconds) as box:
            for uid in box.uids()[:limit]:
                raw = box.fetch(uid)
                result = take(archive, raw, submit=dispatcher.submit, actor=ctx.actor)
                if result.documents:
                    dispatcher.wait(result.documents)
                box.move(
                    uid,
                    settings.processed_folder
                    if result.state == "archived"
                    else settings.held_folder,
                )
                mark_moved(archive, result.key)
                taken.append(result)
    except MailUnavailable as exc:
        raise Unavailable(exc.reason, code="mail_unavailable") from exc
    finally:
        if own:
            dispatcher.close()
        docs = list(dict.fromkeys(d for t in taken for d in t.documents))
        ctx.events.publish(
            event(
                ctx.principal,
                Action.mail_intake,
                documents=docs,
                details={
                    "messages": len(taken),
                    "held": sum(1 for t in taken if t.state == "held"),
                },
            )
        )
    return MailRun(
        [
            {
                "state": t.state,
                "case": t.case_number,
                "code": t.code,
                "reason": t.reason,
                "seen_before": t.seen_before,
                "attachments": [
                    {k: a.get(k) for k in ("filename", "status", "code", "reason", "document_id")}
                    for a in t.attachments
                ],
            }
            for t in taken
        ]
    )
