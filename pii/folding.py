"""Length-preserving views of page text used by the detector.

Every view maps one character to exactly one character, so an offset found in
a view is the same offset in the original page text; the detector searches the
views and reports spans of the original.
"""

from __future__ import annotations

from .validators import CYRILLIC_TO_LATIN, LATIN_TO_CYRILLIC

# OCR confusions inside digit runs. A reading corrected through this table is
# only accepted where a check digit confirms it (РНОКПП, ЄДРПОУ, IBAN).
_DIGIT_CONFUSIONS = {
    "О": "0", "о": "0", "O": "0", "o": "0",  # Cyrillic and Latin O
    "І": "1", "I": "1", "l": "1", "|": "1",
    "З": "3", "з": "3",
    "Б": "6", "б": "6",
    "S": "5",
    "B": "8", "В": "8",  # Latin and Cyrillic B
}  # fmt: skip
DIGIT_FOLD = str.maketrans(_DIGIT_CONFUSIONS)

# Characters that are confusions, for counting corrections in a reading.
CONFUSABLE = frozenset(_DIGIT_CONFUSIONS)


def _label_table() -> dict[int, str]:
    """Lower-case, Cyrillic-by-glyph, one apostrophe: the form labels are matched in."""
    table: dict[int, str] = {}
    upper = "АБВГҐДЕЄЖЗИІЇЙКЛМНОПРСТУФХЦЧШЩЬЮЯ"
    for ch in upper:
        table[ord(ch)] = ch.lower()
    for lat, cyr in zip("ABCEHIKMOPTXY", "АВСЕНІКМОРТХУ", strict=True):
        table[ord(lat)] = cyr.lower()
    for lat, cyr in zip("aceiopxy", "асеіорху", strict=True):
        table[ord(lat)] = cyr
    for ch in "DFGJLNQRSUVWZ":
        table[ord(ch)] = ch.lower()
    for ch in "\u2019\u02bc\u2018`\u00b4\u2032\u02b9":
        table[ord(ch)] = "'"
    # Non-breaking and thin spaces are spaces for matching.
    for ch in "\u00a0\u2009\u202f":
        table[ord(ch)] = " "
    return table


LABEL_FOLD = _label_table()

# Email addresses are Latin; OCR with the Ukrainian model often substitutes
# look-alike Cyrillic letters, which are mapped back here.
EMAIL_FOLD = CYRILLIC_TO_LATIN

__all__ = ["CONFUSABLE", "DIGIT_FOLD", "EMAIL_FOLD", "LABEL_FOLD", "LATIN_TO_CYRILLIC", "fold"]


def fold(text: str, table: dict[int, str]) -> str:
    """``text`` through ``table``; the result has the same length."""
    return text.translate(table)
