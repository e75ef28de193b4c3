"""Issue 9, item 9: files embedded in a PDF are archived as documents of their own.

A PDF carrying an embedded PDF (in the attachments tree), a PDF in a file
attachment annotation and a text file: the two PDFs become documents of the
same case, linked to the parent, OCR'd/read and scanned for identifiers like
any other; the text file is kept as an original with a reason; the parent's
metadata lists them. Attaching the parent to a second case brings its
children along.
"""

from __future__ import annotations

from pathlib import Path

import pikepdf
import pytest
from sqlalchemy import select

from archive import cases as ops
from archive.findings import findings_for
from archive.models import DocState, Document
from archive.settings import Settings
from archive.users import Role
from backends import Archive
from ingest.dispatch import open_dispatcher
from ingest.embedded import extract_embedded
from ingest.pipeline import accept_file
from tests.api.helpers import RNOKPP
from tests.synthetic import born_digital_pdf
from usecases.access import events_for
from usecases.context import Context
from usecases.documents import read_metadata
from usecases.policy import Principal

HOME = "ЦНАП Житомир"
ADMIN = Principal("admin", Role.administrator, HOME, address="test")
OFFICIAL_OTHER = Principal("official_x", Role.official, HOME, department="Інший", address="test")


def parent_pdf(tmp: Path) -> Path:
    inner = born_digital_pdf(
        [["Довідка про доходи", f"РНОКПП {RNOKPP}", "вкладена-довідка"]], tmp / "inner.pdf"
    ).read_bytes()
    annotated = born_digital_pdf([["Копія паспорта", "вкладена-анотація"]], tmp / "annot.pdf")
    src = born_digital_pdf([["Заява про надання довідки", "батьківський-документ"]], tmp / "p.pdf")
    with pikepdf.open(src) as pdf:
        pdf.attachments["dovidka.pdf"] = pikepdf.AttachedFileSpec(
            pdf, inner, mime_type="application/pdf"
        )
        pdf.attachments["notes.txt"] = pikepdf.AttachedFileSpec(
            pdf, f"РНОКПП {RNOKPP}".encode(), mime_type="text/plain"
        )
        spec = pikepdf.AttachedFileSpec(pdf, annotated.read_bytes(), filename="pasport.pdf")
        annot = pdf.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Annot,
                Subtype=pikepdf.Name.FileAttachment,
                Rect=[10, 10, 30, 30],
                FS=spec.obj,
            )
        )
        pdf.pages[0].obj["/Annots"] = pdf.make_indirect(pikepdf.Array([annot]))
        pdf.save(tmp / "with-embedded.pdf")
    return tmp / "with-embedded.pdf"


@pytest.mark.ocr
def test_embedded_files_become_linked_documents_of_the_case(tmp_path: Path) -> None:
    archive = Archive(Settings(data_dir=tmp_path / "data", centre=HOME))
    archive.init()
    dispatcher = open_dispatcher(archive)
    try:
        with archive.db.session() as s:
            first = ops.register(
                s, archive.settings, ops.Registration(service="Послуга", centre=HOME)
            ).case.number
            second = ops.register(
                s, archive.settings, ops.Registration(service="Послуга", centre=HOME)
            ).case.number
        path = parent_pdf(tmp_path)
        acc = accept_file(archive, path, case_number=first, original_name="zayava.pdf")
        dispatcher.submit(acc.document_id)
        dispatcher.wait([acc.document_id], timeout=600)
        with archive.db.session() as s:
            ids = list(s.scalars(select(Document.id).where(Document.id != acc.document_id)))
        dispatcher.wait(ids, timeout=600)
        with archive.db.session() as s:
            parent = s.get(Document, acc.document_id)
            assert parent is not None and parent.state == DocState.archived, parent.error
            listed = parent.meta["embedded"]
            children = list(
                s.scalars(select(Document).where(Document.id != parent.id).order_by(Document.id))
            )
            by_name = {e["name"]: e for e in listed}
            assert set(by_name) == {"dovidka.pdf", "notes.txt", "pasport.pdf"}
            assert by_name["notes.txt"]["status"] == "kept" and by_name["notes.txt"]["reason"]
            assert archive.store.exists(by_name["notes.txt"]["sha256"])
            assert {c.id for c in children} == {
                by_name["dovidka.pdf"]["document_id"],
                by_name["pasport.pdf"]["document_id"],
            }
            for child in children:
                # Same case, linked to the parent, through the same pipeline.
                assert child.case is not None and child.case.number == first
                assert child.meta["embedded_in"] == parent.id
                assert child.state == DocState.archived, child.error
            dovidka = next(c for c in children if c.original_name == "dovidka.pdf")
            assert "вкладена-довідка" in " ".join(p.text or "" for p in dovidka.pages)
            assert ("rnokpp", RNOKPP) in {(f.kind, f.value) for f in findings_for(s, dovidka.id)}
            # Nothing hidden in the rendition: the parent's PDF/A carries no attachments.
            assert parent.pdfa_sha256 is not None
            rendition = archive.store.read_bytes(parent.pdfa_sha256)
            assert RNOKPP.encode() not in rendition
        # Shown on the parent's metadata, and the child names its parent.
        ctx = Context(archive, ADMIN, events_for(archive))
        shown = read_metadata(ctx, document_id=acc.document_id).as_json()
        assert {e["name"] for e in shown["embedded"]} == set(by_name)
        child_view = read_metadata(ctx, document_id=dovidka.id).as_json()
        assert child_view["embedded_in"] == acc.document_id
        # The same bytes handed in for a second case: the children come along.
        again = accept_file(archive, path, case_number=second, original_name="zayava.pdf")
        assert again.attached
        with archive.db.session() as s:
            from archive.models import Case, CaseDocument

            case_id = s.scalar(select(Case.id).where(Case.number == second))
            held = set(
                s.scalars(select(CaseDocument.document_id).where(CaseDocument.case_id == case_id))
            )
        assert {c.id for c in children} <= held
    finally:
        dispatcher.close()
        archive.close()


def test_a_flate_bomb_embedded_is_not_expanded(tmp_path: Path) -> None:
    src = born_digital_pdf([["Заява"]], tmp_path / "p.pdf")
    with pikepdf.open(src) as pdf:
        pdf.attachments["bomb.pdf"] = pikepdf.AttachedFileSpec(pdf, b"%PDF-1.7\n" + bytes(20 << 20))
        pdf.attachments["small.pdf"] = pikepdf.AttachedFileSpec(pdf, src.read_bytes())
        pdf.save(tmp_path / "bomb.pdf")
    assert (tmp_path / "bomb.pdf").stat().st_size < 1 << 20  # compressed in the file
    got = {e.name: e for e in extract_embedded(tmp_path / "bomb.pdf", tmp_path / "out",
                                               max_bytes=1 << 20)}  # fmt: skip
    assert got["bomb.pdf"].path is None and got["bomb.pdf"].code == "too_large"
    assert got["bomb.pdf"].size <= (1 << 20) + 1  # stopped at the limit, not expanded whole
    small = got["small.pdf"].path
    assert small is not None and small.read_bytes() == src.read_bytes()
