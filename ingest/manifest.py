"""The manifest of a centre's earlier electronic archive: one CSV row per case.

Reading it is pure: nothing is recorded, no file is opened (only looked up),
so the whole manifest is judged before the first case is imported and the
progress estimate knows the total. A row that breaks a rule is rejected with
a Ukrainian reason that names the row and the column, never the values
(they may name people); the other rows go on. The columns are documented in
``docs/import.md`` and in ``cnap-archive import --help``.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from zoneinfo import ZoneInfo

from archive.imports import ImportedCase
from archive.models import PackageKind

# Column → its Ukrainian alias (either may head the column).
COLUMNS: dict[str, str] = {
    "number": "номер",
    "service": "послуга",
    "applicant": "заявник",
    "registered": "зареєстровано",
    "sent": "передано",
    "result": "результат",
    "closed": "закрито",
    "department": "підрозділ",
    "files": "файли",
    "result_files": "файли_результату",
}
REQUIRED = ("number", "service", "registered", "files")
DATE_COLUMNS = ("registered", "sent", "result", "closed")
# Several files of one case in one cell.
FILE_SEPARATOR = ";"
_DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%d.%m.%Y",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
)
_COLUMN_UA = {
    "number": "номер справи",
    "service": "послуга",
    "applicant": "заявник",
    "registered": "дата реєстрації",
    "sent": "дата передачі",
    "result": "дата надходження результату",
    "closed": "дата закриття",
    "department": "підрозділ",
    "files": "файли",
    "result_files": "файли результату",
}


class ManifestError(Exception):
    """The manifest as a whole cannot be read (message in Ukrainian)."""


@dataclass(frozen=True, slots=True)
class ManifestFile:
    """One file of a row: where it is, which package, its place in its cell (from 1)."""

    path: Path
    package: PackageKind
    column: str
    index: int


@dataclass(frozen=True, slots=True)
class ManifestRow:
    """A row that passed every check: the case and its files."""

    row: int
    case: ImportedCase
    files: tuple[ManifestFile, ...]


@dataclass(frozen=True, slots=True)
class RejectedRow:
    """A row left out, and why (Ukrainian, no personal data)."""

    row: int
    number: str | None
    code: str
    reason: str

    def as_json(self) -> dict[str, Any]:
        return {"row": self.row, "number": self.number, "code": self.code, "reason": self.reason}


@dataclass(slots=True)
class Manifest:
    sha256: str
    rows: list[ManifestRow] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)

    @property
    def documents(self) -> int:
        return sum(len(r.files) for r in self.rows)


class _Reject(Exception):
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


def read_services(path: Path) -> set[str]:
    """The centre's list of services: one name a line, ``#`` starts a comment."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError("перелік послуг не вдалося прочитати (потрібен текст UTF-8)") from exc
    names = {_fold(line.split("#", 1)[0]) for line in text.splitlines()}
    names.discard("")
    if not names:
        raise ManifestError("перелік послуг порожній")
    return names


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def read_manifest(
    path: Path,
    root: Path,
    *,
    timezone: str,
    services: set[str] | None = None,
    now: dt.datetime | None = None,
) -> Manifest:
    """Parse and check every row of the manifest at ``path`` against the folder ``root``."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ManifestError("маніфест не вдалося прочитати") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ManifestError("маніфест має бути в кодуванні UTF-8") from exc
    if not root.is_dir():
        raise ManifestError("каталог імпорту не знайдено")
    manifest = Manifest(hashlib.sha256(data).hexdigest())
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise ManifestError("маніфест порожній") from None
    except csv.Error as exc:
        raise ManifestError("рядок 1 маніфесту не вдалося розібрати як CSV") from exc
    columns = _columns(header)
    tz = ZoneInfo(timezone)
    now = now or dt.datetime.now(dt.UTC)
    base = root.resolve()
    seen: dict[str, int] = {}
    row = 1
    while True:
        row += 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error:
            manifest.rejected.append(
                RejectedRow(row, None, "bad_csv", "рядок не вдалося розібрати як CSV")
            )
            continue
        if not any(c.strip() for c in cells):
            continue  # an empty line
        values = {name: (cells[i].strip() if i < len(cells) else "") for name, i in columns.items()}
        number = values["number"] or None
        try:
            if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
                raise _Reject("extra_cells", "у рядку більше значень, ніж колонок у заголовку")
            parsed = _row(row, values, base, tz, now, services)
            first_row = seen.setdefault(parsed.case.number, row)
            if first_row != row:
                raise _Reject(
                    "duplicate_in_manifest", f"номер справи повторює рядок {first_row} маніфесту"
                )
            manifest.rows.append(parsed)
        except _Reject as exc:
            shown = number if number is not None and _number_ok(number) else None
            manifest.rejected.append(RejectedRow(row, shown, exc.code, exc.reason))
    return manifest


def _columns(header: list[str]) -> dict[str, int]:
    names = {alias: name for name, alias in COLUMNS.items()} | {n: n for n in COLUMNS}
    found: dict[str, int] = {}
    for i, title in enumerate(header):
        key = title.strip().casefold()
        if not key:
            continue
        if key not in names:
            raise ManifestError(
                f"невідома колонка «{title.strip()[:40]}» у заголовку; допустимі: "
                + ", ".join(COLUMNS)
            )
        if names[key] in found:
            raise ManifestError(f"колонка {names[key]} у заголовку двічі")
        found[names[key]] = i
    missing = [c for c in REQUIRED if c not in found]
    if missing:
        raise ManifestError("у заголовку бракує колонок: " + ", ".join(missing))
    for name in COLUMNS:
        found.setdefault(name, len(header) + 1_000_000)  # absent: always empty
    return found


def _number_ok(number: str) -> bool:
    return 0 < len(number) <= 64 and number.isprintable()


def _text(values: dict[str, str], name: str, limit: int) -> str | None:
    text = " ".join(values[name].split())
    if len(text) > limit:
        raise _Reject("too_long", f"{_COLUMN_UA[name]}: не довше {limit} символів")
    return text or None


def _row(
    row: int,
    values: dict[str, str],
    base: Path,
    tz: ZoneInfo,
    now: dt.datetime,
    services: set[str] | None,
) -> ManifestRow:
    for name in ("number", "service", "registered"):
        if not values[name]:
            raise _Reject("missing_field", f"не заповнено: {_COLUMN_UA[name]}")
    number = values["number"]
    if not _number_ok(number):
        raise _Reject("bad_number", "номер справи: 1–64 друковані символи")
    service = _text(values, "service", 500)
    assert service is not None
    if services is not None and _fold(service) not in services:
        raise _Reject("unknown_service", "послуги немає в переліку послуг ЦНАП (--services)")
    dates = {name: _when(values, name, tz, now) for name in DATE_COLUMNS}
    registered = dates["registered"]
    assert registered is not None
    previous = ("registered", registered)
    for name in ("sent", "result", "closed"):
        at = dates[name]
        if at is None:
            continue
        if at < previous[1]:
            raise _Reject("date_order", f"{_COLUMN_UA[name]} раніша, ніж {_COLUMN_UA[previous[0]]}")
        previous = (name, at)
    files = _files(values, "files", PackageKind.input, base) + _files(
        values, "result_files", PackageKind.output, base
    )
    if not files:
        raise _Reject("no_files", "не вказано жодного файлу")
    case = ImportedCase(
        number=number,
        service=service,
        registered_at=registered,
        applicant=_text(values, "applicant", 500),
        department=_text(values, "department", 200),
        sent_at=dates["sent"],
        result_at=dates["result"],
        closed_at=dates["closed"],
    )
    return ManifestRow(row, case, tuple(files))


def _when(values: dict[str, str], name: str, tz: ZoneInfo, now: dt.datetime) -> dt.datetime | None:
    text = " ".join(values[name].split())
    if not text:
        return None
    for fmt in _DATE_FORMATS:
        try:
            at = dt.datetime.strptime(text, fmt).replace(tzinfo=tz)
        except ValueError:
            continue
        if at > now + dt.timedelta(days=1):
            raise _Reject("future_date", f"{_COLUMN_UA[name]} у майбутньому")
        if at.year < 1991:
            raise _Reject("bad_date", f"{_COLUMN_UA[name]}: рік раніше 1991")
        return at
    raise _Reject("bad_date", f"{_COLUMN_UA[name]}: очікується РРРР-ММ-ДД або ДД.ММ.РРРР")


def _files(
    values: dict[str, str], column: str, package: PackageKind, base: Path
) -> list[ManifestFile]:
    found: list[ManifestFile] = []
    seen: set[Path] = set()
    items = [i.strip() for i in values[column].split(FILE_SEPARATOR)]
    for index, item in enumerate((i for i in items if i), start=1):
        where = f"файл № {index} у колонці {column}"
        # Exported from Windows: backslashes separate folders.
        rel = PurePosixPath(item.replace("\\", "/"))
        if rel.is_absolute() or ".." in rel.parts or "\x00" in item or ":" in rel.parts[0]:
            raise _Reject("outside_dir", f"{where}: шлях виходить за межі каталогу імпорту")
        try:
            real = (base / rel).resolve(strict=True)
        except (OSError, RuntimeError):
            raise _Reject("file_missing", f"{where}: файл не знайдено") from None
        if not real.is_relative_to(base):
            # A symbolic link pointing out of the folder is refused like "..".
            raise _Reject("outside_dir", f"{where}: шлях виходить за межі каталогу імпорту")
        if not real.is_file():
            raise _Reject("not_a_file", f"{where}: це не звичайний файл")
        if real in seen:
            continue
        seen.add(real)
        found.append(ManifestFile(real, package, column, index))
    return found


__all__ = [
    "COLUMNS",
    "FILE_SEPARATOR",
    "REQUIRED",
    "Manifest",
    "ManifestError",
    "ManifestFile",
    "ManifestRow",
    "RejectedRow",
    "read_manifest",
    "read_services",
]
