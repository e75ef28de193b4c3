"""Typos caught: an unknown case number is refused everywhere, with the nearest ones suggested."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.desk.alone import Desk, desk_fixture
from tests.synthetic import born_digital_pdf


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    yield from desk_fixture(tmp_path_factory)


def _typo(number: str) -> str:
    """``2026/00001`` → ``2026/0001`` (a zero too few, the commonest slip)."""
    year, seq = number.split("/")
    return f"{year}/{seq[1:]}"


def test_unknown_case_is_refused_with_suggestions_on_the_command_line(
    desk: Desk, tmp_path_factory: pytest.TempPathFactory
) -> None:
    number = desk.register()["number"]
    typo = _typo(number)
    before = desk.json("case", "show", number)["packages"][0]["documents"]
    pdf = born_digital_pdf([["Заява про реєстрацію"]], tmp_path_factory.mktemp("t") / "a.pdf")
    for args in (
        ("ingest", str(pdf), "--case", typo),
        ("case", "show", typo),
        ("case", "send", typo, "--to", "ДМС"),
        ("case", "routing-sheet", typo),
    ):
        r = desk.cli(*args)
        assert r.returncode == 1, (args, r.stdout, r.stderr)
        assert f"Справу № {typo} не знайдено. Можливо, {number}" in " ".join(r.stderr.split())
    # Nothing was made up: the typo is still unknown, the real case unchanged.
    assert desk.cli("case", "show", typo).returncode == 1
    assert desk.json("case", "show", number)["packages"][0]["documents"] == before
    # The right number works.
    ok = desk.cli("ingest", str(pdf), "--case", number, "--json")
    assert ok.returncode == 0, ok.stderr


def test_unknown_case_is_refused_with_suggestions_over_http(desk: Desk) -> None:
    number = desk.register()["number"]
    typo = _typo(number)
    admin = desk.auth()
    r = desk.http.post(
        "/api/documents",
        headers=admin,
        files={"file": ("a.pdf", b"%PDF-1.4 whatever", "application/pdf")},
        data={"case": typo},
    )
    assert r.status_code == 404, r.text
    # The number that differs only in zeros comes first.
    assert r.json()["detail"].startswith(f"Справу № {typo} не знайдено. Можливо, {number}")
    r = desk.http.get("/api/cases", params={"number": typo}, headers=admin)
    assert r.status_code == 404 and number in r.json()["detail"]


def test_suggestions_come_only_from_cases_the_caller_may_see(desk: Desk) -> None:
    number = desk.register()["number"]
    typo = _typo(number)
    official = desk.auth("oksana")
    # Not routed to the official's department: not even its number is hinted at.
    r = desk.http.get("/api/cases", params={"number": typo}, headers=official)
    assert r.status_code == 404 and number not in r.json()["detail"]
    case_id = desk.http.get("/api/cases", params={"number": number}, headers=desk.auth()).json()
    sent = desk.http.post(
        f"/api/cases/{case_id['id']}/send", headers=desk.auth(), json={"department": "ДМС"}
    )
    assert sent.status_code == 200
    r = desk.http.get("/api/cases", params={"number": typo}, headers=official)
    assert r.status_code == 404 and number in r.json()["detail"]
    # Another centre's administrator learns nothing about this centre's cases.
    r = desk.http.get("/api/cases", params={"number": typo}, headers=desk.auth("petro"))
    assert r.status_code == 404 and number not in r.json()["detail"]
