"""The command line's own words in Ukrainian: ``--help`` pages and parser errors.

Typer (0.29) carries its own copy of click with English strings written into the
code ("Usage:", "Show this message and exit.", "No such option", type names such as
``<int>``), not through gettext, so a translation catalogue cannot reach them.
Instead :func:`localise` gives every command of the tree a help page rendered here,
and :func:`usage_sentence` turns each parser exception into one Ukrainian sentence
naming the option or argument concerned. Only the public shape of the exceptions
(``param``, ``option_name``, ``possibilities``, ``ctx``) is relied upon; anything
unforeseen falls back to a general sentence, never to the English text.
"""

from __future__ import annotations

import difflib
import enum
import inspect
import re
import shutil
import textwrap
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path, PurePath
from typing import Any, get_args, get_origin

from typer._click.exceptions import (
    BadArgumentUsage,
    BadOptionUsage,
    BadParameter,
    ClickException,
    FileError,
    MissingParameter,
    NoSuchOption,
    UsageError,
)

from api.messages import field_message

HELP_TEXT = "Показати цю довідку й вийти."
CYRILLIC = re.compile(r"[А-Яа-яІіЇїЄєҐґ]")


# --- metavars ---------------------------------------------------------------------------------


def _descriptor(param: Any) -> Any:
    return getattr(param, "type_descriptor", None)


def _is_flag(param: Any) -> bool:
    return bool(getattr(param, "is_flag", False)) or bool(getattr(param, "count", False))


def _choices(param: Any) -> list[str] | None:
    desc = _descriptor(param)
    choices = getattr(desc, "choices", None) if desc is not None else None
    if not choices:
        return None
    return [str(c.value) if isinstance(c, enum.Enum) else str(c) for c in choices]


def _type_word(annotation: Any) -> str:
    origin = get_origin(annotation)
    if origin in (list, tuple, set):
        args = [a for a in get_args(annotation) if a is not Ellipsis]
        return _type_word(args[0]) if args else "ЗНАЧЕННЯ"
    if isinstance(annotation, type):
        if issubclass(annotation, bool):
            return "ТАК|НІ"
        if issubclass(annotation, int):
            return "ЧИСЛО"
        if issubclass(annotation, float):
            return "ЧИСЛО"
        if issubclass(annotation, PurePath):
            return "ШЛЯХ"
        if issubclass(annotation, datetime):
            return "ДАТА-ЧАС"
        if issubclass(annotation, date):
            return "ДАТА"
        if issubclass(annotation, enum.Enum):
            return "|".join(str(m.value) for m in annotation)
    return "ТЕКСТ"


# Placeholders of the arguments the commands have (their Python names are English).
ARGUMENT_WORDS: dict[str, str] = {
    "query": "ЗАПИТ",
    "paths": "ФАЙЛ",
    "files": "ФАЙЛ",
    "file": "ФАЙЛ",
    "directory": "КАТАЛОГ",
    "document_id": "ДОКУМЕНТ",
    "identifier": "ІДЕНТИФІКАТОР",
    "login": "ЛОГІН",
    "part": "ЧАСТИНА",
    "case": "СПРАВА",
    "number": "НОМЕР",
}


def metavar(param: Any) -> str:
    """The placeholder shown for a value: the author's metavar or a Ukrainian word."""
    if getattr(param, "metavar", None):
        return str(param.metavar)
    choices = _choices(param)
    named = getattr(param, "param_type_name", "") == "argument" and ARGUMENT_WORDS.get(
        str(getattr(param, "name", ""))
    )
    if named:
        word = named
    elif choices:
        word = "|".join(choices)
    else:
        desc = _descriptor(param)
        annotation = getattr(desc, "annotation", str) if desc is not None else str
        if desc is not None and getattr(desc, "is_path", False):
            word = "ШЛЯХ"
        else:
            word = _type_word(annotation)
    if getattr(param, "nargs", 1) != 1 or getattr(param, "multiple", False):
        word += "..."
    return word


def param_label(param: Any) -> str:
    """How a sentence names a parameter: ``--limit`` for an option, ``ТЕКСТ`` for an argument."""
    opts: list[str] = [str(o) for o in getattr(param, "opts", [])]
    longs = [o for o in opts if o.startswith("--")] or opts
    if getattr(param, "param_type_name", "") == "option" and longs:
        return longs[0]
    return metavar(param)


def _range(param: Any) -> str | None:
    lo, hi = getattr(param, "min", None), getattr(param, "max", None)
    if lo is None and hi is None:
        return None
    if lo is not None and hi is not None:
        return f"{lo}–{hi}"
    return f"≥ {lo}" if lo is not None else f"≤ {hi}"


