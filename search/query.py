"""The user's query syntax, parsed into lemma terms (shared by every backend).

Syntax: words in any inflection, all required; ``"exact phrases"`` in double
quotes (straight, typographic or «guillemets»), also required. Everything else
is plain text: ``: ( ) * + - AND OR`` have no special meaning, and a quote left
open is ignored (its words count as ordinary words). Parsing never fails.

One filter is written in the text: ``type:<code|label|group>`` (``тип:`` too),
the value a word or a "quoted label". :func:`split_type_filters` takes them
out; the caller resolves the values to type codes (the vocabulary belongs to
metadata extraction, not to the index) and passes them as ``doc_types``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from search.morphology import UkrainianAnalyzer, default_analyzer, normalize

MAX_QUERY_CHARS = 1000
MAX_CLAUSES = 32  # words + phrases; bounds the work a single request can cause
MAX_PHRASE_WORDS = 32

_QUOTES = str.maketrans(dict.fromkeys("“”„«»‟″＂", '"'))
# ``type:`` at the start of a word, then a "quoted value" or one word.
_TYPE_FILTER = re.compile(r'(?<!\S)(?:type|тип):(?:"([^"]*)"|(\S+))', re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class QueryWord:
    """One word of the query and the index terms it matches."""

    text: str  # normalised surface form as typed (never logged: may be personal data)
    terms: frozenset[str]
    forms: frozenset[str]  # lower-case surface forms, to find the word in page text
    part: bool = False  # part of a hyphenated word or identifier (inside phrases only)


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """Required words and required phrases; empty when nothing searchable was typed."""

    words: tuple[QueryWord, ...] = ()
    phrases: tuple[tuple[QueryWord, ...], ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.words and not self.phrases

    def all_words(self) -> Iterator[QueryWord]:
        """Every word of the query, phrase words included (for highlighting)."""
        yield from self.words
        for phrase in self.phrases:
            yield from phrase


def _query_words(text: str, analyzer: UkrainianAnalyzer) -> list[QueryWord]:
    normalized = normalize(text)
    words: list[QueryWord] = []
    for token in analyzer.tokenize(normalized):
        surface = normalized[token.start : token.end]
        expansion = analyzer.expand(surface)
        # Keep the token's own term even if the expansion were to miss it, so a
        # query always matches the text it was copied from.
        terms = expansion.terms | {token.term}
        words.append(QueryWord(surface, terms, expansion.forms, token.part))
    return words


def parse_query(text: str, analyzer: UkrainianAnalyzer | None = None) -> ParsedQuery:
    """Parse user input; never raises, whatever the input."""
    analyzer = analyzer or default_analyzer()
    segments = text[:MAX_QUERY_CHARS].translate(_QUOTES).split('"')
    if len(segments) % 2 == 0:
        # An odd number of quotes: the text after the unmatched one is plain words.
        tail = segments.pop()
        segments[-1] += " " + tail
    words: list[QueryWord] = []
    seen: set[frozenset[str]] = set()
    phrases: list[tuple[QueryWord, ...]] = []
    for index, segment in enumerate(segments):
        found = _query_words(segment, analyzer)
        if index % 2 == 1 and len(found) > 1:
            phrases.append(tuple(found[:MAX_PHRASE_WORDS]))
            continue
        for word in found:
            # A part is implied by its whole word (2026/00123 contains 2026).
            if not word.part and word.terms not in seen:
                seen.add(word.terms)
                words.append(word)
    budget = MAX_CLAUSES
    phrases = phrases[:budget]
    words = words[: max(0, budget - len(phrases))]
    return ParsedQuery(tuple(words), tuple(phrases))


def split_type_filters(text: str) -> tuple[str, list[str]]:
    """The text without its ``type:`` filters, and the filters' values as typed."""
    values: list[str] = []

    def take(match: re.Match[str]) -> str:
        value = (match.group(1) if match.group(1) is not None else match.group(2)).strip()
        if value:
            values.append(value)
        return " "

    rest = _TYPE_FILTER.sub(take, text[:MAX_QUERY_CHARS].translate(_QUOTES))
    return " ".join(rest.split()), values
