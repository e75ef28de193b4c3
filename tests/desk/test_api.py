"""The desk over HTTP: registration, forms, routing steps, blocks and the upload protocol."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from archive.settings import Settings
from archive.users import Role, add_user
from tests.desk.conftest import HOME
from tests.desk.paper import batch_pdf, doc
from usecases.security import hash_password

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("api") / "data", centre=HOME))
    with TestClient(app) as client:
        with app.state.archive.db.session() as s:
            hashed = hash_password(PASSWORD)
            add_user(s, "olena", Role.administrator, password_hash=hashed, centre=HOME)
            add_user(
                s,
                "ira",
                Role.administrator,
                password_hash=hashed,
                centre=HOME,
                workplace="ВРМ Зарічне",
            )
            add_user(
                s, "oksana", Role.official, password_hash=hashed, centre=HOME, department="ДМС"
            )
        yield client


def _auth(http: TestClient, login: str) -> dict[str, str]:
    r = http.post("/api/auth/token", data={"username": login, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_register_print_and_follow_a_case(http: TestClient) -> None:
    admin = _auth(http, "olena")
    r = http.post(
        "/api/cases",
        headers=admin,
        json={
            "service": "Реєстрація місця проживання",
            "applicant": "Шевченко Тарас Григорович",
            "items": [{"title": "Заява", "sheets": 1}, {"title": "Копія паспорта", "sheets": 2}],
            "notify": "email",
            "contact": "taras@example.com",
            "department": "ДМС",
        },
    )
    assert r.status_code == 201, r.text
    case = r.json()
    assert case["number"].endswith("/00001") and case["inventory_document_id"]
    for url in (
        case["cover_sheet_url"],
        case["inventory_url"],
        f"/api/cases/{case['id']}/routing-sheet",
    ):
        got = http.get(url, headers=admin)
        assert got.status_code == 200 and got.content.startswith(b"%PDF")
    found = http.get("/api/cases", params={"number": case["number"]}, headers=admin).json()
    assert found["id"] == case["id"] and found["applicant"] == "Шевченко Тарас Григорович"
    official = _auth(http, "oksana")
    assert http.get(f"/api/cases/{case['id']}", headers=official).json()["contact"] == (
        "taras@example.com"
    )
    assert (
        http.post(
            f"/api/cases/{case['id']}/notify", headers=official, json={"method": "email"}
        ).status_code
        == 403
    )
    r = http.post(f"/api/cases/{case['id']}/notify", headers=admin, json={"method": "email"})
    assert r.status_code == 200 and r.json()["event"] == "case.notified"
    r = http.post(f"/api/cases/{case['id']}/issue", headers=admin, json={"to": "applicant"})
    assert r.status_code == 422  # in person: the identity document shown is required
    r = http.post(
        f"/api/cases/{case['id']}/issue",
        headers=admin,
        json={"to": "applicant", "document": "ID 001234567"},
    )
    assert r.status_code == 200 and r.json()["status"] == "issued"
    # Another workplace's administrator sees the case masked and cannot act on it.
    wp = _auth(http, "ira")
    masked = http.get(f"/api/cases/{case['id']}", headers=wp).json()
    assert masked["applicant"] == "Ш. Т. Г." and "001234567" not in str(masked)
    assert http.get(case["inventory_url"], headers=wp).status_code == 403


def test_offline_registration_with_a_reserved_block(http: TestClient) -> None:
    wp = _auth(http, "ira")
    r = http.post("/api/journal/blocks", headers=wp, json={"workplace_code": "ВРМ3", "size": 3})
    assert r.status_code == 201, r.text
    block = r.json()
    assert block["workplace"] == "ВРМ Зарічне" and block["first_number"].endswith("ВРМ3-0001")
    body = {
        "service": "Послуга",
        "registration_id": "station-0000001",
        "block_id": block["id"],
        "block_seq": block["first"],
        "registered_at": "2026-03-01T08:30:00+00:00",
    }
    first = http.post("/api/cases", headers=wp, json=body)
    again = http.post("/api/cases", headers=wp, json=body)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"] and not again.json()["new"]
    # One archived inventory, however often the registration is sent.
    assert first.json()["inventory_document_id"] == again.json()["inventory_document_id"]
    assert first.json()["number"] == block["first_number"]
    assert first.json()["registered_at"].startswith("2026-03-01T08:30")
    clash = {**body, "registration_id": "station-0000002"}
    assert http.post("/api/cases", headers=wp, json=clash).status_code == 422
    outside = {**body, "registration_id": "station-0000003", "block_seq": block["last"] + 1}
    assert http.post("/api/cases", headers=wp, json=outside).status_code == 422
    assert (
        http.post("/api/journal/blocks", headers=wp, json={"workplace_code": "ВРМ 3"}).status_code
        == 422
    )


def test_upload_protocol(http: TestClient, tmp_path: Path) -> None:
    admin = _auth(http, "olena")
    case = http.post("/api/cases", headers=admin, json={"service": "Послуга"}).json()
    from scanner.cover_sheet import CoverSheet

    body = batch_pdf(
        [CoverSheet(case["number"], "input", HOME), doc("протокол")], tmp_path / "b.pdf"
    ).read_bytes()
    sha = hashlib.sha256(body).hexdigest()
    start = {"sha256": sha, "size": len(body), "name": "b.pdf"}
    r = http.post("/api/uploads", headers=admin, json=start)
    assert r.status_code == 200 and r.json()["offset"] == 0
    half = len(body) // 2
    r = http.patch(
        f"/api/uploads/{sha}", content=body[:half], headers={**admin, "Upload-Offset": "0"}
    )
    assert r.json()["offset"] == half
    # A chunk sent again after a lost answer is refused with the right offset.
    r = http.patch(
        f"/api/uploads/{sha}", content=body[:half], headers={**admin, "Upload-Offset": "0"}
    )
    assert r.status_code == 409 and r.headers["Upload-Offset"] == str(half)
    assert http.post(f"/api/uploads/{sha}/complete", headers=admin).status_code == 409
    assert (
        http.post("/api/uploads", headers=admin, json={**start, "size": len(body) + 1}).status_code
        == 409
    )
    r = http.patch(
        f"/api/uploads/{sha}", content=body[half:], headers={**admin, "Upload-Offset": str(half)}
    )
    assert r.json()["offset"] == len(body)
    r = http.post(f"/api/uploads/{sha}/complete", headers=admin)
    assert r.status_code == 200, r.text
    result = r.json()["result"]
    assert [p["case"] for p in result["parts"]] == [case["number"]]
    # Sent again: the server knows these bytes and answers with the same result.
    again = http.post("/api/uploads", headers=admin, json=start).json()
    assert again["state"] == "processed" and again["result"]["batch_id"] == result["batch_id"]
    # Bytes that do not match their SHA-256 are dropped, and the upload starts over.
    bad = b"%PDF-1.4 not what was announced %%EOF"
    fake = hashlib.sha256(b"something else").hexdigest()
    http.post("/api/uploads", headers=admin, json={"sha256": fake, "size": len(bad), "name": "x"})
    http.patch(f"/api/uploads/{fake}", content=bad, headers={**admin, "Upload-Offset": "0"})
    assert http.post(f"/api/uploads/{fake}/complete", headers=admin).status_code == 422
    assert http.get(f"/api/uploads/{fake}", headers=admin).json()["offset"] == 0
