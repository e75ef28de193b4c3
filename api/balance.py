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

# How often the workers' counts are compared, and how long a silent client still counts.
SYNC_SECONDS = 0.025
ACTIVE_SECONDS = 1.0
# A worker's file not written for this long is a worker gone (restarted, killed).
STALE_SECONDS = 2.0
# ... and after this long it is removed by whichever worker reads it.
FORGOTTEN_SECONDS = 60.0
_WIDTH = 12


class LoadBoard:
    """One worker's view: its own count written, the live others' read.

    Called from the worker's event loop only (the middleware on each request,
    :meth:`sync` also on a timer, so an idle worker still says it has none).
    """

    def __init__(self, directory: Path, me: str) -> None:
        self.directory, self.me = directory, me
        self._fd: int | None = None
        # Client connection → its last request; clients to move to another worker.
        self._seen: dict[object, float] = {}
        self._excess = 0
        self._uneven = False
        self._next_sync = 0.0

    def should_move(self, client: object, now: float) -> bool:
        """Count ``client`` as active; whether it should go to a less busy worker."""
        self._seen[client] = now
        if now >= self._next_sync:
            self.sync(now)
        if self._excess <= 0:
            return False
        self._excess -= 1
        self._seen.pop(client, None)
        return True

    def sync(self, now: float) -> None:
        """Publish this worker's count of active clients and compare it with the others'."""
        self._next_sync = now + SYNC_SECONDS
        cutoff = now - ACTIVE_SECONDS
        self._seen = {k: t for k, t in self._seen.items() if t >= cutoff}
        mine = len(self._seen)
        self.write_count(mine)
        others = self.others()
        # Half the difference with the least busy (a client moved may land here
        # again), and only when two comparisons in a row found it: a count read
        # just after clients moved, or just after a worker started, is behind.
        least = min(others) if others else mine
        uneven = mine > least + 1
        self._excess = (mine - least) // 2 if uneven and self._uneven else 0
        self._uneven = uneven and not self._excess

    def forget(self, client: object) -> None:
        """A client whose connection is being closed (recycled by age)."""
        self._seen.pop(client, None)

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

    def write_count(self, count: int) -> None:
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
