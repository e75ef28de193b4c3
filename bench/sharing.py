"""Benchmark: Diia deliveries per second through the endpoint (unwrap, verify, archive).

Generates a test PKI (a signer CA and seal, the centre's acquirer key pair),
registers ``--deliveries`` cases with a sharing request each, and posts to
``POST /api/sharing/delivery`` — over HTTP into the real app on the embedded
backends — one delivery per case with ``--docs`` born-digital PDFs, each
signed (CMS SignedData) and encrypted to the acquirer (EnvelopedData), plus
the encrypted metadata. Reports the endpoint's rate (recorded, decrypted,
verified, accepted) and the end-to-end rate until every document is archived
(PDF/A, text, identifiers), and checks the replay of one delivery is a
no-op.

It also reports the OCR stage's character error rate on phone photos of
e-mailed copies against clean scans of the same pages (``--photo-pages``
pages each, from ``bench/ocr_quality.py``; target: photo ≤ 2 × clean;
``--photo-pages 0`` skips it).

    .venv/bin/python bench/sharing.py [--deliveries 20] [--docs 2] [--photo-pages 2]
        [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from api.app import create_app  # noqa: E402
from archive import cases as ops  # noqa: E402
from archive.models import DocState, Document, utcnow  # noqa: E402
from archive.settings import Settings, SharingSettings  # noqa: E402
from archive.sharing import SharingRequest  # noqa: E402
from tests.sharing.pki import make_pki  # noqa: E402
from tests.sharing.world import delivery, passport_pdf  # noqa: E402

HOME = "ЦНАП Бенчмарк"
TYPES = ["internal-passport", "taxpayer-card", "birth-certificate", "driver-license"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--deliveries", type=int, default=20)
    ap.add_argument("--docs", type=int, default=2, choices=range(1, len(TYPES) + 1))
    ap.add_argument("--photo-pages", type=int, default=2)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    pki = make_pki()
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        keys = pki.write(tmp / "keys")
        settings = Settings(
            data_dir=tmp / "data",
            centre=HOME,
            sharing=SharingSettings(
                key_file=keys["key"],
                certificate_file=keys["cert"],
                trusted_roots_file=keys["roots"],
            ),
        )
        app = create_app(settings)
        with TestClient(app) as http:
            archive = app.state.archive
            bodies: list[tuple[str, list[Any]]] = []
            for n in range(args.deliveries):
                with archive.db.session() as s:
                    case = ops.register(
                        s, archive.settings, ops.Registration(service="Послуга", centre=HOME)
                    ).case
                    rid = f"bench{n:027d}"
                    until = utcnow() + timedelta(hours=1)
                    s.add(
                        SharingRequest(
                            id=rid,
                            case_id=case.id,
                            centre=HOME,
                            created_by="bench",
                            expires_at=until,
                            deeplink="https://diia.app/x",
                        )
                    )
                docs = {
                    t: passport_pdf(tmp / f"{n}-{t}.pdf", f"бенчмарк-{n}-{t}")
                    for t in TYPES[: args.docs]
                }
                parts = delivery(pki, rid, docs)
                files = [
                    (p.name, (p.filename or p.name, p.data, "application/octet-stream"))
                    for p in parts
                ]
                bodies.append((rid, files))
            t0 = time.perf_counter()
            for rid, files in bodies:
                r = http.post(
                    "/api/sharing/delivery",
                    files=files,
                    headers={"X-Document-Request-Trace-Id": rid},
                )
                assert r.status_code == 200 and r.json()["state"] == "archived", r.text
            endpoint = time.perf_counter() - t0
            want = args.deliveries * args.docs
            while True:
                with archive.db.session() as s:
                    done = s.scalar(
                        select(func.count())
                        .select_from(Document)
                        .where(Document.state == DocState.archived)
                    )
                if (done or 0) >= want:
                    break
                time.sleep(0.1)
            total = time.perf_counter() - t0
            rid, files = bodies[0]
            replay = http.post(
                "/api/sharing/delivery", files=files, headers={"X-Document-Request-Trace-Id": rid}
            )
            assert replay.json()["replay"] is True
    result: dict[str, Any] = {
        "deliveries": args.deliveries,
        "documents_per_delivery": args.docs,
        "endpoint_seconds": round(endpoint, 2),
        "endpoint_deliveries_per_second": round(args.deliveries / endpoint, 2),
        "archived_seconds": round(total, 2),
        "archived_deliveries_per_second": round(args.deliveries / total, 2),
        "archived_documents_per_second": round(want / total, 2),
    }
    if args.photo_pages > 0:
        from bench.ocr_quality import photo_vs_clean

        result["phone_photo_ocr"] = photo_vs_clean(args.photo_pages, jobs=2)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
