"""DejaVu fonts for the desk's PDF forms.

reportlab's built-in fonts have no Cyrillic glyphs, so every form embeds
DejaVu (Debian package ``fonts-dejavu-core``, installed by
``scripts/bootstrap.sh``).  ``CNAP_FONT_DIR`` points elsewhere when the fonts
live in a non-standard place.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

REGULAR = "DejaVuSans"
BOLD = "DejaVuSans-Bold"
MONO = "DejaVuSansMono"

_FILES = {
    REGULAR: "DejaVuSans.ttf",
    BOLD: "DejaVuSans-Bold.ttf",
    MONO: "DejaVuSansMono.ttf",
}

_SEARCH_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/TTF",
    "/usr/local/share/fonts",
    "/Library/Fonts",
)


class FontNotFoundError(RuntimeError):
    """The DejaVu TTF files needed for Ukrainian text are not installed."""


def _find(filename: str) -> Path:
    dirs = [os.environ["CNAP_FONT_DIR"]] if os.environ.get("CNAP_FONT_DIR") else []
    dirs.extend(_SEARCH_DIRS)
    for directory in dirs:
        candidate = Path(directory) / filename
        if candidate.is_file():
            return candidate
    raise FontNotFoundError(
        f"Шрифт {filename} не знайдено (встановіть пакет fonts-dejavu-core "
        f"або вкажіть каталог у CNAP_FONT_DIR); шукали в: {', '.join(dirs)}"
    )


@cache
def register_fonts() -> None:
    """Register DejaVu Sans (regular, bold, mono) with reportlab once per process."""
    for name, filename in _FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(_find(filename))))
    pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD)
