"""Why a file was not archived, in words a person at the desk understands."""

from __future__ import annotations


class Rejected(Exception):
    """The file cannot be archived; it is kept in quarantine with this reason.

    ``code`` is stable for programs (e.g. ``encrypted``); ``reason`` is Ukrainian
    text for people.
    """

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
