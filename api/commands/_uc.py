"""Running a use case from a command: the context of the operator, and its errors as exit codes.

Interim, until the one command-line error handler maps every
:class:`~usecases.errors.ArchiveError`: the codes are those the commands
have always used — 1 when the archive refuses (not found, denied, conflict,
not signed in), 2 for input or a backend that failed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Concatenate, ParamSpec, TypeVar

from api.commands.base import fail, open_archive, operator
from ingest.dispatch import Dispatcher
from usecases.context import Context, events_for
from usecases.errors import ArchiveError, Conflict, Denied, NotFound, Unauthenticated

P = ParamSpec("P")
R = TypeVar("R")

_REFUSED = (NotFound, Denied, Conflict, Unauthenticated)


def exit_code(exc: ArchiveError) -> int:
    return 1 if isinstance(exc, _REFUSED) else 2


@contextmanager
def operator_context(dispatcher: Dispatcher | None = None) -> Iterator[Context]:
    """The archive opened as the operator of this command (closed on leaving)."""
    archive = open_archive()
    try:
        yield Context(archive, operator(archive), events_for(archive), dispatcher)
    finally:
        archive.close()


def run(
    use_case: Callable[Concatenate[Context, P], R], ctx: Context, *args: P.args, **kwargs: P.kwargs
) -> R:
    """Call one use case; an :class:`ArchiveError` ends the command with one line and its code."""
    try:
        return use_case(ctx, *args, **kwargs)
    except ArchiveError as exc:
        fail(exc.message, exit_code(exc))
