"""A case lists its documents by type, and its inventory is checked against what was scanned."""

from __future__ import annotations

from sqlalchemy import select

from archive.models import Case, Document, Package, PackageKind
from archive.users import Role
from backends import Archive
from ingest.metadata import DocType, extract_metadata
from ingest.metadata.inventory import check_inventory, expected_types
from ingest.metadata.seed import specimen
from tests.metadata.helpers import ctx_for, put_document
from usecases.cases import show_case


def test_titles_read_as_types() -> None:
    assert expected_types("Заява") == (DocType.application,)
    assert DocType.passport_id_card in expected_types("Копія паспорта")
    assert expected_types("Довідка ВПО") == (DocType.certificate_idp,)
    assert expected_types("Довідка про склад сімʼї") == (DocType.certificate_family,)
    assert expected_types("Свідоцтво про народження дитини") == (DocType.birth_certificate,)
    assert expected_types("Картка платника податків") == (DocType.taxpayer_card,)
    assert expected_types("Щось незрозуміле") == ()


def test_check_pairs_specific_titles_first() -> None:
    got = check_inventory(
        ["Довідка", "Довідка ВПО", "Заява", "Копія паспорта"],
        [
            ("a", "application"),
            ("b", "certificate_idp"),
            ("c", "passport_booklet"),
            ("d", "decision"),
            ("e", None),
            ("f", "inventory"),
        ],
    )
    assert [m.title for m in got.missing] == ["Довідка"]  # «Довідка ВПО» took the only one
    assert got.extra == ["d"] and got.unclassified == ["e"]


def _case_with_inventory(archive: Archive, titles: list[str], kinds: list[DocType]) -> int:
    docs = [put_document(archive, specimen(kind, n).text) for n, kind in enumerate(kinds)]
    for doc in docs:
        extract_metadata(archive, doc)
    with archive.db.session() as s:
        case = s.scalar(select(Case).where(Case.number == "2026/0001"))
        assert case is not None
        pkg = Package(
            case_id=case.id,
            kind=PackageKind.input,
            inventory=[{"title": t, "sheets": 1} for t in titles],
        )
        s.add(pkg)
        s.flush()
        for doc in docs:
            row = s.get(Document, doc)
            assert row is not None
            row.package_id = pkg.id
        return case.id


def test_case_view_lists_types_and_flags_missing_and_extra(archive: Archive) -> None:
    case_id = _case_with_inventory(
        archive,
        ["Заява", "Копія паспорта", "Свідоцтво про шлюб"],
        [DocType.application, DocType.passport_booklet, DocType.decision],
    )
    data = show_case(ctx_for(archive), case_id=case_id).as_json()
    labels = sorted(d["type"] for d in data["documents"])
    assert labels == sorted(["Заява", "Паспорт громадянина України (книжечка)", "Рішення"])
    check = data["inventory_check"]
    assert [m["title"] for m in check["missing"]] == ["Свідоцтво про шлюб"]
    assert [e["type"] for e in check["extra"]] == ["Рішення"]
    # Below full access the hand-written title is shown as the type it was read as.
    masked = show_case(ctx_for(archive, Role.dpo, login="dpo"), case_id=case_id).as_json()
    assert masked["masked"]
    assert [m["title"] for m in masked["inventory_check"]["missing"]] == ["Свідоцтво про шлюб"]


def test_case_without_inventory_has_no_check(archive: Archive) -> None:
    extract_metadata(archive, put_document(archive, specimen(DocType.contract, 1).text))
    with archive.db.session() as s:
        case = s.scalar(select(Case).where(Case.number == "2026/0001"))
        assert case is not None
        case_id = case.id
    data = show_case(ctx_for(archive), case_id=case_id).as_json()
    assert data["inventory_check"] is None
    assert [d["type_code"] for d in data["documents"]] == ["contract"]
