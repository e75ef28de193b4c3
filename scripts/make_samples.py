"""Regenerate the small sample scans bundled in samples/ (run from the repo root)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.synthetic import (
    born_digital_pdf,
    degrade,
    render_page,
    save_image,
    save_multipage_tiff,
)

OUT = Path("samples")

APPLICATION = [
    "Центр надання адміністративних послуг",
    "ЗАЯВА",
    "про реєстрацію місця проживання",
    "Заявник: Коваленко Олена Петрівна",
    "Прошу зареєструвати місце проживання моєї сім'ї за адресою:",
    "м. Житомир, вул. Михайла Грушевського, буд. 14, кв. 3.",
    "Спосіб отримання результату: особисто у ЦНАП.",
    "Спосіб повідомлення: SMS.",
    "До заяви додаю: паспорт громадянина України, довідку про склад сім'ї.",
]
CERTIFICATE = [
    "ДОВІДКА",
    "про склад сім'ї або зареєстрованих у житловому приміщенні осіб",
    "Видана для подання до центру надання адміністративних послуг.",
]
DECISION = [
    "РІШЕННЯ",
    "про надання адміністративної послуги",
    "Розглянувши заяву про реєстрацію місця проживання,",
    "виконавчий комітет вирішив: зареєструвати місце проживання заявника.",
]


def main() -> None:
    OUT.mkdir(exist_ok=True)
    scan = degrade(
        render_page(APPLICATION, dpi=300),
        skew_deg=-2.5,
        noise=0.03,
        dpi=200,
        jpeg_quality=60,
        seed=1,
    )
    save_image(scan, OUT / "zayava-scan.jpg", dpi=200)
    pages = [
        degrade(render_page(CERTIFICATE, dpi=200), bilevel=True, seed=2),
        degrade(
            render_page(["Печатка", "Підпис посадової особи"], dpi=200),
            upside_down=True,
            bilevel=True,
            seed=3,
        ),
    ]
    save_multipage_tiff(pages, OUT / "dovidka-2-storinky.tiff", dpi=200)
    born_digital_pdf([DECISION], OUT / "rishennia.pdf")


if __name__ == "__main__":
    main()
