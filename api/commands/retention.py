"""``cnap-archive retention …`` and ``cnap-archive fixity check`` over usecases.retention."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from api.commands.base import fail, out, parse_date
from api.commands.context import operator_context
from usecases import retention as uc
from usecases.context import Context
from usecases.errors import ArchiveError

retention_app = typer.Typer(
    help="Зберігання: номенклатура і правила, плани, затвердження ЕК/ЕПК, утримання, виконання.",
    no_args_is_help=True,
)
rules_app = typer.Typer(help="Номенклатура справ і правила зберігання.", no_args_is_help=True)
retention_app.add_typer(rules_app, name="rules")
fixity_app = typer.Typer(help="Перевірка цілісності збережених об’єктів.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Відповідь у JSON.")]
AsOfOpt = Annotated[
    str | None,
    typer.Option("--as-of", help="На дату РРРР-ММ-ДД (типово сьогодні).", show_default=False),
]
PlanArg = Annotated[int, typer.Argument(help="Номер плану.")]


@contextmanager
def _ctx() -> Iterator[Context]:
    with operator_context() as ctx:
        try:
            yield ctx
        except ArchiveError as exc:
            # A refused rules file names each of its problems (line and reason) first.
            for line in exc.details.get("problems", []):
                out.print(escape(str(line)))
            raise


def _json(data: Any) -> None:
    out.print(json.dumps(data, ensure_ascii=False, indent=1), markup=False)


@rules_app.command("load")
def rules_load(
    path: Annotated[Path, typer.Argument(help="Файл YAML з номенклатурою і правилами.")],
) -> None:
    """Перевірити й увести в дію файл правил (з помилкою — відхиляється, чинні правила діють)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        fail(f"не вдається прочитати {path} як текст UTF-8")
    with _ctx() as ctx:
        view = uc.load_rules(ctx, text=text, name=path.name)
        out.print(
            f"Уведено в дію правила на {view.year} рік: {len(view.rules)} правил, "
            f"{len(view.entries)} статей номенклатури."
        )


@rules_app.command("show")
def rules_show(as_of: AsOfOpt = None, as_json: JsonOpt = False) -> None:
    """Показати чинні номенклатуру і правила."""
    with _ctx() as ctx:
        view = uc.show_rules(ctx, as_of=parse_date(as_of, "--as-of"))
        if as_json:
            _json(view.as_json())
            return
        note = " [ПРИКЛАД — замініть своєю номенклатурою]" if view.example else ""
        out.print(f"Правила {escape(view.name)} на {view.year} рік{note}")
        for e in view.entries:
            out.print(escape(f"  {e['index']}  {e['title']} — {e['period']}, {e['article']}"))
        for r in view.rules:
            out.print(
                f"  правило {escape(r['id'])}: {r['action']} через {r['period']} від {r['clock']}"
            )


@retention_app.command("plan")
def plan(
    as_of: AsOfOpt = None,
    as_json: JsonOpt = False,
    draft: Annotated[
        bool, typer.Option("--draft", help="Зберегти як проєкт плану для ЕК.")
    ] = False,
) -> None:
    """Що настало: правило, стаття, початок відліку, дата; що заблоковано утриманням."""
    day = parse_date(as_of, "--as-of")
    with _ctx() as ctx:
        if draft:
            view = uc.draft_plan(ctx, as_of=day)
            if as_json:
                _json(view.as_json())
            else:
                out.print(
                    f"Складено план № {view.number} на {view.as_of}: позицій {view.items}"
                    + ("; потрібне погодження ЕПК" if view.needs_agreement else "")
                )
            return
        rep = uc.plan_due(ctx, as_of=day)
        if as_json:
            _json(rep.as_json())
            return
        if rep.example:
            out.print(
                "[yellow]Діє ПРИКЛАД правил: завантажте свою номенклатуру "
                "(retention rules load).[/yellow]"
            )
        out.print(f"На {rep.as_of}: {len(rep.lines)} позицій")
        for x in rep.lines:
            flag = " [ЗАБЛОКОВАНО: утримання]" if x.blocked else ""
            inplan = f" (у плані № {x.in_plan})" if x.in_plan else ""
            out.print(
                escape(
                    f"{x.case}  {x.action}  правило {x.rule}  {x.article or '—'}  "
                    f"відлік з {x.clock_start}  настає {x.due}{flag}{inplan}"
                )
            )


@retention_app.command("plans")
def plans(as_json: JsonOpt = False) -> None:
    """Плани та їхній стан."""
    with _ctx() as ctx:
        views = uc.list_plans(ctx)
        if as_json:
            _json([v.as_json() for v in views])
            return
        for v in views:
            out.print(f"№ {v.number}  {v.as_of}  {v.state}  позицій {v.items}")


@retention_app.command("show")
def show(number: PlanArg, as_json: JsonOpt = False) -> None:
    """План: затвердження і позиції."""
    with _ctx() as ctx:
        v = uc.show_plan(ctx, number=number)
        if as_json:
            _json(v.as_json())
            return
        out.print(f"План № {v.number} на {v.as_of}: {v.state}; позицій {v.items}")
        for line in v.lines:
            out.print(escape(f"  {line['seq']}. {line['case']} {line['action']} {line['state']}"))


