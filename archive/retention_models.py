"""Retention's tables: rule sets, legal holds, plans and their items, the step journal,
tombstones of destroyed cases and fixity checks.

Kept apart from :mod:`archive.models` so the retention subsystem owns its
schema (migration ``0004_retention``); the tables share the one metadata.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from archive.models import Base, UTCDateTime, new_id, utcnow

BIG = BigInteger().with_variant(Integer, "sqlite")


class RuleSet(Base):
    """One loaded (valid) nomenclature and rules file, in force from 1 January of ``year``."""

    __tablename__ = "retention_rulesets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(500))
    text: Mapped[str] = mapped_column(Text)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    loaded_by: Mapped[str | None] = mapped_column(String(200))


class LegalHold(Base):
    """A legal hold on a case (dispute, investigation): who placed it, why, who released it."""

    __tablename__ = "retention_holds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    placed_by: Mapped[str] = mapped_column(String(200))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    released_by: Mapped[str | None] = mapped_column(String(200))
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    release_reason: Mapped[str | None] = mapped_column(Text)


class Plan(Base):
    """A disposition plan: drafted → approved (ЕК) → agreed (ЕПК, destruction) → applied."""

    __tablename__ = "retention_plans"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    as_of: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16), default="drafted", index=True)
    ruleset_id: Mapped[int | None] = mapped_column(Integer)
    ruleset_sha256: Mapped[str] = mapped_column(String(64))
    items_total: Mapped[int] = mapped_column(Integer, default=0)
    needs_agreement: Mapped[bool] = mapped_column(Boolean, default=False)
    drafted_by: Mapped[str] = mapped_column(String(200))
    drafted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ek_by: Mapped[str | None] = mapped_column(String(200))
    ek_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ek_decision: Mapped[str | None] = mapped_column(String(200))
    ek_date: Mapped[date | None] = mapped_column(Date)
    epk_by: Mapped[str | None] = mapped_column(String(200))
    epk_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    epk_reference: Mapped[str | None] = mapped_column(String(200))
    epk_date: Mapped[date | None] = mapped_column(Date)
    applied_by: Mapped[str | None] = mapped_column(String(200))
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The act of destruction and the transfer package, once produced (archival tier).
    act_sha256: Mapped[str | None] = mapped_column(String(64))
    export_path: Mapped[str | None] = mapped_column(String(1000))


class PlanItem(Base):
    """One case due under one rule, in one plan; its steps are journalled in ``PlanStep``."""

    __tablename__ = "retention_plan_items"
    __table_args__ = (UniqueConstraint("plan_id", "case_id", "rule", name="uq_plan_item"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[str] = mapped_column(ForeignKey("retention_plans.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    case_number: Mapped[str] = mapped_column(String(64))
    rule: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(16))
    nomenclature: Mapped[str | None] = mapped_column(String(64))
    article: Mapped[str | None] = mapped_column(String(500))
    period: Mapped[str | None] = mapped_column(String(64))
    clock_start: Mapped[date] = mapped_column(Date)
    due: Mapped[date] = mapped_column(Date)
    retain_until: Mapped[date | None] = mapped_column(Date)
    # pending | done | skipped (held when applied)
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class PlanStep(Base):
    """The journal of an apply: one row per finished step of an item (or of the plan).

    A step is recorded after its effect; every effect is idempotent, so a run
    killed between the two repeats the effect harmlessly and records it once.
    ``audit_seq`` links the step to its access-log entry (written exactly once).
    """

    __tablename__ = "retention_plan_steps"
    __table_args__ = (UniqueConstraint("plan_id", "item_id", "step", name="uq_plan_step"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[str] = mapped_column(String(32), index=True)
    item_id: Mapped[int] = mapped_column(Integer)  # 0: a step of the whole plan
    step: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    audit_floor: Mapped[int] = mapped_column(BIG, default=0)
    audit_seq: Mapped[int | None] = mapped_column(BIG)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Tombstone(Base):
    """What remains of a destroyed case: its number, what went, when, under which act."""

    __tablename__ = "retention_tombstones"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(Integer, unique=True)
    centre: Mapped[str] = mapped_column(String(200))
    case_number: Mapped[str] = mapped_column(String(64), index=True)
    plan_id: Mapped[str] = mapped_column(String(32))
    act_number: Mapped[int] = mapped_column(Integer)
    act_sha256: Mapped[str | None] = mapped_column(String(64))
    destroyed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    destroyed_by: Mapped[str] = mapped_column(String(200))
    # {"documents": n, "pages": n, "objects": n, "sha256": [...]} — no content, no names.
    what: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class FixityCheck(Base):
    """A fixity check of one stored object (a PREMIS event)."""

    __tablename__ = "retention_fixity"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    tier: Mapped[str] = mapped_column(String(16))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    outcome: Mapped[str] = mapped_column(String(16))  # ok | corrupt | missing
    detail: Mapped[str | None] = mapped_column(String(500))
