"""The retention routes over HTTP: the same use cases, errors mapped by the app's handlers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from archive.settings import Settings
from archive.users import Role, add_user
from tests.retention.conftest import CENTRE, Centre, make_case
from usecases import access
from usecases.security import hash_password

D = dt.date
PASSWORD = "correct horse battery"


def test_plan_approve_agree_apply_act_over_http(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path / "data", centre=CENTRE))
    with TestClient(app) as http:
        archive = app.state.archive
        with archive.db.session() as s:
            for login, role in (("arch", Role.archivist), ("adm", Role.administrator)):
                add_user(s, login, role, password_hash=hash_password(PASSWORD), centre=CENTRE)
        c = Centre(archive, access.events_for(archive))
        number = make_case(
            c, 1, registered=D(2024, 2, 1), ready=D(2024, 2, 10), collected=D(2024, 2, 12)
        )

        def auth(login: str) -> dict[str, str]:
            r = http.post("/api/auth/token", data={"username": login, "password": PASSWORD})
            return {"Authorization": f"Bearer {r.json()['access_token']}"}

        arch, adm = auth("arch"), auth("adm")
        due = http.get("/api/retention/due", params={"as_of": "2028-02-01"}, headers=arch)
        assert due.status_code == 200 and due.json()["counts"] == {"dispose": 1}
        plan = http.post("/api/retention/plans", json={"as_of": "2028-02-01"}, headers=arch)
        assert plan.status_code == 201 and plan.json()["needs_agreement"], plan.text
        n = plan.json()["number"]
        # Applying before the ЕК approved: a conflict (409), not a server error.
        r = http.post(f"/api/retention/plans/{n}/apply", headers=arch)
        assert r.status_code == 409 and r.json()["code"] == "plan_not_ready"
        r = http.post(f"/api/retention/plans/{n}/approve", json={"decision": " "}, headers=arch)
        assert r.status_code == 422
        ok = http.post(f"/api/retention/plans/{n}/approve", json={"decision": "ЕК-2"}, headers=arch)
        assert ok.status_code == 200 and ok.json()["state"] == "approved"
        again = http.post(f"/api/retention/plans/{n}/approve", json={"decision": "x"}, headers=arch)
        assert again.status_code == 409
        r = http.post(f"/api/retention/plans/{n}/agree", json={"reference": "ЕПК-1"}, headers=arch)
        assert r.status_code == 200
        r = http.post(f"/api/retention/plans/{n}/apply", headers=arch)
        assert r.status_code == 200 and r.json()["by_action"] == {"dispose": 1}
        act = http.get(f"/api/retention/plans/{n}/act", headers=arch)
        assert act.status_code == 200 and act.headers["content-type"] == "application/pdf"
        assert act.content.startswith(b"%PDF")
        shown = http.get(f"/api/retention/plans/{n}", headers=arch).json()
        assert [x["case"] for x in shown["lines"]] == [number]
        assert http.get("/api/retention/plans/999", headers=arch).status_code == 404
        # The administrator has the to-do list, not the plans.
        assert http.get("/api/retention/todo", headers=adm).status_code == 200
        assert http.get("/api/retention/plans", headers=adm).status_code == 403
        run = http.post("/api/fixity/checks", json={}, headers=arch)
        assert run.status_code == 200, run.text
        res = http.get("/api/fixity/checks", headers=arch).json()
        assert res["checks"] == run.json()["checked"]
