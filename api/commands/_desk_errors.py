"""The desk's commands: their Context, and the use-case errors as exit codes, in one place.

Exit codes of the desk commands: 0 — done; 1 — refused, not found, invalid
or in conflict (one line says why); 2 — a usage or configuration error;
3 — something was held for review (``ingest --split``, ``scan``) or still
waits in a station's queue (``station sync``); 4 — a backend or the central
archive is unavailable (try again later).

Meant to give way to the one command-line handler of the error taxonomy.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from api.commands.base import fail, open_archive, operator
from api.exit_codes import exit_code_for
from backends import Archive
from ingest.dispatch import Dispatcher
from usecases.context import Context, events_for
from usecases.errors import ArchiveError
from usecases.policy import Principal

HELD_FOR_REVIEW = 3
UNAVAILABLE = 4


def exit_code(exc: ArchiveError) -> int:
    """The code of the one table (api.exit_codes)."""
    return int(exit_code_for(exc))


def message(exc: ArchiveError) -> str:
    return exc.message


@contextmanager
def cli_errors() -> Iterator[None]:
    """A use-case error ends the command with one line and its exit code."""
    try:
        yield
    except ArchiveError as exc:
        fail(message(exc), exit_code(exc))


def context_for(archive: Archive, p: Principal, dispatcher: Dispatcher | None = None) -> Context:
    """The Context of a command acting as ``p`` (the one place the CLI makes a publisher)."""
    return Context(archive, p, events_for(archive), dispatcher)


@contextmanager
def desk_context(*, dispatcher: bool = False, recover: bool = False) -> Iterator[Context]:
    """The operator's Context over a freshly opened archive (closed afterwards).

    ``dispatcher``: with a work queue for use cases that archive files;
    ``recover``: picking up the unfinished work of earlier runs first.
    """
    from ingest.dispatch import open_dispatcher

    archive = open_archive()
    disp: Dispatcher | None = None
    try:
        with cli_errors():
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


@contextmanager
def station_errors() -> Iterator[None]:
    """The station agent's own errors (it talks to the central archive over HTTP)."""
    from archive.cases import CaseError
    from station.agent import LinkDown, NotConfigured, Refused
    from station.spool import NoNumbers

    try:
        yield
    except NotConfigured as exc:
        fail(str(exc))
    except LinkDown as exc:
        fail(f"немає зв’язку з центральним архівом ({exc}); спробуйте пізніше", UNAVAILABLE)
    except (Refused, NoNumbers, CaseError) as exc:
        fail(str(exc), 1)


__all__ = [
    "HELD_FOR_REVIEW",
    "UNAVAILABLE",
    "cli_errors",
    "context_for",
    "desk_context",
    "station_errors",
]
