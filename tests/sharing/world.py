"""An embedded archive configured for Diia sharing, and deliveries made like Diia's."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from archive import cases as ops
from archive.audit import Events
from archive.settings import Settings, SharingSettings
from archive.users import Role
from backends import Archive
from tests.api.helpers import RNOKPP as HELPERS_RNOKPP
from tests.sharing.fake_diia import ACQUIRER_TOKEN, FakeDiia
from tests.sharing.pki import Pki
from tests.synthetic import born_digital_pdf
from usecases.access import events_for
from usecases.context import Context
from usecases.policy import Principal
from usecases.sharing import DeliveryPart, diia_principal

HOME = "ЦНАП Житомир"
ADMIN = Principal("admin", Role.administrator, HOME, address="test")
OTHER_ADMIN = Principal("admin_b", Role.administrator, "ЦНАП Бердичів", address="test")
OFFICIAL = Principal("official", Role.official, HOME, department="ДМС", address="test")
# A valid РНОКПП and a passport booklet number (2 Cyrillic letters + 6 digits).
RNOKPP = HELPERS_RNOKPP
PASSPORT = "КН123456"


def sharing_settings(data: Path, fake: FakeDiia, pki: Pki) -> Settings:
    files = pki.write(data.parent / "keys")
    return Settings(
        data_dir=data,
        centre=HOME,
        sharing=SharingSettings(
            diia_base_url=fake.url,
            acquirer_token=SecretStr(ACQUIRER_TOKEN),
            key_file=files["key"],
            certificate_file=files["cert"],
            trusted_roots_file=files["roots"],
            delivery_url="https://archive.test/api/sharing/delivery",
        ),
    )


@dataclass
class SharingWorld:
    archive: Archive
    events: Events
    pki: Pki
    fake: FakeDiia

    def ctx(self, p: Principal = ADMIN) -> Context:
        return Context(self.archive, p, self.events)

    def diia(self) -> Context:
        return Context(
            self.archive, diia_principal(self.archive.settings, "203.0.113.7"), self.events
        )

    def new_case(self) -> str:
        with self.archive.db.session() as s:
            reg = ops.Registration(
                service="Реєстрація місця проживання", centre=HOME, department="ДМС", actor="admin"
            )
            return ops.register(s, self.archive.settings, reg).case.number


def passport_pdf(path: Path, marker: str) -> bytes:
    born_digital_pdf(
        [["ПАСПОРТ ГРОМАДЯНИНА УКРАЇНИ", f"Копія з Дії {marker}", "Прізвище Шевченко"]], path
    )
    return path.read_bytes()


def metadata_json(request_id: str) -> dict[str, Any]:
    return {
        "requestId": request_id,
        "documentTypes": ["internal-passport", "taxpayer-card"],
        "data": {
            "internal-passport": [
                {
                    "docNumber": PASSPORT,
                    "lastName": "Шевченко",
                    "firstName": "Тарас",
                    "birthday": "09.03.1990",
                }
            ],
            "taxpayer-card": [{"rnokpp": RNOKPP, "lastName": "Шевченко"}],
        },
    }


def delivery(
    pki: Pki, request_id: str, docs: dict[str, bytes], meta: dict[str, Any] | None = None
) -> list[DeliveryPart]:
    """Diia's multipart parts: one ``*.p7s.p7e`` per document type and ``encodeData``."""
    parts = [DeliveryPart(name, f"{name}.p7s.p7e", pki.wrap(pdf)) for name, pdf in docs.items()]
    body = json.dumps(
        meta if meta is not None else metadata_json(request_id), ensure_ascii=False
    ).encode()
    parts.append(DeliveryPart("encodeData", None, base64.b64encode(pki.encrypt(body))))
    return parts


@contextmanager
def open_world(data: Path, fake: FakeDiia, pki: Pki) -> Iterator[SharingWorld]:
    """An initialised embedded archive for sharing tests in ``data``, closed afterwards."""
    archive = Archive(sharing_settings(data, fake, pki))
    archive.init()
    try:
        yield SharingWorld(archive, events_for(archive), pki, fake)
    finally:
        archive.close()
