"""Reading what a person typed as identifiers (``archive.findings.classify``), and its
shortcut for text that cannot be one (a searched word)."""

from __future__ import annotations

import random

import pytest

from archive.findings import _readings, classify, may_be_identifier

# Letters (Cyrillic, Latin homoglyphs that normalisers turn into Cyrillic), apostrophes,
# hyphens, dots, brackets: everything a word may hold but a digit, a space or an "@".
_WORD_CHARS = (
    "абвгґдеєжзиіїйклмнопрстуфхцчшщьюяАБВГҐДЕЄЖЗИІЇЙКЛМНОПРСТУФХЦЧШЩЬЮЯ"
    "ABCEHIKMOPTXYaceiopxyQqWwZz'’ʼ`-.,()+_%№"
)


def _words(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [
        "".join(rng.choice(_WORD_CHARS) for _ in range(rng.randint(1, 30))) for _ in range(count)
    ]


@pytest.mark.parametrize("strict", [False, True])
def test_a_word_without_digits_spaces_or_at_is_never_an_identifier(strict: bool) -> None:
    words = [
        *_words(4000, seed=5),
        "ОООООООООО",  # letters that look like digits stay letters
        "ЗЗЗЗЗЗЗЗ",
        "UAUAUAUAUAUAUAUAUAUAUAUAUAUAU",
        "КВ",
        "Шевченко",
        "ДЕМ'ЯНЕНКО-ГРИЩЕНКО",
        "ivan.petrenko",
    ]
    for word in words:
        assert not may_be_identifier(word)
        # The full reading agrees: the shortcut loses nothing.
        assert _readings(word, strict) == [], word
        assert classify(word, strict=strict) == []


@pytest.mark.parametrize(
    ("typed", "kind"),
    [
        ("ivan.petrenko@ukr.net", "email"),
        ("UA21 3223 1300 0002 6007 2335 6600 1", "iban"),
        ("19900101-00011", "unzr"),
        ("2734567899", "rnokpp"),
        ("32855961", "edrpou"),
        ("001234567", "id_card"),
        ("+38 (067) 123-45-67", "phone"),
        ("КВ123456", "passport"),
        ("FX 123456", "foreign_passport"),
        ("Шевченко Тарас Григорович", "name"),
        ("шевченко\tтарас", "name"),
    ],
)
def test_identifiers_are_still_read(typed: str, kind: str) -> None:
    assert may_be_identifier(typed)
    assert kind in {i.kind for i in classify(typed)}
