"""Shared fixtures: cover sheets rendered once per test session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from scanner.cover_sheet import CoverSheet
from tests.scanner import paper

SHEET_A = CoverSheet("01-23/2024-000123", "input", "LV-CNAP-01")
SHEET_B = CoverSheet("Вх-7781/25", "output", "ЦНАП Стрийської міської ради")
SHEET_C = CoverSheet("2025/ТП-3/00042", "input", "ВРМ с. Бірки")


@pytest.fixture(scope="session")
def cover_image(tmp_path_factory: pytest.TempPathFactory) -> Callable[[CoverSheet], Image.Image]:
    """A clean 300 dpi raster of the printed cover sheet, cached per sheet."""
    directory: Path = tmp_path_factory.mktemp("covers")
    cache: dict[CoverSheet, Image.Image] = {}

    def get(sheet: CoverSheet) -> Image.Image:
        if sheet not in cache:
            cache[sheet] = paper.cover_sheet_image(sheet, directory)
        image = cache[sheet].copy()
        image.info["dpi"] = (paper.DPI, paper.DPI)
        return image

    return get
