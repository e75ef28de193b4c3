"""One rendered form through real Tesseract, then detection: values and boxes."""

from __future__ import annotations

import shutil

import pytest

from tests.pii_corpus import make_forms

pytestmark = [
    pytest.mark.ocr,
    pytest.mark.skipif(shutil.which("tesseract") is None, reason="needs tesseract"),
]


def test_ocr_scan_of_a_form_finds_its_personal_data_with_boxes() -> None:
    from bench.pii_detection import ocr_image
    from pii import detect
    from tests.synthetic import LINE_SPACING, MARGINS_MM, degrade, render_page

    form = make_forms(1, seed=2026)[0]
    dpi = 300
    img = degrade(render_page(form.line_texts, dpi=dpi), skew_deg=0.4, noise=0.02, seed=1)
    page = ocr_image(img, dpi)
    findings = detect([page])

    got = {(f.kind, f.value) for f in findings}
    truth = set(form.truth())
    assert len(got & truth) >= len(truth) - 1, sorted(truth - got)

    # Each finding is drawn where its line was rendered.
    step = round(round(11 * dpi / 72) * LINE_SPACING) / img.height
    top = MARGINS_MM["top"] / 297.0
    lines_of: dict[tuple[str, str], list[int]] = {}
    for n, line in enumerate(form.lines):
        for p in line:
            if p.label is not None:
                lines_of.setdefault((p.label.kind, p.label.value), []).append(n)
    for f in findings:
        assert f.boxes, f
        tops = [top + n * step for n in lines_of.get((f.kind, f.value), [])]
        for x0, y0, x1, y1 in f.boxes:
            assert 0.0 <= x0 < x1 <= 1.0 and 0.0 <= y0 < y1 <= 1.0
            assert not tops or any(t - step <= y0 <= t + step for t in tops), f
