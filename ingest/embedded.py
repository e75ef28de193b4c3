"""Files hidden inside a PDF: attachments (the ``EmbeddedFiles`` name tree) and file
attachment annotations on pages.

They are never OCR'd nor scanned for identifiers by the PDF pipeline, so they
must not reach the PDF/A rendition (issue 9, item 9): they are removed from
the copy that is processed, and the rendition's notes say how many and why.
The original is kept as received (it is served only at full access).
"""

from __future__ import annotations

from pathlib import Path

import pikepdf

REMOVED_NOTE = (
    "З архівної копії вилучено вкладені файли ({count}): їх не розпізнано і не перевірено "
    "на персональні дані; вони є лише в оригіналі, надішліть їх окремими файлами"
)


def strip_embedded(source: Path, dest: Path) -> int:
    """Write ``source`` without embedded files to ``dest``; returns how many were removed.

    Nothing is written when there are none (0).
    """
    with pikepdf.open(source) as pdf:
        removed = 0
        names = pdf.Root.get("/Names")
        if isinstance(names, pikepdf.Dictionary) and "/EmbeddedFiles" in names:
            removed += len(pdf.attachments)
            del names["/EmbeddedFiles"]
        for page in pdf.pages:
            annots = page.obj.get("/Annots")
            if not isinstance(annots, pikepdf.Array):
                continue
            keep = [a for a in annots if a.get("/Subtype") != pikepdf.Name.FileAttachment]
            if len(keep) != len(annots):
                removed += len(annots) - len(keep)
                page.obj["/Annots"] = pikepdf.Array(keep)
        # Associated files of PDF/A-3 point at the same streams.
        if "/AF" in pdf.Root:
            del pdf.Root["/AF"]
        if removed:
            pdf.remove_unreferenced_resources()
            pdf.save(dest)
        return removed
