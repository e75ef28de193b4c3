"""The transfer package: a valid BagIt bag with the files, METS + PREMIS and the inventory."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import bagit
import pytest

from retention.bag import METS, PREMIS
from tests.retention.conftest import Centre, make_case
from usecases import retention as uc

D = dt.date


def _transferred(c: Centre) -> tuple[list[str], str]:
    numbers = [
        make_case(c, i, registered=D(2026, 1, 5), ready=D(2026, 1, 31), contact=None)
        for i in range(3)
    ]
    uc.fixity_check(c.ctx())  # recorded, so the METS carries fixity events too
    plan = uc.draft_plan(c.ctx(), as_of=D(2026, 5, 4))
    uc.approve_plan(c.ctx(), number=plan.number, decision="ЕК-9", date=D(2026, 5, 4))
    rep = uc.apply_plan(c.ctx(), number=plan.number)
    assert rep["by_action"] == {"transfer": 3} and rep["bag"]
    return numbers, str(rep["bag"])


def test_bag_is_valid_and_complete(centre: Centre, tmp_path: Path) -> None:
    numbers, where = _transferred(centre)
    path = Path(where)
    bag = bagit.Bag(str(path))
    bag.validate()  # every payload checksum and the tag manifest
    assert (path / "manifest-sha256.txt").exists() and (path / "tagmanifest-sha256.txt").exists()
    assert bag.info["Source-Organization"] == centre.archive.settings.centre
    assert bag.info["Payload-Cases"] == "3"
    payload = sorted(bag.payload_files())
    assert "data/METS.xml" in payload and "data/опис-справ.csv" in payload
    # The rule moves the uncollected output package: one document per case.
    assert len([p for p in payload if p.startswith("data/objects/")]) == 3

    mets = ET.parse(path / "data" / "METS.xml").getroot()
    kinds = [e.text for e in mets.iter(f"{{{PREMIS}}}eventType")]
    assert {"ingestion", "fixity check", "transfer"} <= set(kinds)
    files = list(mets.iter(f"{{{METS}}}file"))
    assert len(files) == 3 and all(f.get("CHECKSUMTYPE") == "SHA-256" for f in files)
    labels = [d.get("LABEL") for d in mets.iter(f"{{{METS}}}div") if d.get("TYPE") == "case"]
    assert labels == numbers

    rows = list(csv.reader(io.StringIO((path / "data" / "опис-справ.csv").read_text("utf-8-sig"))))
    assert rows[0][:3] == ["№ з/п", "Індекс справи", "Заголовок справи"]
    assert [r[1] for r in rows[1:]] == ["01-06"] * 3

    # A re-run finds the bag done; a damaged payload file fails validation.
    again = uc.apply_plan(centre.ctx(), number=1)
    assert again["bag"] == where and again["done"] == 0
    victim = next((path / "data" / "objects").rglob("*.pdf"))
    victim.write_bytes(b"tampered")
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(path)).validate()


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils")
def test_inventory_pdf_text(centre: Centre) -> None:
    numbers, where = _transferred(centre)
    pdf = Path(where) / "data" / "опис-справ.pdf"
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, check=True, text=True
    ).stdout
    text = " ".join(text.split())
    assert "ОПИС СПРАВ № 1" in text
    assert "Заголовок справи" in text and "Кількість" in text and "Строк зберігання" in text
    assert all(n in text for n in numbers)
    assert "У цей опис внесено 3 справ" in text