def _default(param: Any) -> str | None:
    if not getattr(param, "show_default", True) or _is_flag(param):
        return None
    value = getattr(param, "default", None)
    if callable(value) or value is None or value == () or value == []:
        return None
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, Path):
        return str(value)
    text = str(value)
    return text if text and "Ellipsis" not in text else None


# --- help pages -------------------------------------------------------------------------------


def _width() -> int:
    return max(60, min(shutil.get_terminal_size((100, 24)).columns, 100))


def _paragraphs(text: str | None) -> list[str]:
    text = inspect.cleandoc(text or "").partition("\f")[0]
    # A paragraph that starts with "\b" (click's marker) keeps its lines: a table.
    return [
        p.removeprefix("\b\n") if p.startswith("\b\n") else " ".join(p.split())
        for p in text.split("\n\n")
        if p.strip()
    ]


def _rows(rows: Sequence[tuple[str, str]], width: int) -> list[str]:
    if not rows:
        return []
    first = min(max(len(a) for a, _ in rows), 30)
    out: list[str] = []
    for left, right in rows:
        indent = " " * (2 + first + 2)
        if len(left) > first:
            out.append("  " + left)
            if right:
                out.extend(
                    textwrap.wrap(right, width, initial_indent=indent, subsequent_indent=indent)
                )
            continue
        if not right:
            out.append("  " + left)
            continue
        head = "  " + left.ljust(first) + "  "
        out.extend(textwrap.wrap(right, width, initial_indent=head, subsequent_indent=indent))
    return out


def _param_rows(cmd: Any, ctx: Any) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    arguments: list[tuple[str, str]] = []
    options: list[tuple[str, str]] = []
    help_option = cmd.get_help_option(ctx)
    for param in cmd.get_params(ctx):
        if getattr(param, "hidden", False):
            continue
        if param is help_option:
            options.append((", ".join(param.opts), HELP_TEXT))
            continue
        notes: list[str] = []
        span = _range(param)
        if span:
            notes.append(span)
        default = _default(param)
        if default is not None:
            notes.append(f"типово: {default}")
        if param.required:
            notes.append("обов'язковий")
        text = " ".join(_paragraphs(getattr(param, "help", None)))
        if notes:
            text = f"{text}  [{'; '.join(notes)}]".strip()
        if param.param_type_name == "argument":
            arguments.append((metavar(param), text))
            continue
        names = ", ".join([*param.opts, *param.secondary_opts])
        if not _is_flag(param):
            names += " " + metavar(param)
        options.append((names, text))
    return arguments, options


def _usage(cmd: Any, ctx: Any) -> str:
    pieces = ["[ПАРАМЕТРИ]"]
    for param in cmd.get_params(ctx):
        if param.param_type_name == "argument" and not getattr(param, "hidden", False):
            word = metavar(param)
            pieces.append(word if param.required else f"[{word}]")
    if isinstance(getattr(cmd, "commands", None), dict):
        pieces.append("КОМАНДА [АРГУМЕНТИ]...")
    return f"Використання: {ctx.command_path} {' '.join(pieces)}"


def _commands(cmd: Any, ctx: Any) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for name in cmd.list_commands(ctx):
        sub = cmd.get_command(ctx, name)
        if sub is None or sub.hidden:
            continue
        text = sub.short_help or next(iter(_paragraphs(sub.help)), "")
        rows.append((name, text))
    return rows


def render_help(cmd: Any, ctx: Any, epilog: Sequence[str] = ()) -> str:
    """The whole help page of ``cmd`` in Ukrainian."""
    width = _width()
    lines = [_usage(cmd, ctx), ""]
    for paragraph in _paragraphs(cmd.help):
        lines.extend(textwrap.wrap(paragraph, width, initial_indent="  ", subsequent_indent="  "))
        lines.append("")
    arguments, options = _param_rows(cmd, ctx)
    for title, rows in (
        ("Аргументи", arguments),
        ("Параметри", options),
        (
            "Команди",
            _commands(cmd, ctx) if isinstance(getattr(cmd, "commands", None), dict) else [],
        ),
    ):
        if rows:
            lines.append(f"{title}:")
            lines.extend(_rows(rows, width))
            lines.append("")
    for paragraph in [*_paragraphs(cmd.epilog), *epilog]:
        lines.extend(
            textwrap.wrap(paragraph, width) if "\n" not in paragraph else paragraph.split("\n")
        )
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def localise(root: Any, epilog: Sequence[str] = ()) -> None:
    """Give ``root`` and every command under it the Ukrainian help page.

    The method is set on each command object because typer builds them from its own
    classes; ``epilog`` (the exit codes) is added to the root's page only.
    """
    for cmd, extra in _walk(root, epilog):

        def format_help(
            ctx: Any, formatter: Any, _cmd: Any = cmd, _extra: Sequence[str] = extra
        ) -> None:
            formatter.write(render_help(_cmd, ctx, _extra))

        # Instance attribute on purpose: every command of the tree, whatever its class.
        setattr(cmd, "format_help", format_help)  # noqa: B010


