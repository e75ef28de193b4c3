"""Worker processes for the concurrency tests: each is a desk registering cases at once."""

from __future__ import annotations

import time
from pathlib import Path


def desk_work(
    data_dir: str, database_url: str | None, centre: str, desk: int, n: int, gate: str
) -> tuple[list[str], list[tuple[int, int]]]:
    """Register ``n`` cases and reserve a block of 7 numbers every third one, flat out.

    The desk says it is ready (``<gate>.ready-<desk>``) and starts when the
    ``gate`` file appears, so all desks hit the journal at the same moment.
    """
    from archive.cases import Registration, register
    from archive.database import Database
    from archive.journal import reserve_block
    from archive.settings import Settings

    settings = Settings(data_dir=Path(data_dir), database_url=database_url, centre=centre)
    db = Database(settings.resolved_database_url)
    numbers: list[str] = []
    blocks: list[tuple[int, int]] = []
    try:
        Path(f"{gate}.ready-{desk}").touch()
        while not Path(gate).exists():
            time.sleep(0.005)
        for i in range(n):
            with db.session() as s:
                r = register(
                    s,
                    settings,
                    Registration(service=f"Послуга {desk}-{i}", centre=centre, actor=f"desk{desk}"),
                )
                numbers.append(r.case.number)
            if i % 3 == 0:
                with db.session() as s:
                    b = reserve_block(
                        s,
                        centre=centre,
                        year=2026,
                        code="ВРМ7",
                        size=7,
                        fmt=settings.desk.block_number_format,
                        workplace=None,
                        actor=f"desk{desk}",
                    )
                    blocks.append((b.first_seq, b.last_seq))
    finally:
        db.close()
    return numbers, blocks
