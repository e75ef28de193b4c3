"""Masking of personal data for users without clearance.

Hidden characters become ``•`` one for one, so layout and length survive;
separators (spaces, dashes, brackets) are kept. Only a few characters at the
ends stay visible, enough for a person to tell two values apart on a screen
and never enough to reconstruct one. Names become initials.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

BULLET = "•"

# kind -> (visible leading, visible trailing) alphanumeric characters.
_KEEP: dict[str, tuple[int, int]] = {
    "rnokpp": (2, 2),  # 27••••••99: birth date and serial hidden
    "edrpou": (2, 2),
    "iban": (2, 4),  # UA + last four of the account, as banks print it
    "unzr": (0, 2),  # the leading birth date is hidden entirely
    "id_card": (0, 3),
    "passport": (2, 2),  # series (a region code) and two digits
    "foreign_passport": (2, 2),
    "phone": (0, 2),
}
_DEFAULT_KEEP = (0, 2)


class _Span(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...


def _mask_alnum(text: str, lead: int, trail: int) -> str:
    """Bullets for every letter or digit except the first ``lead`` and last ``trail``."""
    positions = [i for i, ch in enumerate(text) if ch.isalnum()]
    n = len(positions)
    # Never more than 40 % of the characters, whatever the kind asks for.
    budget = n * 2 // 5
    lead = min(lead, budget)
    trail = min(trail, budget - lead)
    hidden = set(positions[lead : n - trail] if trail else positions[lead:])
    return "".join(BULLET if i in hidden else ch for i, ch in enumerate(text))


def _mask_email(text: str) -> str:
    local, at, domain = text.partition("@")
    if not at:
        return _mask_alnum(text, 0, 0)
    masked_local = local[:1] + BULLET * max(0, len(local) - 1)
    head, dot, tld = domain.rpartition(".")
    if not dot:
        return masked_local + "@" + BULLET * len(domain)
    masked_head = head[:1] + "".join(BULLET if ch != "." else "." for ch in head[1:])
    return f"{masked_local}@{masked_head}.{tld}"


def _initials(text: str) -> str:
    words = text.split()
    return " ".join(w[:1].upper() + "." for w in words if w[:1].isalpha())


def _mask_phone_value(value: str) -> str:
    # The country prefix is not personal; the subscriber number is.
    if value.startswith("+380"):
        return "+380" + _mask_alnum(value[4:], 0, 2)
    return _mask_alnum(value, 0, 2)


def mask(value: str, kind: str) -> str:
    """Mask a normalised value: ``2734567899`` → ``27••••••99``, a name → ``Ш. Т. Г.``."""
    if kind == "name":
        return _initials(value)
    if kind == "email":
        return _mask_email(value)
    if kind == "phone":
        return _mask_phone_value(value)
    lead, trail = _KEEP.get(kind, _DEFAULT_KEEP)
    return _mask_alnum(value, lead, trail)


def mask_span(text: str, kind: str) -> str:
    """Mask a value as it is written in the page (spaces, brackets, OCR noise kept)."""
    if kind == "name":
        return _initials(text)
    if kind == "email":
        return _mask_email(text)
    lead, trail = _KEEP.get(kind, _DEFAULT_KEEP)
    return _mask_alnum(text, lead, trail)


def mask_text(text: str, findings: Iterable[_Span]) -> str:
    """``text`` with every finding's span masked; findings must refer to this text.

    Overlapping spans are merged (the earlier finding's kind decides the
    style); spans outside the text are ignored.
    """
    spans = sorted(
        ((f.start, f.end, f.kind) for f in findings if 0 <= f.start < f.end <= len(text)),
        key=lambda s: (s[0], -s[1]),
    )
    merged: list[tuple[int, int, str]] = []
    for start, end, kind in spans:
        if merged and start < merged[-1][1]:
            prev_start, prev_end, prev_kind = merged[-1]
            merged[-1] = (prev_start, max(prev_end, end), prev_kind)
        else:
            merged.append((start, end, kind))
    out: list[str] = []
    pos = 0
    for start, end, kind in merged:
        out.append(text[pos:start])
        out.append(mask_span(text[start:end], kind))
        pos = end
    out.append(text[pos:])
    return "".join(out)
