"""A hot folder: what a network scanner drops into a directory is processed exactly once.

Layout under the watched directory::

    DIR/              the scanner writes here
    DIR/processing/   claimed files (moved here atomically before any work)
    DIR/done/         processed; ``<name>.txt`` beside a file says what needs a look
    DIR/failed/       could not be processed; ``<name>.txt`` says why

A file is taken only once it is complete: its size and modification time
stayed the same for ``settle_seconds``, it does not look like a temporary
name (``.tmp``, ``.part``, dot-files…), and its format's end marker is there
(``%%EOF`` of a PDF, the last frame of a TIFF, the end of a JPEG or PNG) — a
file that stays incomplete is still taken after a long wait, and then fails
with a reason rather than waiting forever.

Claiming is a rename into ``processing/``: two watchers never take the same
file, and a file is never half-taken. The handler must be idempotent (the
archive recognises bytes it has seen by SHA-256), because a watcher killed
after the work and before the final move finds the file in ``processing/``
on restart and hands it over again: no file is lost, none is archived twice.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

TEMP_SUFFIXES = (
    ".tmp",
    ".temp",
    ".part",
    ".partial",
    ".crdownload",
    ".download",
    ".filepart",
    ".lock",
)
# Side files some scanners write next to a scan (metadata, thumbnails): left alone.
SIDE_FILES = (".txt", ".xml", ".json", ".ini", ".db", ".log")
SUBDIRS = ("processing", "done", "failed")


@dataclass(frozen=True, slots=True)
class Handled:
    """The handler's verdict: ``ok`` files go to ``done/``, the others to ``failed/``."""

    ok: bool
    message: str
    # Write ``message`` beside a file in ``done/`` too (something needs a look).
    note: bool = False


class Retry(Exception):
    """A passing failure (the database or the store is down): the file is tried again later."""


Handler = Callable[[Path], Handled]


@dataclass(frozen=True, slots=True)
class Event:
    """What the watcher did with a file, for the console."""

    kind: str  # taken | done | failed | retry
    name: str
    message: str = ""


def is_temporary(name: str) -> bool:
    """A name a writer uses before renaming into place, or a side file, not a scan."""
    lower = name.lower()
    return name.startswith((".", "~")) or lower.endswith(TEMP_SUFFIXES + SIDE_FILES)


def looks_complete(path: Path) -> bool:
    """Whether the file ends the way its format ends (a cheap check, no decoding of pages)."""
    try:
        size = path.stat().st_size
        if size == 0:
            return False
        with path.open("rb") as f:
            head = f.read(1024)
            f.seek(max(0, size - 2048))
            tail = f.read()
    except OSError:
        return False
    if b"%PDF-" in head:
        return b"%%EOF" in tail
    if head.startswith(b"\xff\xd8"):
        return b"\xff\xd9" in tail[-16:]
    if head.startswith(b"\x89PNG"):
        return b"IEND" in tail[-16:]
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return _tiff_complete(path)
    return True


def _tiff_complete(path: Path) -> bool:
    from PIL import Image

    try:
        with Image.open(path) as img:
            frames = getattr(img, "n_frames", 1)
            img.seek(frames - 1)
            img.load()
    except Exception:
        return False
    return True


def _unique(directory: Path, name: str) -> Path:
    target = directory / name
    stem, suffix = os.path.splitext(name)
    n = 2
    while target.exists() or target.with_name(target.name + ".txt").exists():
        target = directory / f"{stem} ({n}){suffix}"
        n += 1
    return target