def _walk(cmd: Any, epilog: Sequence[str]) -> Iterable[tuple[Any, Sequence[str]]]:
    yield cmd, epilog
    for sub in getattr(cmd, "commands", {}).values():
        yield from _walk(sub, ())


# --- parser errors ----------------------------------------------------------------------------

_NO_SUCH_COMMAND = re.compile(r"No such command (['\"])(?P<name>.*?)\1\.")
_EXTRA_ARGS = re.compile(r"unexpected extra argument\S* \((?P<args>.*)\)")


def _help_hint(ctx: Any) -> str:
    path = getattr(ctx, "command_path", None) or "cnap-archive"
    return f"довідка: {path} --help"


def _suggest(word: str, candidates: Iterable[str]) -> str:
    matches = difflib.get_close_matches(word, list(candidates), n=3)
    return f" (можливо, {', '.join(matches)}?)" if matches else ""


def _bad_value(exc: BadParameter) -> str:
    param = exc.param
    label = param_label(param) if param is not None else "параметр"
    what = "параметра" if getattr(param, "param_type_name", "") == "option" else "аргументу"
    if CYRILLIC.search(exc.message or ""):
        # A command's own check, already in Ukrainian.
        return f"{what} {label}: {exc.message.rstrip('.')}"
    reason = _reason(exc, param)
    return f"недопустиме значення {what} {label}: {reason}"


def _reason(exc: BadParameter, param: Any) -> str:
    choices = _choices(param) if param is not None else None
    if choices:
        return "очікується одне з: " + ", ".join(choices)
    cause = exc.__cause__
    errors = getattr(cause, "errors", None)
    if callable(errors):
        try:
            first = errors()[0]
            return field_message(str(first.get("type", "")), first.get("ctx"))
        except Exception:  # an unexpected shape is no reason to show English
            pass
    message = exc.message or ""
    if "does not exist" in message:
        return "файл або каталог не існує"
    if "is a directory" in message:
        return "очікується файл, а не каталог"
    if "is a file" in message:
        return "очікується каталог, а не файл"
    if "not readable" in message:
        return "немає доступу на читання"
    if "not writable" in message:
        return "немає доступу на запис"
    if param is not None:
        return "очікується " + metavar(param)
    return "недопустиме значення"


def usage_sentence(exc: ClickException) -> str:
    """One Ukrainian sentence for a parser error, naming the option or argument."""
    ctx = getattr(exc, "ctx", None)
    hint = _help_hint(ctx)
    if isinstance(exc, MissingParameter):
        param = exc.param
        if param is None:
            return f"не вказано обов'язкове значення; {hint}"
        if param.param_type_name == "option":
            return f"не вказано обов'язковий параметр {param_label(param)}; {hint}"
        return f"не вказано обов'язковий аргумент {param_label(param)}; {hint}"
    if isinstance(exc, NoSuchOption):
        maybe = _suggest(exc.option_name, exc.possibilities or ())
        return f"невідомий параметр {exc.option_name}{maybe}; {hint}"
    if isinstance(exc, BadOptionUsage):
        if "does not take a value" in exc.message:
            return f"параметр {exc.option_name} не приймає значення; {hint}"
        if "requires" in exc.message:
            return f"параметр {exc.option_name} потребує значення; {hint}"
        return f"неправильно вжито параметр {exc.option_name}; {hint}"
    if isinstance(exc, BadParameter):
        return f"{_bad_value(exc)}; {hint}"
    if isinstance(exc, BadArgumentUsage):
        return f"неправильна кількість аргументів; {hint}"
    if isinstance(exc, FileError):
        return f"не вдалося відкрити файл {exc.ui_filename}"
    if isinstance(exc, UsageError):
        message = exc.message or ""
        command = _NO_SUCH_COMMAND.search(message)
        if command is not None:
            name = command.group("name")
            known = ctx.command.list_commands(ctx) if ctx is not None else []
            return f"невідома команда «{name}»{_suggest(name, known)}; {hint}"
        if message.startswith("Missing command"):
            return f"не вказано команду; {hint}"
        extra = _EXTRA_ARGS.search(message)
        if extra is not None:
            return f"зайві аргументи: {extra.group('args')}; {hint}"
        if CYRILLIC.search(message):
            return message
        return f"неправильний виклик команди; {hint}"
    message = exc.message or ""
    return message if CYRILLIC.search(message) else "команду не виконано"


__all__ = ["HELP_TEXT", "localise", "metavar", "render_help", "usage_sentence"]
