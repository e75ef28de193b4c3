"""Periodic jobs: the daily retention round, sealing the access log, retraining the
document-type classifier, reading the mailbox.

Each job runs a use case as the system principal (login ``system``, address
``scheduler``) with the least role that use case needs, so it writes the
same audit entry a person running it would. The embedded server runs
:func:`jobs` on its own timers (``api.app``); in scale-out the Celery worker
started with ``--beat`` runs them from a beat schedule
(``ingest.dispatch.celery_dispatch``). Intervals are settings
(``schedule.*``, ``audit.seal_minutes``, ``mail.poll_seconds``).
"""

from __future__ import annotations

import logging
from typing import Any

from archive.settings import Settings
from archive.users import Role
from backends import Archive
from ingest.dispatch.base import PeriodicJob
from ingest.metadata.training import corrections_since_model
from usecases import audit as audit_uc
from usecases import mail as mail_uc
from usecases import metadata as metadata_uc
from usecases import retention as retention_uc
from usecases.context import Context, events_for
from usecases.policy import Principal

log = logging.getLogger(__name__)

SYSTEM_LOGIN = "system"
SYSTEM_ADDRESS = "scheduler"


def system_context(archive: Archive, role: Role) -> Context:
    """The system principal acting for the centre with ``role``."""
    principal = Principal(
        login=SYSTEM_LOGIN, role=role, centre=archive.settings.centre, address=SYSTEM_ADDRESS
    )
    return Context(archive, principal, events_for(archive))


def retention_round(archive: Archive) -> dict[str, Any]:
    """What is due today (counts) and a fixity sample; nothing is applied."""
    return retention_uc.daily_round(system_context(archive, Role.sysadmin))


def seal_audit(archive: Archive) -> dict[str, Any]:
    """Seal the access log's head into the archival tier."""
    sealed = audit_uc.seal_log(system_context(archive, Role.sysadmin))
    return {"sealed_seq": sealed.seq}


def retrain_classifier(archive: Archive) -> dict[str, Any]:
    """Retrain the type classifier, only when corrections came since the last model."""
    new = corrections_since_model(archive)
    if not new:
        return {"new_corrections": 0, "retrained": 0}
    metadata_uc.retrain_classifier(system_context(archive, Role.administrator))
    return {"new_corrections": new, "retrained": 1}


def read_mail(archive: Archive) -> dict[str, Any]:
    """Take the messages waiting in the mailbox (only when mail intake is configured)."""
    if not archive.settings.mail.imap_url:
        return {"messages": 0}
    run = mail_uc.take_mail(system_context(archive, Role.administrator))
    return {"messages": len(run.messages), "held": run.held}


def jobs(settings: Settings, *, seal: bool = True) -> list[PeriodicJob]:
    """The periodic jobs with their configured intervals (mail only when configured).

    ``seal``: include sealing (the embedded server seals on its own timer already).
    """
    out = [
        PeriodicJob("retention-round", settings.schedule.retention_hours * 3600, retention_round),
        PeriodicJob(
            "classifier-retrain", settings.schedule.retrain_hours * 3600, retrain_classifier
        ),
    ]
    if seal:
        out.append(
            PeriodicJob("audit-seal", max(settings.audit.seal_minutes, 0.1) * 60, seal_audit)
        )
    if settings.mail.imap_url:
        out.append(PeriodicJob("mail-intake", settings.mail.poll_seconds, read_mail))
    return out


def run_job(job: PeriodicJob, archive: Archive) -> dict[str, Any] | None:
    """Run one job, logging its counts; a failure is logged and the next run tries again."""
    try:
        counts = job.run(archive)
    except Exception:
        log.error("periodic job %s failed", job.name, exc_info=True)
        return None
    log.info("periodic job %s: %s", job.name, counts)  # counts only, no case numbers
    return counts
