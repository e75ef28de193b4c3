"""``cnap-archive scan``: a batch from the desk's scanner through SANE."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from api.commands.base import err, fail, out, state
from api.commands.batch import batch_exit_code, print_batch
from api.commands.context import operator_context
from archive.models import PackageKind
from usecases import hotfolder


def scan(
    device: Annotated[
        str | None, typer.Option("--device", "-d", help="Пристрій SANE (scanimage -L).")
    ] = None,
    adf: Annotated[bool, typer.Option("--adf", help="З автоподавача (усі аркуші).")] = False,
    duplex: Annotated[bool, typer.Option("--duplex", help="Двобічне сканування.")] = False,
    source: Annotated[
        str | None, typer.Option("--source", help="Джерело паперу, як його називає драйвер.")
    ] = None,
    resolution: Annotated[
        int | None,
        typer.Option("--resolution", help="Роздільність сканування, точок на дюйм.", metavar="DPI"),
    ] = None,
    mode: Annotated[
        str | None, typer.Option("--mode", help="Gray, Color або Lineart (як у драйвера).")
    ] = None,
    pages: Annotated[
        int | None, typer.Option("--pages", help="Не більше стількох сторінок.")
    ] = None,
    split: Annotated[
        bool, typer.Option("--split/--no-split", help="Ділити за титульними аркушами.")
    ] = True,
    case: Annotated[
        str | None, typer.Option("--case", help="Без поділу: номер справи для всіх сторінок.")
    ] = None,
    package: Annotated[
        PackageKind,
        typer.Option("--package", help="Пакет: input (вхідний) або output (результат)."),
    ] = PackageKind.input,
    to_station: Annotated[
        bool, typer.Option("--to-station", help="Покласти в чергу станції, а не в архів.")
    ] = False,
    option: Annotated[
        list[str] | None,
        typer.Option(
            "--option", help="Додатковий параметр scanimage, напр. «-x=210».", show_default=False
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Відповідь у JSON.")] = False,
    list_devices: Annotated[bool, typer.Option("--list", help="Показати сканери.")] = False,
) -> None:
    """Відсканувати пачку через SANE (scanimage) і заархівувати її."""
    from scanner.sane import SaneError, ScanOptions, join_tiff
    from scanner.sane import list_devices as sane_devices
    from scanner.sane import scan as sane_scan

    cfg = state.settings.desk
    if list_devices:
        for d in sane_devices():
            out.print(f"{escape(d.name)}\t{escape(d.description)}")
        return
    dev = device or cfg.scan_device
    if not dev:
        fail("вкажіть сканер: --device (список — cnap-archive scan --list)")
    if case and split and not to_station:
        split = False
    extra: list[str] = []
    for o in option or []:
        extra.extend(o.split("=", 1) if o.startswith("-") and not o.startswith("--") else [o])
    opts = ScanOptions(
        device=dev,
        resolution=resolution or cfg.scan_resolution,
        mode=mode or cfg.scan_mode,
        adf=adf,
        duplex=duplex,
        source=source,
        pages=pages,
        extra=extra,
    )
    with tempfile.TemporaryDirectory(prefix="cnap-scan-") as tmp:
        try:
            result = sane_scan(opts, Path(tmp) / "pages", timeout=cfg.scan_timeout_seconds)
        except SaneError as exc:
            fail(str(exc), 1)
        if result.message:
            err.print(escape(result.message))
        batch = join_tiff(result.pages, Path(tmp) / "scan.tif")
        err.print(f"Відскановано сторінок: {len(result.pages)}")
        if to_station:
            from station.agent import Station

            item = Station(state.settings).add_scan(batch, case=case, package=package.value)
            out.print(f"У черзі станції: № {item.id} ({len(result.pages)} стор.)")
            return
        with operator_context(dispatcher=True, recover=True) as ctx:
            done = hotfolder.archive_scan(ctx, path=batch, split=split, case=case, package=package)
    if done.batch is not None:
        print_batch(done.batch, as_json)
        raise typer.Exit(batch_exit_code([done.batch]))
    for outcome in done.documents:
        if as_json:
            out.print(json.dumps(outcome, ensure_ascii=False), markup=False)
        else:
            out.print(
                f"{outcome['status']}: {outcome['document_id'] or ''} "
                f"{escape(outcome['reason'] or '')}"
            )
    raise typer.Exit(1 if done.rejected else 0)


__all__ = ["scan"]
