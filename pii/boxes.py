"""Where a span of page text lies on the page: the boxes of the words under it."""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from common.pages import Word

Box = tuple[float, float, float, float]

# How far past the previous word the next word is looked for; the text is
# built from the words, so only separators lie in between (a generous bound
# keeps the alignment linear even when a word cannot be found at all).
_NEAR = 64
_FAR = 2048


class WordIndex:
    """Character spans of the page's words within its text."""

    def __init__(self, text: str, words: Sequence[Word]) -> None:
        starts: list[int] = []
        ends: list[int] = []
        placed: list[Word] = []
        pos = 0
        for word in words:
            token = word.text
            if not token or token.isspace():
                continue
            at = text.find(token, pos, pos + len(token) + _NEAR)
            if at < 0:
                at = text.find(token, pos, pos + len(token) + _FAR)
            if at < 0:
                # Text and words disagree here (normalised differently); the
                # word keeps no span rather than derailing the rest.
                continue
            starts.append(at)
            ends.append(at + len(token))
            placed.append(word)
            pos = at + len(token)
        self._starts = starts
        self._ends = ends
        self._words = placed

    def boxes(self, start: int, end: int) -> list[Box]:
        """Boxes of the words overlapping ``[start, end)``, in reading order.

        A word only partly inside the span (``РНОКПП:2734567899`` read as one
        word) contributes its whole box: a redaction that covers a little too
        much is better than one that leaves digits visible.
        """
        out: list[Box] = []
        i = bisect.bisect_right(self._starts, start) - 1
        i = max(i, 0)
        while i < len(self._starts) and self._starts[i] < end:
            if self._ends[i] > start:
                w = self._words[i]
                out.append((w.x0, w.y0, w.x1, w.y1))
            i += 1
        return out
