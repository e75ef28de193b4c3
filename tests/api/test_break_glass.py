"""Break-glass: opening a document beyond one's scope only with a reason, flagged for the DPO."""

from __future__ import annotations

from tests.api.conftest import World
from tests.api.helpers import RNOKPP

REASON = "Запит суду № 12/345 щодо справи заявника"


def test_break_glass_needs_a_reason_and_is_flagged(world: World) -> None:
    doc = world.docs["home"].id
    url = f"/api/documents/{doc}"
    h = world.headers("official_b")
    start = world.head()
    assert world.http.get(url, headers=h).status_code == 403
    short = world.http.get(url, params={"reason": "треба"}, headers=h)
    assert short.status_code == 403 and "10" in short.json()["detail"]
    r = world.http.get(url, params={"reason": REASON}, headers=h)
    assert r.status_code == 200 and RNOKPP in r.text
    tail = world.audit_tail(start)
    assert [e["outcome"] for e in tail] == ["denied", "denied", "allowed"]
    last = tail[-1]
    assert last["break_glass"] is True and last["purpose"] == REASON
    assert any(x["kind"] == "rnokpp" for x in last["identifiers"])  # type: ignore[union-attr]
    review = world.http.get("/api/audit/review", headers=world.headers("dpo")).json()
    assert last["seq"] in [e["seq"] for e in review["break_glass"]]
    assert tail[0]["seq"] in [e["seq"] for e in review["denials"]]


def test_break_glass_unmasks_for_a_masked_user(world: World) -> None:
    doc = world.docs["archival"].id
    h = world.headers("archivist")
    masked = world.http.get(f"/api/documents/{doc}", headers=h).text
    assert RNOKPP not in masked
    full = world.http.get(f"/api/documents/{doc}", params={"reason": REASON}, headers=h).text
    assert RNOKPP in full


def test_no_break_glass_for_dpo_and_sysadmin(world: World) -> None:
    doc = world.docs["home"].id
    for login in ("dpo", "sysadmin"):
        r = world.http.get(
            f"/api/documents/{doc}", params={"reason": REASON}, headers=world.headers(login)
        )
        assert r.status_code == 403


def test_other_centre_only_by_break_glass(world: World) -> None:
    doc = world.docs["other_centre"].id
    h = world.headers("admin")
    assert world.http.get(f"/api/documents/{doc}/pdf", headers=h).status_code == 403
    r = world.http.get(f"/api/documents/{doc}/pdf", params={"reason": REASON}, headers=h)
    assert r.status_code == 200
