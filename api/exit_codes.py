"""Exit codes of ``cnap-archive``: one meaning each, and the one handler that applies them.

Use cases raise the classes of :mod:`usecases.errors`; commands do not catch
them. :data:`EXIT_CODES` gives each class its code once, and :func:`handle`
(run by :class:`ArchiveGroup`, the class of the top command group, so the
console script and in-process test runners behave the same) prints one line
``помилка: …`` on stderr and returns the code — never a traceback, never the
framework's English. The meanings are documented in ``docs/errors.md`` and at
the end of ``cnap-archive --help``.
"""

from __future__ import annotations

import logging
import shutil
import sys
import textwrap
from collections.abc import Callable, Sequence
from enum import IntEnum
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
from typer.core import TyperGroup

from api.cli_text import localise, usage_sentence
from usecases.errors import (
    ArchiveError,
    Conflict,
    Denied,
    Invalid,
    NotFound,
    RateLimited,
    TooLarge,
    Unauthenticated,
    Unavailable,
    from_backend,
)


class ExitCode(IntEnum):
    """What a script can rely on; a command exits with one of these only."""

    ok = 0
    #: An input was rejected or a request refused: not found, denied, conflict, invalid.
    refused = 1
    #: The command line itself is wrong: unknown command, missing or bad option or argument.
    usage = 2
    #: Done, but something waits for a person (a held batch part, an undelivered item).
    held = 3
    #: A backend (store, database, index, broker) or the central archive does not answer.
    unavailable = 4
    #: An unforeseen failure (a bug); the details are in the application log.
    internal = 5
    #: Interrupted (Ctrl-C).
    interrupted = 130


MEANINGS: dict[ExitCode, str] = {
    ExitCode.ok: "успіх",
    ExitCode.refused: "відмовлено: вхідні дані відхилено або запит не дозволено "
    "(не знайдено, заборонено, конфлікт стану, недопустимі дані)",
    ExitCode.usage: "неправильний виклик: невідома команда, бракує параметра чи аргументу "
    "або значення недопустиме",
    ExitCode.held: "виконано, але щось чекає на людину (відкладена частина пачки, недоставлене)",
    ExitCode.unavailable: "сховище, база, індекс, брокер або центральний архів недоступні; "
    "спробуйте пізніше",
    ExitCode.internal: "непередбачена помилка; подробиці — в журналі застосунку",
    ExitCode.interrupted: "перервано",
}

#: The one mapping of the taxonomy to exit codes. A test fails on a class missing here.
EXIT_CODES: dict[type[ArchiveError], ExitCode] = {
    Invalid: ExitCode.refused,
    Unauthenticated: ExitCode.refused,
    Denied: ExitCode.refused,
    NotFound: ExitCode.refused,
    Conflict: ExitCode.refused,
    TooLarge: ExitCode.refused,
    RateLimited: ExitCode.refused,
    Unavailable: ExitCode.unavailable,
}

err = Console(stderr=True, highlight=False, soft_wrap=True)
log = logging.getLogger("cnap.cli")


def exit_code_for(exc: ArchiveError) -> ExitCode:
    """The exit code of an error of the taxonomy (by its nearest mapped class)."""
    for cls in type(exc).__mro__:
        if cls in EXIT_CODES:
            return EXIT_CODES[cls]  # type: ignore[index]
    return ExitCode.internal


def epilog() -> list[str]:
    """The exit codes, as the last lines of ``cnap-archive --help``."""
    width = max(60, min(shutil.get_terminal_size((100, 24)).columns, 100))
    lines = ["Коди завершення:"]
    for code, meaning in MEANINGS.items():
        lines.extend(
            textwrap.wrap(
                meaning, width, initial_indent=f"  {int(code):>3}  ", subsequent_indent=" " * 7
            )
        )
    return ["\n".join(lines)]


def say(message: str) -> None:
    """The one error line: ``помилка: …`` on stderr."""
    err.print(f"[red]помилка:[/red] {escape(' '.join(message.split()))}")


def describe(exc: BaseException) -> tuple[str, ExitCode]:
    """A sentence and a code for an exception nobody translated (the last line of defence)."""
    backend = from_backend(exc)
    if backend is not None:
        return backend.message, exit_code_for(backend)
    if isinstance(exc, FileNotFoundError):
        return f"файл не знайдено: {exc.filename or ''}".strip(), ExitCode.refused
    if isinstance(exc, PermissionError):
        return f"немає доступу: {exc.filename or ''}".strip(), ExitCode.refused
    if isinstance(exc, (IsADirectoryError, NotADirectoryError)):
        return f"очікується файл: {exc.filename or ''}".strip(), ExitCode.refused
    # The exception's own text may be English or carry data: the log has it, the screen not.
    where = " (подробиці — у журналі cnap-archive.log)" if logging.getLogger().handlers else ""
    return f"непередбачена помилка {type(exc).__name__}{where}", ExitCode.internal


def handle(call: Callable[[], Any]) -> int:
    """Run ``call`` (the command line); every outcome becomes an exit code."""
    try:
        rv = call()
    except ArchiveError as exc:
        say(exc.message)
        return exit_code_for(exc)
    except NoArgsIsHelpError as exc:
        # The help page (Ukrainian, see api.cli_text) instead of a one-line error.
        err.print(exc.format_message(), markup=False, highlight=False)
        return ExitCode.usage
    except UsageError as exc:
        say(usage_sentence(exc))
        return ExitCode.usage
    except ClickException as exc:
        say(usage_sentence(exc))
        return ExitCode.refused
    except typer.Exit as exc:
        return int(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt, EOFError):
        say(MEANINGS[ExitCode.interrupted])
        return ExitCode.interrupted
    except SystemExit:
        raise
    except Exception as exc:  # the last line of defence for the operator's terminal
        # Without a configured log (an error before the command ran) nothing is logged:
        # logging's last resort would print the traceback on the terminal.
        if logging.getLogger().handlers:
            log.error("command failed", exc_info=True)
        message, code = describe(exc)
        say(message)
        return code
    if isinstance(rv, bool) or not isinstance(rv, int):
        return ExitCode.ok
    return rv


class ArchiveGroup(TyperGroup):
    """The top command group: Ukrainian help for the whole tree, and :func:`handle`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        localise(self, epilog())

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            # typer would turn it into a silent exit 130; it gets its line like any other.
            raise typer.Abort() from None

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        code = handle(
            lambda: super(ArchiveGroup, self).main(
                args,
                prog_name,
                complete_var,
                standalone_mode=False,
                windows_expand_args=windows_expand_args,
                **extra,
            )
        )
        if standalone_mode:
            sys.exit(code)
        return code


def run(app: typer.Typer, args: Sequence[str] | None = None) -> int:
    """Run the command line of ``app`` and return its exit code (the console entry point)."""
    command = typer.main.get_command(app)
    return handle(lambda: command.main(args, standalone_mode=False))


__all__ = [
    "EXIT_CODES",
    "MEANINGS",
    "ArchiveGroup",
    "ExitCode",
    "describe",
    "exit_code_for",
    "handle",
    "run",
    "say",
]
