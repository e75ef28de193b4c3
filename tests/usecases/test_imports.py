"""``cnap-archive import``: a centre's earlier electronic archive carried over.

End to end on the embedded backends: cases recorded as they were (numbers,
dates, department), born-digital files without OCR and scans with it, rows
that break a rule reported with their number and reason while the rest go
on, a rerun that does nothing twice, and a run killed with SIGKILL that,
started again, leaves every case and document exactly once.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from archive.audit import Action
from archive.cases import CaseRegistration
from archive.imports import ImportRow
from archive.journal import last_taken, next_number
from archive.models import Case, CaseDocument, CaseEvent, CaseStatus, DocState, Document, Page
from archive.settings import Settings
from archive.users import Role
from backends import Archive
from ingest.manifest import read_manifest
from tests.synthetic import born_digital_pdf, ukrainian_lines
from usecases.context import Context, events_for
from usecases.errors import Denied, Invalid
from usecases.imports import CHUNK, ImportProgress, import_archive
from usecases.policy import Principal

ROOT = Path(__file__).resolve().parents[2]
CENTRE = "ЦНАП Імпорт"
HEADER = "number,service,applicant,registered,sent,result,closed,department,files,result_files\n"
ADMIN = Principal("admin", Role.administrator, CENTRE, address="test")


def _pdf(folder: Path, name: str, i: int) -> str:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    born_digital_pdf([[f"Заява № {i} про реєстрацію", *ukrainian_lines(i, 8)]], path)
    return name


@pytest.fixture
def imp_archive(tmp_path: Path) -> Iterator[Archive]:
    archive = Archive(Settings(data_dir=tmp_path / "data", centre=CENTRE))
    archive.init()
    yield archive
    archive.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def db_import_archive(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Archive]:
    """The same archive on SQLite and on PostgreSQL (the journal counter, the clash)."""
    url = None
    if request.param == "postgresql":
        from tests.services import isolated_pg_url

        url = isolated_pg_url()
    archive = Archive(Settings(data_dir=tmp_path / "data", centre=CENTRE, database_url=url))
    archive.init()
    yield archive
    archive.close()


def _ctx(archive: Archive, who: Principal = ADMIN) -> Context:
    return Context(archive, who, events_for(archive))


def _old_archive(tmp_path: Path) -> tuple[Path, Path]:
    old = tmp_path / "old"
    z = [_pdf(old, f"2023/заява-{i}.pdf", i) for i in range(3)]
    result = _pdf(old, "2023/рішення-0.pdf", 100)
    shutil.copy(ROOT / "samples" / "zayava-scan.jpg", old / "скан.jpg")
    (old / "зламаний.pdf").write_bytes(b"%PDF-1.4 not really")
    outside = tmp_path / "secret.pdf"
    born_digital_pdf([["не з архіву"]], outside)
    (old / "link.pdf").symlink_to(outside)
    rows = [
        # 2: a closed case with its result
        f"2023/00007,Реєстрація місця проживання,Шевченко Тарас,2023-02-01 09:30,02.02.2023,"
        f"2023-02-10,2023-02-12,Відділ реєстрації,{z[0]};{z[1]},{result}",
        # 3: a scan, semicolons inside a quoted cell are fine
        '2023/00008,Довідка,,2023-03-01,,,,,"скан.jpg",',
        "2023/00009,Довідка,,2023-13-01,,,,,2023/заява-2.pdf,",  # 4: bad date
        "2023/00010,Довідка,,2023-03-02,,,,,../secret.pdf,",  # 5: ..
        "2023/00011,Довідка,,2023-03-02,,,,,link.pdf,",  # 6: a symlink out
        "2023/00012,Довідка,,2023-03-02,,,,,немає.pdf,",  # 7: missing file
        "2023/00007,Довідка,,2023-03-02,,,,,2023/заява-2.pdf,",  # 8: number repeated
        "2023/00013,Невідома послуга,,2023-03-02,,,,,2023/заява-2.pdf,",  # 9: unknown service
        "2023/00014,Довідка,,2023-03-02,,,,,зламаний.pdf,",  # 10: the pipeline refuses it
        "2024/00001,Довідка,,2024-01-05,,,,,2023/заява-2.pdf,",  # 11: fine
    ]
    manifest = tmp_path / "cases.csv"
    manifest.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    services = tmp_path / "services.txt"
    services.write_text("Реєстрація місця проживання\n# коментар\nДовідка\n", encoding="utf-8")
    return old, manifest


def test_manifest_rows_are_judged_before_anything_is_recorded(tmp_path: Path) -> None:
    old, manifest = _old_archive(tmp_path)
    m = read_manifest(
        manifest, old, timezone="Europe/Kyiv", services={"довідка", "реєстрація місця проживання"}
    )
    assert [r.row for r in m.rows] == [2, 3, 10, 11]
    codes = {r.row: r.code for r in m.rejected}
    assert codes == {
        4: "bad_date",
        5: "outside_dir",
        6: "outside_dir",
        7: "file_missing",
        8: "duplicate_in_manifest",
        9: "unknown_service",
    }
    first = m.rows[0]
    assert first.case.registered_at.isoformat() == "2023-02-01T09:30:00+02:00"
    assert [f.package.value for f in first.files] == ["input", "input", "output"]
    # Reasons name rows and columns, never a person or a file name.
    for r in m.rejected:
        assert "Шевченко" not in r.reason and ".pdf" not in r.reason


def test_import_end_to_end(tmp_path: Path, imp_archive: Archive) -> None:
    old, manifest = _old_archive(tmp_path)
    seen: list[ImportProgress] = []
    summary = import_archive(
        _ctx(imp_archive),
        folder=old,
        manifest=manifest,
        services=tmp_path / "services.txt",
        on_progress=seen.append,
    )
    assert summary.rows == 10
    assert summary.imported == 4
    assert {r.row for r in summary.rejected} == {4, 5, 6, 7, 8, 9}
    assert [(d.row, d.column, d.index) for d in summary.rejected_documents] == [(10, "files", 1)]
    assert summary.documents == 6
    assert seen[-1].documents_done == seen[-1].documents_total == 6
    assert seen[-1].rate > 0
    tz = imp_archive.settings.desk.timezone
    with imp_archive.db.session() as s:
        case = s.scalar(select(Case).where(Case.number == "2023/00007"))
        assert case is not None
        assert case.status == CaseStatus.issued
        assert case.department == "Відділ реєстрації"
        assert case.applicant_ref == "Шевченко Тарас"
        assert case.registered_at.astimezone().isoformat().startswith("2023-02-01T0")
        assert case.closed_at is not None
        kinds = [e.kind for e in s.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id))]
        assert kinds.count("case.registered") == 1 and kinds.count("case.imported") == 1
        assert {"case.sent", "result.received", "case.closed"} <= set(kinds)
        docs = list(
            s.scalars(
                select(Document)
                .join(CaseDocument, CaseDocument.document_id == Document.id)
                .where(CaseDocument.case_id == case.id)
            )
        )
        assert len(docs) == 3 and all(d.state == DocState.archived for d in docs)
        # Born-digital: text from the text layer, no OCR.
        pages = s.scalars(select(Page).where(Page.document_id.in_([d.id for d in docs])))
        assert all(not p.ocr for p in pages)
        scan_case = s.scalar(select(Case).where(Case.number == "2023/00008"))
        assert scan_case is not None
        scan = s.scalar(select(Document).where(Document.case_id == scan_case.id))
        assert scan is not None and scan.state == DocState.archived
        assert any(p.ocr for p in scan.pages)
        # Today's journal continues after the imported numbers of its format.
        assert last_taken(s, CENTRE, 2023) == 14
        assert last_taken(s, CENTRE, 2024) == 1
        taken = next_number(s, CENTRE, case.registered_at, "{year}/{seq:05d}", tz)
        assert taken.number not in {"2023/00007", "2023/00008"}
    # The one audit entry: counts, never a name.
    entries = [e for e in events_for(imp_archive).log.entries(limit=1000)]
    mine = [e for e in entries if e.action == Action.case_import.value]
    assert len(mine) == 1
    assert "Шевченко" not in json.dumps(mine[0].details, ensure_ascii=False)
    # Searchable at once.
    from search.base import SearchQuery

    assert imp_archive.index.search(SearchQuery(text="заява", limit=10)).total >= 3

    # Run again: every good row is skipped, nothing is added.
    again = import_archive(
        _ctx(imp_archive), folder=old, manifest=manifest, services=tmp_path / "services.txt"
    )
    assert again.skipped == 4 and again.imported == 0 and again.documents == 0
    with imp_archive.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 4
        assert s.scalar(select(func.count()).select_from(Document)) == 6


def test_a_number_taken_at_the_desk_is_a_rejected_row(
    tmp_path: Path, db_import_archive: Archive
) -> None:
    imp_archive = db_import_archive
    old = tmp_path / "old"
    _pdf(old, "a.pdf", 1)
    _pdf(old, "b.pdf", 2)
    with imp_archive.db.session() as s:
        s.add(Case(number="2022/00001", centre=CENTRE, service="Довідка"))
    manifest = tmp_path / "m.csv"
    manifest.write_text(
        "номер;послуга;зареєстровано;файли\n"
        "2022/00001;Довідка;2022-05-01;a.pdf\n"
        "2022/00002;Довідка;01.05.2022;b.pdf\n",
        encoding="utf-8",
    )
    summary = import_archive(_ctx(imp_archive), folder=old, manifest=manifest)
    assert summary.imported == 1
    assert [(r.row, r.code) for r in summary.rejected] == [(2, "duplicate_number")]
    with imp_archive.db.session() as s:
        assert last_taken(s, CENTRE, 2022) == 2
    again = import_archive(_ctx(imp_archive), folder=old, manifest=manifest)
    assert again.skipped == 1 and [r.row for r in again.rejected] == [2]


def test_only_the_centres_desk_imports(tmp_path: Path, imp_archive: Archive) -> None:
    old, manifest = _old_archive(tmp_path)
    official = Principal("o", Role.official, CENTRE, department="x", address="test")
    with pytest.raises(Denied):
        import_archive(_ctx(imp_archive, official), folder=old, manifest=manifest)
    bad = tmp_path / "bad.csv"
    bad.write_text("number,service,when\n", encoding="utf-8")
    with pytest.raises(Invalid):
        import_archive(_ctx(imp_archive), folder=old, manifest=bad)


def _cli(data: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CNAP_DATA_DIR": str(data), "CNAP_CENTRE": CENTRE}
    return subprocess.Popen(
        [sys.executable, "-m", "api", "import", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@pytest.mark.slow
def test_killed_import_resumes_without_doing_anything_twice(tmp_path: Path) -> None:
    old = tmp_path / "old"
    rows = []
    for i in range(1, 41):
        a = _pdf(old, f"c{i}/a.pdf", i)
        b = _pdf(old, f"c{i}/b.pdf", 1000 + i)
        rows.append(f"2021/{i:05d},Довідка,,2021-03-{1 + i % 28:02d},,,,,{a};{b},")
    manifest = tmp_path / "cases.csv"
    manifest.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    data = tmp_path / "data"
    settings = Settings(data_dir=data, centre=CENTRE)
    archive = Archive(settings)
    archive.init()
    try:
        proc = _cli(data, str(old), "--manifest", str(manifest))
        deadline = time.monotonic() + 400
        # Killed in the second chunk of cases: the first chunk's rows are marked done,
        # the second's cases are recorded and some of their files accepted.
        while time.monotonic() < deadline and proc.poll() is None:
            with archive.db.session() as s:
                accepted = s.scalar(select(func.count()).select_from(Document)) or 0
            if accepted >= CHUNK * 2 + 6:
                break
            time.sleep(0.05)
        assert proc.poll() is None, proc.communicate()
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        with archive.db.session() as s:
            assert s.scalar(select(func.count()).select_from(ImportRow)) == CHUNK
            assert s.scalar(select(func.count()).select_from(Case)) == 40

        again = _cli(data, str(old), "--manifest", str(manifest), "--json")
        stdout, stderr = again.communicate(timeout=600)
        assert again.returncode == 0, stderr.decode()
        summary = json.loads(stdout)
        assert summary["skipped"] == CHUNK and summary["resumed"] == 40 - CHUNK
        assert summary["imported"] == 0
        assert summary["rejected"] == []
        with archive.db.session() as s:
            numbers = Counter(s.scalars(select(Case.number)))
            assert len(numbers) == 40 and set(numbers.values()) == {1}
            assert s.scalar(select(func.count()).select_from(Document)) == 80
            assert s.scalar(select(func.count()).select_from(CaseDocument)) == 80
            states = Counter(s.scalars(select(Document.state)))
            assert states == {DocState.archived: 80}
            assert s.scalar(select(func.count()).select_from(CaseRegistration)) == 40
            imported = Counter(
                s.scalars(select(CaseEvent.case_id).where(CaseEvent.kind == "case.imported"))
            )
            assert set(imported.values()) == {1}
            received = Counter(
                e.details["document_id"]
                for e in s.scalars(select(CaseEvent).where(CaseEvent.kind == "document.received"))
            )
            assert set(received.values()) == {1}
            assert s.scalar(select(func.count()).select_from(ImportRow)) == 40
    finally:
        archive.close()


def test_the_command_prints_progress_on_stderr_and_every_rejected_row(tmp_path: Path) -> None:
    from tests.desk.cli import cli

    old = tmp_path / "old"
    _pdf(old, "a.pdf", 7)
    manifest = tmp_path / "m.csv"
    manifest.write_text(
        HEADER
        + "2020/00001,Довідка,Коваленко Олена,2020-01-10,,,,,a.pdf,\n"
        + "2020/00002,Довідка,Коваленко Олена,2020-01-10,,,,,немає.pdf,\n",
        encoding="utf-8",
    )
    data = tmp_path / "data"
    run = cli(data, "import", str(old), "--manifest", str(manifest))
    assert run.returncode == 1, run.stderr
    assert "справ імпортовано: 1" in run.stdout
    assert "рядок 3 (справа № 2020/00002): файл № 1 у колонці files: файл не знайдено" in run.stdout
    assert "док/с" in run.stderr and "залишилось" in run.stderr
    # No personal data in the application log.
    log = (data / "logs" / "cnap-archive.log").read_text(encoding="utf-8")
    assert "Коваленко" not in log and "a.pdf" not in log
    again = cli(data, "import", str(old), "--manifest", str(manifest), "--json")
    body = json.loads(again.stdout)
    assert body["skipped"] == 1 and body["imported"] == 0
    assert [r["row"] for r in body["rejected"]] == [3]
