"""The mailbox over IMAP (imaplib): list, fetch without marking, move; never delete.

``imap://user:password@host:port/`` (or ``imaps://``) from the settings. IMAP
errors become :class:`MailUnavailable`, with no credentials in the message.
"""

from __future__ import annotations

import contextlib
import imaplib
import re
import ssl
from collections.abc import Sequence
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit


class MailUnavailable(Exception):
    """The mailbox could not be reached, logged into or changed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Mailbox:
    """One connection to one mailbox folder (selected read-write for MOVE)."""

    def __init__(self, url: str, folder: str = "INBOX", *, timeout: float = 30.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("imap", "imaps") or not parts.hostname:
            raise MailUnavailable(
                "Адреса поштової скриньки має вигляд imap://користувач:пароль@сервер:порт/"
            )
        self.folder = folder
        try:
            if parts.scheme == "imaps":
                self._imap: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                    parts.hostname,
                    parts.port or 993,
                    ssl_context=ssl.create_default_context(),
                    timeout=timeout,
                )
            else:
                self._imap = imaplib.IMAP4(parts.hostname, parts.port or 143, timeout=timeout)
            self._imap.login(unquote(parts.username or ""), unquote(parts.password or ""))
            self._ok(self._imap.select(_quote(folder)))
        except (OSError, imaplib.IMAP4.error) as exc:
            raise MailUnavailable("Поштова скринька недоступна або не приймає вхід") from exc

    def __enter__(self) -> Mailbox:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            self._imap.logout()

    def uids(self) -> list[int]:
        """The messages in the folder, oldest first."""
        data = self._ok(self._imap.uid("SEARCH", "ALL"))
        return sorted(int(x) for x in (data[0] or b"").split())

    def fetch(self, uid: int) -> bytes:
        """The whole message as received (``BODY.PEEK[]``: it is not marked as read)."""
        data = self._ok(self._imap.uid("FETCH", str(uid), "(BODY.PEEK[])"))
        for item in data:
            if isinstance(item, tuple) and len(item) == 2:
                return bytes(item[1])
        raise MailUnavailable("Лист зник зі скриньки під час читання")

    def move(self, uid: int, folder: str) -> None:
        """Move a message to ``folder`` (made when missing). Nothing is ever deleted."""
        self._imap.create(_quote(folder))  # exists already: an ignorable NO
        self._ok(self._imap.uid("MOVE", str(uid), _quote(folder)))

    def create_folder(self, folder: str) -> None:
        """Make a folder (an existing one is left as it is)."""
        self._imap.create(_quote(folder))

    def count(self, folder: str) -> int:
        """How many messages a folder holds."""
        data = self._ok(self._imap.status(_quote(folder), "(MESSAGES)"))
        found = re.search(rb"MESSAGES (\d+)", data[0] or b"")
        return int(found.group(1)) if found else 0

    def append(self, folder: str, raw: bytes) -> None:
        """Put a message into a folder (tests, and re-filing)."""
        self._ok(self._imap.append(_quote(folder), None, None, raw))

    def _ok(self, answer: tuple[str, Sequence[Any]]) -> list[Any]:
        status, data = answer
        if status != "OK":
            raise MailUnavailable("Поштовий сервер відхилив команду")
        return list(data)


def _quote(folder: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9._/-]+", folder):
        return folder
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'
