"""The explicit context every use case takes: who acts, from where, with which backends."""

from __future__ import annotations

from dataclasses import dataclass

from archive.audit import Events, open_audit_log
from backends import Archive
from ingest.dispatch import Dispatcher
from usecases.policy import Principal


@dataclass(frozen=True, slots=True)
class Context:
    """One caller of the use cases.

    ``principal`` carries who acts and from where (``principal.address``);
    ``archive`` the backends; ``events`` the audit publisher; ``dispatcher``
    the work queue, for use cases that archive files (``None`` elsewhere).
    """

    archive: Archive
    principal: Principal
    events: Events
    dispatcher: Dispatcher | None = None

    @property
    def actor(self) -> str:
        return self.principal.login


def events_for(archive: Archive) -> Events:
    """The access-event publisher of an archive (the audit log subscribes first)."""
    return Events(open_audit_log(archive.db, archive.settings))
