"""Diia sharing on the command line: ``sharing request``, ``sharing show``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from api.commands.base import out
from api.commands.context import operator_context
from usecases import sharing

sharing_app = typer.Typer(help="Документи, якими громадяни діляться з Дії.", no_args_is_help=True)


@sharing_app.command("request")
def request(
    case: Annotated[str, typer.Argument(help="Номер справи")],
    dest: Annotated[
        Path | None,
        typer.Option("--out", help="Каталог для QR-коду й аркуша (типово: каталог друку)"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Відповідь у форматі JSON")] = False,
) -> None:
    """Запросити документи з Дії: посилання, QR-код (PNG) і аркуш для друку (PDF)."""
    with operator_context() as ctx:
        view = sharing.request_sharing(ctx, case=case)
        png = sharing.sharing_sheet(ctx, request_id=view.request_id, kind="png")
        pdf = sharing.sharing_sheet(ctx, request_id=view.request_id, kind="pdf")
        folder = dest or ctx.archive.settings.print_dir
    folder.mkdir(parents=True, exist_ok=True)
    (folder / png.filename).write_bytes(png.content)
    (folder / pdf.filename).write_bytes(pdf.content)
    if as_json:
        body = {
            **view.as_json(),
            "qr": str(folder / png.filename),
            "sheet": str(folder / pdf.filename),
        }
        out.print(json.dumps(body, ensure_ascii=False), markup=False)
        return
    out.print(f"Запит для справи № {escape(view.case)}: {escape(view.deeplink)}")
    out.print(f"QR-код: {folder / png.filename}")
    out.print(f"Аркуш для друку: {folder / pdf.filename}")
    out.print(f"Дійсний до {view.expires_at:%d.%m.%Y %H:%M} UTC")


@sharing_app.command("show")
def show(
    document_id: Annotated[str, typer.Argument(help="Ідентифікатор документа")],
    reason: Annotated[str | None, typer.Option("--reason", help="Мета доступу")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Відповідь у форматі JSON")] = False,
) -> None:
    """Підпис і метадані документа, отриманого з Дії."""
    with operator_context() as ctx:
        view = sharing.document_sharing(ctx, document_id=document_id, reason=reason)
    if as_json:
        out.print(json.dumps(view.as_json(), ensure_ascii=False), markup=False)
        return
    sig = view.signature or {}
    out.print(f"Тип документа: {escape(view.document_type or '—')}")
    out.print(f"Підпис: {escape(sig.get('reason') or 'немає відомостей')}")
    signer = sig.get("signer") or {}
    if signer:
        out.print(f"Підписувач: {escape(signer.get('subject', ''))}")
    if sig.get("signing_time"):
        out.print(f"Час підписання: {escape(sig['signing_time'])}")
    pades = view.pades or {}
    if pades:
        out.print(f"Підпис у PDF: {escape(pades.get('reason') or '')}")
        for sig in pades.get("signatures", []):
            who, when = sig.get("signer") or "—", sig.get("signing_time") or ""
            out.print(f"  {escape(str(who))}, {escape(str(when))}")
    for key, value in (view.fields or {}).items():
        out.print(f"  {escape(key)}: {escape(value)}")
