"""The scans page lists held Diia deliveries and e-mail; the desk attaches or rejects them."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select

from archive import cases as ops
from archive.sharing import MailMessage
from ingest.mail.intake import take
from tests.api.conftest import HOME, World
from tests.sharing.test_held import mail_raw
from tests.synthetic import born_digital_pdf
from tests.web.conftest import csrf_of

Web = Callable[[str], TestClient]


def _held_mail(world: World, n: int) -> int:
    tmp = world.archive.settings.work_dir / f"web-mail-{n}.pdf"
    born_digital_pdf([[f"Копія з листа {n}"]], tmp)
    raw = mail_raw("Документи", [(f"kopia-{n}.pdf", tmp.read_bytes())], f"<web-{n}@test>")
    taken = take(world.archive, raw, submit=lambda _d: None, actor="mail")
    with world.archive.db.session() as s:
        return int(s.scalar(select(MailMessage.id).where(MailMessage.key == taken.key)) or 0)


def test_held_mail_attached_and_rejected_from_the_scans_page(web: Web, world: World) -> None:
    first, second = _held_mail(world, 1), _held_mail(world, 2)
    with world.archive.db.session() as s:
        number = ops.register(
            s, world.archive.settings, ops.Registration(service="Послуга", centre=HOME)
        ).case.number
    c = web("admin")
    page = c.get("/scans")
    assert page.status_code == 200
    assert f"/scans/intake/mail/{first}/attach" in page.text
    assert "taras.shevchenko" not in page.text  # the sender is masked
    tok = csrf_of(page.text)
    # A reason too short is answered beside the form; nothing changes.
    r = c.post(f"/scans/intake/mail/{second}/reject", data={"csrf": tok, "reason": "ні"})
    assert r.status_code == 422 and f'id="intake-error-mail-{second}"' in r.text
    r = c.post(
        f"/scans/intake/mail/{first}/attach",
        data={"csrf": tok, "case": number},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    r = c.post(
        f"/scans/intake/mail/{second}/reject",
        data={"csrf": tok, "reason": "Лист надіслано помилково"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    after = c.get("/scans?done=intake-rejected").text
    assert not re.search(rf"/scans/intake/mail/({first}|{second})/", after)
    with world.archive.db.session() as s:
        states = {m.id: m.state for m in s.scalars(select(MailMessage))}
    assert states[first] == "archived" and states[second] == "rejected"
    # Not for an official.
    assert web("official").get("/scans").status_code in (403, 404)
