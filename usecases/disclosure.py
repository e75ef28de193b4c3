"""What a user is shown of a document at the level the policy granted.

At ``MASKED`` level, identifiers are masked in text and snippets and covered
in page images and PDFs. Three nets are used, because a missed identifier is
a leak while an extra bullet is only a nuisance: the findings stored at
ingest, the detector run again on what is about to be shown (it also catches
documents archived before detection existed), and a blunt rule that hides
any run of eight or more digits.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from archive.audit import Exposure
from archive.findings import DocumentFinding
from archive.models import Page
from common.pages import PageText, Word
from pii import BULLET, detect, mask_text

# Eight or more digits, possibly grouped by spaces or dashes (phones, accounts).
_DIGIT_RUN = re.compile(r"\d(?:[ \u00a0\-]?\d){7,}")
_MARK = re.compile(r"</?mark>")


@dataclass(frozen=True, slots=True)
class _Span:
    kind: str
    start: int
    end: int


def _words(page: Page) -> list[Word]:
    out: list[Word] = []
    for w in page.words or []:
        try:
            out.append(Word(str(w[0]), float(w[1]), float(w[2]), float(w[3]), float(w[4])))
        except (IndexError, TypeError, ValueError):
            continue
    return out


def _generic(text: str) -> str:
    return _DIGIT_RUN.sub(lambda m: re.sub(r"\d", BULLET, m.group()), text)


def mask_page(page: Page, stored: Iterable[DocumentFinding]) -> str:
    """The page text with every identifier masked."""
    text = page.text or ""
    spans: list[_Span] = [_Span(f.kind, f.start, f.end) for f in stored if f.char_end is not None]
    live = detect([PageText(page.number, text, _words(page))])
    spans.extend(_Span(f.kind, f.start, f.end) for f in live)
    return _generic(mask_text(text, spans))


def mask_snippet(snippet: str, known: Sequence[str] = ()) -> str:
    """A search snippet (escaped text with ``<mark>``) with identifiers masked."""
    plain_parts: list[str] = []
    marks: list[tuple[int, str]] = []
    pos = 0
    length = 0
    for m in _MARK.finditer(snippet):
        chunk = html.unescape(snippet[pos : m.start()])
        plain_parts.append(chunk)
        length += len(chunk)
        marks.append((length, m.group()))
        pos = m.end()
    tail = html.unescape(snippet[pos:])
    plain_parts.append(tail)
    plain = "".join(plain_parts)
    spans = [_Span(f.kind, f.start, f.end) for f in detect([PageText(1, plain)])]
    for value in known:
        if not value:
            continue
        for km in re.finditer(re.escape(value), plain):
            spans.append(_Span("other", km.start(), km.end()))
    masked = _generic(mask_text(plain, spans))
    if len(masked) != len(plain):
        return html.escape(masked, quote=False)
    out: list[str] = []
    prev = 0
    for at, tag in marks:
        out.append(html.escape(masked[prev:at], quote=False))
        out.append(tag)
        prev = at
    out.append(html.escape(masked[prev:], quote=False))
    return "".join(out)


def redaction_boxes(
    pages: Iterable[Page], stored: Iterable[DocumentFinding]
) -> dict[int, list[list[float]]]:
    """Boxes to paint black, per page number."""
    boxes: dict[int, list[list[float]]] = {}
    for f in stored:
        if f.page is not None:
            boxes.setdefault(f.page, []).extend([list(map(float, b)) for b in f.boxes or []])
    for page in pages:
        words = _words(page)
        for live in detect([PageText(page.number, page.text or "", words)]):
            boxes.setdefault(page.number, []).extend([list(b) for b in live.boxes])
        for w in words:
            if _DIGIT_RUN.search(w.text):
                boxes.setdefault(page.number, []).append([w.x0, w.y0, w.x1, w.y1])
    return boxes


def exposures(findings: Iterable[DocumentFinding]) -> list[Exposure]:
    """The identifiers a full view shows, as the access log records them."""
    return [Exposure(f.kind, f.masked, f.ref) for f in findings]


def snippet_exposures(snippet: str, findings: Iterable[DocumentFinding]) -> list[Exposure]:
    """Identifiers of a document that an unmasked snippet shows."""
    plain = html.unescape(_MARK.sub("", snippet))
    squeezed = re.sub(r"[\W_]", "", plain).lower()
    out = []
    for f in findings:
        value = re.sub(r"[\W_]", "", f.value).lower()
        if f.kind == "phone" and value.startswith("380"):
            value = value[2:]  # written 0XX… on forms
        if value and value in squeezed:
            out.append(Exposure(f.kind, f.masked, f.ref))
    return out
