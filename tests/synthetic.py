"""Synthetic test scans: Ukrainian administrative text, rendered and degraded.

Everything is deterministic by seed so tests and benchmarks are repeatable.
Stable API used across the test suite and the benchmarks:

- :func:`ukrainian_lines` — realistic lines of a ЦНАП form or decision;
- :func:`render_page` — an A4 page with those lines in a real TTF font;
- :func:`degrade` — what a desk scanner does to a page (skew, upside down,
  noise, blur, lower resolution, JPEG, bilevel);
- :func:`photograph` — a phone photo of a page (perspective, table, shadow);
- :func:`save_image`, :func:`images_to_pdf`, :func:`born_digital_pdf` — files;
- :func:`cer` — character error rate.
"""

from __future__ import annotations

import io
import math
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONTS = {
    "serif": FONT_DIR / "DejaVuSerif.ttf",
    "sans": FONT_DIR / "DejaVuSans.ttf",
    "mono": FONT_DIR / "DejaVuSansMono.ttf",
    "serif-bold": FONT_DIR / "DejaVuSerif-Bold.ttf",
    "sans-bold": FONT_DIR / "DejaVuSans-Bold.ttf",
}

A4_MM = (210.0, 297.0)
# Margins of a Ukrainian official document (ДСТУ 4163): left 30 mm, right
# 10 mm, top and bottom 20 mm.
MARGINS_MM = {"left": 30.0, "right": 10.0, "top": 20.0, "bottom": 20.0}
LINE_SPACING = 1.35

# ---------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------

_SURNAMES = [
    "Шевченко", "Коваленко", "Бондаренко", "Ткаченко", "Кравченко", "Олійник",
    "Мельник", "Шевчук", "Поліщук", "Лисенко", "Гнатюк", "Кузьмич", "Д'яченко",
    "Грищенко", "Савчук", "Юрченко", "Заїка", "Ярошенко", "Федорів", "Гаврилюк",
]  # fmt: skip
_NAMES_F = ["Олена", "Мар'яна", "Ірина", "Наталія", "Оксана", "Юлія", "Богдана"]
_NAMES_M = ["Тарас", "В'ячеслав", "Андрій", "Олег", "Євген", "Ігор", "Остап", "Дмитро"]
_PATRONYMICS_F = ["Іванівна", "Петрівна", "Олексіївна", "Миколаївна", "Степанівна"]
_PATRONYMICS_M = ["Іванович", "Петрович", "Григорович", "Юрійович", "Васильович"]
_NAMES = _NAMES_F + _NAMES_M
_PATRONYMICS = _PATRONYMICS_F + _PATRONYMICS_M
_CITIES = [
    "Львів", "Київ", "Житомир", "Тернопіль", "Івано-Франківськ", "Вінниця",
    "Стрий", "Дрогобич", "Самбір", "Жовква", "Бориспіль", "Ужгород",
]  # fmt: skip
_STREETS = [
    "Шевченка", "Грушевського", "Франка", "Лесі Українки", "Січових Стрільців",
    "Незалежності", "Соборна", "Пам'ятна", "Зелена", "Об'їзна", "Коновальця",
]  # fmt: skip
_SERVICES = [
    "реєстрація місця проживання",
    "зняття з реєстрації місця проживання",
    "видача довідки про склад сім'ї",
    "державна реєстрація народження дитини",
    "оформлення паспорта громадянина України у формі ID-картки",
    "надання відомостей з Державного земельного кадастру",
    "державна реєстрація речового права на нерухоме майно",
    "призначення державної соціальної допомоги",
    "видача дозволу на порушення об'єкта благоустрою",
    "державна реєстрація фізичної особи-підприємця",
    "видача витягу з Єдиного державного реєстру",
]
_DOCUMENTS = [
    "копія паспорта громадянина України",
    "копія реєстраційного номера облікової картки платника податків",
    "свідоцтво про народження дитини",
    "довідка про склад сім'ї",
    "договір купівлі-продажу квартири",
    "витяг з Державного реєстру речових прав",
    "квитанція про сплату адміністративного збору",
    "довіреність, посвідчена нотаріально",
    "технічний паспорт на об'єкт нерухомого майна",
    "заява власника житла або його представника",
]
_PROVIDERS = [
    "Відділ реєстрації місця проживання",
    "Управління соціального захисту населення",
    "Відділ державної реєстрації актів цивільного стану",
    "Управління Держгеокадастру",
    "Відділ державної реєстрації речових прав на нерухоме майно",
]
_FILLER = [
    "Адміністративна послуга надається безоплатно у строк до {d} робочих днів.",
    "Заява подається особисто або через законного представника.",
    "Підставою для відмови є подання неповного пакета документів.",
    "Результат надання послуги видається заявнику в центрі надання адміністративних послуг.",
    "Відповідно до статті {art} Закону України «Про адміністративні послуги».",
    "Згідно з рішенням виконавчого комітету № {num} від {date}.",
    "Строк зберігання документів становить {y} років з дня надання послуги.",
    "Повідомлення про результат надсилається на e-mail або телефон заявника.",
    "Інформацію про м'ясо, яке продається на ринку, перевіряє Держпродспоживслужба.",
    "Даю згоду на обробку моїх персональних даних у межах, необхідних для надання послуги.",
    "Опис вхідного пакета документів складено у двох примірниках.",
    "Лист про проходження справи передано суб'єкту надання адміністративної послуги.",
    "Справу передано до архіву після закінчення строку зберігання в ЦНАП.",
    "Розмір адміністративного збору становить {fee} грн {kop} коп.",
    "Прошу надіслати результат поштою на адресу, зазначену в заяві.",
    "Під'їзд № {d}, поверх {floor}, домофон працює з 8:00 до 20:00.",
    "Член сім'ї, який проживає разом із заявником, подає згоду письмово.",
]


