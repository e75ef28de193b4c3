"""Ukrainian text analysis shared by every index backend.

Pure Python and deterministic, so the embedded (Tantivy) and the scale-out
(Elasticsearch) index hold the same terms for the same text.

Pipeline: :func:`normalize` (apostrophes, hyphens, line-break hyphenation,
whitespace) → :func:`tokenize` (words, hyphenated words, numbers and
identifiers, with character offsets) → one *index term* per token.

The index term of a word is the sorted set of its possible lemmas joined by
``|`` (``року`` → ``рік|рок``), because pymorphy3's Ukrainian dictionary has no
frequency data and its first parse is often wrong (``людина`` → ``людин``,
``рік`` → ``ріка``). A query word matches every term that shares a lemma with
it: :meth:`UkrainianAnalyzer.expand` lists those terms by generating the
lexemes of the query word's lemmas. This keeps one term per position (small
index, ordinary phrase queries) and still finds any inflection.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from functools import lru_cache
from importlib import metadata
from typing import Any, NamedTuple

import pymorphy3
from pymorphy3.units import DictionaryAnalyzer

# Bump when the output of the analysis changes: existing indexes must be rebuilt.
ANALYSIS_VERSION = 1

APOSTROPHE = "'"  # the form pymorphy3-dicts-uk uses (сім'я)
LEMMA_SEPARATOR = "|"
MAX_TERM_CHARS = 64  # longer "words" are OCR noise; dropping them keeps the term dictionary lean

# Parses that only describe archaic, slang or informal readings add noise
# (люди → "Люда"); they count only when a word has no other reading.
_MARGINAL_GRAMMEMES = frozenset({"Arch", "Infr", "Slng"})
_MAX_LEMMAS = 4
_MAX_GUESSES = 3


def _build_translation() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for ch in "\u2019\u02bc\u0060\u2018\u00b4\u2032\u02b9\uff07":
        table[ord(ch)] = APOSTROPHE
    for ch in "\u2010\u2011":  # typographic hyphens
        table[ord(ch)] = "-"
    # Invisible characters and stress marks would split or disguise words.
    for ch in "\u00ad\u200b\u200c\u200d\u2060\ufeff\u0301":
        table[ord(ch)] = None
    # "İ".lower() is two characters; keep lower-casing length-preserving.
    table[0x0130] = "I"
    for code in [*range(0x00, 0x20), 0x7F]:
        if chr(code) not in "\t\n\r\f\v":
            table[code] = " "
    return table


_TRANSLATION = _build_translation()
# str.translate with a dict costs ~50 ns a character; a regex that finds the
# rare characters to replace is ~15x faster on ordinary text.
_SPECIAL_RE = re.compile("[" + "".join(re.escape(chr(code)) for code in sorted(_TRANSLATION)) + "]")

# Latin letters that OCR puts into Cyrillic words (lower case, after lower()).
_HOMOGLYPHS = str.maketrans("aceiopxykmtbhï", "асеіорхукмтвнї")

# A token: letter/digit runs joined by single connectors. Connectors other than
# hyphen and apostrophe only bind runs that contain a digit (2026/00123,
# 12.03.2026, 10:30); between letters they are missing spaces (OCR) and split.
_TOKEN_RE = re.compile(r"[^\W_]+(?:[-'./:,\\_][^\W_]+)*")
_WORD_RE = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")
_HYPHEN_PART_RE = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_ALNUM_RE = re.compile(r"[^\W_]+")
_DIGIT_RE = re.compile(r"\d")
_CYRILLIC_RE = re.compile(r"[\u0400-\u04ff]")
_LATIN_RE = re.compile(r"[a-z]")
_LINE_HYPHEN_RE = re.compile(r"(?<=[^\W\d_])-[ \t]*\r?\n\s*(?=[^\W\d_])")
_SPACE_RE = re.compile(r"\s{2,}|[^\S ]")  # leaves single spaces alone (fast)


class Token(NamedTuple):
    """One index term with its place in the normalised text."""

    term: str
    start: int
    end: int
    part: bool  # a part of the hyphenated word or identifier just before it


class Expansion(NamedTuple):
    """What a query word matches: index terms, and surface forms for highlighting."""

    terms: frozenset[str]
    forms: frozenset[str]


def _join_line_hyphen(match: re.Match[str]) -> str:
    # "адміністра-\nтивних" is one word; "Івано-\nФранківськ" keeps its hyphen.
    after = match.string[match.end() : match.end() + 1]
    return "" if after.islower() else "-"


def _replace_special(match: re.Match[str]) -> str:
    return _TRANSLATION[ord(match.group())] or ""


def normalize(text: str) -> str:
    """Normalise text before storing or analysing it.

    Apostrophe variants become ``'``, typographic hyphens ``-``, words
    hyphenated at a line break are joined, invisible characters and stress marks
    are removed and whitespace is collapsed to single spaces. Idempotent.
    """
    if _SPECIAL_RE.search(text):
        text = _SPECIAL_RE.sub(_replace_special, text)
    if "-" in text:
        text = _LINE_HYPHEN_RE.sub(_join_line_hyphen, text)
    return _SPACE_RE.sub(" ", text).strip()


def _is_dictionary_parse(parse: Any) -> bool:
    return isinstance(parse.methods_stack[0][0], DictionaryAnalyzer)


def _dictionary_version() -> str:
    try:
        return metadata.version("pymorphy3-dicts-uk")
    except metadata.PackageNotFoundError:  # pragma: no cover - installed with pymorphy3
        return "unknown"


class UkrainianAnalyzer:
    """Tokeniser and lemmatiser with per-instance caches (thread-safe)."""

    def __init__(self, cache_size: int = 200_000, expansion_cache_size: int = 20_000) -> None:
        self._morph: Any = None
        self._morph_lock = threading.Lock()
        # Caches keyed by the surface form: a million pages repeat a few
        # hundred thousand distinct words, and pymorphy3 costs 20–250 µs a word.
        self._word_term = lru_cache(maxsize=cache_size)(self._compute_word_term)
        self._expand = lru_cache(maxsize=expansion_cache_size)(self._compute_expansion)

    @property
    def version(self) -> str:
        """Identifies the analysis; an index built with another one needs a rebuild."""
        morph = pymorphy3.__version__
        return f"uk-{ANALYSIS_VERSION}/pymorphy3-{morph}/dicts-{_dictionary_version()}"

    def clear_caches(self) -> None:
        """Drop cached analyses (benchmarks use it to measure a cold process)."""
        self._word_term.cache_clear()
        self._expand.cache_clear()

    def _analyzer(self) -> Any:
        if self._morph is None:
            with self._morph_lock:
                if self._morph is None:
                    self._morph = pymorphy3.MorphAnalyzer(lang="uk")
        return self._morph

    # -- words -------------------------------------------------------------

    def lemmas(self, word: str) -> tuple[str, ...]:
        """Possible lemmas of one word (any case), sorted."""
        return tuple(self.term(word).split(LEMMA_SEPARATOR))

    def term(self, unit: str) -> str:
        """The index term of one token as it appears in normalised text."""
        if _DIGIT_RE.search(unit):
            return unit.lower()
        return self._word_term(unit)

    def _compute_word_term(self, raw: str) -> str:
        word = raw.lower()
        if word != raw:
            # "Заява" at a sentence start: analyse (and cache) "заява" once.
            return self._word_term(word)
        has_cyrillic = _CYRILLIC_RE.search(word) is not None
        if has_cyrillic and _LATIN_RE.search(word):
            word = word.translate(_HOMOGLYPHS)
        if not has_cyrillic:
            return word  # Latin or other scripts: no Ukrainian morphology to apply
        return LEMMA_SEPARATOR.join(self._lemma_set(word))

    def _lemma_set(self, word: str) -> list[str]:
        parses = self._analyzer().parse(word)
        known = [p for p in parses if _is_dictionary_parse(p)]
        if known:
            chosen = [p for p in known if not (p.tag.grammemes & _MARGINAL_GRAMMEMES)] or known
        else:
            chosen = parses[:_MAX_GUESSES]
        lemmas: list[str] = []
        for parse in chosen:
            lemma = parse.normal_form.replace(LEMMA_SEPARATOR, "")
            if lemma and lemma not in lemmas:
                lemmas.append(lemma)
            if len(lemmas) == _MAX_LEMMAS:
                break
        return sorted(lemmas) or [word]

    def expand(self, unit: str) -> Expansion:
        """Index terms (and their surface forms) that a query word matches.

        A term matches when it shares a lemma with the word, so ``послуга``
        matches ``послуг`` and ``рік`` matches ``року``. A word typed in its
        dictionary form stands for that lemma only.
        """
        if _DIGIT_RE.search(unit):
            low = unit.lower()
            return Expansion(frozenset({low}), frozenset({low}))
        return self._expand(unit.lower())

    def _compute_expansion(self, word: str) -> Expansion:
        own = self._word_term(word)
        if not _CYRILLIC_RE.search(word):
            return Expansion(frozenset({own}), frozenset({word}))
        surface = word.translate(_HOMOGLYPHS)
        lemmas = set(own.split(LEMMA_SEPARATOR))
        if surface in lemmas:
            # A dictionary form was typed: "рік" means the year, not the
            # genitive plural of "ріка"; "людина" is not the adjective "людин".
            lemmas = {surface}
        terms = {own}
        forms = {surface}
        morph = self._analyzer()
        for lemma in sorted(lemmas):
            for parse in morph.parse(lemma):
                if parse.normal_form != lemma:
                    continue
                for form in parse.lexeme:
                    other = form.word
                    if other in forms:
                        continue
                    term = self._word_term(other)
                    if lemmas.intersection(term.split(LEMMA_SEPARATOR)):
                        terms.add(term)
                        forms.add(other)
        return Expansion(frozenset(terms), frozenset(forms))

    # -- text ----------------------------------------------------------------

    def _compound(self, raw: str) -> Iterator[tuple[str, int, int, bool]]:
        """Terms of a token with connectors or digits: (term, start, end, part)."""
        if _DIGIT_RE.search(raw):
            if len(raw) <= MAX_TERM_CHARS:
                yield raw.lower(), 0, len(raw), False
            if len(raw) > 1 and _ALNUM_RE.fullmatch(raw) is None:
                for m in _ALNUM_RE.finditer(raw):
                    unit = m.group()
                    if len(unit) <= MAX_TERM_CHARS:
                        yield self.term(unit), m.start(), m.end(), True
            return
        for m in _WORD_RE.finditer(raw):
            word = m.group()
            if len(word) <= MAX_TERM_CHARS:
                yield self._word_term(word), m.start(), m.end(), False
            if "-" in word:
                for p in _HYPHEN_PART_RE.finditer(word):
                    if p.end() - p.start() <= MAX_TERM_CHARS:
                        yield (
                            self._word_term(p.group()),
                            m.start() + p.start(),
                            m.start() + p.end(),
                            True,
                        )

    def tokenize(self, text: str) -> list[Token]:
        """Tokens of *normalised* text with character offsets into it.

        A hyphenated word or an identifier yields its whole form first, then
        its parts (``будь-який`` → будь-який, будь, який; ``2026/00123`` →
        2026/00123, 2026, 00123), so a search for a part finds it too.
        """
        tokens: list[Token] = []
        append = tokens.append
        for m in _TOKEN_RE.finditer(text):
            raw = m.group()
            if raw.isalpha():
                if len(raw) <= MAX_TERM_CHARS:
                    append(Token(self._word_term(raw), m.start(), m.end(), False))
                continue
            base = m.start()
            for term, start, end, part in self._compound(raw):
                append(Token(term, base + start, base + end, part))
        return tokens

    def analyze_normalized(self, text: str) -> list[str]:
        """Index terms of already normalised text (same order as :meth:`tokenize`)."""
        terms: list[str] = []
        append = terms.append
        word_term = self._word_term
        for raw in _TOKEN_RE.findall(text):
            if raw.isalpha():  # the common case: a plain word
                if len(raw) <= MAX_TERM_CHARS:
                    append(word_term(raw))
            else:
                terms.extend(t[0] for t in self._compound(raw))
        return terms

    def analyze(self, text: str) -> list[str]:
        """Index terms of any text: what is indexed for a page, in order."""
        return self.analyze_normalized(normalize(text))


_default: UkrainianAnalyzer | None = None
_default_lock = threading.Lock()


def default_analyzer() -> UkrainianAnalyzer:
    """The process-wide analyzer (its caches are shared by every index)."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = UkrainianAnalyzer()
    return _default


def analyze(text: str) -> list[str]:
    """Index terms of ``text`` (lemmas; see the module docstring)."""
    return default_analyzer().analyze(text)


def tokenize(text: str) -> list[Token]:
    """Tokens of normalised ``text`` with character offsets."""
    return default_analyzer().tokenize(text)


def expand(word: str) -> Expansion:
    """Index terms a query word matches (any inflection)."""
    return default_analyzer().expand(word)
