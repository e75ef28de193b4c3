"""Splitting a scanned batch into cases by their cover sheets.

An administrator stacks several packages, each under its own cover sheet, and
scans them in one go.  :func:`split_batch` walks the pages in order:

* a readable cover sheet starts a new segment (the sheet itself is not a
  document page);
* a blank page (a duplex back) is dropped and listed;
* any other page joins the current segment;
* pages before the first cover sheet are *leading pages*: reported, never
  attached to a case;
* a page that looks like a cover sheet but whose QR code cannot be read is a
  *suspect*: it ends the current segment, and the pages after it go to an
  unassigned group until the next readable cover sheet — they are never
  merged into the previous case.

Page indexes are 0-based positions in the batch; messages for people number
pages from 1.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

import pypdfium2 as pdfium
from PIL import Image, ImageSequence

from scanner.blank import analyse_blank
from scanner.cover_sheet import CoverSheet
from scanner.recognise import recognise_page

PageKind = Literal["cover", "suspect", "blank", "page"]

DEFAULT_DPI: Final = 200


@dataclass(frozen=True, slots=True)
class PageVerdict:
    """What one page of a batch is."""

    kind: PageKind
    sheet: CoverSheet | None = None
    reason: str = ""


@dataclass(slots=True)
class Segment:
    """One package of one case: its cover sheet and its document pages in order."""

    sheet: CoverSheet
    cover_page_index: int
    page_indexes: list[int] = field(default_factory=list)


@dataclass(slots=True)
class UnassignedGroup:
    """Pages that followed an unreadable cover sheet, up to the next readable one."""

    suspect_page_index: int
    reason: str
    page_indexes: list[int] = field(default_factory=list)


@dataclass(slots=True)
class BatchSplit:
    """The result of splitting a batch; every page index appears in exactly one place."""

    segments: list[Segment] = field(default_factory=list)
    leading_pages: list[int] = field(default_factory=list)
    suspect_pages: list[int] = field(default_factory=list)
    unassigned: list[UnassignedGroup] = field(default_factory=list)
    blank_pages: list[int] = field(default_factory=list)
    verdicts: list[PageVerdict] = field(default_factory=list)

    @property
    def is_clean(self) -> bool:
        """True when every non-blank page landed in a case and nothing needs a look."""
        return not (self.leading_pages or self.suspect_pages) and all(
            s.page_indexes for s in self.segments
        )

    def problems(self) -> list[str]:
        """What the administrator must look at, in Ukrainian."""
        messages: list[str] = []
        if self.leading_pages:
            messages.append(
                f"{_pages(self.leading_pages).capitalize()} відскановано до першого титульного "
                "аркуша — їх не додано до жодної справи."
            )
        for group in self.unassigned:
            tail = (
                f"{_pages(group.page_indexes)} після неї не додано до жодної справи"
                if group.page_indexes
                else "сторінок після неї до наступного титульного аркуша немає"
            )
            messages.append(
                f"Сторінка {group.suspect_page_index + 1} схожа на титульний аркуш, але його "
                f"не розпізнано ({group.reason}); {tail}."
            )
        seen: dict[CoverSheet, list[int]] = defaultdict(list)
        for segment in self.segments:
            seen[segment.sheet].append(segment.cover_page_index)
            if not segment.page_indexes:
                messages.append(
                    f"Справа № {segment.sheet.case_number} "
                    f"({segment.sheet.package_title.lower()}): після титульного аркуша "
                    f"(сторінка {segment.cover_page_index + 1}) немає жодної сторінки."
                )
        for sheet, covers in seen.items():
            if len(covers) > 1:
                messages.append(
                    f"Титульний аркуш справи № {sheet.case_number} "
                    f"({sheet.package_title.lower()}) трапляється кілька разів: "
                    f"{_pages(covers)}."
                )
        return messages


def _pages(indexes: list[int]) -> str:
    """«сторінка 3» / «сторінки 3–5, 8», 1-based, consecutive runs collapsed."""
    numbers = sorted(i + 1 for i in indexes)
    runs: list[str] = []
    start = prev = numbers[0]
    for n in [*numbers[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        runs.append(str(start) if start == prev else f"{start}–{prev}")
        if n is not None:
            start = prev = n
    word = "сторінка" if len(numbers) == 1 else "сторінки"
    return f"{word} {', '.join(runs)}"


def classify_page(image: Image.Image) -> PageVerdict:
    """Decide what one scanned page is (independent of its neighbours)."""
    # The blank test is cheaper than the QR cascade and a cover sheet is
    # never blank: its two black bands alone are ~57 cm² of ink.
    blank = analyse_blank(image)
    if blank.blank:
        return PageVerdict("blank", reason=blank.reason)
    verdict = recognise_page(image)
    if verdict.sheet is not None:
        return PageVerdict("cover", verdict.sheet, verdict.reason)
    if verdict.suspect:
        return PageVerdict("suspect", reason=verdict.reason)
    return PageVerdict("page", reason=blank.reason)


def assemble(verdicts: Iterable[PageVerdict], *, drop_blank: bool = True) -> BatchSplit:
    """Group classified pages into segments (see the module docstring for the rules).

    With ``drop_blank=False`` blank pages stay in their segment (and are still
    listed in ``blank_pages``).
    """
    result = BatchSplit()
    current: Segment | UnassignedGroup | None = None
    for index, verdict in enumerate(verdicts):
        result.verdicts.append(verdict)
        if verdict.kind == "cover":
            assert verdict.sheet is not None
            current = Segment(verdict.sheet, index)
            result.segments.append(current)
            continue
        if verdict.kind == "suspect":
            result.suspect_pages.append(index)
            current = UnassignedGroup(index, verdict.reason)
            result.unassigned.append(current)
            continue
        if verdict.kind == "blank":
            result.blank_pages.append(index)
            if drop_blank:
                continue
        if current is None:
            result.leading_pages.append(index)
        else:
            current.page_indexes.append(index)
    return result


def split_batch(pages: Iterable[Image.Image], *, drop_blank: bool = True) -> BatchSplit:
    """Split the pages of a scanned batch, in scan order, into cases."""
    return assemble((classify_page(page) for page in pages), drop_blank=drop_blank)


def iter_batch_pages(
    source: str | Path | bytes, *, dpi: int = DEFAULT_DPI, grayscale: bool = True
) -> Iterator[Image.Image]:
    """Pages of a scanned file one at a time: a PDF, a (multi-page) TIFF or any image.

    ``source`` is a path or the file's bytes (an upload, a hot-folder read).
    PDF pages are rendered at ``dpi``, grayscale by default: the splitter
    needs no colour, and a 200 dpi colour A4 page takes 11 MB.  Image files
    keep their own resolution and mode.
    """
    head = source[:1024] if isinstance(source, bytes) else _head(Path(source))
    if head.lstrip().startswith(b"%PDF"):
        pdf = pdfium.PdfDocument(source if isinstance(source, bytes) else str(source))
        try:
            for page in pdf:
                image = page.render(scale=dpi / 72, grayscale=grayscale).to_pil()
                image = image.convert("L" if grayscale else "RGB")
                image.info["dpi"] = (dpi, dpi)
                page.close()
                yield image
        finally:
            pdf.close()
        return
    opened = Image.open(io.BytesIO(source) if isinstance(source, bytes) else source)
    with opened as container:
        for frame in ImageSequence.Iterator(container):
            # Frames share the file object; copy before the next seek.
            image = frame.copy()
            if "dpi" in frame.info:
                image.info["dpi"] = frame.info["dpi"]
            yield image


def _head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(1024)


def load_batch_pages(
    source: str | Path | bytes, *, dpi: int = DEFAULT_DPI, grayscale: bool = True
) -> list[Image.Image]:
    """All pages of a scanned file (see :func:`iter_batch_pages`)."""
    return list(iter_batch_pages(source, dpi=dpi, grayscale=grayscale))
