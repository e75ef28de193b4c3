"""Interim: the command line's translation of use-case errors, for ``user`` and ``audit``.

One table, no ``except`` ladders in the commands. It goes when the one CLI
handler of the error taxonomy lands (the exit codes below are today's, which
the tests of ``user`` and ``audit`` pin down).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from api.commands.base import open_archive, operator
from usecases.context import Context, events_for

# Input the operator can correct is 2 (as typer's own usage errors); a refusal is 1.


@contextmanager
def acting() -> Iterator[Context]:
    """The operator's context over a freshly opened archive, closed afterwards.

    A use-case error ends the command through ``api.exit_codes`` (one line, its code).
    """
    archive = open_archive()
    try:
        # A use-case error goes on to the one command-line handler (api.exit_codes).
        yield Context(archive, operator(archive), events_for(archive))
    finally:
        archive.close()
