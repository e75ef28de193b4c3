"""For the data-protection officer: subject-access reports (JSON, CSV, PDF) and queries."""

from __future__ import annotations

import csv
import io

import pypdfium2 as pdfium

from tests.api.conftest import World
from tests.api.helpers import NAME, RNOKPP

REASON = "Перевірка скарги заявника від 01.11"


def test_subject_report_lists_every_access_to_the_persons_documents(world: World) -> None:
    d = world.docs
    world.http.get(f"/api/documents/{d['home'].id}", headers=world.headers("official"))
    world.http.get(
        f"/api/documents/{d['other_centre'].id}/pdf",
        params={"reason": REASON},
        headers=world.headers("admin"),
    )
    world.http.get("/api/search", params={"q": "заява"}, headers=world.headers("archivist"))
    r = world.http.get("/api/audit/subject", params={"q": RNOKPP}, headers=world.headers("dpo"))
    assert r.status_code == 200
    report = r.json()
    assert report["identifiers"] == [
        {"kind": "rnokpp", "masked": RNOKPP[:2] + "••••••" + RNOKPP[-2:]}
    ]
    assert {x["document_id"] for x in report["documents"]} >= {d["home"].id, d["archival"].id}
    seen = {(e["actor"], e["action"]) for e in report["entries"]}
    assert ("official", "document.text") in seen
    # Issue 9: a DPO answers for their own centre (security.dpo_scope = "centre", the
    # default); the break-glass read of the other centre's document is in that centre's report.
    assert all(e["document_id"] != d["other_centre"].id for e in report["entries"])
    assert report["centres"] == ["ЦНАП Житомир"]
    assert ("archivist", "search") in seen  # the search returned one of the documents
    world.archive.settings.security.dpo_scope = "region"
    try:
        region = world.http.get(
            "/api/audit/subject", params={"q": RNOKPP}, headers=world.headers("dpo")
        ).json()
    finally:
        world.archive.settings.security.dpo_scope = "centre"
    assert ("admin", "document.pdf") in {(e["actor"], e["action"]) for e in region["entries"]}
    glass = [e for e in region["entries"] if e["break_glass"]]
    assert glass and glass[-1]["purpose"] == REASON
    assert RNOKPP not in str(report["entries"])  # identifiers in entries are masked
    by_name = world.http.get(
        "/api/audit/subject", params={"q": NAME.upper()}, headers=world.headers("dpo")
    ).json()
    assert {x["document_id"] for x in by_name["documents"]} == {
        x["document_id"] for x in report["documents"]
    }


def test_subject_csv_and_pdf(world: World) -> None:
    h = world.headers("dpo")
    r = world.http.get("/api/audit/subject", params={"q": RNOKPP, "format": "csv"}, headers=h)
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert rows and {"seq", "at", "actor", "action", "purpose", "hash"} <= set(rows[0])
    pdf = world.http.get("/api/audit/subject", params={"q": RNOKPP, "format": "pdf"}, headers=h)
    assert pdf.headers["content-type"] == "application/pdf"
    doc = pdfium.PdfDocument(pdf.content)
    text = "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    doc.close()
    assert "Відомості про доступ до персональних даних" in text
    assert "Закону України" in text and "official" in text
    assert RNOKPP not in text  # the answer names the person by the masked identifier


def test_queries_by_user_document_and_period(world: World) -> None:
    doc = world.docs["workplace"].id
    world.http.get(f"/api/documents/{doc}/pages/1", headers=world.headers("admin_wp"))
    h = world.headers("dpo")
    by_doc = world.http.get("/api/audit/entries", params={"document": doc}, headers=h).json()
    assert by_doc["count"] >= 1 and all(doc in e["documents"] for e in by_doc["entries"])
    by_user = world.http.get("/api/audit/entries", params={"user": "admin_wp"}, headers=h).json()
    assert all(e["actor"] == "admin_wp" for e in by_user["entries"])
    future = world.http.get("/api/audit/entries", params={"from": "2999-01-01"}, headers=h).json()
    assert future["count"] == 0
    verify = world.http.get("/api/audit/verify", headers=h).json()
    assert verify["ok"] is True and verify["first_broken"] is None


def test_dpo_reads_are_logged_too(world: World) -> None:
    start = world.head()
    world.http.get("/api/audit/entries", headers=world.headers("dpo"))
    tail = world.audit_tail(start)
    assert [(e["actor"], e["action"]) for e in tail] == [("dpo", "audit.read")]
