"""Transfer packages: one BagIt bag per applied transfer or export plan.

The bag (``bagit``: ``manifest-sha256.txt``, ``tagmanifest-sha256.txt``,
``bag-info.txt``) carries under ``data/``:

- ``objects/<case>/<document>.pdf`` — the PDF/A rendition (the original when
  there is none), streamed from the tier it lives in;
- ``METS.xml`` — the files with their SHA-256 and, per file, PREMIS events:
  ingestion, transcription (OCR), fixity checks, transfer/export;
- ``опис-справ.pdf`` and ``опис-справ.csv`` — the inventory of files.

The bag is written beside its final place and renamed when complete, so a
run killed half-way leaves no bag that looks finished; a re-run rebuilds it.
No personal data goes in the metadata: case numbers, services, dates, counts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import shutil
import uuid
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bagit
from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.models import Case, CaseEvent, Document, Package, PackageKind, Tier
from archive.retention_models import FixityCheck, Plan, PlanItem
from backends import Archive
from retention import forms

METS = "http://www.loc.gov/METS/"
PREMIS = "http://www.loc.gov/premis/v3"
XLINK = "http://www.w3.org/1999/xlink"
ET.register_namespace("mets", METS)
ET.register_namespace("premis", PREMIS)
ET.register_namespace("xlink", XLINK)

BAGGED = ("transfer", "export")
INVENTORY = "опис-справ"
BATCH = 500


@dataclass(slots=True)
class BagResult:
    path: Path
    files: int
    cases: int
    tagmanifest_sha256: str


def bag_dir(archive: Archive, plan_number: int) -> Path:
    return archive.settings.data_dir / "exports" / f"plan-{plan_number}"


def _safe(name: str) -> str:
    return re.sub(r"[^0-9A-Za-zА-Яа-яІіЇїЄєҐґ._-]+", "_", name).strip("_") or "_"


def _items(s: Session, plan_id: str) -> Iterator[PlanItem]:
    last = 0
    while True:
        rows = list(
            s.scalars(
                select(PlanItem)
                .where(
                    PlanItem.plan_id == plan_id,
                    PlanItem.seq > last,
                    PlanItem.action.in_(BAGGED),
                    PlanItem.state == "done",
                )
                .order_by(PlanItem.seq)
                .limit(BATCH)
            )
        )
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def _q(tag: str, ns: str = METS) -> str:
    return f"{{{ns}}}{tag}"


def _event(
    amd: ET.Element, kind: str, at: dt.datetime | None, detail: str, outcome: str, agent: str
) -> None:
    md = ET.SubElement(amd, _q("digiprovMD"), ID=f"ev-{uuid.uuid4().hex}")
    wrap = ET.SubElement(md, _q("mdWrap"), MDTYPE="PREMIS:EVENT")
    data = ET.SubElement(wrap, _q("xmlData"))
    ev = ET.SubElement(data, _q("event", PREMIS))
    ident = ET.SubElement(ev, _q("eventIdentifier", PREMIS))
    ET.SubElement(ident, _q("eventIdentifierType", PREMIS)).text = "UUID"
    ET.SubElement(ident, _q("eventIdentifierValue", PREMIS)).text = str(uuid.uuid4())
    ET.SubElement(ev, _q("eventType", PREMIS)).text = kind
    when = at or dt.datetime.now(dt.UTC)
    ET.SubElement(ev, _q("eventDateTime", PREMIS)).text = when.isoformat()
    ET.SubElement(ev, _q("eventDetailInformation", PREMIS)).append(_text("eventDetail", detail))
    info = ET.SubElement(ev, _q("eventOutcomeInformation", PREMIS))
    ET.SubElement(info, _q("eventOutcome", PREMIS)).text = outcome
    link = ET.SubElement(ev, _q("linkingAgentIdentifier", PREMIS))
    ET.SubElement(link, _q("linkingAgentIdentifierType", PREMIS)).text = "local"
    ET.SubElement(link, _q("linkingAgentIdentifierValue", PREMIS)).text = agent


def _text(tag: str, value: str) -> ET.Element:
    el = ET.Element(_q(tag, PREMIS))
    el.text = value
    return el


def build(archive: Archive, plan_id: str, actor: str) -> BagResult:
    """Write (or find already written) the bag of an applied plan's transfers and exports."""
    with archive.db.session() as s:
        plan = s.get(Plan, plan_id)
        assert plan is not None
        number, as_of, ek = plan.number, plan.as_of, plan.ek_decision
    final = bag_dir(archive, number)
    if (final / "bagit.txt").exists():
        bag = bagit.Bag(str(final))
        return _result(final, bag)
    work = final.with_name(final.name + ".part")
    shutil.rmtree(work, ignore_errors=True)
    (work / "objects").mkdir(parents=True)
    centre = archive.settings.centre
    root = ET.Element(_q("mets"), OBJID=f"plan-{number}", LABEL=f"План № {number}")
    hdr = ET.SubElement(root, _q("metsHdr"), CREATEDATE=dt.datetime.now(dt.UTC).isoformat())
    agent = ET.SubElement(hdr, _q("agent"), ROLE="CREATOR", TYPE="ORGANIZATION")
    ET.SubElement(agent, _q("name")).text = centre
    amds: list[ET.Element] = []
    grp = ET.Element(_q("fileGrp"), USE="preservation")
    struct = ET.Element(_q("structMap"), TYPE="logical")
    top = ET.SubElement(struct, _q("div"), TYPE="plan", LABEL=f"План № {number}")
    rows: list[forms.InventoryRow] = []
    files = 0
    with archive.db.session() as s:
        for item in _items(s, plan_id):
            case = s.get(Case, item.case_id)
            assert case is not None
            q = select(Document).where(Document.case_id == case.id)
            if (item.facts or {}).get("package") == "output":
                # A rule about the output package moves (and bags) only that package.
                q = q.join(Package, Package.id == Document.package_id).where(
                    Package.kind == PackageKind.output
                )
            docs = list(s.scalars(q.order_by(Document.id)))
            moved = s.scalar(
                select(CaseEvent.at)
                .where(
                    CaseEvent.case_id == case.id,
                    CaseEvent.kind.in_(("retention.transferred", "retention.exported")),
                )
                .order_by(CaseEvent.id.desc())
                .limit(1)
            )
            cdiv = ET.SubElement(top, _q("div"), TYPE="case", LABEL=case.number)
            folder = work / "objects" / _safe(case.number)
            folder.mkdir(exist_ok=True)
            sheets = 0
            for d in docs:
                sha = d.pdfa_sha256 or d.sha256
                tier = d.pdfa_tier if d.pdfa_sha256 else d.original_tier
                suffix = ".pdf" if d.pdfa_sha256 else (Path(d.original_name).suffix or ".bin")
                rel = f"objects/{_safe(case.number)}/{d.id}{suffix}"
                size = 0
                with (work / rel).open("wb") as fh:
                    for chunk in archive.store.iter_chunks(sha, Tier(tier)):
                        fh.write(chunk)
                        size += len(chunk)
                files += 1
                sheets += d.page_count or 0
                amd = ET.Element(_q("amdSec"), ID=f"amd-{d.id}")
                _event(amd, "ingestion", d.created_at, f"отримано ({d.source})", "success", "cnap")
                if d.pdfa_sha256:
                    _event(
                        amd,
                        "transcription",
                        d.archived_at or d.created_at,
                        f"OCR (OCRmyPDF, Tesseract ukr+eng), PDF/A; сторінок {d.page_count or 0}",
                        "success",
                        "OCRmyPDF",
                    )
                for fx in s.scalars(
                    select(FixityCheck)
                    .where(FixityCheck.sha256 == sha)
                    .order_by(FixityCheck.id)
                    .limit(100)
                ):
                    _event(amd, "fixity check", fx.checked_at, "SHA-256", fx.outcome, "cnap")
                _event(
                    amd,
                    "transfer" if item.action == "transfer" else "replication",
                    moved,
                    f"план № {number}, рішення ЕК {ek or '—'}, правило {item.rule}; "
                    "SHA-256 архівної копії звірено",
                    "success",
                    actor,
                )
                amds.append(amd)
                f = ET.SubElement(
                    grp,
                    _q("file"),
                    ID=f"file-{d.id}",
                    MIMETYPE="application/pdf" if d.pdfa_sha256 else (d.media_type or ""),
                    SIZE=str(size),
                    CHECKSUM=sha,
                    CHECKSUMTYPE="SHA-256",
                    ADMID=f"amd-{d.id}",
                )
                ET.SubElement(f, _q("FLocat"), {"LOCTYPE": "URL", _q("href", XLINK): rel})
                ET.SubElement(cdiv, _q("fptr"), FILEID=f"file-{d.id}")
            registered = case.registered_at.date()
            closed = (case.closed_at or case.registered_at).date()
            rows.append(
                forms.InventoryRow(
                    number=len(rows) + 1,
                    index=item.nomenclature or "—",
                    title=f"Справа № {case.number}: {case.service or 'адміністративна послуга'}",
                    first=registered,
                    last=closed,
                    sheets=sheets,
                    period=item.period or "—",
                    notes="" if item.action == "transfer" else "експорт до архіву",
                )
            )
            s.expunge_all()
    for amd in amds:
        root.append(amd)
    sec = ET.SubElement(root, _q("fileSec"))
    sec.append(grp)
    root.append(struct)
    ET.indent(root)
    ET.ElementTree(root).write(work / "METS.xml", encoding="utf-8", xml_declaration=True)
    title = f"ОПИС СПРАВ № {number} (передавання на архівне зберігання, план від {as_of:%d.%m.%Y})"
    (work / f"{INVENTORY}.pdf").write_bytes(forms.render_inventory_pdf(title, centre, rows))
    (work / f"{INVENTORY}.csv").write_bytes(forms.inventory_csv(rows))
    info: dict[str, Any] = {
        "Source-Organization": centre,
        "External-Identifier": f"plan-{number}",
        "External-Description": f"Справи, передані на архівне зберігання за планом № {number}",
        "Bagging-Date": dt.date.today().isoformat(),
        "Internal-Sender-Identifier": f"ЕК {ek or '—'}",
        "Payload-Cases": str(len(rows)),
    }
    bag = bagit.make_bag(str(work), bag_info=info, checksums=["sha256"])
    work.rename(final)
    return _result(final, bagit.Bag(str(final)) if bag else bag)


