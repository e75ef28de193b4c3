"""Fixity: re-read stored objects and compare their SHA-256 (PREMIS fixity-check events)."""

from __future__ import annotations

import random
from typing import Any

from sqlalchemy import func, select

from archive.models import Document
from archive.retention_models import FixityCheck
from archive.store import IntegrityError, ObjectNotFound
from backends import Archive

BATCH = 500


def _objects(archive: Archive, sample: int | None) -> list[tuple[str, str]]:
    with archive.db.session() as s:
        total = int(s.scalar(select(func.count()).select_from(Document)) or 0)
        q = select(
            Document.sha256, Document.original_tier, Document.pdfa_sha256, Document.pdfa_tier
        )
        if sample is not None and sample < total:
            offsets = sorted(random.sample(range(total), sample))
            rows = [s.execute(q.order_by(Document.id).offset(o).limit(1)).one() for o in offsets]
        else:
            rows = list(s.execute(q.order_by(Document.id)))
    out: list[tuple[str, str]] = []
    for sha, tier, pdfa, ptier in rows:
        out.append((sha, str(tier)))
        if pdfa:
            out.append((pdfa, str(ptier)))
    return out


def check(archive: Archive, *, sample: int | None = None) -> dict[str, Any]:
    """Check every object of every document (or a random sample of documents)."""
    from archive.models import Tier

    counts = {"checked": 0, "ok": 0, "corrupt": 0, "missing": 0}
    problems: list[dict[str, str]] = []
    rows: list[FixityCheck] = []
    for sha, tier in _objects(archive, sample):
        try:
            for _ in archive.store.iter_chunks(sha, Tier(tier)):
                pass
            outcome = "ok"
        except IntegrityError:
            outcome = "corrupt"
        except ObjectNotFound:
            outcome = "missing"
        counts["checked"] += 1
        counts[outcome] += 1
        if outcome != "ok":
            problems.append({"sha256": sha, "tier": tier, "outcome": outcome})
        rows.append(FixityCheck(sha256=sha, tier=tier, outcome=outcome))
        if len(rows) >= BATCH:
            with archive.db.session() as s:
                s.add_all(rows)
            rows = []
    if rows:
        with archive.db.session() as s:
            s.add_all(rows)
    return {**counts, "problems": problems}