def _date(rng: random.Random, start_year: int = 1950, end_year: int = 2025) -> str:
    start = date(start_year, 1, 1)
    days = (date(end_year, 12, 31) - start).days
    return (start + timedelta(days=rng.randrange(days))).strftime("%d.%m.%Y")


def _person(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return f"{rng.choice(_SURNAMES)} {rng.choice(_NAMES_F)} {rng.choice(_PATRONYMICS_F)}"
    return f"{rng.choice(_SURNAMES)} {rng.choice(_NAMES_M)} {rng.choice(_PATRONYMICS_M)}"


def _address(rng: random.Random) -> str:
    return (
        f"м. {rng.choice(_CITIES)}, вул. {rng.choice(_STREETS)}, "
        f"буд. {rng.randint(1, 180)}, кв. {rng.randint(1, 240)}"
    )


def _line_generators(rng: random.Random) -> list[str]:
    """A pool of candidate lines; the caller picks from it in order and at random."""
    fill = {
        "d": rng.randint(1, 30),
        "art": rng.randint(1, 21),
        "num": rng.randint(10, 999),
        "date": _date(rng, 2015, 2025),
        "y": rng.choice([3, 5, 10, 75]),
        "fee": rng.randint(20, 900),
        "kop": f"{rng.randint(0, 99):02d}",
        "floor": rng.randint(1, 16),
    }
    return [
        f"Прізвище, ім'я, по батькові: {_person(rng)}",
        f"Дата народження: {_date(rng, 1940, 2010)}, місце народження: м. {rng.choice(_CITIES)}",
        f"РНОКПП {rng.randint(1_000_000_000, 3_999_999_999)}, паспорт "
        f"{rng.choice('АВЕКМНОРСТ')}{rng.choice('АВЕКМНОРСТ')} {rng.randint(100000, 999999)}",
        f"Адреса: {_address(rng)}",
        f"Телефон: +380 {rng.randint(50, 99)} {rng.randint(100, 999)} "
        f"{rng.randint(10, 99)} {rng.randint(10, 99)}",
        f"Адміністративна послуга: {rng.choice(_SERVICES)}",
        f"Справа № {rng.randint(1, 9999):04d}/{rng.randint(1, 99):02d} "
        f"від {_date(rng, 2020, 2025)}",
        f"Додаток {rng.randint(1, 9)}: {rng.choice(_DOCUMENTS)}, {rng.randint(1, 12)} арк.",
        f"Суб'єкт надання послуги: {rng.choice(_PROVIDERS)}",
        f"Склад сім'ї (кількість осіб): {rng.randint(1, 7)}, з них дітей: {rng.randint(0, 4)}",
        f"Довідку видано {_date(rng, 2018, 2025)} для подання за місцем вимоги.",
        f"Прошу надати послугу «{rng.choice(_SERVICES)}» за адресою: {_address(rng)}.",
        rng.choice(_FILLER).format(**fill),
        rng.choice(_FILLER).format(**fill),
        f"Адміністратор ЦНАП {rng.choice(_SURNAMES)} {rng.choice(_NAMES)[0]}. "
        f"{rng.choice(_PATRONYMICS)[0]}. (підпис)",
    ]


_TITLES = [
    "ЗАЯВА про реєстрацію місця проживання",
    "ЗАЯВА про видачу довідки про склад сім'ї",
    "РІШЕННЯ про надання адміністративної послуги",
    "ДОВІДКА про реєстрацію місця проживання особи",
    "ОПИС вхідного пакета документів",
    "ЛИСТ про проходження справи",
]


def ukrainian_lines(seed: int, n: int) -> list[str]:
    """``n`` lines of a plausible ЦНАП document (title first), deterministic by ``seed``.

    Lines stay under ~70 characters so they fit an A4 text width at 11 pt.
    """
    rng = random.Random(seed)
    lines: list[str] = [rng.choice(_TITLES)] if n > 0 else []
    pool: list[str] = []
    while len(lines) < n:
        if not pool:
            pool = _line_generators(rng)
            rng.shuffle(pool)
        line = pool.pop()
        lines.extend(_wrap(line, 70))
    return lines[:n]


def _wrap(line: str, width: int) -> list[str]:
    words = line.split()
    out: list[str] = []
    current = ""
    for word in words:
        if current and len(current) + 1 + len(word) > width:
            out.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        out.append(current)
    return out


# ---------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------


def _font(font: str, size_px: int) -> ImageFont.FreeTypeFont:
    path = FONTS.get(font, Path(font))
    return ImageFont.truetype(str(path), size_px)


def render_page(
    lines: list[str], *, dpi: int = 300, font_size_pt: float = 11.0, font: str = "serif"
) -> Image.Image:
    """Render ``lines`` on a white A4 page (mode ``L``) with form-like margins.

    ``font`` is ``serif``/``sans``/``mono`` (DejaVu) or a path to a TTF file.
    Lines that are too wide are word-wrapped; lines that do not fit are dropped,
    so keep ``lines`` to about 45 at 11 pt.
    """
    px_per_mm = dpi / 25.4
    width, height = (round(A4_MM[0] * px_per_mm), round(A4_MM[1] * px_per_mm))
    img = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(img)
    size_px = max(6, round(font_size_pt * dpi / 72))
    face = _font(font, size_px)
    left = round(MARGINS_MM["left"] * px_per_mm)
    right = width - round(MARGINS_MM["right"] * px_per_mm)
    bottom = height - round(MARGINS_MM["bottom"] * px_per_mm)
    y = round(MARGINS_MM["top"] * px_per_mm)
    step = round(size_px * LINE_SPACING)
    for line in lines:
        for part in _fit(line, face, right - left):
            if y + step > bottom:
                break
            draw.text((left, y), part, font=face, fill=0)
            y += step
    img.info["dpi"] = (dpi, dpi)
    return img


def _fit(line: str, face: ImageFont.FreeTypeFont, width_px: int) -> list[str]:
    words = line.split()
    out: list[str] = []
    current = ""
    for word in words:
        candidate = f"{current} {word}" if current else word
        if current and face.getlength(candidate) > width_px:
            out.append(current)
            current = word
        else:
            current = candidate
    if current:
        out.append(current)
    return out


# ---------------------------------------------------------------------------
# Degradation
# ---------------------------------------------------------------------------


def _source_dpi(img: Image.Image) -> float:
    dpi = img.info.get("dpi")
    if isinstance(dpi, tuple) and dpi and float(dpi[0]) > 0:
        return float(dpi[0])
    return 300.0


def degrade(
    img: Image.Image,
    *,
    skew_deg: float = 0.0,
    upside_down: bool = False,
    noise: float = 0.0,
    blur: float = 0.0,
    dpi: int | None = None,
    jpeg_quality: int | None = None,
    bilevel: bool = False,
    seed: int = 0,
) -> Image.Image:
    """Simulate a desk scan of the rendered page.

    Order follows the physics: the sheet lies rotated on the glass (upside
    down, skewed; the scan area stays A4, so corners fall off as on a real
    scanner), the sensor samples it at ``dpi``, optics blur it (``blur`` is a
    Gaussian radius in output pixels), the sensor adds noise (``noise`` is the
    standard deviation as a fraction of full scale, plus speckles), then the
    driver thresholds (``bilevel``) or JPEG-compresses (``jpeg_quality``).
    """
    src_dpi = _source_dpi(img)
    out = img.convert("L")
    if upside_down:
        out = out.transpose(Image.Transpose.ROTATE_180)
    if skew_deg:
        out = out.rotate(skew_deg, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=255)
    out_dpi = float(dpi) if dpi else src_dpi
    if dpi and abs(out_dpi - src_dpi) > 1e-6:
        scale = out_dpi / src_dpi
        size = (max(1, round(out.width * scale)), max(1, round(out.height * scale)))
        out = out.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    if blur > 0:
        out = out.filter(ImageFilter.GaussianBlur(blur))
    if noise > 0:
        rng = np.random.default_rng(seed)
        arr = np.asarray(out, dtype=np.float32)
        arr = arr + rng.normal(0.0, noise * 255.0, arr.shape).astype(np.float32)
        # Dust and toner specks: small dark dots scattered over the page.
        specks = rng.random(arr.shape) < noise * 0.004
        arr[specks] = rng.uniform(0, 90, int(specks.sum()))
        out = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "L")
    if bilevel:
        out = out.point(lambda v: 255 if v >= 150 else 0).convert("1", dither=Image.Dither.NONE)
    elif jpeg_quality is not None:
        buf = io.BytesIO()
        out.save(buf, "JPEG", quality=jpeg_quality, dpi=(out_dpi, out_dpi))
        buf.seek(0)
        out = Image.open(buf)
        out.load()
    out.info["dpi"] = (out_dpi, out_dpi)
    return out