def _result(path: Path, bag: Any) -> BagResult:
    tag = tagmanifest_sha256(path)
    files = sum(1 for _ in bag.payload_files()) - 3  # METS and the two inventory files
    cases = int(bag.info.get("Payload-Cases", 0))
    return BagResult(path, files, cases, tag)


def validate(path: Path) -> None:
    """Raise ``bagit.BagValidationError`` unless the bag is complete and every checksum matches."""
    bagit.Bag(str(path)).validate()


# --- the package as one download ------------------------------------------------------------


class PackageDamaged(Exception):
    """The bag on the server is not the one the plan recorded (files missing or changed)."""


@dataclass(frozen=True, slots=True)
class Packaged:
    """A finished bag ready to stream: its files (relative names), their bytes, the total."""

    path: Path
    files: tuple[str, ...]
    size: int


def tagmanifest_sha256(path: Path) -> str:
    return hashlib.sha256((path / "tagmanifest-sha256.txt").read_bytes()).hexdigest()


def packaged(path: Path, recorded_tagmanifest: str | None) -> Packaged:
    """Check a finished bag cheaply before it is offered for download.

    The tag manifest must be the one recorded when the bag was built (it covers
    ``bag-info.txt`` and the payload manifest), and the payload must have the
    files and bytes ``Payload-Oxum`` says (bagit's fast validation). Rehashing
    every payload file on each download is left to the recipient, who validates
    the unpacked bag with ``bagit`` anyway; fixity checks cover the store.
    """
    if not (path / "bagit.txt").is_file():
        raise FileNotFoundError(path)
    try:
        if recorded_tagmanifest and tagmanifest_sha256(path) != recorded_tagmanifest:
            raise PackageDamaged("tag manifest changed")
        bagit.Bag(str(path)).validate(fast=True)
    except (OSError, bagit.BagError) as exc:
        raise PackageDamaged(str(exc)) from exc
    names = sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file())
    size = sum((path / n).stat().st_size for n in names)
    return Packaged(path, tuple(names), size)


