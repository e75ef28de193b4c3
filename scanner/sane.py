"""Scanning through SANE with ``scanimage`` in batch mode (flatbed, feeder, duplex).

``scanimage`` is SANE's own command-line front end, on every Linux desk
that has a scanner driver (Debian ``sane-utils``); driving it keeps the
archive free of native bindings, and a driver crash can only take that
process down. Pages are written one file each (``--batch``), then joined
losslessly into one multi-page TIFF, the form the batch splitter reads.

Drivers name the paper source differently (``ADF``, ``Automatic Document
Feeder``, ``ADF Duplex``, ``Duplex``; some have a separate ``--adf-mode``),
so the source is chosen from what the device itself lists. A feeder scan
stops when the feeder is empty; a flatbed scan takes one page unless told
otherwise. SANE's ``test`` backend is a real driver and is what the tests
use (``SANE_CONFIG_DIR`` pointing at a ``dll.conf`` that lists ``test``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

SCANIMAGE = "scanimage"
_OPTION = re.compile(r"^\s+(--?[\w-]+)\s+(.*?)(?:\s+\[(.*)\])?\s*$")
# What a feeder says when it has run out of paper: the normal end of a batch.
_END_OF_FEED = ("out of documents", "no more documents", "no documents", "feeder is empty")


class SaneError(Exception):
    """Scanning failed (message in Ukrainian)."""


@dataclass(frozen=True, slots=True)
class Device:
    name: str
    description: str


@dataclass(slots=True)
class ScanOptions:
    device: str
    resolution: int = 300
    mode: str = "Gray"
    adf: bool = False
    duplex: bool = False
    # A source named explicitly overrides ``adf``/``duplex``.
    source: str | None = None
    # Stop after this many pages (feeder: all pages by default; flatbed: one).
    pages: int | None = None
    # Further ``scanimage`` options for the device, e.g. ``["-x", "210", "-y", "297"]``.
    extra: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ScanResult:
    pages: list[Path]
    source: str | None
    # What scanimage said at the end (e.g. the feeder ran out), for the record.
    message: str


def _run(
    args: Sequence[str], env: Mapping[str, str] | None, timeout: float, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    exe = shutil.which(SCANIMAGE, path=(env or os.environ).get("PATH"))
    if exe is None:
        raise SaneError("scanimage не знайдено: встановіть пакет sane-utils")
    try:
        return subprocess.run(
            [exe, *args],
            capture_output=True,
            text=True,
            env=dict(env) if env is not None else None,
            timeout=timeout,
            cwd=cwd,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise SaneError(f"сканер не відповів за {timeout:.0f} с") from exc


def list_devices(env: Mapping[str, str] | None = None, timeout: float = 60.0) -> list[Device]:
    """Scanners SANE can see."""
    proc = _run(["-f", "%d\t%v %m (%t)%n"], env, timeout)
    devices = []
    for line in proc.stdout.splitlines():
        name, _, desc = line.partition("\t")
        if name.strip():
            devices.append(Device(name.strip(), desc.strip()))
    return devices


def device_options(
    device: str, env: Mapping[str, str] | None = None, timeout: float = 60.0
) -> dict[str, list[str]]:
    """The device's options and their allowed values (``--source`` → ``[Flatbed, ADF…]``)."""
    proc = _run(["-d", device, "-A"], env, timeout)
    if proc.returncode != 0:
        raise SaneError(f"сканер {device} недоступний: {_last_line(proc.stderr)}")
    options: dict[str, list[str]] = {}
    for line in proc.stdout.splitlines():
        m = _OPTION.match(line)
        if not m:
            continue
        name, values = m.group(1), m.group(2)
        if "|" in values:
            options[name] = [v.strip() for v in values.split("|")]
        else:
            options[name] = [values.strip()]
    return options


def pick_source(options: Mapping[str, Sequence[str]], *, adf: bool, duplex: bool) -> list[str]:
    """``scanimage`` arguments selecting the feeder or duplex from what the device offers."""
    sources = list(options.get("--source", []))
    if duplex:
        both = [s for s in sources if "duplex" in s.lower()]
        if both:
            return ["--source", both[0]]
        modes = options.get("--adf-mode", [])
        feeder = _feeder(sources)
        if feeder and any(m.lower() == "duplex" for m in modes):
            return [
                "--source",
                feeder,
                "--adf-mode",
                next(m for m in modes if m.lower() == "duplex"),
            ]
        raise SaneError(
            "сканер не підтримує двобічне сканування"
            + (f" (джерела: {', '.join(sources)})" if sources else "")
        )
    if adf:
        feeder = _feeder(sources)
        if feeder is None:
            raise SaneError(
                "у сканера немає автоподавача"
                + (f" (джерела: {', '.join(sources)})" if sources else "")
            )
        return ["--source", feeder]
    return []


def _feeder(sources: Sequence[str]) -> str | None:
    for s in sources:
        low = s.lower()
        if ("adf" in low or "feeder" in low or "автопод" in low) and "duplex" not in low:
            return s
    return None


def _last_line(text: str) -> str:
    lines = [x.strip() for x in text.splitlines() if x.strip()]
    return lines[-1] if lines else "невідома помилка"


def scan(
    opts: ScanOptions,
    out_dir: Path,
    *,
    env: Mapping[str, str] | None = None,
    timeout: float = 600.0,
) -> ScanResult:
    """Scan pages into ``out_dir`` (one TIFF per page, in order)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    args = ["-d", opts.device, "--format=tiff", f"--batch={out_dir / 'page-%04d.tif'}"]
    args += [f"--resolution={opts.resolution}", f"--mode={opts.mode}"]
    source_args: list[str] = []
    if opts.source:
        source_args = ["--source", opts.source]
    elif opts.adf or opts.duplex:
        source_args = pick_source(
            device_options(opts.device, env), adf=opts.adf, duplex=opts.duplex
        )
    args += source_args
    feeder = bool(source_args) and source_args[1].lower() not in ("flatbed", "планшет")
    count = opts.pages if opts.pages is not None else (None if feeder else 1)
    if count is not None:
        args.append(f"--batch-count={count}")
    args += opts.extra
    proc = _run(args, env, timeout, cwd=out_dir)
    pages = sorted(out_dir.glob("page-*.tif"))
    message = _last_line(proc.stderr) if proc.stderr.strip() else ""
    ended_by_feeder = any(m in proc.stderr.lower() for m in _END_OF_FEED)
    if not pages:
        if ended_by_feeder:
            raise SaneError("в автоподавачі немає паперу")
        raise SaneError(f"сканування не вдалося: {message or proc.returncode}")
    if proc.returncode != 0 and not ended_by_feeder:
        # Pages scanned before a jam are kept; the administrator is told.
        message = f"сканування перервано після {len(pages)} стор.: {message}"
    return ScanResult(pages, source_args[1] if source_args else None, message)


def join_tiff(pages: Sequence[Path], dest: Path) -> Path:
    """One multi-page TIFF from page files, losslessly (bilevel pages stay CCITT G4)."""
    if not pages:
        raise SaneError("немає сторінок")
    images = []
    for p in pages:
        with Image.open(p) as img:
            img.load()
            images.append(img.copy())
            images[-1].info["dpi"] = img.info.get("dpi", (300, 300))
    bilevel = all(im.mode == "1" for im in images)
    first, rest = images[0], images[1:]
    dpi = first.info.get("dpi", (300, 300))
    first.save(
        dest,
        "TIFF",
        save_all=True,
        append_images=rest,
        compression="group4" if bilevel else "tiff_lzw",
        dpi=(float(dpi[0]), float(dpi[1])),
    )
    return dest
