"""Keep personal data out of the application log.

The application log is read by whoever runs the servers, so it must hold no
identifiers and no document text (the access log is where accesses are
recorded). Code never logs them on purpose; this filter is the safety net for
what slips in through third parties: query strings in access-log lines,
exception messages quoting input.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import logging
import logging.handlers
import os
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import unquote_plus

if TYPE_CHECKING:
    from archive.settings import Settings

_PATTERNS = (
    # e-mail addresses
    re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+"),
    # IBAN (UA + 27), possibly grouped
    re.compile(r"(?i)\bUA\d{2}(?:[ ]?[0-9A-Z]){10,30}"),
    # phones written with brackets: +38 (067) 123-45-67
    re.compile(r"\+?(?:38)?[ \-]?\(0\d{2}\)[ \-]?\d{2,3}[ \-]?\d{2}[ \-]?\d{2,3}"),
    # passport booklets and travel passports: КВ123456, FX 123456
    re.compile(r"(?<![\w])[A-ZА-ЯІЇЄҐ]{2}[ ]?№?[ ]?\d{6}(?!\d)"),
    # any run of eight or more digits (РНОКПП, ID card, УНЗР, accounts, phones)
    re.compile(r"(?<![0-9A-Za-z])\d(?:[ \u00a0\-]?\d){7,}(?![0-9A-Za-z])"),
)
_QUERY = re.compile(r"(\?)[^\s\"']*")
# A URL's query string, in any record (an HTTP client's "HTTP Request: GET …?q=…"):
# it carries what a user typed, percent-encoded past the patterns below.
_URL_QUERY = re.compile(r"(\b[a-z][a-z0-9+.\-]*://[^\s?\"']*)\?[^\s\"']*", re.IGNORECASE)


def scrub(text: str) -> str:
    """``text`` with anything that looks like a personal identifier masked.

    URLs lose their query strings; percent-encoded text is decoded first, so an
    identifier cannot pass encoded (``%2B380…``).
    """
    text = _URL_QUERY.sub(r"\1?…", text)
    if "%" in text:
        text = unquote_plus(text)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: re.sub(r"[0-9A-Za-zА-Яа-яІіЇїЄєҐґ]", "•", m.group()), text)
    try:
        from common.pages import PageText
        from pii import detect, mask_text

        found = detect([PageText(1, text)])
        if found:
            text = mask_text(text, found)
    except Exception:  # the filter must never break logging
        pass
    return text


@functools.lru_cache(maxsize=4096)
def _access_part(text: str) -> str:
    """A part of an access-log line without its query string, scrubbed."""
    return scrub(_QUERY.sub("?…", text))


class ScrubFilter(logging.Filter):
    """Masks identifiers in every record and drops query strings from access logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            if record.name.startswith("uvicorn.access") and isinstance(record.args, tuple):
                # One line per request: its parts (address, method, path) are scrubbed
                # one by one, and the same parts come again and again.
                record.args = tuple(
                    _access_part(a) if isinstance(a, str) else a for a in record.args
                )
                return True
            message = record.getMessage()
            clean = scrub(message)
            if clean != message:
                record.msg, record.args = clean, None
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = scrub(record.exc_text)
            if record.stack_info:
                record.stack_info = scrub(record.stack_info)
        except Exception:
            record.msg, record.args = "(log record dropped: it could not be checked)", None
        return True


class SharedRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A size-rotated log file that several processes append to (``serve --workers N``).

    Each process writes whole lines to the end of the same file. The first to find
    it full rotates it, under a lock beside it; the others see that the file they
    hold was moved and reopen the new one before their next line (as
    ``WatchedFileHandler`` does), so nobody rotates twice or writes on into an
    old file.
    """

    def __init__(self, filename: str | os.PathLike[str], max_bytes: int, backups: int) -> None:
        super().__init__(filename, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
        # Beside the log, not named like one of its files (cnap-archive.rotate-lock).
        self._lock_path = os.path.splitext(self.baseFilename)[0] + ".rotate-lock"

    def _moved(self) -> bool:
        """Whether the file this handler writes is no longer the one at its name."""
        if self.stream is None:
            return False
        try:
            disk = os.stat(self.baseFilename)
        except FileNotFoundError:
            return True
        mine = os.fstat(self.stream.fileno())
        return (disk.st_dev, disk.st_ino) != (mine.st_dev, mine.st_ino)

    def _reopen(self) -> None:
        if self.stream is not None:
            self.stream.close()
        self.stream = self._open()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if self._moved():
                self._reopen()
        except OSError:
            self.handleError(record)
            return
        super().emit(record)

    def doRollover(self) -> None:
        with _locked(self._lock_path):
            if self._moved():  # another process rotated it meanwhile
                self._reopen()
                return
            super().doRollover()


@contextlib.contextmanager
def _locked(path: str) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


LOG_MAX_BYTES = 10_000_000
LOG_BACKUPS = 5


def configure_logging(settings: Settings) -> None:
    """Application logs go to a file under the data directory, not to the terminal.

    Every process of the server does this (the workers too): a record never falls
    through to Python's last-resort output on stderr, which nothing scrubs.
    """
    logs = settings.data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    handler = SharedRotatingFileHandler(logs / "cnap-archive.log", LOG_MAX_BYTES, LOG_BACKUPS)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    # Identifiers and query strings never reach the application log.
    handler.addFilter(ScrubFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(os.environ.get("CNAP_LOG_LEVEL", "INFO"))
    # OCRmyPDF and friends are chatty; their warnings still reach the file.
    for noisy in ("ocrmypdf", "pikepdf", "PIL", "fontTools", "multipart"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