class _Sink:
    """A write-only, unseekable file for :class:`zipfile.ZipFile`: what was written is drained
    by the generator after each step, so the archive never sits whole in memory or on disk."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def drain(self) -> bytes:
        out = b"".join(self.parts)
        self.parts.clear()
        return out


def zip_stream(pkg: Packaged, root: str, chunk: int = 1 << 20) -> Iterator[bytes]:
    """The bag as a ZIP, streamed: every file under ``root/`` (the bag's own folder when
    unpacked). Payload objects (PDF/A, already compressed) are stored, tag files deflated."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", allowZip64=True) as zf:
        for name in pkg.files:
            src = pkg.path / name
            info = zipfile.ZipInfo.from_file(src, f"{root}/{name}")
            info.compress_type = (
                zipfile.ZIP_STORED if name.startswith("data/objects/") else zipfile.ZIP_DEFLATED
            )
            with src.open("rb") as fh, zf.open(info, "w") as dst:
                while block := fh.read(chunk):
                    dst.write(block)
                    if out := sink.drain():
                        yield out
            if out := sink.drain():
                yield out
    if out := sink.drain():
        yield out


__all__ = [
    "BagResult",
    "PackageDamaged",
    "Packaged",
    "bag_dir",
    "build",
    "packaged",
    "tagmanifest_sha256",
    "validate",
    "zip_stream",
]
