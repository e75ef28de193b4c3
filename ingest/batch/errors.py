"""What can go wrong with a batch, and the reasons a part is held (in Ukrainian)."""

from __future__ import annotations

REASONS = {
    "leading_pages": "Сторінки відскановано до першого титульного аркуша",
    "unreadable_cover": "Сторінки після титульного аркуша, який не вдалося розпізнати",
    "unknown_case": "Титульний аркуш справи, якої немає в журналі",
    "empty": "Після титульного аркуша немає жодної сторінки",
}


class BatchUnreadable(Exception):
    """The batch cannot be read at all (corrupt, encrypted, not a scan)."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class PartError(Exception):
    """A held part cannot be attached (message in Ukrainian)."""
