"""Masking of personal data: values and whole texts."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from common.pages import PageText
from pii import BULLET, detect, mask, mask_text
from tests.pii_corpus import make_forms, noisy


@pytest.mark.parametrize(
    ("value", "kind", "masked"),
    [
        ("2734567899", "rnokpp", "27••••••99"),
        ("14360570", "edrpou", "14•••••0"),
        ("UA213223130000026007233566001", "iban", "UA•••••••••••••••••••••••6001"),
        ("19840309-01234", "unzr", "••••••••-•••34"),
        ("001234567", "id_card", "••••••567"),
        ("КВ123456", "passport", "КВ•••••6"),
        ("FX123456", "foreign_passport", "FX•••••6"),
        ("+380671234567", "phone", "+380•••••••67"),
        ("t.shevchenko@ukr.net", "email", "t•••••••••••@u••.net"),
        ("Шевченко Тарас Григорович", "name", "Ш. Т. Г."),
    ],
)
def test_mask_values(value: str, kind: str, masked: str) -> None:
    assert mask(value, kind) == masked


MASKED_KINDS = ["rnokpp", "edrpou", "iban", "unzr", "id_card", "passport", "phone"]


@given(st.text(alphabet="0123456789", min_size=6, max_size=40), st.sampled_from(MASKED_KINDS))
def test_mask_never_reveals_the_middle(value: str, kind: str) -> None:
    masked = mask(value, kind)
    assert len(masked) == len(value)
    visible = [i for i, ch in enumerate(masked) if ch != BULLET]
    # At most 40 % visible, and only at the ends.
    assert len(visible) <= len(value) * 2 // 5 + (4 if kind == "phone" else 0)
    n = len(value)
    middle = range(n // 2 - 1, n // 2 + 1) if n >= 6 else range(0)
    if kind != "phone":
        assert all(masked[i] == BULLET for i in middle)
    for i in visible:
        assert masked[i] == value[i]


def test_mask_text_masks_every_finding_and_keeps_layout() -> None:
    text = (
        "ПІБ: ШЕВЧЕНКО Тарас Григорович\n"
        "РНОКПП: 17 59 О1 З776, тел. +38 (067) 123-45-67\n"
        "IBAN UA21 3223 1300 0002 6007 2335 6600 1, e-mail: t.shevchenko@ukr.net\n"
        "Справа № 2026/00123"
    )
    findings = detect([PageText(1, text)])
    assert len(findings) == 5
    masked = mask_text(text, findings)
    assert masked == (
        "ПІБ: Ш. Т. Г.\n"
        "РНОКПП: 17 •• •• ••76, тел. +•• (•••) •••-••-67\n"
        "IBAN UA•• •••• •••• •••• •••• •••• •600 1, e-mail: t•••••••••••@u••.net\n"
        "Справа № 2026/00123"
    )


def test_mask_text_merges_overlaps_and_ignores_stray_spans() -> None:
    from pii import Finding

    text = "РНОКПП 1759013776"
    f1 = Finding("rnokpp", "1759013776", 1, 7, 17)
    f2 = Finding("rnokpp", "1759013776", 1, 9, 15)
    stray = Finding("phone", "+380671234567", 1, 40, 50)
    assert mask_text(text, [f2, f1, stray]) == "РНОКПП 17••••••76"
    assert mask_text(text, []) == text


def test_masked_forms_reveal_no_identifier() -> None:
    rng = random.Random(4)
    for i, form in enumerate(make_forms(60, seed=21)):
        text = noisy(form, i).text if rng.random() < 0.5 else form.text
        findings = detect([PageText(1, text)])
        masked = mask_text(text, findings)
        assert len(findings) == len(form.labels)
        for f in findings:
            original = text[f.start : f.end]
            digits = "".join(ch for ch in original if ch.isalnum())
            if f.kind != "name" and len(digits) >= 8:
                # The full run of characters never survives masking.
                assert digits not in "".join(ch for ch in masked if ch.isalnum())
        for label in form.labels:
            if label.kind == "name" and " " in label.value:
                assert label.value not in masked
