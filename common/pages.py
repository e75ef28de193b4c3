"""Text of archived pages, with word boxes, as the pipeline hands it on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Word:
    """One recognised word and its box.

    Coordinates are fractions (0..1) of the page's width and height with the
    origin at the top-left corner, so they do not depend on resolution and can
    be drawn on a rendering of any size (redaction boxes, highlighting).
    """

    text: str
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass(slots=True)
class PageText:
    """The text of one page of a document (1-based number)."""

    number: int
    text: str
    words: list[Word] = field(default_factory=list)
    # True when the text came from OCR, False when the page was born digital.
    ocr: bool = True


def word_rows(words: Sequence[Word]) -> list[list[str | float]]:
    """How a page's words are stored (the ``pages.words`` JSON column): one row per word."""
    return [[w.text, w.x0, w.y0, w.x1, w.y1] for w in words]
