"""What each user is shown: full text, masked text, or nothing — and search that leaks nothing."""

from __future__ import annotations

from tests.api.conftest import World
from tests.api.helpers import IBAN, NAME, PHONE, RNOKPP

IDS = (RNOKPP, IBAN, PHONE, NAME)


def _text(world: World, login: str, doc: str) -> str:
    r = world.http.get(f"/api/documents/{doc}", headers=world.headers(login))
    assert r.status_code == 200, r.text
    return " ".join(p["text"] for p in r.json()["pages"])


def test_full_access_shows_identifiers_and_logs_them(world: World) -> None:
    start = world.head()
    text = _text(world, "official", world.docs["home"].id)
    for value in IDS:
        assert value in text
    entry = world.audit_tail(start)[-1]
    assert entry["action"] == "document.text" and entry["outcome"] == "allowed"
    kinds = {x["kind"] for x in entry["identifiers"]}
    assert {"rnokpp", "iban", "phone", "name"} <= kinds
    assert all(RNOKPP not in str(x) for x in entry["identifiers"])  # masked in the log


def test_other_workplace_sees_masked_text(world: World) -> None:
    doc = world.docs["home"].id
    text = _text(world, "admin_wp", doc)
    for value in IDS:
        assert value not in text
    assert RNOKPP[:2] + "••••••" + RNOKPP[-2:] in text
    assert "Ш. Т. Г." in text
    assert "Житомир" in text  # the rest of the page is readable
    own = _text(world, "admin_wp", world.docs["workplace"].id)
    assert RNOKPP in own


def test_masked_page_endpoints(world: World) -> None:
    doc = world.docs["home"].id
    h = world.headers("admin_wp")
    pages = world.http.get(f"/api/documents/{doc}/pages", headers=h).json()
    page2 = world.http.get(f"/api/documents/{doc}/pages/2", headers=h).json()
    assert IBAN not in str(pages) and IBAN not in page2["text"]
    assert "6001" in page2["text"]  # the last four of the account stay, as banks print it


def test_archivist_sees_archival_cases_masked_and_others_as_metadata(world: World) -> None:
    archival = world.docs["archival"].id
    text = _text(world, "archivist", archival)
    assert RNOKPP not in text and "реєстрацію" in text
    home = world.docs["home"].id
    r = world.http.get(f"/api/documents/{home}", headers=world.headers("archivist"))
    assert r.status_code == 403
    meta = world.http.get(f"/api/documents/{home}/metadata", headers=world.headers("archivist"))
    assert meta.status_code == 200 and "pages" not in meta.json()


def test_findings_endpoint(world: World) -> None:
    doc = world.docs["home"].id
    rows = world.http.get(f"/api/documents/{doc}/findings", headers=world.headers("admin")).json()
    by_kind = {r["kind"]: r for r in rows}
    assert by_kind["rnokpp"]["value"] == RNOKPP and by_kind["rnokpp"]["page"] == 1
    assert by_kind["iban"]["page"] == 2 and len(by_kind["iban"]["boxes"]) == 1
    r = world.http.get(f"/api/documents/{doc}/findings", headers=world.headers("admin_wp"))
    assert r.status_code == 403


def _search(world: World, login: str, q: str) -> dict[str, object]:
    r = world.http.get("/api/search", params={"q": q, "limit": 50}, headers=world.headers(login))
    assert r.status_code == 200, r.text
    body: dict[str, object] = r.json()
    return body


def test_search_is_filtered_by_the_policy(world: World) -> None:
    d = world.docs
    admin = _search(world, "admin", "заява")
    ids = {h["document_id"] for h in admin["hits"]}  # type: ignore[union-attr]
    assert d["other_centre"].id not in ids and d["home"].id in ids
    assert admin["total"] == len(ids)
    official = _search(world, "official", "заява")
    ids = {h["document_id"] for h in official["hits"]}  # type: ignore[union-attr]
    assert ids == {d["home"].id, d["workplace"].id}  # department ДМС of the home centre
    assert official["total"] == 2
    other = _search(world, "admin_other", "заява")
    assert {h["document_id"] for h in other["hits"]} == {d["other_centre"].id}  # type: ignore[union-attr]
    archivist = _search(world, "archivist", "заява")
    assert [h["document_id"] for h in archivist["hits"]] == [d["archival"].id]  # type: ignore[index]
    # No hit, count or snippet of a document out of scope.
    nothing = _search(world, "official_b", "бердичівська")
    assert nothing == {"total": 0, "hits": []}


def test_snippets_are_masked_without_clearance(world: World) -> None:
    body = _search(world, "admin_wp", "заява")
    by_id = {h["document_id"]: h["snippet"] for h in body["hits"]}  # type: ignore[union-attr]
    masked = by_id[world.docs["home"].id]
    assert RNOKPP not in masked and PHONE not in masked and "Шевченко" not in masked
    assert RNOKPP in by_id[world.docs["workplace"].id]


def test_search_is_logged_with_query_and_results(world: World) -> None:
    start = world.head()
    body = _search(world, "official", RNOKPP)
    entry = world.audit_tail(start)[-1]
    assert entry["action"] == "search"
    assert entry["details"]["query"] == RNOKPP  # type: ignore[index]
    assert sorted(entry["documents"]) == sorted(h["document_id"] for h in body["hits"])  # type: ignore[union-attr]
    assert any(x["kind"] == "rnokpp" for x in entry["identifiers"])  # type: ignore[union-attr]


def test_lookup_by_identifier_only_in_full_scope(world: World) -> None:
    d = world.docs
    r = world.http.get(
        "/api/search/identifier", params={"value": IBAN}, headers=world.headers("official")
    ).json()
    assert {x["document_id"] for x in r["documents"]} == {d["home"].id, d["workplace"].id}
    assert all(x["pages"] == [2] for x in r["documents"])
    spaced = " ".join(IBAN[i : i + 4] for i in range(0, len(IBAN), 4))
    r2 = world.http.get(
        "/api/search/identifier", params={"value": spaced}, headers=world.headers("official")
    ).json()
    assert r2["total"] == 2
    r3 = world.http.get(
        "/api/search/identifier", params={"value": IBAN}, headers=world.headers("archivist")
    ).json()
    assert r3["total"] == 0  # masked access does not reveal who holds the account


def test_metadata_findings_of_shared_documents(world: World) -> None:
    from tests.api.helpers import RNOKPP_2, make_document

    made = make_document(
        world.archive,
        [["Витяг з реєстру, надісланий через Дія"]],
        case="2026/0009",
        department="ДМС",
        meta={
            "request_id": "abc",
            "rnokpp": RNOKPP_2,
            "applicant_name": "Коваленко Олена Петрівна",
        },
    )
    rows = world.http.get(
        f"/api/documents/{made.id}/findings", headers=world.headers("admin")
    ).json()
    meta_rows = {(r["kind"], r["value"]) for r in rows if r["source"] == "meta"}
    assert ("rnokpp", RNOKPP_2) in meta_rows
    found = world.http.get(
        "/api/search/identifier", params={"value": RNOKPP_2}, headers=world.headers("admin")
    ).json()
    assert [x["document_id"] for x in found["documents"]] == [made.id]
