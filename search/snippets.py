"""Snippets: a short passage around the best match, matched words in ``<mark>``.

Works on the normalised page text kept by the index, for every backend. A
query word is looked for by its surface forms: a short regex finds words with
the forms' stems and each candidate must be one of the forms, whose index
terms the query matched, so only matching words are highlighted. The slow path
(analysing every token of the document) runs only when no form is found, e.g.
for words pymorphy3 had to guess or OCR garbled.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from search.morphology import UkrainianAnalyzer, default_analyzer
from search.query import ParsedQuery, QueryWord

SNIPPET_CHARS = 200
_LEAD_CHARS = 50  # context kept before the first highlighted word
_MAX_CANDIDATES = 500  # per page; enough to choose a window, bounded work
_ELLIPSIS = "…"
_NOT_WORD_RE = re.compile(r"[^\W_]")


def _escape(text: str) -> str:
    # Apostrophes stay readable (сім'я is everywhere in Ukrainian text); they
    # need no escaping in element content, and double quotes are escaped.
    return html.escape(text, quote=False).replace('"', "&quot;")


@dataclass(frozen=True, slots=True)
class _Hit:
    start: int
    end: int
    groups: frozenset[int]  # indexes of the query words this text matched


# Continues a word after its stem: letters, apostrophes between letters.
_WORD_TAIL = r"[^\W_]*(?:'[^\W_]+)*"
_HYPHEN_TAIL = r"(?:-[^\W_]+(?:'[^\W_]+)*)*"
_SHORT_END = r"(?![^\W_])(?!'[^\W_])"


def _common_prefix(words: Sequence[str]) -> str:
    first, last = min(words), max(words)
    size = 0
    while size < len(first) and first[size] == last[size]:
        size += 1
    return first[:size]


@lru_cache(maxsize=1024)
def _forms_regex(forms: frozenset[str]) -> re.Pattern[str] | None:
    """A short regex finding whole words that start like one of ``forms``.

    One common prefix per group of forms (послуг-а/и/у…) instead of every form:
    compiling an alternation of all forms costs ~1 ms a query in ``re``, this
    ~50 µs. Candidates are then checked against the exact forms.
    """
    stems: dict[str, list[str]] = {}
    short: list[str] = []
    for form in forms:
        if len(form) >= 3:
            stems.setdefault(form[:3], []).append(form)
        elif form:
            short.append(form)
    alternatives: list[str] = []
    if stems:
        prefixes = sorted(_common_prefix(group) for group in stems.values())
        tail = _WORD_TAIL + (_HYPHEN_TAIL if any("-" in f for f in forms) else "")
        alternatives.append("(?:" + "|".join(map(re.escape, prefixes)) + ")" + tail)
    if short:
        alternatives.append("(?:" + "|".join(map(re.escape, sorted(short))) + ")" + _SHORT_END)
    if not alternatives:
        return None
    return re.compile("|".join(alternatives))


def _starts_word(text: str, start: int) -> bool:
    # An apostrophe between letters belongs to the word (сім'я); a hyphen or a
    # dot does not (parts of Івано-Франківськ and 2026/00123 are tokens too).
    if start == 0:
        return True
    before = text[start - 1]
    if before.isalnum():
        return False
    return not (before == "'" and start >= 2 and text[start - 2].isalnum())


class SnippetBuilder:
    """Builds snippets for one parsed query (reuse it for every hit)."""

    def __init__(
        self,
        query: ParsedQuery,
        analyzer: UkrainianAnalyzer | None = None,
        width: int = SNIPPET_CHARS,
    ) -> None:
        self._analyzer = analyzer or default_analyzer()
        self._width = width
        self._words: list[QueryWord] = list(query.all_words())
        groups: dict[str, set[int]] = {}
        for index, word in enumerate(self._words):
            for form in word.forms:
                groups.setdefault(form, set()).add(index)
        self._form_groups = {form: frozenset(ids) for form, ids in groups.items()}
        self._regex = _forms_regex(frozenset(groups))
        # Phrases as sequences of word indexes (parts left out: the whole word
        # covers them in the text).
        self._phrases: list[list[int]] = []
        offset = len(query.words)
        for phrase in query.phrases:
            self._phrases.append([offset + i for i, w in enumerate(phrase) if not w.part])
            offset += len(phrase)

    def _groups(self, term: str) -> frozenset[int]:
        return frozenset(i for i, w in enumerate(self._words) if term in w.terms)

    def _fast_hits(self, page: str) -> list[_Hit]:
        if self._regex is None:
            return []
        lowered = page.lower()
        if len(lowered) != len(page):  # pragma: no cover - normalize() prevents it
            return []
        hits: list[_Hit] = []
        form_groups = self._form_groups
        for m in self._regex.finditer(lowered):
            groups = form_groups.get(m.group())
            if groups and _starts_word(lowered, m.start()):
                hits.append(_Hit(m.start(), m.end(), groups))
                if len(hits) >= _MAX_CANDIDATES:
                    break
        return hits

    def _slow_hits(self, page: str) -> list[_Hit]:
        hits: list[_Hit] = []
        last_end = -1
        for token in self._analyzer.tokenize(page):
            if token.start < last_end:
                continue  # a part inside a whole word that already matched
            groups = self._groups(token.term)
            if groups:
                hits.append(_Hit(token.start, token.end, groups))
                last_end = token.end
                if len(hits) >= _MAX_CANDIDATES:
                    break
        return hits

    def _phrase_count(self, page: str, hits: Sequence[_Hit]) -> int:
        count = 0
        for phrase in self._phrases:
            if len(phrase) < 2:
                continue
            for i in range(len(hits) - len(phrase) + 1):
                ok = True
                for k, group in enumerate(phrase):
                    hit = hits[i + k]
                    if group not in hit.groups:
                        ok = False
                        break
                    if k and _NOT_WORD_RE.search(page, hits[i + k - 1].end, hit.start):
                        ok = False
                        break
                if ok:
                    count += 1
        return count

    def _window(self, page: str, hits: Sequence[_Hit]) -> tuple[float, list[_Hit]]:
        """The best run of hits that fits in one snippet, and its score."""
        best_score, best = -1.0, list(hits[:1])
        end = 0
        for i, anchor in enumerate(hits):
            # Hits are sorted and disjoint: the window's last hit only moves right.
            limit = anchor.start + self._width - _LEAD_CHARS
            end = max(end, i + 1)
            while end < len(hits) and hits[end].end <= limit:
                end += 1
            inside = list(hits[i:end])
            groups = frozenset().union(*(h.groups for h in inside))
            score = 10.0 * len(groups) + len(inside)
            if self._phrases:
                score += 20.0 * self._phrase_count(page, inside)
            if score > best_score:
                best_score, best = score, inside
        return best_score, best

    def _render(self, page: str, hits: Sequence[_Hit]) -> str:
        first = hits[0].start if hits else 0
        start = max(0, first - _LEAD_CHARS)
        if start > 0:
            space = page.find(" ", start, first)
            start = space + 1 if space >= 0 else first
        end = min(len(page), start + self._width)
        if hits:
            end = max(end, hits[0].end)
        if end < len(page):
            space = page.rfind(" ", max(start, hits[-1].end if hits else start), end)
            if space > start:
                end = space
        out: list[str] = [_ELLIPSIS] if start > 0 else []
        pos = start
        for hit in hits:
            if hit.start < pos or hit.end > end:
                continue
            out.append(_escape(page[pos : hit.start]))
            out.append("<mark>" + _escape(page[hit.start : hit.end]) + "</mark>")
            pos = hit.end
        out.append(_escape(page[pos:end]))
        if end < len(page):
            out.append(_ELLIPSIS)
        return "".join(out).strip()

    def build(self, pages: Sequence[str], title: str | None = None) -> tuple[str, int | None]:
        """Snippet HTML and the 1-based page it comes from (None: from the title)."""
        found = self._search(pages, self._fast_hits) or self._search(pages, self._slow_hits)
        if found is not None:
            page_no, hits = found
            return self._render(pages[page_no], hits), page_no + 1
        if title:
            hits = self._fast_hits(title) or self._slow_hits(title)
            if hits:
                return self._render(title, self._window(title, hits)[1]), None
        return self.preview(pages)

    def _search(
        self, pages: Sequence[str], finder: Callable[[str], list[_Hit]]
    ) -> tuple[int, list[_Hit]] | None:
        best: tuple[float, int, list[_Hit]] | None = None
        everything = len(self._words)
        for page_no, page in enumerate(pages):
            hits = finder(page)
            if not hits:
                continue
            score, window = self._window(page, hits)
            if best is None or score > best[0]:
                best = (score, page_no, window)
                groups = frozenset().union(*(h.groups for h in window))
                if len(groups) == everything and not self._phrases:
                    break  # every word in one window: no later page can do better
        return None if best is None else (best[1], best[2])

    def preview(self, pages: Sequence[str]) -> tuple[str, int | None]:
        """The beginning of the first non-empty page (no query words to show)."""
        for page_no, page in enumerate(pages):
            if page:
                return self._render(page, []), page_no + 1
        return "", None


def make_snippet(
    query: ParsedQuery,
    pages: Sequence[str],
    title: str | None = None,
    analyzer: UkrainianAnalyzer | None = None,
) -> tuple[str, int | None]:
    """Snippet HTML and its 1-based page number for one document."""
    return SnippetBuilder(query, analyzer).build(pages, title)
