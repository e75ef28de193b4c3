"""Interim: the command line's translation of use-case errors, for ``user`` and ``audit``.

One table, no ``except`` ladders in the commands. It goes when the one CLI
handler of the error taxonomy lands (the exit codes below are today's, which
the tests of ``user`` and ``audit`` pin down).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from api.commands.base import fail, open_archive, operator
from usecases.context import Context, events_for
from usecases.errors import ArchiveError, Invalid

# Input the operator can correct is 2 (as typer's own usage errors); a refusal is 1.
EXIT_CODES: dict[type[ArchiveError], int] = {Invalid: 2}
REFUSED = 1


@contextmanager
def acting() -> Iterator[Context]:
    """The operator's context over a freshly opened archive, closed afterwards.

    A use-case error ends the command with one line and its exit code.
    """
    archive = open_archive()
    try:
        ctx = Context(archive, operator(archive), events_for(archive))
        try:
            yield ctx
        except ArchiveError as exc:
            fail(exc.message, EXIT_CODES.get(type(exc), REFUSED))
    finally:
        archive.close()