class HotFolder:
    """Watches one directory; ``poll()`` does one pass, ``run()`` loops until stopped."""

    def __init__(
        self,
        root: Path,
        handler: Handler,
        *,
        settle_seconds: float = 5.0,
        poll_seconds: float = 2.0,
        retry_seconds: float = 30.0,
        max_attempts: int = 5,
        on_event: Callable[[Event], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.root = root
        self.processing = root / "processing"
        self.done = root / "done"
        self.failed = root / "failed"
        self.handler = handler
        self.settle = settle_seconds
        self.poll_seconds = poll_seconds
        self.retry_seconds = retry_seconds
        self.max_attempts = max_attempts
        self.on_event = on_event or (lambda _e: None)
        self.clock = clock
        # name -> (size, mtime_ns, since when unchanged)
        self._seen: dict[str, tuple[int, int, float]] = {}
        # claimed name -> (attempts, not before)
        self._retry: dict[str, tuple[int, float]] = {}
        for d in (self.root, self.processing, self.done, self.failed):
            d.mkdir(parents=True, exist_ok=True)

    # -- readiness -------------------------------------------------------------------

    def _candidates(self) -> list[Path]:
        out = []
        with os.scandir(self.root) as it:
            for entry in it:
                if entry.is_file(follow_symlinks=False) and not is_temporary(entry.name):
                    out.append(Path(entry.path))
        return sorted(out)

    def _ready(self, path: Path, now: float) -> bool:
        try:
            st = path.stat()
        except FileNotFoundError:
            self._seen.pop(path.name, None)
            return False
        key = (st.st_size, st.st_mtime_ns)
        seen = self._seen.get(path.name)
        if seen is None or seen[:2] != key:
            self._seen[path.name] = (*key, now)
            return self.settle <= 0 and st.st_size > 0 and looks_complete(path)
        stable_for = now - seen[2]
        if stable_for < self.settle or st.st_size == 0:
            return False
        if looks_complete(path):
            return True
        # A writer that died leaves a truncated file: take it eventually, and
        # let processing say what is wrong with it.
        return stable_for >= max(60.0, 10 * self.settle)

    # -- claiming and finishing -----------------------------------------------------

    def _claim(self, path: Path) -> Path | None:
        target = _unique(self.processing, path.name)
        try:
            os.rename(path, target)
        except FileNotFoundError:
            return None  # another watcher took it
        self._seen.pop(path.name, None)
        return target

    def _finish(self, claimed: Path, handled: Handled) -> Path:
        directory = self.done if handled.ok else self.failed
        target = _unique(directory, claimed.name)
        if not handled.ok or handled.note:
            note = target.with_name(target.name + ".txt")
            note.write_text(handled.message.rstrip() + "\n", encoding="utf-8")
        os.rename(claimed, target)
        self._retry.pop(claimed.name, None)
        self.on_event(Event("done" if handled.ok else "failed", target.name, handled.message))
        return target

    def _handle(self, claimed: Path, now: float) -> None:
        attempts, _ = self._retry.get(claimed.name, (0, 0.0))
        try:
            handled = self.handler(claimed)
        except Retry as exc:
            handled = None
            reason = str(exc) or "тимчасова помилка"
        except Exception as exc:
            # A bug or an outage: the file stays claimed and is tried again.
            log.warning("hot-folder file could not be processed; it will be retried", exc_info=True)
            handled = None
            reason = type(exc).__name__
        if handled is not None:
            self._finish(claimed, handled)
            return
        attempts += 1
        if attempts >= self.max_attempts:
            self._finish(
                claimed,
                Handled(
                    False,
                    f"Файл не вдалося обробити після {attempts} спроб ({reason}); "
                    "перевірте журнал програми і покладіть файл у теку ще раз",
                ),
            )
            return
        self._retry[claimed.name] = (attempts, now + self.retry_seconds * attempts)
        self.on_event(Event("retry", claimed.name, reason))

    # -- passes ----------------------------------------------------------------------

    def poll(self) -> int:
        """One pass over ``processing/`` (left from before, or due a retry) and the folder.

        Returns how many files were finished.
        """
        finished = 0
        now = self.clock()
        for claimed in sorted(p for p in self.processing.iterdir() if p.is_file()):
            _, not_before = self._retry.get(claimed.name, (0, 0.0))
            if not_before > now:
                continue
            before = claimed.exists()
            self._handle(claimed, now)
            finished += int(before and not claimed.exists())
        for path in self._candidates():
            if not self._ready(path, now):
                continue
            taken = self._claim(path)
            if taken is None:
                continue
            self.on_event(Event("taken", path.name))
            self._handle(taken, self.clock())
            finished += int(not taken.exists())
        # Forget files that vanished before they settled.
        for name in list(self._seen):
            if not (self.root / name).exists():
                del self._seen[name]
        return finished

    def run(self, stop: threading.Event | None = None) -> None:
        """Poll until ``stop`` is set (a signal handler sets it)."""
        stop = stop or threading.Event()
        while not stop.is_set():
            try:
                self.poll()
            except OSError:
                # The share went away for a moment (a network mount): try again.
                log.warning("hot folder is not accessible; retrying", exc_info=True)
            stop.wait(self.poll_seconds)

    def pending(self) -> list[str]:
        """Names waiting in the folder or in ``processing/``."""
        with contextlib.suppress(OSError):
            return sorted(
                [p.name for p in self._candidates()]
                + [p.name for p in self.processing.iterdir() if p.is_file()]
            )
        return []