# ---------------------------------------------------------------------------
# Phone photographs
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Photo:
    """A generated phone photo of a page and where the page's corners landed."""

    image: Image.Image  # RGB, not yet compressed (:func:`save_photo` writes the JPEG)
    corners: np.ndarray  # (4, 2) x, y: top-left, top-right, bottom-right, bottom-left
    tilt_deg: float


def _rotation(tilt_deg: float, axis_deg: float, roll_deg: float) -> np.ndarray:
    t, a, r = (math.radians(v) for v in (tilt_deg, axis_deg, roll_deg))
    # Tilt about an axis lying in the page plane at angle ``axis_deg``
    # (Rodrigues), then an in-plane turn of the sheet on the table.
    k = np.array([math.cos(a), math.sin(a), 0.0])
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    tilt = np.eye(3) + math.sin(t) * kx + (1 - math.cos(t)) * (kx @ kx)
    roll = np.array(
        [[math.cos(r), -math.sin(r), 0.0], [math.sin(r), math.cos(r), 0.0], [0.0, 0.0, 1.0]]
    )
    return np.asarray(tilt @ roll)


def photograph(
    page: Image.Image,
    *,
    seed: int,
    tilt_deg: float | None = None,
    frame: tuple[int, int] = (3000, 4000),
    shadow: bool = True,
    table: tuple[float, float, float] | None = None,
) -> Photo:
    """Simulate a phone photo of ``page`` (an A4 rendering) lying on a table.

    A pinhole camera (focal length of a phone's main camera, ~26 mm
    equivalent) looks at the sheet tilted by ``tilt_deg`` (default: 10–25° at
    random) about a random axis, the sheet turned a little on the table; a
    textured table around it, the paper slightly warm; a light gradient across
    the frame and the soft shadow of the phone or a hand over part of the page;
    lens blur and sensor noise. ``table`` is its RGB colour (default: a
    random dull brown). JPEG compression is left to :func:`save_photo`.
    """
    import cv2

    rng = np.random.default_rng(seed)
    fw, fh = frame
    if tilt_deg is None:
        tilt_deg = float(rng.uniform(10.0, 25.0))
    rot = _rotation(tilt_deg, float(rng.uniform(0, 360)), float(rng.uniform(-8, 8)))
    pw, ph = page.size
    focal = 0.6 * math.hypot(fw, fh)
    flat = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], dtype=np.float64)
    local = np.column_stack([flat - [pw / 2, ph / 2], np.zeros(4)]) @ rot.T
    # The camera looks at the sheet from a distance where it about fills the
    # frame, not quite centred on it.
    local[:, 2] += focal * ph / (0.8 * fh)
    local[:, :2] += rng.uniform(-0.08, 0.08, 2) * [pw, ph]
    rays = local[:, :2] / local[:, 2:3]
    # Zoom (a focal length) so that the page fits with a margin of table
    # around it; the principal point stays at the centre of the frame.
    half = np.array([fw / 2.0, fh / 2.0])
    fill = float(rng.uniform(0.8, 0.92))
    zoom = fill * float(np.min(half / np.abs(rays).max(axis=0)))
    quad = half + zoom * rays
    size = quad.max(axis=0) - quad.min(axis=0)
    matrix = cv2.getPerspectiveTransform(flat.astype(np.float32), quad.astype(np.float32))
    paper = np.asarray(page.convert("L"), dtype=np.float32)
    warped = cv2.warpPerspective(paper, matrix, (fw, fh), flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(np.ones((ph, pw), np.float32), matrix, (fw, fh))
    # Light: a gradient across the frame and a soft-edged shadow, computed
    # coarsely (light varies slowly) and enlarged.
    lw, lh = fw // 8, fh // 8
    yy, xx = np.mgrid[0:lh, 0:lw].astype(np.float32) * 8.0
    angle = rng.uniform(0, 2 * math.pi)
    along = xx * math.cos(angle) + yy * math.sin(angle)
    along = (along - along.min()) / (along.max() - along.min())
    light = 1.0 - float(rng.uniform(0.25, 0.4)) * along
    if shadow:
        s_angle = rng.uniform(0, 2 * math.pi)
        centre = quad.mean(axis=0) + rng.uniform(-0.25, 0.25, 2) * size
        side = (xx - centre[0]) * math.cos(s_angle) + (yy - centre[1]) * math.sin(s_angle)
        edge = np.clip(side / (0.03 * fw) + 0.5, 0.0, 1.0)  # soft penumbra
        light = light * (1.0 - float(rng.uniform(0.25, 0.4)) * edge)
    light = cv2.resize(light.astype(np.float32), (fw, fh), interpolation=cv2.INTER_LINEAR)
    # The table: a dull colour with a coarse texture; the paper slightly warm.
    table_rgb = table or (rng.uniform(70, 130), rng.uniform(55, 100), rng.uniform(40, 90))
    tint = np.array([1.0, 0.97, 0.91]) * rng.uniform(0.9, 1.0)
    coarse = rng.normal(0, 12, (fh // 40, fw // 40)).astype(np.float32)
    texture = cv2.resize(coarse, (fw, fh))
    page_part = cv2.multiply(warped, mask)
    table_part = cv2.multiply(texture, 1.0 - mask)
    channels = []
    for c in range(3):
        table_c = cv2.add(table_part, float(table_rgb[c]) * (1.0 - mask))
        lit = cv2.multiply(cv2.add(page_part * float(tint[c]), table_c), light)
        lit = cv2.GaussianBlur(lit, (0, 0), 0.9)
        noise = rng.standard_normal((fh, fw), dtype=np.float32) * 3.0
        channels.append(np.clip(cv2.add(lit, noise), 0, 255).astype(np.uint8))
    out = Image.fromarray(np.dstack(channels), "RGB")
    return Photo(out, quad, tilt_deg)


def save_photo(photo: Photo, path: Path | str, *, camera: bool = True, quality: int = 85) -> Path:
    """Write the photo as a phone does: JPEG at 72 dpi, with camera EXIF if ``camera``."""
    path = Path(path)
    exif = Image.Exif()
    if camera:
        exif[0x010F] = "Google"  # Make
        exif[0x0110] = "Pixel 7"  # Model
        exif[0x8769] = {0x829A: 1 / 60, 0x829D: 1.85, 0x8827: 200, 0x920A: 6.81}
    photo.image.save(path, "JPEG", quality=quality, dpi=(72, 72), exif=exif.tobytes())
    return path


def photo_scan(seed: int, n_lines: int = 40, font_size_pt: float = 12.0) -> tuple[str, Photo]:
    """The page :func:`scan` renders for ``seed``, photographed with a phone."""
    lines = ukrainian_lines(seed, n_lines)
    page = render_page(lines, font_size_pt=font_size_pt)
    return "\n".join(lines), photograph(page, seed=seed)


# ---------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------


def save_image(img: Image.Image, path: Path | str, dpi: float | None = None) -> Path:
    """Save with the resolution recorded; the format follows the suffix.

    A JPEG that came out of :func:`degrade` is re-saved with its own
    quantisation tables, so it is not compressed a second time.
    """
    path = Path(path)
    res = float(dpi) if dpi else _source_dpi(img)
    suffix = path.suffix.lower()
    if suffix in {".jpg", ".jpeg"}:
        if img.format == "JPEG":
            img.save(path, "JPEG", quality="keep", dpi=(res, res))
        else:
            img.convert("L" if img.mode in {"1", "L"} else "RGB").save(
                path, "JPEG", quality=90, dpi=(res, res)
            )
    elif suffix in {".tif", ".tiff"}:
        img.save(path, "TIFF", compression="group4" if img.mode == "1" else "tiff_lzw",
                 dpi=(res, res))  # fmt: skip
    else:
        img.save(path, dpi=(res, res))
    return path


def save_multipage_tiff(images: Sequence[Image.Image], path: Path | str, dpi: float) -> Path:
    """A multi-page TIFF, as a sheet-fed scanner writes one."""
    path = Path(path)
    first, *rest = [im.convert("L") if im.mode not in {"1", "L", "RGB"} else im for im in images]
    first.save(path, "TIFF", save_all=True, append_images=rest, compression="tiff_lzw",
               dpi=(dpi, dpi))  # fmt: skip
    return path


def images_to_pdf(images: Sequence[Image.Image], path: Path | str, dpi: float) -> Path:
    """A multi-page image-only PDF (a scan with no text layer), one image per page."""
    import img2pdf

    path = Path(path)
    blobs: list[bytes] = []
    for img in images:
        buf = io.BytesIO()
        if img.format == "JPEG":
            img.save(buf, "JPEG", quality="keep", dpi=(dpi, dpi))
        else:
            img.save(buf, "PNG", dpi=(round(dpi), round(dpi)))
        blobs.append(buf.getvalue())
    layout = img2pdf.get_fixed_dpi_layout_fun((dpi, dpi))
    path.write_bytes(img2pdf.convert(blobs, layout_fun=layout, rotation=img2pdf.Rotation.ifvalid))
    return path


def born_digital_pdf(lines_per_page: Sequence[Sequence[str]], path: Path | str) -> Path:
    """A real text PDF (as exported from a word processor) with DejaVu Serif embedded."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    path = Path(path)
    if "DejaVuSerif" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DejaVuSerif", str(FONTS["serif"])))
    # The initial font set explicitly: otherwise reportlab also references a
    # non-embedded Helvetica, which no PDF/A converter without font
    # substitution can accept.
    c = canvas.Canvas(
        str(path), pagesize=A4, invariant=True, initialFontName="DejaVuSerif", initialFontSize=11
    )
    size = 11.0
    for lines in lines_per_page:
        c.setFont("DejaVuSerif", size)
        y = A4[1] - MARGINS_MM["top"] * mm - size
        for line in lines:
            c.drawString(MARGINS_MM["left"] * mm, y, line)
            y -= size * LINE_SPACING
        c.showPage()
    c.save()
    return path


# ---------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------

_APOSTROPHES = re.compile("[\u2019\u02bc\u02b9\u2032\u0060\u00b4\u2018]")


def normalise_text(text: str) -> str:
    """Collapse whitespace and unify the apostrophe (', ’ and ʼ are one letter in Ukrainian)."""
    return " ".join(_APOSTROPHES.sub("'", text).split())


def levenshtein(a: str, b: str) -> int:
    """Edit distance (bit-parallel, Myers/Hyyrö), fast enough for whole pages."""
    if len(a) < len(b):
        a, b = b, a
    if not b:
        return len(a)
    # ``b`` (the shorter) is the bit-vector pattern.
    m = len(b)
    peq: dict[str, int] = {}
    for i, ch in enumerate(b):
        peq[ch] = peq.get(ch, 0) | (1 << i)
    mask = (1 << m) - 1
    high = 1 << (m - 1)
    pv, mv, score = mask, 0, m
    for ch in a:
        eq = peq.get(ch, 0)
        xv = eq | mv
        xh = ((((eq & pv) + pv) & mask) ^ pv) | eq
        ph = (mv | ~(xh | pv)) & mask
        mh = pv & xh
        if ph & high:
            score += 1
        elif mh & high:
            score -= 1
        ph = ((ph << 1) | 1) & mask
        mh = (mh << 1) & mask
        pv = (mh | ~(xv | ph)) & mask
        mv = ph & xv
    return score


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate: edit distance / reference length, on normalised text."""
    ref = normalise_text(reference)
    hyp = normalise_text(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return levenshtein(ref, hyp) / len(ref)


# Named scan conditions shared by the OCR tests and benchmarks (kwargs for
# :func:`degrade`). "noisy" is a bad desk scanner: plain Tesseract's layout
# analysis gives up on such pages.
SCAN_LEVELS: dict[str, dict[str, float | int | bool]] = {
    "clean": {},
    "jpeg200": {"dpi": 200, "jpeg_quality": 60, "blur": 0.4},
    "skewed": {"dpi": 200, "jpeg_quality": 60, "blur": 0.4, "noise": 0.05, "skew_deg": 3.0},
    "upside_down": {
        "dpi": 200,
        "jpeg_quality": 60,
        "blur": 0.4,
        "noise": 0.05,
        "skew_deg": -2.0,
        "upside_down": True,
    },
    "noisy_skewed": {"dpi": 200, "jpeg_quality": 50, "blur": 0.6, "noise": 0.22, "skew_deg": 3.5},
    "noisy_skewed_upside_down": {
        "dpi": 200,
        "jpeg_quality": 50,
        "blur": 0.6,
        "noise": 0.22,
        "skew_deg": -3.0,
        "upside_down": True,
    },
    "bilevel": {"dpi": 300, "bilevel": True, "noise": 0.08, "skew_deg": 1.0},
}


def scan(
    level: str, seed: int, n_lines: int = 40, font_size_pt: float = 12.0
) -> tuple[str, Image.Image]:
    """``ukrainian_lines(seed, n_lines)`` rendered and scanned at ``level``: (text, image)."""
    lines = ukrainian_lines(seed, n_lines)
    params = dict(SCAN_LEVELS[level])
    img = degrade(render_page(lines, font_size_pt=font_size_pt), seed=seed, **params)  # type: ignore[arg-type]
    return "\n".join(lines), img
