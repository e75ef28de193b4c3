"""Scanning through SANE's ``test`` backend (a real driver, Debian ``sane-utils``)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from scanner.sane import (
    SaneError,
    ScanOptions,
    device_options,
    join_tiff,
    list_devices,
    pick_source,
    scan,
)
from tests.desk.cli import cli

pytestmark = pytest.mark.skipif(shutil.which("scanimage") is None, reason="needs sane-utils")

FEEDER = "Automatic Document Feeder"


@pytest.fixture(scope="module")
def sane_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """SANE configured to load only its ``test`` backend (no system changes)."""
    conf = tmp_path_factory.mktemp("sane.d")
    (conf / "dll.conf").write_text("test\n")
    system = Path("/etc/sane.d/test.conf")
    if system.exists():
        shutil.copy(system, conf / "test.conf")
    env = {**os.environ, "SANE_CONFIG_DIR": str(conf)}
    old = os.environ.get("SANE_CONFIG_DIR")
    os.environ["SANE_CONFIG_DIR"] = str(conf)
    yield env
    if old is None:
        os.environ.pop("SANE_CONFIG_DIR", None)
    else:
        os.environ["SANE_CONFIG_DIR"] = old


def test_devices_and_sources(sane_env: dict[str, str]) -> None:
    assert "test:0" in [d.name for d in list_devices(sane_env)]
    options = device_options("test:0", sane_env)
    assert FEEDER in options["--source"]
    assert pick_source(options, adf=True, duplex=False) == ["--source", FEEDER]
    assert pick_source(options, adf=False, duplex=False) == []
    with pytest.raises(SaneError, match="двобічне"):  # the test driver has no duplex unit
        pick_source(options, adf=False, duplex=True)
    # Drivers that name a duplex source, or a separate ADF mode, are understood.
    assert pick_source(
        {"--source": ["Flatbed", "ADF Front", "ADF Duplex"]}, adf=False, duplex=True
    ) == ["--source", "ADF Duplex"]
    assert pick_source(
        {"--source": ["Flatbed", "ADF"], "--adf-mode": ["Simplex", "Duplex"]}, adf=True, duplex=True
    ) == ["--source", "ADF", "--adf-mode", "Duplex"]


def test_feeder_batch_until_empty_and_flatbed_one_page(
    sane_env: dict[str, str], tmp_path: Path
) -> None:
    opts = ScanOptions(
        device="test:0", resolution=50, mode="Gray", adf=True, extra=["--test-picture", "Grid"]
    )
    result = scan(opts, tmp_path / "feeder", env=sane_env, timeout=120)
    # The test driver's feeder holds ten sheets.
    assert len(result.pages) == 10 and result.source == FEEDER
    joined = join_tiff(result.pages, tmp_path / "batch.tif")
    with Image.open(joined) as img:
        assert img.n_frames == 10
    flat = scan(ScanOptions(device="test:0", resolution=50), tmp_path / "flat", env=sane_env)
    assert len(flat.pages) == 1
    capped = scan(
        ScanOptions(device="test:0", resolution=50, adf=True, pages=3),
        tmp_path / "capped",
        env=sane_env,
    )
    assert len(capped.pages) == 3
    with pytest.raises(SaneError):
        scan(ScanOptions(device="nosuch:0", resolution=50), tmp_path / "none", env=sane_env)


def test_scan_command_archives_the_batch(sane_env: dict[str, str], tmp_path: Path) -> None:
    data = tmp_path / "data"
    run = cli(
        data,
        "scan",
        "--device",
        "test:0",
        "--adf",
        "--pages",
        "2",
        "--resolution",
        "50",
        "--option",
        "--test-picture=Grid",
        "--json",
        env={"SANE_CONFIG_DIR": sane_env["SANE_CONFIG_DIR"]},
    )
    # Grid pages with no cover sheet in front: kept, held for the administrator, reported.
    assert run.returncode == 3, run.stdout + run.stderr
    report = json.loads(run.stdout)
    assert report["pages"] == 2
    assert [(p["state"], p["code"], p["pages"]) for p in report["parts"]] == [
        ("held", "leading_pages", [1, 2])
    ]
    held = json.loads(cli(data, "batch", "held", "--json").stdout)
    assert [h["part_id"] for h in held] == [report["parts"][0]["part_id"]]
    run = cli(
        data,
        "scan",
        "--device",
        "test:0",
        "--duplex",
        "--resolution",
        "50",
        env={"SANE_CONFIG_DIR": sane_env["SANE_CONFIG_DIR"]},
    )
    assert run.returncode == 1 and "двобічне" in run.stderr
