"""Printed forms a centre can sign: people, the centre, methods and dates, rendered and read back.

Every form is rendered to PNG (pdftoppm) and its text read (pdftotext). With
``CNAP_FORMS_PNG_DIR`` set, the PNGs are kept there to be looked at.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.desk.alone import CENTRE_DETAILS, OLENA, Desk, desk_fixture

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None,
    reason="poppler-utils (pdftotext, pdftoppm) not installed",
)
DATETIME = re.compile(r"\d\d\.\d\d\.\d{4} \d\d:\d\d")


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    yield from desk_fixture(tmp_path_factory)


def _text(pdf: Path, *, layout: bool = False) -> str:
    args = ["pdftotext", *(["-layout"] if layout else []), str(pdf), "-"]
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def _png(pdf: Path, name: str) -> list[Path]:
    """Render every page to PNG; kept in ``CNAP_FORMS_PNG_DIR`` when it is set."""
    keep = os.environ.get("CNAP_FORMS_PNG_DIR")
    out = Path(keep) if keep else pdf.parent
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "80", "-png", str(pdf), str(out / name)], check=True)
    pages = sorted(out.glob(f"{name}*.png"))
    assert pages and all(p.stat().st_size > 5_000 for p in pages)
    return pages


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_inventory_routing_sheet_and_hand_over_name_people_centre_methods_dates(
    desk: Desk, tmp_path: Path
) -> None:
    reg = desk.json(
        "case", "register", "--service", "Реєстрація місця проживання",
        "--applicant", "Шевченко Тарас Григорович", "--item", "Заява:1",
        "--item", "Копія паспорта:2", "--notify", "sms", "--contact", "+380671234567",
        "--delivery", "post", "--output-dir", str(tmp_path), "--no-wait",
    )  # fmt: skip
    number = reg["number"]
    # The inventory: the administrator's name and position, the centre, the methods, the date.
    inventory = Path(reg["inventory"])
    _png(inventory, "inventory")
    text = _flat(_text(inventory))
    for expected in (
        *OLENA,
        *CENTRE_DETAILS.values(),
        "SMS-повідомлення",
        "Спосіб отримання результату: поштою",
        "Очікувана дата результату:",
    ):
        assert expected in text, expected
    assert text.count(OLENA[0]) == 2  # both copies
    assert re.search(r"Очікувана дата результату: \d{1,2} [а-яі]+ \d{4} р\.", text)
    # Route, notify and hand over (over HTTP), then the routing sheet on both adapters.
    auth = desk.auth()
    for url, body in (
        ("send", {"department": "ДМС"}),
        ("notify", {"method": "sms"}),
        ("issue", {"to": "applicant", "document": "ID 123456789"}),
    ):
        r = desk.http.post(f"/api/cases/{reg['id']}/{url}", headers=auth, json=body)
        assert r.status_code == 200, r.text
    sheet = tmp_path / "routing.pdf"
    assert desk.cli("case", "routing-sheet", number, "-o", str(sheet)).returncode == 0
    over_http = desk.http.get(f"/api/cases/{reg['id']}/routing-sheet", headers=auth)
    assert over_http.status_code == 200
    (tmp_path / "routing-http.pdf").write_bytes(over_http.content)
    events = len(desk.json("case", "show", number)["routing"])
    for pdf in (sheet, tmp_path / "routing-http.pdf"):
        _png(pdf, pdf.stem)
        text = _flat(_text(pdf))
        assert CENTRE_DETAILS["centre_full_name"] in text and CENTRE_DETAILS["centre_code"] in text
        # The "who" column: name and position; the hand-over line is signed by a person too.
        assert f"{OLENA[0]}, {OLENA[1]}" in text or (OLENA[0] in text and OLENA[1] in text)
        assert "Результат видано" in text
        # Each row's date and time on one line, never broken.
        layout = _text(pdf, layout=True)
        assert len(DATETIME.findall(layout)) == events, layout
        for line in layout.splitlines():
            assert not re.search(r"\d\d\.\d\d\.\d{4}\s*$", line), line
            assert not re.match(r"^\s*\d\d:\d\d\b", line), line


def test_outgoing_cover_sheet_is_named_in_ukrainian(desk: Desk) -> None:
    reg = desk.register()
    r = desk.cli("case", "cover-sheet", reg["number"])
    assert r.returncode == 0, r.stderr
    path = Path(_flat(r.stdout).split(": ", 1)[1])
    assert path.name.endswith("-титульний-аркуш-вихідний.pdf"), path.name
    assert path.name.startswith("справа-")
    _png(path, "cover-output")
    text = _flat(_text(path))
    assert reg["number"] in text


def test_user_add_takes_name_and_position(desk: Desk) -> None:
    from archive.users import Role, add_user, get_user
    from tests.desk.alone import ENV
    from tests.desk.cli import cli
    from usecases.security import hash_password

    # The command line (the local console manages users).
    r = cli(
        desk.data, "user", "add", "marta", "--role", "administrator",
        "--name", "Коваль Марта Іванівна", "--position", "головний спеціаліст",
        stdin="a long enough password 1\n", env=ENV,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    # The API, as a system administrator.
    archive = desk.http.app.state.archive  # type: ignore[attr-defined]
    with archive.db.session() as s:
        add_user(s, "root", Role.sysadmin, password_hash=hash_password("root password long 1"))
    token = desk.http.post(
        "/api/auth/token", data={"username": "root", "password": "root password long 1"}
    ).json()["access_token"]
    made = desk.http.post(
        "/api/users",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "login": "nina",
            "role": "administrator",
            "password": "a long enough password 2",
            "full_name": "Бондар Ніна Олегівна",
            "position": "адміністратор ВРМ",
        },
    )
    assert made.status_code in (200, 201), made.text
    assert (made.json()["full_name"], made.json()["position"]) == (
        "Бондар Ніна Олегівна",
        "адміністратор ВРМ",
    )
    with archive.db.session() as s:
        marta = get_user(s, "marta")
        assert marta is not None
        assert (marta.full_name, marta.position) == ("Коваль Марта Іванівна", "головний спеціаліст")
