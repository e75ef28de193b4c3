"""How many clients each worker process of one server is answering, shared between them.

The workers of ``cnap-archive serve --workers N`` accept from one socket, and
which of them takes a new connection is chance: sixteen clients may sit eleven
on one worker and five on the other, whose clients are then answered twice as
fast. Each worker writes its count of active clients to its own small file in a
directory of the server (named after the workers' parent process, in the
system's temporary directory) and reads the others'; a worker with more than
its share asks some clients to reconnect (``api/keepalive.py``).

Only counts are written there: no address, no request, nothing of a user.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import time
from pathlib import Path

# A worker's file not written for this long is a worker gone (restarted, killed).
STALE_SECONDS = 2.0
# ... and after this long it is removed by whichever worker reads it.
FORGOTTEN_SECONDS = 60.0
_WIDTH = 12


class LoadBoard:
    """One worker's view: its own count written, the live others' read."""

    def __init__(self, directory: Path, me: str) -> None:
        self.directory, self.me = directory, me
        self._fd: int | None = None

    @classmethod
    def for_server(cls) -> LoadBoard | None:
        """The board of this worker's server (None: no safe place for it)."""
        directory = Path(tempfile.gettempdir()) / f"cnap-serve-{os.getppid()}"
        try:
            directory.mkdir(mode=0o700, exist_ok=True)
            info = os.lstat(directory)
        except OSError:
            return None
        # Another user's directory, or a link planted in its place, is not ours to trust.
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
            return None
        return cls(directory, str(os.getpid()))

    def publish(self, count: int) -> None:
        """Write this worker's count (best effort: a failed write only stops balancing)."""
        with contextlib.suppress(OSError):
            if self._fd is None:
                flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW
                self._fd = os.open(self.directory / self.me, flags, 0o600)
            os.pwrite(self._fd, f"{count:>{_WIDTH}}".encode(), 0)

    def others(self) -> list[int]:
        """The counts of the other workers written in the last ``STALE_SECONDS``."""
        now = time.time()
        counts: list[int] = []
        try:
            names = os.listdir(self.directory)
        except OSError:
            return counts
        for name in names:
            if name == self.me:
                continue
            path = self.directory / name
            try:
                age = now - os.stat(path).st_mtime
                if age > FORGOTTEN_SECONDS:
                    path.unlink()
                    continue
                if age > STALE_SECONDS:
                    continue
                counts.append(int(path.read_bytes()[:_WIDTH]))
            except (OSError, ValueError):
                continue
        return counts

    def close(self) -> None:
        """Remove this worker's file (and the directory once it is the last)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        with contextlib.suppress(OSError):
            (self.directory / self.me).unlink()
        with contextlib.suppress(OSError):
            self.directory.rmdir()
