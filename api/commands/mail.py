"""``cnap-archive mail``: take the documents e-mailed to the centre's mailbox."""

from __future__ import annotations

import json
import time
from typing import Annotated

import typer
from rich.markup import escape

from api.commands.base import out
from api.commands.context import operator_context
from usecases.mail import MailRun, take_mail

_STATE_UA = {"archived": "[green]прийнято[/green]", "held": "[yellow]відкладено[/yellow]"}


def mail(
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Не більше стільки листів")
    ] = None,
    watch: Annotated[
        bool,
        typer.Option(
            "--watch", help="Перевіряти скриньку постійно (інтервал — CNAP_MAIL__POLL_SECONDS)"
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Відповідь у форматі JSON")] = False,
) -> None:
    """Прийняти документи з поштової скриньки ЦНАП (PDF, JPEG, PNG, TIFF у вкладеннях)."""
    while True:
        with operator_context() as ctx:
            result = take_mail(ctx, limit=limit)
            poll = ctx.archive.settings.mail.poll_seconds
        _print(result, as_json)
        if not watch:
            if result.held:
                raise typer.Exit(3)
            return
        time.sleep(poll)


def _print(result: MailRun, as_json: bool) -> None:
    if as_json:
        out.print(json.dumps(result.as_json(), ensure_ascii=False), markup=False)
        return
    if not result.messages:
        out.print("Нових листів немає")
    for m in result.messages:
        where = f"справа № {escape(m['case'])}" if m["case"] else escape(m["reason"] or "")
        out.print(f"{_STATE_UA.get(m['state'], m['state'])} лист: {where}")
        for a in m["attachments"]:
            note = a["document_id"] or escape(a["reason"] or "")
            out.print(f"  {escape(a['filename'])}: {note}")
