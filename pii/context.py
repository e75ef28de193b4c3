"""Form labels that say what the number after them is.

A number on a form is read in the light of the nearest label before it:
``РНОКПП: …`` makes a ten-digit number a РНОКПП, ``Справа № …`` or
``Квитанція № …`` make it a case or receipt number that must not be flagged.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Any

from .folding import LABEL_FOLD

NEGATIVE = "negative"

# kind -> labels as printed on forms. Matched case-insensitively, by glyph and
# at a word start; a label is a prefix, so "квитанці" covers every case ending.
_LABELS: dict[str, tuple[str, ...]] = {
    "rnokpp": (
        "РНОКПП", "ІПН", "ІНН", "ідентифікаційний номер", "ідентифікаційного номера",
        "ідентифікаційний код", "реєстраційний номер облікової картки",
        "номер облікової картки", "податковий номер", "код платника податків",
        "ідентифікаційний номер фізичної особи",
    ),
    "edrpou": (
        "ЄДРПОУ", "ЄДР", "код юридичної особи", "ідентифікаційний код юридичної особи",
        "код за ЄДРПОУ", "ідентифікаційний код за ЄДРПОУ",
    ),
    "iban": ("IBAN", "поточний рахунок", "рахунок №", "р/р", "п/р"),
    "unzr": ("УНЗР", "запис №", "номер запису", "унікальний номер запису"),
    "id_card": (
        "ID-картка", "ID-картки", "ID-карткою", "ID картка", "ID картки", "ID-карта",
        "у формі картки", "№ документа", "номер документа", "номер ID",
        # OCR reads "ID" as "І)", "1D", "lD"…; the card word alone still says it.
        "картка", "картки", "карткою", "документа",
    ),
    "passport": ("паспорт", "паспорта", "серія", "серії"),
    "foreign_passport": (
        "закордонний паспорт", "закордонного паспорта", "для виїзду за кордон",
        "passport", "паспорт для виїзду", "закордонний",
    ),
    "phone": (
        "тел", "телефон", "моб", "мобільний", "контактний номер", "номер телефону",
        "viber", "факс",
    ),
    "email": ("e-mail", "email", "ел. пошта", "електронна пошта", "електронної пошти"),
    NEGATIVE: (
        "справа", "справи", "справу", "вх.", "вих.", "вхідний №", "реєстраційний номер справи",
        "квитанці", "замовлення", "платіжн", "договір", "договору", "наказ", "рішення",
        "протокол", "сума", "суму", "сумі", "грн", "індекс", "дата", "код послуги",
        "кадастровий", "журнал", "накладн", "ТТН", "рахунок-фактур", "чек", "МФО",
        "орган, що видав", "код органу", "вул.", "буд.", "кв.", "адреса", "довідк",
        "декларац", "заявк", "акт", "№ з/п", "номер замовлення", "ордер",
    ),
}  # fmt: skip

# Tesseract reads "№" as "Ne", "No", "Мо", "Ме", "Хе" or "N"; labels with "№" are
# expanded to these readings.
_NUMBER_SIGN = ("№", "N", "No", "Ne", "Nº", "N°", "Мо", "Ме", "Хе", "Хо", "Nо", "Nе", "М»")

# How far back a label still speaks for a number. It must also be on the
# number's line, or on the line before when the number starts its line
# ("Реєстраційний номер облікової картки платника податків:\n2734567899").
WINDOW = 90


def trie_pattern(words: list[str]) -> str:
    """A regex matching any of ``words``, factored by common prefixes, longest first.

    Python's ``re`` tries the branches of a flat alternation one by one at
    every position; with a hundred labels that made label search the
    slowest part of detection. A prefix tree makes it one walk per position.
    """
    trie: dict[str, dict[str, Any]] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        alts = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        # Greedy optional tail: the longest label wins over its own prefix.
        return f"(?:{body})?" if "" in node else body

    first = "".join(sorted({re.escape(w[0]) for w in words if w}))
    # The look-ahead on the first character lets the engine skip quickly to
    # positions where a label can start.
    return f"(?=[{first}])" + build(trie)


# Start of a word in label-folded text.
WORD_START = r"(?<![0-9a-zа-яєіїґ'])"


def _compile() -> tuple[re.Pattern[str], dict[str, str]]:
    kinds: dict[str, str] = {}
    for kind, labels in _LABELS.items():
        for label in labels:
            for sign in _NUMBER_SIGN if "№" in label else ("№",):
                kinds[label.replace("№", sign).translate(LABEL_FOLD)] = kind
    pattern = re.compile(WORD_START + trie_pattern(list(kinds)))
    return pattern, kinds


_PATTERN, _KINDS = _compile()


@dataclass(frozen=True, slots=True)
class Label:
    """A label found in the page: its kind and where it ends."""

    kind: str
    start: int
    end: int


class Labels:
    """All labels of one page, for "nearest label before offset" lookups."""

    def __init__(self, folded: str) -> None:
        found: list[Label] = []
        for m in _PATTERN.finditer(folded):
            found.append(Label(_KINDS[m[0]], m.start(), m.end()))
        self._text = folded
        self._labels = found
        self._ends = [label.end for label in found]

    def before(self, offset: int, window: int = WINDOW) -> Label | None:
        """The label ending nearest before ``offset`` that speaks for what starts there.

        Within ``window`` characters, and on the same line — or on the line
        before when nothing but spaces precedes ``offset`` on its own line
        (label above the value). A label further up belongs to another field.
        """
        i = bisect.bisect_right(self._ends, offset) - 1
        if i < 0:
            return None
        label = self._labels[i]
        if offset - label.end > window:
            return None
        text = self._text
        line_start = text.rfind("\n", label.end, offset) + 1
        if line_start == 0:
            return label  # no line break between the label and the offset
        if text[line_start:offset].strip():
            return None
        if text.rfind("\n", label.end, line_start - 1) >= 0:
            return None  # two or more line breaks: not the line right above
        return label

    def kind_before(self, offset: int, window: int = WINDOW) -> str | None:
        """Kind of :meth:`before`, or None."""
        label = self.before(offset, window)
        return label.kind if label else None
