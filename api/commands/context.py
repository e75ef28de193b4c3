"""The Context of a command: who runs it (the operator), over which archive and queue.

The one place the command line builds a :class:`~usecases.context.Context`.
A use-case error needs no handling here: it goes on to the one command-line
handler (``api.exit_codes``: one line, its exit code — docs/errors.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from api.commands.base import open_archive, operator
from backends import Archive
from ingest.dispatch import Dispatcher, open_dispatcher
from usecases.context import Context, events_for
from usecases.policy import Principal


def context_for(archive: Archive, p: Principal, dispatcher: Dispatcher | None = None) -> Context:
    """The Context of a command acting as ``p`` over an archive it already opened."""
    return Context(archive, p, events_for(archive), dispatcher)


@contextmanager
def operator_context(*, dispatcher: bool = False, recover: bool = False) -> Iterator[Context]:
    """The operator's Context over a freshly opened archive (closed on leaving).

    ``dispatcher``: with a work queue, for use cases that archive files;
    ``recover``: picking up the unfinished work of earlier runs first.
    """
    archive = open_archive()
    disp: Dispatcher | None = None
    try:
        p = operator(archive)
        if dispatcher:
            disp = open_dispatcher(archive)
            if recover:
                disp.recover()
        yield context_for(archive, p, disp)
    finally:
        if disp is not None:
            disp.close()
        archive.close()


__all__ = ["context_for", "operator_context"]
