"""The delivery endpoint as Diia calls it: multipart/form-data with the trace-id header."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from archive.users import Role, add_user
from tests.sharing.fake_diia import FakeDiia
from tests.sharing.pki import Pki
from tests.sharing.world import HOME, delivery, passport_pdf, sharing_settings
from usecases.passwords import hash_password

PASSWORD = "a long enough password"


@pytest.fixture(scope="module")
def http(
    tmp_path_factory: pytest.TempPathFactory, fake_diia: FakeDiia, pki: Pki
) -> Iterator[TestClient]:
    data = tmp_path_factory.mktemp("sharing-http") / "data"
    app = create_app(sharing_settings(data, fake_diia, pki))
    with TestClient(app) as client:
        with app.state.archive.db.session() as s:
            add_user(
                s, "admin", Role.administrator, password_hash=hash_password(PASSWORD), centre=HOME
            )
        yield client


def _token(http: TestClient) -> dict[str, str]:
    r = http.post("/api/auth/token", data={"username": "admin", "password": PASSWORD})
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_request_and_delivery_over_http(http: TestClient, pki: Pki, tmp_path: Path) -> None:
    from archive import cases as ops

    archive = http.app.state.archive  # type: ignore[attr-defined]
    with archive.db.session() as s:
        case = ops.register(
            s, archive.settings, ops.Registration(service="Послуга", centre=HOME)
        ).case
        case_id, number = case.id, case.number
    auth = _token(http)
    r = http.post(f"/api/cases/{case_id}/sharing", headers=auth)
    assert r.status_code == 200, r.text
    rid = r.json()["request_id"]
    qr = http.get(f"/api/sharing/requests/{rid}/qr.png", headers=auth)
    assert qr.status_code == 200 and qr.headers["content-type"] == "image/png"
    parts = delivery(
        pki, rid, {"internal-passport": passport_pdf(tmp_path / "h.pdf", "через-http")}
    )
    files = [(p.name, (p.filename or p.name, p.data, "application/octet-stream")) for p in parts]
    r = http.post(
        "/api/sharing/delivery", files=files, headers={"X-Document-Request-Trace-Id": rid}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["state"] == "archived" and body["case"] == number and not body["replay"]
    doc_id = body["parts"][0]["document_id"]
    again = http.post(
        "/api/sharing/delivery", files=files, headers={"X-Document-Request-Trace-Id": rid}
    )
    assert again.json()["replay"] is True
    shown = http.get(f"/api/documents/{doc_id}/sharing", headers=auth).json()
    assert shown["signature"]["validity"] == "valid"


def test_malformed_bodies(http: TestClient) -> None:
    r = http.post(
        "/api/sharing/delivery",
        content=b"--x\r\nbroken",
        headers={
            "Content-Type": "multipart/form-data; boundary=x",
            "X-Document-Request-Trace-Id": "r",
        },
    )
    assert r.status_code in (400, 422)
    assert r.json()["detail"] if "detail" in r.json() else r.json()
    r = http.post("/api/sharing/delivery", files=[("internal-passport", ("a", b"x"))])
    assert r.status_code == 422  # no trace id
