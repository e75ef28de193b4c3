"""The ingest pipeline calls the metadata hook once a document is archived."""

from __future__ import annotations

from pathlib import Path

from archive.metadata_models import DocumentMetadata, MetadataField
from backends import Archive
from common.pages import PageText
from ingest.job import JobResult
from ingest.metadata import DocType
from ingest.metadata.seed import specimen
from ingest.ocr import OcrOptions
from ingest.pipeline import accept_file, process_document
from ingest.preflight import Limits


def test_processing_stores_type_and_fields(archive: Archive, tmp_path: Path) -> None:
    spec = specimen(DocType.power_of_attorney, 3)

    def fake_ocr(
        source: Path, output_pdf: Path, work: Path, limits: Limits, options: OcrOptions
    ) -> JobResult:
        output_pdf.write_bytes(b"%PDF-1.7 stand-in for the rendition")
        return JobResult(
            media_type="application/pdf", pdfa_path=output_pdf, pages=[PageText(1, spec.text)]
        )

    src = tmp_path / "scan.pdf"
    src.write_bytes(b"%PDF-1.7 a scan")
    acc = accept_file(archive, src)
    assert process_document(archive, acc.document_id, fake_ocr, "test-worker")
    with archive.db.session() as s:
        row = s.get(DocumentMetadata, acc.document_id)
        assert row is not None and row.type == "power_of_attorney"
        fields = {
            f.name: f
            for f in s.query(MetadataField).filter(MetadataField.document_id == acc.document_id)
        }
    assert fields["valid_until"].value == spec.fields["valid_until"]
    number = fields["number"]
    assert (
        number.personal
        and number.ref
        and number.masked
        and spec.fields["number"] not in (number.masked)
    )
