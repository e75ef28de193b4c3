"""Hostile and broken inputs, generated on the fly (no binaries in the repository)."""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import pikepdf


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def png_bomb(path: Path, side: int = 60_000) -> Path:
    """A valid 1-bit PNG of side×side pixels that is a few hundred KB on disk."""
    header = b"\x89PNG\r\n\x1a\n" + _chunk(
        b"IHDR", struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    )
    comp = zlib.compressobj(9)
    row = b"\x00" + b"\x00" * ((side + 7) // 8)
    parts = [comp.compress(row * 1000) for _ in range(side // 1000)]
    parts.append(comp.flush())
    path.write_bytes(header + _chunk(b"IDAT", b"".join(parts)) + _chunk(b"IEND", b""))
    return path


def blank_pdf(path: Path, pages: int) -> Path:
    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page(page_size=(595, 842))
    pdf.save(path)
    return path


def encrypted_pdf(path: Path, source: Path) -> Path:
    with pikepdf.open(source) as pdf:
        pdf.save(path, encryption=pikepdf.Encryption(owner="owner-secret", user="user-secret"))
    return path


def truncated_pdf(path: Path, source: Path) -> Path:
    data = source.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def random_pdf(path: Path) -> Path:
    path.write_bytes(os.urandom(50_000))
    return path


def empty(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def docx_like(path: Path) -> Path:
    import zipfile

    with zipfile.ZipFile(path, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    return path
