"""The daily retention round of a server: what is due today, and a fixity sample.

Run by the embedded server's timer (``api.app``); nothing is transferred or
destroyed here — plans still need an archivist and the commissions. The
result is counts only (no case numbers), fit for the server log.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from backends import Archive
from retention import fixity
from retention import plan as planning


def daily(archive: Archive, day: dt.date, *, fixity_sample: int | None) -> dict[str, int]:
    """Count the due lines by action (``blocked`` for held cases) and check a fixity sample."""
    counts: Counter[str] = Counter()
    with archive.db.session() as s:
        rules = planning.in_force(s, day)
        for line in planning.due(s, rules, day, archive.settings.desk.timezone):
            counts["blocked" if line.blocked else line.action] += 1
    out = {f"due_{k}": v for k, v in sorted(counts.items())}
    if fixity_sample != 0:
        rep = fixity.check(archive, sample=fixity_sample)
        out.update({f"fixity_{k}": int(rep[k]) for k in ("checked", "corrupt", "missing")})
    return out
