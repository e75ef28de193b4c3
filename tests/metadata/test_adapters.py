"""The command line and the HTTP API render the same use-case results."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from archive.settings import Settings
from archive.users import Role, add_user
from backends import Archive
from ingest.metadata import DocType, extract_metadata
from ingest.metadata.seed import specimen
from tests.api.test_cli_access import cli
from tests.metadata.helpers import put_document
from usecases.security import hash_password

CENTRE = "ЦНАП Житомир"


def _archive(data: Path) -> Archive:
    a = Archive(Settings(data_dir=data, centre=CENTRE))
    a.init()
    return a


def test_cli_show_correct_types(tmp_path: Path) -> None:
    data = tmp_path / "data"
    archive = _archive(data)
    spec = specimen(DocType.certificate_idp, 4)
    doc = put_document(archive, spec.text)
    extract_metadata(archive, doc)
    archive.close()

    shown = json.loads(cli(data, "metadata", "show", doc, "--json").stdout)
    assert shown["type"] == "certificate_idp"
    assert {f["name"]: f["value"] for f in shown["fields"]}["number"] == spec.fields["number"]
    text = cli(data, "metadata", "show", doc).stdout
    assert "Довідка про взяття на облік" in text

    fixed = json.loads(cli(data, "metadata", "correct", doc, "довідка (інша)", "--json").stdout)
    assert (fixed["type"], fixed["source"]) == ("certificate_other", "correction")
    bad = cli(data, "metadata", "correct", doc, "не-тип", code=1)  # refused (api.exit_codes)
    assert "Невідомий тип" in bad.stderr
    missing = cli(data, "metadata", "show", "f" * 32, code=1)
    assert "не знайдено" in missing.stderr
    codes = [t["code"] for t in json.loads(cli(data, "metadata", "types", "--json").stdout)]
    assert "passport_id_card" in codes and codes[-1] == "other"
    assert "--reclassify" in cli(data, "metadata", "retrain", "--help").stdout


def test_http_show_and_correct(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", centre=CENTRE)
    app = create_app(settings)
    with TestClient(app) as http:
        archive: Archive = app.state.archive
        with archive.db.session() as s:
            add_user(s, "admin", Role.administrator, password_hash=hash_password("a" * 20),
                     centre=CENTRE)  # fmt: skip
            add_user(s, "dpo", Role.dpo, password_hash=hash_password("a" * 20), centre=CENTRE)
        spec = specimen(DocType.foreign_passport, 8)
        doc = put_document(archive, spec.text)
        extract_metadata(archive, doc)

        def headers(login: str) -> dict[str, str]:
            r = http.post("/api/auth/token", data={"username": login, "password": "a" * 20})
            return {"Authorization": f"Bearer {r.json()['access_token']}"}

        admin, dpo = headers("admin"), headers("dpo")
        full = http.get(f"/api/metadata/documents/{doc}", headers=admin).json()
        assert full["type"] == "foreign_passport" and not full["masked"]
        assert {f["name"]: f["value"] for f in full["fields"]}["number"] == spec.fields["number"]
        masked = http.get(f"/api/metadata/documents/{doc}", headers=dpo).json()
        assert masked["masked"]
        assert spec.fields["number"] not in json.dumps(masked)
        r = http.put(f"/api/metadata/documents/{doc}/type", json={"type": "nope"}, headers=admin)
        assert r.status_code == 422
        r = http.put(f"/api/metadata/documents/{doc}/type", json={"type": "other"}, headers=dpo)
        assert r.status_code == 403
        r = http.put(f"/api/metadata/documents/{doc}/type", json={"type": "other"}, headers=admin)
        assert r.status_code == 200 and r.json()["source"] == "correction"
        assert http.get(f"/api/metadata/documents/{'0' * 32}", headers=admin).status_code == 404


def test_search_by_type_and_document_date_cli_and_http(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", centre=CENTRE)
    app = create_app(settings)
    with TestClient(app) as http:
        archive: Archive = app.state.archive
        with archive.db.session() as s:
            add_user(s, "admin", Role.administrator, password_hash=hash_password("a" * 20),
                     centre=CENTRE)  # fmt: skip
        spec = specimen(DocType.certificate_income, 3)
        doc = put_document(archive, spec.text)
        other = put_document(archive, specimen(DocType.decision, 3).text)
        extract_metadata(archive, doc)
        extract_metadata(archive, other)
        r = http.post("/api/auth/token", data={"username": "admin", "password": "a" * 20})
        admin = {"Authorization": f"Bearer {r.json()['access_token']}"}
        day = spec.fields["issue_date"]

        def found(**params: object) -> list[str]:
            r = http.get("/api/search", params={"q": "", **params}, headers=admin)
            assert r.status_code == 200, r.text
            return [h["document_id"] for h in r.json()["hits"]]

        assert found(type="certificate") == [doc]
        assert found(q="type:decision") == [other]
        assert sorted(found(type=["decision", "Довідка про доходи"])) == sorted([doc, other])
        assert found(type="certificate_income", doc_from=day, doc_to=day) == [doc]
        assert found(type="certificate_income", doc_from="2199-01-01") == []
        r = http.get("/api/search", params={"q": "", "type": "nope"}, headers=admin)
        assert r.status_code == 422
    shown = json.loads(
        cli(
            settings.data_dir,
            "search",
            "",
            "--type",
            "certificate",
            "--doc-from",
            day,
            "--doc-to",
            day,
            "--json",
        ).stdout
    )
    assert [h["document_id"] for h in shown["hits"]] == [doc]
    assert "--doc-from" in cli(settings.data_dir, "search", "--help").stdout
