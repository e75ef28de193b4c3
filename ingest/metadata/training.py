"""Training from the centre's corrections, and which model the workers use.

A model is trained on the seed corpus plus every corrected document (the
latest correction of each, its text read from its pages, weighted above a
seed document), written to the object store as a plain-array file, and
recorded in ``metadata_models``; the newest row is the model in use. Workers
keep the loaded model in memory by its SHA-256 and notice a newer one on the
next document. The seed-only model (before any retraining) is cached under
``<data_dir>/models`` so a new process does not retrain it.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from archive.doctypes import DocType
from archive.metadata_models import ClassifierModel, TypeCorrection
from archive.models import Page
from backends import Archive
from ingest.metadata.classifier import (
    CORRECTION_WEIGHT,
    RECIPE,
    Model,
    Sample,
    seed_samples,
    train,
)

log = logging.getLogger(__name__)

_lock = threading.Lock()
_loaded: dict[str, Model] = {}


@dataclass(frozen=True, slots=True)
class Trained:
    """What a retraining produced."""

    sha256: str
    samples: int
    corrections: int
    types: int

    def as_json(self) -> dict[str, object]:
        return {
            "model": self.sha256,
            "samples": self.samples,
            "corrections": self.corrections,
            "types": self.types,
        }


def _seed_path(archive: Archive) -> Path:
    return archive.settings.data_dir / "models" / f"seed-classifier-r{RECIPE}.npz"


def seed_model(archive: Archive) -> Model:
    """The seed-only model: from memory, else the data directory, else trained now."""
    key = f"seed:{RECIPE}"
    with _lock:
        if key in _loaded:
            return _loaded[key]
        path = _seed_path(archive)
        model: Model | None = None
        try:
            model = Model.from_bytes(path.read_bytes())
        except FileNotFoundError:
            pass
        except (OSError, ValueError, KeyError):
            log.warning("the cached seed classifier is unreadable; it is rebuilt")
        if model is None:
            model = train(seed_samples(), {"corrections": 0})
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(model.to_bytes())
            tmp.replace(path)
        _loaded[key] = model
        return model


def current_model(s: Session, archive: Archive) -> tuple[Model, str | None]:
    """The model in use and its SHA-256 (``None`` for the seed-only model)."""
    row = s.scalar(
        select(ClassifierModel)
        .where(ClassifierModel.recipe == RECIPE)
        .order_by(ClassifierModel.id.desc())
        .limit(1)
    )
    if row is None:
        return seed_model(archive), None
    with _lock:
        cached = _loaded.get(row.sha256)
    if cached is not None:
        return cached, row.sha256
    try:
        model = Model.from_bytes(archive.store.read_bytes(row.sha256))
    except Exception:
        # The store may be down for a moment: the seed model keeps ingest going.
        log.warning("classifier %s could not be loaded; using the seed model", row.sha256[:12])
        return seed_model(archive), None
    with _lock:
        _loaded[row.sha256] = model
    return model, row.sha256


def correction_samples(s: Session, *, max_pages: int = 2) -> list[Sample]:
    """The latest correction of each document, with the text of its first pages."""
    latest = (
        select(TypeCorrection.document_id, func.max(TypeCorrection.id).label("id"))
        .group_by(TypeCorrection.document_id)
        .subquery()
    )
    rows = s.execute(
        select(TypeCorrection.document_id, TypeCorrection.new_type).join(
            latest, TypeCorrection.id == latest.c.id
        )
    ).all()
    out: list[Sample] = []
    for document_id, new_type in rows:
        try:
            kind = DocType(new_type)
        except ValueError:
            continue
        pages = s.scalars(
            select(Page.text)
            .where(Page.document_id == document_id, Page.number <= max_pages)
            .order_by(Page.number)
        ).all()
        text = "\n".join(t for t in pages if t)
        if text.strip():
            out.append(Sample(text, kind, CORRECTION_WEIGHT))
    return out


def corrections_since_model(archive: Archive) -> int:
    """How many type corrections were made after the newest model was trained."""
    with archive.db.session() as s:
        last = s.scalar(
            select(func.max(ClassifierModel.trained_at)).where(ClassifierModel.recipe == RECIPE)
        )
        q = select(func.count()).select_from(TypeCorrection)
        if last is not None:
            q = q.where(TypeCorrection.at > last)
        return int(s.scalar(q) or 0)


def retrain(archive: Archive, actor: str | None) -> Trained:
    """Train on the seed corpus and the corrections; store the model and put it in use."""
    with archive.db.session() as s:
        corrections = correction_samples(s)
    samples = [*seed_samples(), *corrections]
    model = train(samples, {"corrections": len(corrections)})
    stored = archive.store.put_bytes(model.to_bytes())
    with archive.db.session() as s:
        s.add(
            ClassifierModel(
                sha256=stored.sha256,
                recipe=RECIPE,
                actor=actor,
                samples=len(samples),
                corrections=len(corrections),
                info=model.info,
            )
        )
    with _lock:
        _loaded[stored.sha256] = model
    log.info(
        "classifier retrained: %d samples, %d corrections, model %s",
        len(samples),
        len(corrections),
        stored.sha256[:12],
    )
    return Trained(stored.sha256, len(samples), len(corrections), len(model.classes))
