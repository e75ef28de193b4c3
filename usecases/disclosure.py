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
from archive.findings import DocumentFinding, StoredIdentifier
from archive.models import Page
from common.pages import PageText, Word
from pii import BULLET, detect, mask_text

# Eight or more digits, possibly grouped by spaces or dashes (phones, accounts).
_DIGIT_RUN = re.compile(r"\d(?:[ \u00a0\-]?\d){7,}")
_MARK = re.compile(r"</?mark>")
_NOT_WORD = re.compile(r"[\W_]")


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


@dataclass(frozen=True, slots=True)
class KnownName:
    """A person's name the archive knows belongs with a document, without a position.

    The applicant of the case record (which the archive's own forms print as
    «Суб'єкт звернення») and every name found in the document: each of its
    words is masked wherever it stands, also cut off from its label in a
    snippet or inflected ("Шевченка Тараса").
    """

    value: str
    kind: str = "name"
    page: int | None = None
    char_start: int | None = None
    char_end: int | None = None
    boxes: tuple[tuple[float, float, float, float], ...] = ()
    source: str = "case"

    @property
    def start(self) -> int:
        return 0

    @property
    def end(self) -> int:
        return 0


Finding = DocumentFinding | KnownName
# What names are taken from (kind and value only): search hits carry StoredIdentifier rows.
Named = Finding | StoredIdentifier


def case_names(applicant: str | None) -> list[KnownName]:
    """The case record's applicant as a known name (nothing for an empty record)."""
    value = " ".join((applicant or "").split())
    return [KnownName(value)] if len(value) >= 3 else []


def _stem(word: str) -> str:
    # Ukrainian names inflect at the end: "Шевченко" → "Шевченка", "Тарас" → "Тараса".
    keep = len(word) - 2 if len(word) > 5 else len(word) - 1
    return word[: max(3, keep)]


def name_patterns(stored: Iterable[Named]) -> list[re.Pattern[str]]:
    """One pattern per word of every known name (words of 3+ letters)."""
    stems: set[str] = set()
    for f in stored:
        if f.kind != "name" or not f.value:
            continue
        for word in re.findall(r"[^\W\d_]+(?:['’ʼ][^\W\d_]+)?", f.value):
            if len(word) >= 3:
                stems.add(_stem(word))
    return [
        re.compile(rf"(?<![^\W\d_]){re.escape(stem)}[^\W\d_'’ʼ]*", re.IGNORECASE)
        for stem in sorted(stems, key=len, reverse=True)
    ]


def _name_spans(text: str, patterns: Sequence[re.Pattern[str]]) -> list[_Span]:
    return [_Span("name", m.start(), m.end()) for p in patterns for m in p.finditer(text)]


def mask_name_words(text: str, stored: Iterable[Finding]) -> str:
    """``text`` with every word of a known name masked (file names, case views)."""
    spans = _name_spans(text, name_patterns(stored))
    spans.extend(_Span(f.kind, f.start, f.end) for f in detect([PageText(1, text)]))
    return _generic(mask_text(text, spans))


def mask_filename(name: str, stored: Iterable[Finding]) -> str:
    """A file name shown below full access: identifiers and known names masked."""
    stem, dot, ext = name.rpartition(".")
    if not dot or len(ext) > 8 or not stem:
        stem, ext, dot = name, "", ""
    spaced = re.sub(r"[_+]", " ", stem)
    masked = mask_name_words(spaced, stored)
    # Back to the original separators where nothing was masked.
    out = "".join(o if m == " " and o in "_+" else m for o, m in zip(stem, masked, strict=False))
    if len(masked) != len(stem):
        out = masked
    return f"{out}{dot}{ext}"


def _generic(text: str) -> str:
    return _DIGIT_RUN.sub(lambda m: re.sub(r"\d", BULLET, m.group()), text)


def mask_page(page: Page, stored: Iterable[Finding]) -> str:
    """The page text with every identifier, and every word of a known name, masked."""
    text = page.text or ""
    stored = list(stored)
    spans: list[_Span] = [_Span(f.kind, f.start, f.end) for f in stored if f.char_end is not None]
    spans.extend(_name_spans(text, name_patterns(stored)))
    live = detect([PageText(page.number, text, _words(page))])
    spans.extend(_Span(f.kind, f.start, f.end) for f in live)
    return _generic(mask_text(text, spans))


def mask_snippet(snippet: str, known: Sequence[str] = (), names: Iterable[Named] = ()) -> str:
    """A search snippet (escaped text with ``<mark>``) with identifiers masked.

    ``names``: findings whose names are masked word by word, so a name cut
    off from its label by the snippet's edge is masked too.
    """
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
    spans.extend(_name_spans(plain, name_patterns(names)))
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
    pages: Iterable[Page], stored: Iterable[Finding]
) -> dict[int, list[list[float]]]:
    """Boxes to paint black, per page number."""
    stored = list(stored)
    patterns = name_patterns(stored)
    boxes: dict[int, list[list[float]]] = {}
    for f in stored:
        if f.page is not None:
            boxes.setdefault(f.page, []).extend([list(map(float, b)) for b in f.boxes or []])
    for page in pages:
        words = _words(page)
        for live in detect([PageText(page.number, page.text or "", words)]):
            boxes.setdefault(page.number, []).extend([list(b) for b in live.boxes])
        for w in words:
            if _DIGIT_RUN.search(w.text) or any(p.search(w.text) for p in patterns):
                boxes.setdefault(page.number, []).append([w.x0, w.y0, w.x1, w.y1])
    return boxes


def exposures(findings: Iterable[DocumentFinding]) -> list[Exposure]:
    """The identifiers a full view shows, as the access log records them."""
    return [Exposure(f.kind, f.masked, f.ref) for f in findings]


def snippet_exposures(
    snippet: str, findings: Iterable[DocumentFinding | StoredIdentifier]
) -> list[Exposure]:
    """Identifiers of a document that an unmasked snippet shows."""
    findings = list(findings)
    if not findings:  # a document without identifiers: nothing to look for
        return []
    plain = html.unescape(_MARK.sub("", snippet))
    squeezed = _NOT_WORD.sub("", plain).lower()
    out = []
    for f in findings:
        value = _NOT_WORD.sub("", f.value).lower()
        if f.kind == "phone" and value.startswith("380"):
            value = value[2:]  # written 0XX… on forms
        if value and value in squeezed:
            out.append(Exposure(f.kind, f.masked, f.ref))
    return out
