"""The station agent of a remote workplace (ВРМ): accept at once, deliver when the link is up.

At a village office the link to the central archive comes and goes. The
station takes scans and registrations locally at once (into its
:class:`~station.spool.Spool`), and a loop delivers them:

* registrations first (a scanned package's cover sheet names its case),
  ``POST /api/cases`` with the number the station took from a block
  reserved in advance (``POST /api/journal/blocks``) — offline numbers never
  collide with the centre's journal or with another workplace;
* then files, resumably (``api.routes.scans``): the server says how many
  bytes it has, the station sends the rest in chunks; the same bytes are
  recognised by SHA-256 and never archived twice;
* a cut link, a timeout or a server error is retried with exponential
  back-off and jitter; a refusal (a corrupt file, a bad request) is kept as
  ``failed`` with the server's reason for the administrator to see;
* it authenticates as an archive user (``/api/auth/token``), logging in
  again when the token expires.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from archive.settings import Settings
from station.spool import Item, NoNumbers, Spool

RETRYABLE_STATUS = {404, 408, 423, 425, 429}


class LinkDown(Exception):
    """The central archive cannot be reached (or is failing): try again later."""


class Refused(Exception):
    """The central archive refused the request; retrying will not help (Ukrainian reason)."""


class NotConfigured(Exception):
    """The station lacks its server, login or password."""


def _detail(r: httpx.Response) -> str:
    try:
        body = r.json()
    except ValueError:
        return f"HTTP {r.status_code}"
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, str):
        return detail
    return f"HTTP {r.status_code}"


class CentralClient:
    """The central archive's API as the station uses it."""

    def __init__(
        self,
        base_url: str,
        login: str,
        password: str,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.login = login
        self._password = password
        self._token: str | None = None
        self.http = httpx.Client(
            base_url=base_url.rstrip("/"), timeout=timeout, transport=transport
        )

    def close(self) -> None:
        self.http.close()

    def _sign_in(self) -> None:
        try:
            r = self.http.post(
                "/api/auth/token", data={"username": self.login, "password": self._password}
            )
        except httpx.HTTPError as exc:
            raise LinkDown(f"немає зв’язку: {type(exc).__name__}") from exc
        if r.status_code >= 500:
            raise LinkDown(f"центральний архів відповів {r.status_code}")
        if r.status_code != 200:
            raise Refused(f"вхід до центрального архіву не вдався: {_detail(r)}")
        self._token = str(r.json()["access_token"])

    def request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        """One call; 401 signs in again once; network trouble and 5xx raise LinkDown."""
        for attempt in (1, 2):
            if self._token is None:
                self._sign_in()
            headers = dict(kw.pop("headers", None) or {})
            headers["Authorization"] = f"Bearer {self._token}"
            try:
                r = self.http.request(method, url, headers=headers, **kw)
            except httpx.HTTPError as exc:
                raise LinkDown(f"немає зв’язку: {type(exc).__name__}") from exc
            if r.status_code == 401 and attempt == 1:
                self._token = None
                kw["headers"] = {k: v for k, v in headers.items() if k != "Authorization"}
                continue
            if r.status_code >= 500:
                raise LinkDown(f"центральний архів відповів {r.status_code}")
            return r
        raise Refused("центральний архів не приймає облікові дані станції")

    def ping(self) -> None:
        """Whether the centre answers at all (no sign-in needed); LinkDown if not."""
        try:
            r = self.http.get("/api/health")
        except httpx.HTTPError as exc:
            raise LinkDown(f"немає зв’язку: {type(exc).__name__}") from exc
        if r.status_code != 200:
            raise LinkDown(f"центральний архів відповів {r.status_code}")

    def _json(self, r: httpx.Response, *ok: int) -> dict[str, Any]:
        if r.status_code in ok:
            data = r.json()
            assert isinstance(data, dict)
            return data
        if r.status_code in RETRYABLE_STATUS:
            raise LinkDown(_detail(r))
        raise Refused(_detail(r))

    def reserve(
        self, code: str, size: int | None = None, year: int | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"workplace_code": code}
        if size:
            body["size"] = size
        if year:
            body["year"] = year
        return self._json(self.request("POST", "/api/journal/blocks", json=body), 201)

    def register(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self._json(self.request("POST", "/api/cases", json=payload), 201)

    def upload(
        self,
        path: Path,
        *,
        sha256: str,
        name: str,
        kind: str,
        meta: dict[str, Any],
        chunk: int,
        progress: Callable[[int], None] | None = None,
    ) -> dict[str, Any]:
        """Send a file resumably; returns the server's result once it is processed."""
        size = path.stat().st_size
        body = {"sha256": sha256, "size": size, "name": name, "kind": kind, **meta}
        state = self._json(self.request("POST", "/api/uploads", json=body), 200)
        with path.open("rb") as f:
            while state["state"] != "processed" and int(state["offset"]) < size:
                offset = int(state["offset"])
                f.seek(offset)
                data = f.read(chunk)
                r = self.request(
                    "PATCH",
                    f"/api/uploads/{sha256}",
                    content=data,
                    headers={
                        "Upload-Offset": str(offset),
                        "Content-Type": "application/offset+octet-stream",
                    },
                )
                if r.status_code == 409:
                    # The server has a different offset (a chunk got through
                    # before the link dropped): continue from where it is.
                    state = self._json(self.request("GET", f"/api/uploads/{sha256}"), 200)
                    continue
                state = self._json(r, 200)
                if progress is not None:
                    progress(int(state["offset"]))
        if state["state"] != "processed":
            r = self.request("POST", f"/api/uploads/{sha256}/complete")
            if r.status_code == 409:
                raise LinkDown("завантаження неповне; буде продовжено")
            state = self._json(r, 200)
        result = state.get("result") or {}
        assert isinstance(result, dict)
        return result


@dataclass(slots=True)
class SyncReport:
    sent: int = 0
    failed: int = 0
    waiting: int = 0
    link: str = "unknown"  # up | down | unknown
    error: str | None = None


class Station:
    """One workplace's agent: spool, numbers, delivery."""

    def __init__(
        self,
        settings: Settings,
        *,
        client: CentralClient | None = None,
        spool: Spool | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.cfg = settings.station
        self.spool = spool or Spool(settings.spool_dir)
        self._client = client
        self.clock = clock
        self.rng = random.Random()

    # -- connection -----------------------------------------------------------------

    @property
    def client(self) -> CentralClient:
        if self._client is None:
            cfg = self.cfg
            if not (cfg.server_url and cfg.login and cfg.password):
                raise NotConfigured(
                    "станцію не налаштовано: потрібні CNAP_STATION__SERVER_URL, "
                    "CNAP_STATION__LOGIN і CNAP_STATION__PASSWORD"
                )
            self._client = CentralClient(
                cfg.server_url,
                cfg.login,
                cfg.password.get_secret_value(),
                timeout=cfg.timeout_seconds,
            )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def _year(self, offset_days: int = 0) -> int:
        now = dt.datetime.now(ZoneInfo(self.settings.desk.timezone))
        return (now + dt.timedelta(days=offset_days)).year

    # -- numbers --------------------------------------------------------------------

    def reserve(self, size: int | None = None, year: int | None = None) -> dict[str, Any]:
        """Reserve a block of case numbers for this workplace (needs the link)."""
        code = self.cfg.workplace_code
        if not code:
            raise NotConfigured("не задано код робочого місця (CNAP_STATION__WORKPLACE_CODE)")
        block = self.client.reserve(code, size, year)
        self.spool.add_block(block)
        return block

    def ensure_numbers(self) -> None:
        """Keep a reserve of numbers for this year, and in December for the next one too."""
        if not self.cfg.workplace_code:
            return
        years = {self._year()}
        if dt.datetime.now(ZoneInfo(self.settings.desk.timezone)).month == 12:
            years.add(self._year() + 1)
        for year in sorted(years):
            if self.spool.numbers_left(year) < max(1, self.cfg.reserve_below):
                self.reserve(year=year)

    # -- accepting at the desk -------------------------------------------------------------

    def add_scan(self, path: Path, *, case: str | None = None, package: str = "input") -> Item:
        """Accept a scanned batch (or, with ``case``, one document of a case) into the spool."""
        if case:
            return self.spool.add_file(path, "document", {"case": case, "package": package})
        return self.spool.add_file(path, "batch", {})

    def register_offline(
        self,
        *,
        service: str,
        applicant: str | None = None,
        items: list[tuple[str, int]] | None = None,
        notify: str = "none",
        contact: str | None = None,
        delivery: str = "in_person",
        department: str | None = None,
        print_forms: bool = True,
    ) -> dict[str, Any]:
        """Register a case now, with a number from the reserved block; deliver it later."""
        from archive.cases import CaseError, Delivery, Item, Notify, new_registration_id
        from archive.journal import format_number

        service = " ".join(service.split())
        if not service:
            raise CaseError("назва послуги порожня")
        Notify(notify), Delivery(delivery)  # validated before a number is spent
        rows = [Item(t, n) for t, n in (items or [(self.settings.desk.default_item, 1)])]
        block, seq = self.spool.take_number(self._year())
        number = format_number(
            block.number_format, year=block.year, seq=seq, centre=block.centre, workplace=block.code
        )
        at = dt.datetime.now(dt.UTC)
        registration_id = new_registration_id()
        payload: dict[str, Any] = {
            "service": service,
            "applicant": applicant,
            "centre": block.centre,
            "items": [{"title": r.title, "sheets": r.sheets} for r in rows],
            "notify": notify,
            "contact": contact,
            "delivery": delivery,
            "department": department,
            "registration_id": registration_id,
            "block_id": block.id,
            "block_seq": seq,
            "registered_at": at.isoformat(),
        }
        self.spool.add_registration(registration_id, number, payload)
        out: dict[str, Any] = {
            "number": number,
            "centre": block.centre,
            "registration_id": registration_id,
            "offline": True,
        }
        if print_forms:
            out.update(self._print_forms(number, block.centre, service, applicant, rows, at))
        return out

    def _print_forms(
        self,
        number: str,
        centre: str,
        service: str,
        applicant: str | None,
        rows: list[Any],
        at: dt.datetime,
    ) -> dict[str, str]:
        from scanner.cover_sheet import CoverSheet, render_cover_sheet_pdf
        from scanner.inventory import render_inventory_pdf

        local = at.astimezone(ZoneInfo(self.settings.desk.timezone)).replace(tzinfo=None)
        stem = "справа-" + "".join(c if c.isalnum() or c in "-_." else "-" for c in number)
        cover = render_cover_sheet_pdf(
            CoverSheet(number, "input", centre),
            self.spool.print_dir / f"{stem}-титульний-аркуш.pdf",
            service=service,
            applicant=applicant,
            printed_at=local,
        )
        inventory = render_inventory_pdf(
            self.spool.print_dir / f"{stem}-опис.pdf",
            case_number=number,
            service=service,
            applicant=applicant or "—",
            centre=centre,
            administrator=self.cfg.login or "—",
            documents=[(r.title, r.sheets) for r in rows],
            received_at=local,
        )
        return {"cover_sheet": str(cover), "inventory": str(inventory)}

    # -- delivering ------------------------------------------------------------------------

    def _delay(self, attempts: int) -> float:
        base = min(self.cfg.retry_max_seconds, self.cfg.retry_min_seconds * 2 ** min(attempts, 20))
        return float(base * (0.5 + self.rng.random()))

    def _deliver(self, item: Item) -> dict[str, Any]:
        if item.kind == "registration":
            result = self.client.register(item.payload)
            if result.get("number") != item.name:
                raise Refused(
                    f"центральний архів видав інший номер ({result.get('number')}) "
                    f"замість {item.name}"
                )
            return result
        path = self.spool.file_path(item.key)
        meta = {k: v for k, v in item.payload.items() if k in ("case", "package", "centre")}
        return self.client.upload(
            path,
            sha256=item.key,
            name=item.name,
            kind=item.kind,
            meta=meta,
            chunk=self.cfg.chunk_bytes,
            progress=lambda sent: self.spool.progress(item.id, sent),
        )

    def sync_once(self) -> SyncReport:
        """Deliver what is due; stops at the first sign the link is down."""
        report = SyncReport()
        # Is the centre there at all? Failed attempts only postponed the items:
        # once it answers again, everything waiting goes now, in order.
        try:
            self.client.ping()
        except LinkDown as exc:
            return self._down(report, str(exc))
        if self.spool.get_meta("link") == "down":
            self.spool.wake()
        try:
            self.ensure_numbers()
        except LinkDown as exc:
            return self._down(report, str(exc))
        except (Refused, NotConfigured) as exc:
            report.error = str(exc)
        for item in self.spool.due(self.clock()):
            if item.kind != "registration" and self.spool.items_waiting("registration"):
                # Scans name their cases on the cover sheets: the cases go first, or
                # the pages would be held at the centre until they arrive.
                break
            try:
                result = self._deliver(item)
            except LinkDown as exc:
                self.spool.retry(item.id, str(exc), self._delay(item.attempts))
                return self._down(report, str(exc))
            except Refused as exc:
                self.spool.fail(item.id, str(exc))
                report.failed += 1
                continue
            self.spool.done(item.id, result)
            if item.kind != "registration":
                self.spool.forget_file(item.key)
            report.sent += 1
        report.link = "up"
        self.spool.set_meta("link", "up")
        self.spool.set_meta("last_sync", dt.datetime.now(dt.UTC).isoformat())
        report.waiting = len(self.spool.items("waiting"))
        return report

    def _down(self, report: SyncReport, error: str) -> SyncReport:
        report.link, report.error = "down", error
        self.spool.set_meta("link", "down")
        self.spool.set_meta("last_error", error)
        report.waiting = len(self.spool.items("waiting"))
        return report

    def status(self) -> dict[str, Any]:
        data = self.spool.summary(self._year())
        data["server"] = self.cfg.server_url
        data["workplace_code"] = self.cfg.workplace_code
        data["items"] = [
            {
                "id": i.id,
                "kind": i.kind,
                "name": i.name,
                "state": i.state,
                "size": i.size,
                "sent": i.sent,
                "attempts": i.attempts,
                "error": i.last_error,
            }
            for i in self.spool.items()
            if i.state != "done"
        ]
        return data

    def run(
        self,
        stop: threading.Event | None = None,
        *,
        watch: Path | None = None,
        on_report: Callable[[SyncReport], None] | None = None,
    ) -> None:
        """The agent loop: pick up scans from ``watch``, deliver, wait, repeat."""
        from scanner.hotfolder import Handled, HotFolder

        stop = stop or threading.Event()

        def take(path: Path) -> Handled:
            item = self.add_scan(path)
            return Handled(True, f"прийнято до черги станції (№ {item.id})")

        folder = None
        if watch is not None:
            folder = HotFolder(
                watch,
                take,
                settle_seconds=self.settings.desk.hotfolder_settle_seconds,
                poll_seconds=self.cfg.poll_seconds,
            )
        while not stop.is_set():
            if folder is not None:
                folder.poll()
            try:
                report = self.sync_once()
            except Refused as exc:
                # E.g. the station's password was changed at the centre: shown, retried.
                report = SyncReport(link="up", error=str(exc))
            if on_report is not None:
                on_report(report)
            stop.wait(self.cfg.poll_seconds)


__all__ = [
    "CentralClient",
    "LinkDown",
    "NoNumbers",
    "NotConfigured",
    "Refused",
    "Station",
    "SyncReport",
]