@retention_app.command("approve")
def approve(
    number: PlanArg,
    decision: Annotated[str, typer.Option("--decision", help="Номер протоколу (рішення) ЕК.")],
    date: Annotated[str | None, typer.Option("--date", help="Дата засідання ЕК.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Записати затвердження плану експертною комісією (ЕК)."""
    with _ctx() as ctx:
        v = uc.approve_plan(ctx, number=number, decision=decision, date=parse_date(date, "--date"))
        _json(v.as_json()) if as_json else out.print(f"План № {v.number} затверджено ЕК.")


@retention_app.command("agree")
def agree(
    number: PlanArg,
    reference: Annotated[str, typer.Option("--reference", help="Номер протоколу ЕПК.")],
    date: Annotated[str | None, typer.Option("--date", help="Дата засідання ЕПК.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Записати погодження знищення експертно-перевірною комісією (ЕПК)."""
    with _ctx() as ctx:
        v = uc.agree_plan(ctx, number=number, reference=reference, date=parse_date(date, "--date"))
        _json(v.as_json()) if as_json else out.print(f"План № {v.number} погоджено ЕПК.")


@retention_app.command("apply")
def apply(number: PlanArg, as_json: JsonOpt = False) -> None:
    """Виконати затверджений план (повторний запуск завершує перерваний)."""
    with _ctx() as ctx:
        rep = uc.apply_plan(ctx, number=number)
        if as_json:
            _json(rep)
            return
        out.print(
            f"План № {rep['plan']}: {rep['state']}; виконано {rep['done']}, "
            f"пропущено (утримання) {rep['skipped']}, раніше {rep['already']}"
        )
        if rep.get("bag"):
            out.print(escape(f"Пакет передавання (BagIt): {rep['bag']}"))


@retention_app.command("act")
def act(
    number: PlanArg,
    output: Annotated[Path, typer.Option("--output", "-o", help="Куди записати PDF акта.")],
) -> None:
    """Акт про вилучення для знищення документів (PDF)."""
    with _ctx() as ctx:
        pdf = uc.act_pdf(ctx, number=number)
        output.write_bytes(pdf)
        out.print(f"Акт записано: {output}")


@retention_app.command("package")
def package(
    number: PlanArg,
    output: Annotated[Path, typer.Option("--out", "-o", help="Куди записати ZIP пакета (BagIt).")],
) -> None:
    """Пакет передавання плану (BagIt) одним ZIP-файлом."""
    with _ctx() as ctx:
        got = uc.transfer_package(ctx, number=number)
        part = output.with_name(output.name + ".part")
        # Written beside and renamed when complete: a broken run leaves no file that looks whole.
        try:
            with part.open("wb") as fh:
                for chunk in got.chunks:
                    fh.write(chunk)
            part.replace(output)
        except OSError:
            part.unlink(missing_ok=True)
            fail(f"не вдається записати {output}")
        out.print(escape(f"Пакет передавання плану № {number} записано: {output}"))


@retention_app.command("outputs")
def outputs(as_json: JsonOpt = False) -> None:
    """Акти про знищення й пакети передавання всіх виконаних планів."""
    with _ctx() as ctx:
        rows = uc.list_outputs(ctx)
        if as_json:
            _json([r.as_json() for r in rows])
            return
        for r in rows:
            act = f"акт: знищено справ {r.act['cases']}" if r.act else ""
            pkg = f"пакет: справ {r.package['cases']}" if r.package else ""
            out.print(f"План № {r.plan}  {r.as_of}  " + "; ".join(x for x in (act, pkg) if x))


@retention_app.command("hold")
def hold(
    target: Annotated[str, typer.Argument(help="Номер справи або пошуковий запит.")],
    reason: Annotated[str, typer.Option("--reason", help="Причина (спір, розслідування…).")],
    as_json: JsonOpt = False,
) -> None:
    """Утримання: справа не передається, не експортується й не знищується."""
    with _ctx() as ctx:
        placed = uc.place_hold(ctx, target=target, reason=reason)
        if as_json:
            _json([h.as_json() for h in placed])
            return
        out.print(f"Утримання встановлено: {len(placed)} справ")


@retention_app.command("release")
def release(
    case: Annotated[str, typer.Argument(help="Номер справи.")],
    reason: Annotated[str, typer.Option("--reason", help="Чому утримання знято.")],
) -> None:
    """Зняти утримання зі справи."""
    with _ctx() as ctx:
        released = uc.release_hold(ctx, case=case, reason=reason)
        out.print(f"Утримання знято: {len(released)}")


@retention_app.command("holds")
def holds_(as_json: JsonOpt = False) -> None:
    """Чинні утримання."""
    with _ctx() as ctx:
        views = uc.list_holds(ctx)
        if as_json:
            _json([h.as_json() for h in views])
            return
        for h in views:
            out.print(escape(f"{h.case}  {h.placed_by}  {h.placed_at[:10]}  {h.reason}"))


@retention_app.command("todo")
def todo(as_of: AsOfOpt = None, as_json: JsonOpt = False) -> None:
    """Список адміністратора: невитребувані результати, які слід надіслати поштою."""
    with _ctx() as ctx:
        rows = uc.uncollected(ctx, as_of=parse_date(as_of, "--as-of"))
        if as_json:
            _json(rows)
            return
        for r in rows:
            out.print(escape(f"{r['case']}  результат готовий {r['ready']}  — {r['todo']}"))


@fixity_app.command("check")
def fixity_check(
    sample: Annotated[
        int | None, typer.Option("--sample", min=1, help="Перевірити N випадкових документів.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Перечитати збережені об’єкти й звірити SHA-256."""
    with _ctx() as ctx:
        rep = uc.fixity_check(ctx, sample=sample)
        if as_json:
            _json(rep)
        else:
            out.print(
                f"Перевірено {rep['checked']}: цілі {rep['ok']}, пошкоджені {rep['corrupt']}, "
                f"відсутні {rep['missing']}"
            )
        if rep["corrupt"] or rep["missing"]:
            raise typer.Exit(3)
