"""Labelled corpus of Ukrainian application forms for personal-data detection.

:func:`make_form` writes a plausible "заява про надання адміністративної
послуги" as short lines (they fit an A4 page at 11 pt, so
``tests.synthetic.render_page`` can draw them), together with the ground
truth: every identifier the detector must report, as ``(kind, normalised
value)``. Decoys — case, receipt and order numbers, dates, sums, postcodes,
cadastral numbers, РНОКПП with a wrong check digit — are in the text and not in
the truth. :func:`noisy` makes an OCR-like variant with the same truth:
confusable letters inside check-digit identifiers, stray spaces in numbers,
Latin/Cyrillic look-alikes in words.

Deterministic by seed.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from pii.validators import (
    edrpou_check_digit,
    iban_check_digits,
    make_rnokpp,
    normalise_name,
    normalise_phone,
)


@dataclass(frozen=True, slots=True)
class Label:
    """Ground truth: a kind and the normalised value the detector must report."""

    kind: str
    value: str


@dataclass(frozen=True, slots=True)
class Piece:
    """A run of text in a line; ``label`` when it is an identifier to find."""

    text: str
    label: Label | None = None
    # A decoy number: noise may confuse its digits too (it must stay unflagged).
    decoy: bool = False


@dataclass(slots=True)
class Form:
    """One generated form: lines of pieces."""

    lines: list[list[Piece]] = field(default_factory=list)

    def add(self, *pieces: Piece | str) -> None:
        self.lines.append([p if isinstance(p, Piece) else Piece(p) for p in pieces])

    @property
    def line_texts(self) -> list[str]:
        return ["".join(p.text for p in line) for line in self.lines]

    @property
    def text(self) -> str:
        return "\n".join(self.line_texts)

    @property
    def labels(self) -> list[Label]:
        return [p.label for line in self.lines for p in line if p.label is not None]

    def truth(self) -> Counter[tuple[str, str]]:
        return Counter((lb.kind, lb.value) for lb in self.labels)


# --- people ------------------------------------------------------------------

_SURNAMES = [
    "Шевченко", "Коваленко", "Бондаренко", "Ткаченко", "Кравченко", "Олійник",
    "Мельник", "Шевчук", "Поліщук", "Лисенко", "Гнатюк", "Кузьмич", "Дем'яненко",
    "Грищенко", "Савчук", "Юрченко", "Заїка", "Ярошенко", "Федорів", "Гаврилюк",
    "Бойко", "Руденко", "Мороз", "Литвиненко", "Марченко", "Остапчук", "Пилипенко",
    "Ковальчук", "Зінченко", "Гуменюк", "Сидоренко", "Костенко", "Ющенко", "Данилюк",
    "Захарчук", "Білоус", "Вакуленко", "Гребенюк", "Кириленко", "Стецьків",
]  # fmt: skip
# Surnames with a masculine and a feminine form.
_SURNAMES_PAIRED = [
    ("Петрицький", "Петрицька"), ("Яворський", "Яворська"), ("Головатий", "Головата"),
    ("Коцюбинський", "Коцюбинська"), ("Сірий", "Сіра"), ("Вишневський", "Вишневська"),
]  # fmt: skip
_NAMES_M = [
    "Тарас", "Андрій", "Олег", "Євген", "Ігор", "Остап", "Дмитро", "Богдан", "Юрій",
    "Василь", "Микола", "Петро", "Олександр", "Сергій", "Володимир", "Іван", "Григорій",
    "В'ячеслав", "Максим", "Роман",
]  # fmt: skip
_NAMES_F = [
    "Олена", "Мар'яна", "Ірина", "Наталія", "Оксана", "Юлія", "Богдана", "Ганна",
    "Софія", "Катерина", "Леся", "Тетяна", "Людмила", "Христина", "Віра", "Галина",
]  # fmt: skip
# Father's names with the patronymics they give (masculine, feminine).
_PATRONYMICS = [
    ("Іванович", "Іванівна"), ("Петрович", "Петрівна"), ("Григорович", "Григорівна"),
    ("Юрійович", "Юріївна"), ("Васильович", "Василівна"), ("Миколайович", "Миколаївна"),
    ("Олександрович", "Олександрівна"), ("Степанович", "Степанівна"),
    ("Богданович", "Богданівна"), ("Андрійович", "Андріївна"), ("Романович", "Романівна"),
]  # fmt: skip

_TRANSLIT = dict(zip(
    "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя'",
    ["a", "b", "v", "h", "g", "d", "e", "ie", "zh", "z", "y", "i", "i", "i", "k", "l", "m",
     "n", "o", "p", "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "iu", "ia", ""],
    strict=True,
))  # fmt: skip


def _translit(word: str) -> str:
    return "".join(_TRANSLIT.get(ch, ch) for ch in word.lower())


@dataclass(frozen=True, slots=True)
class Person:
    surname: str
    name: str
    patronymic: str
    female: bool
    born: date

    @property
    def full(self) -> str:
        return f"{self.surname} {self.name} {self.patronymic}"

    @property
    def initials(self) -> str:
        return f"{self.surname} {self.name[0]}. {self.patronymic[0]}."


def make_person(rng: random.Random) -> Person:
    female = rng.random() < 0.5
    if rng.random() < 0.2:
        surname = rng.choice(_SURNAMES_PAIRED)[1 if female else 0]
    else:
        surname = rng.choice(_SURNAMES)
    if rng.random() < 0.04:
        surname = f"{surname}-{rng.choice(_SURNAMES)}"
    name = rng.choice(_NAMES_F if female else _NAMES_M)
    patronymic = rng.choice(_PATRONYMICS)[1 if female else 0]
    born = date(1935, 1, 1) + timedelta(
        days=rng.randrange((date(2008, 1, 1) - date(1935, 1, 1)).days)
    )
    return Person(surname, name, patronymic, female, born)


# --- identifiers -------------------------------------------------------------


def valid_rnokpp(rng: random.Random, person: Person | None = None) -> str:
    born = person.born if person else date(1940, 1, 1) + timedelta(days=rng.randrange(25_000))
    female = person.female if person else rng.random() < 0.5
    serial = rng.randrange(1000) * 10 + rng.choice([0, 2, 4, 6, 8] if female else [1, 3, 5, 7, 9])
    return make_rnokpp(born, serial)


def invalid_rnokpp(rng: random.Random) -> str:
    """Ten digits shaped like a РНОКПП whose check digit is wrong."""
    good = valid_rnokpp(rng)
    wrong = rng.choice([d for d in "0123456789" if d != good[9]])
    return good[:9] + wrong


def valid_edrpou(rng: random.Random) -> str:
    first7 = f"{rng.choice('01234')}{rng.randrange(10**6):06d}"
    return first7 + str(edrpou_check_digit(first7))


def valid_iban(rng: random.Random) -> str:
    bank = rng.choice(["300711", "305299", "322001", "300528", "320649", "380805", "351005"])
    account = f"{rng.randrange(10**5):05d}{rng.randrange(10**14):014d}"
    bban = bank + account
    return f"UA{iban_check_digits('UA', bban)}{bban}"


def icao_check_digit(digits: str) -> int:
    """ICAO 9303 check digit (weights 7, 3, 1), used here to make realistic УНЗР."""
    weights = (7, 3, 1)
    return sum(int(d) * weights[i % 3] for i, d in enumerate(digits)) % 10


def valid_unzr(rng: random.Random, person: Person) -> str:
    head = f"{person.born:%Y%m%d}{rng.randint(1, 9999):04d}"
    return f"{head[:8]}-{head[8:]}{icao_check_digit(head)}"


def passport_series(rng: random.Random) -> str:
    return rng.choice("АВЕКМСТ") + rng.choice("АВЕКМНОРСТХЮ")


def foreign_series(rng: random.Random) -> str:
    return rng.choice(["F", "E"]) + rng.choice("ABCEHKMPTUVWXYZ")


def id_card_number(rng: random.Random) -> str:
    return f"00{rng.randrange(10**7):07d}"


_MOBILE = ["50", "63", "66", "67", "68", "73", "93", "95", "96", "97", "98", "99"]


def phone_text(rng: random.Random, code: str | None = None) -> str:
    """A phone number as people write it; :func:`normalise_phone` gives its value."""
    c = code or rng.choice(_MOBILE)
    d = f"{rng.randrange(10**7):07d}"
    a, b, e = d[:3], d[3:5], d[5:]
    fmt = rng.randrange(7)
    return [
        f"+380{c}{d}",
        f"+38 (0{c}) {a}-{b}-{e}",
        f"+380 {c} {a} {b} {e}",
        f"0{c} {a} {b} {e}",
        f"(0{c}) {a}-{b}-{e}",
        f"0{c}{d}",
        f"0{c}-{a}-{b}-{e}",
    ][fmt]


def email_for(rng: random.Random, person: Person) -> str:
    first, last = _translit(person.name), _translit(person.surname).replace("-", "")
    local = rng.choice(
        [f"{first[0]}.{last}", f"{last}.{first}", f"{first}{last}{person.born.year}",
         f"{last}{rng.randint(1, 99)}", f"{first}_{last}"]
    )  # fmt: skip
    domain = rng.choice(["ukr.net", "gmail.com", "i.ua", "meta.ua", "outlook.com", "email.ua"])
    return f"{local}@{domain}"


def _date(rng: random.Random, start: int = 2019, end: int = 2026) -> date:
    first = date(start, 1, 1)
    return first + timedelta(days=rng.randrange((date(end, 3, 1) - first).days))


def _d(day: date) -> str:
    return f"{day:%d.%m.%Y}"


def _amount(rng: random.Random) -> str:
    whole = rng.choice([rng.randint(20, 999), rng.randint(1000, 99_999)])
    text = f"{whole:,}".replace(",", " ")
    return f"{text},{rng.randint(0, 99):02d}"


_CITIES = [("Львів", "79"), ("Стрий", "82"), ("Дрогобич", "82"), ("Жовква", "80"),
           ("Самбір", "81"), ("Бориспіль", "08"), ("Житомир", "10"), ("Вінниця", "21")]  # fmt: skip
_STREETS = ["Шевченка", "Грушевського", "Франка", "Лесі Українки", "Незалежності", "Соборна",
            "Зелена", "Коновальця", "Городоцька", "Личаківська"]  # fmt: skip
_SERVICES = [
    "реєстрація місця проживання", "зняття з реєстрації місця проживання",
    "видача довідки про склад сім'ї", "державна реєстрація народження",
    "видача витягу з Державного земельного кадастру",
    "державна реєстрація фізичної особи-підприємця", "призначення соціальної допомоги",
]  # fmt: skip
_COMPANIES = ["Ромашка", "Карпати-Агро", "Львівські млини", "Будсервіс", "Західтранс",
              "Галичина-Фарм", "Світанок"]  # fmt: skip
_ORGANS = ["Шевченківським РВ ГУ ДМС", "Личаківським РВ ЛМУ", "Стрийським МВ УМВС",
           "Франківським РВ ГУ ДМС"]  # fmt: skip


def _lab(text: str, kind: str, value: str) -> Piece:
    return Piece(text, Label(kind, value))


def _phone_piece(rng: random.Random, code: str | None = None) -> Piece:
    text = phone_text(rng, code)
    value = normalise_phone(text)
    assert value is not None
    return _lab(text, "phone", value)


def _iban_text(rng: random.Random, iban: str) -> str:
    if rng.random() < 0.5:
        return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
    return iban


def _name_piece(person: Person) -> Piece:
    return _lab(person.full, "name", normalise_name(person.full))


# --- the form ----------------------------------------------------------------


def make_form(rng: random.Random) -> Form:
    """One application form with its ground truth."""
    f = Form()
    person = make_person(rng)
    city, zip_prefix = rng.choice(_CITIES)
    postcode = f"{zip_prefix}{rng.randrange(1000):03d}"
    today = _date(rng, 2024, 2026)

    # Header: the centre, its phone, the case registration (decoys).
    f.add(f"Центр надання адміністративних послуг м. {city}")
    f.add(f"{postcode}, м. {city}, вул. {rng.choice(_STREETS)}, {rng.randint(1, 60)}, тел. ",
          _phone_piece(rng, rng.choice(["32", "44", "41", "43"])))  # fmt: skip
    reg = rng.randrange(3)
    if reg == 0:
        f.add(f"Справа № {today.year}/{rng.randrange(1, 99_999):05d} від {_d(today)}")
    elif reg == 1:
        # Shaped like an УНЗР, but a case number.
        f.add(Piece(f"Реєстраційний номер справи: {today:%Y%m%d}-{rng.randrange(1, 99_999):05d}",
                    decoy=True))  # fmt: skip
    else:
        f.add(f"Вх. № {rng.randint(1, 999)}/{rng.randint(1, 99)} від {_d(today)}")
    f.add("ЗАЯВА")
    f.add("про надання адміністративної послуги")
    f.add(f"Послуга: {rng.choice(_SERVICES)} (код {rng.randrange(100_000):05d})")

    # The applicant.
    layout = rng.randrange(4)
    if layout == 0:
        f.add("Прізвище, ім'я, по батькові: ", _name_piece(person))
    elif layout == 1:
        f.add("ПІБ заявника: ", _name_piece(person))
    elif layout == 2:
        f.add("Заявник: ", _name_piece(person))
    else:
        f.add("Прізвище: ", _lab(person.surname, "name", normalise_name(person.surname)))
        f.add("Власне ім'я: ", _lab(person.name, "name", normalise_name(person.name)))
        f.add("По батькові: ", _lab(person.patronymic, "name", normalise_name(person.patronymic)))
    f.add(Piece(f"Дата народження: {_d(person.born)}", decoy=True))

    if rng.random() < 0.85:
        code = valid_rnokpp(rng, person)
        rn: Piece = _lab(code, "rnokpp", code)
    else:
        rn = Piece(invalid_rnokpp(rng), decoy=True)
    style = rng.randrange(4)
    if style == 0:
        f.add("РНОКПП: ", rn)
    elif style == 1:
        f.add("Реєстраційний номер облікової картки платника податків:")
        f.add(rn)
    elif style == 2:
        f.add("Ідентифікаційний номер (РНОКПП) ", rn)
    else:
        f.add("ІПН ", rn)

    doc = rng.randrange(5)
    if doc == 0:
        series, number = passport_series(rng), f"{rng.randrange(10**6):06d}"
        f.add("Паспорт громадянина України: серія ",
              _lab(f"{series} № {number}", "passport", series + number))  # fmt: skip
        f.add(f"виданий {rng.choice(_ORGANS)} {_d(_date(rng, 1995, 2016))}")
    elif doc == 1:
        series, number = passport_series(rng), f"{rng.randrange(10**6):06d}"
        f.add("Паспорт ", _lab(f"{series}{number}", "passport", series + number),
              f", виданий {_d(_date(rng, 1995, 2016))}")  # fmt: skip
    elif doc == 2:
        card = id_card_number(rng)
        f.add("Паспорт громадянина України у формі ID-картки № ", _lab(card, "id_card", card))
        f.add(f"орган, що видав: {rng.randint(1000, 9999)}, дата видачі: {_d(_date(rng, 2016))}")
    elif doc == 3:
        card = id_card_number(rng)
        f.add("Документ, що посвідчує особу: ID-картка")
        f.add("№ документа: ", _lab(card, "id_card", card),
              f", дійсний до {_d(_date(rng, 2027, 2036))}")  # fmt: skip
    else:
        series, number = foreign_series(rng), f"{rng.randrange(10**6):06d}"
        f.add("Паспорт для виїзду за кордон: ",
              _lab(f"{series}{number}", "foreign_passport", series + number))  # fmt: skip
    if doc in (2, 3) or rng.random() < 0.3:
        unzr = valid_unzr(rng, person)
        if rng.random() < 0.5:
            f.add("УНЗР: ", _lab(unzr, "unzr", unzr))
        else:
            f.add("Запис № (УНЗР) ", _lab(unzr, "unzr", unzr))

    f.add(f"Адреса: {postcode}, м. {city}, вул. {rng.choice(_STREETS)}, "
          f"буд. {rng.randint(1, 180)}, кв. {rng.randint(1, 240)}")  # fmt: skip
    phone_label = rng.choice(["Телефон: ", "Контактний телефон: ", "Моб. тел.: ", "Тел.: "])
    f.add(phone_label, _phone_piece(rng))
    if rng.random() < 0.8:
        mail = email_for(rng, person)
        f.add(rng.choice(["Ел. пошта: ", "E-mail: ", "Електронна пошта: "]),
              _lab(mail, "email", mail.lower()))  # fmt: skip

    # A legal entity and its account, on some forms.
    if rng.random() < 0.5:
        f.add(f"Юридична особа: ТОВ «{rng.choice(_COMPANIES)}»")
        code = valid_edrpou(rng)
        f.add(rng.choice(["Код ЄДРПОУ: ", "Ідентифікаційний код юридичної особи: "]),
              _lab(code, "edrpou", code))  # fmt: skip
    if rng.random() < 0.5:
        iban = valid_iban(rng)
        f.add(rng.choice(["IBAN: ", "Рахунок IBAN: ", "Поточний рахунок: "]),
              _lab(_iban_text(rng, iban), "iban", iban))  # fmt: skip

    # A representative, on some forms.
    if rng.random() < 0.25:
        rep = make_person(rng)
        f.add("Представник: ", _name_piece(rep),
              f", довіреність № {rng.randint(1, 999)}")  # fmt: skip

    # Payment and other numbers (decoys).
    f.add("Квитанція про сплату адмінзбору № ",
          Piece(f"0.0.{rng.randrange(10**10):010d}.1", decoy=True),
          f" від {_d(today)}")  # fmt: skip
    f.add(f"на суму {_amount(rng)} грн")
    if rng.random() < 0.5:
        f.add("Номер замовлення: ", Piece(f"{rng.randrange(10**9, 10**10)}", decoy=True))
    if rng.random() < 0.4:
        f.add("Квитанція № ", Piece(f"{rng.randrange(10**7, 10**8)}", decoy=True),
              f", сума {rng.randint(20, 900)} грн")  # fmt: skip
    if rng.random() < 0.3:
        f.add(f"Кадастровий номер: {rng.randrange(10**9, 10**10)}:{rng.randint(1, 99):02d}:"
              f"{rng.randint(1, 999):03d}:{rng.randint(1, 9999):04d}")  # fmt: skip
    if rng.random() < 0.3:
        f.add("Дата реєстрації: ", Piece(_d(today), decoy=True),
              f", № у журналі {rng.randint(1, 9999)}")  # fmt: skip

    if rng.random() < 0.5:
        f.add("Я, ", _name_piece(person), ", прошу надати послугу.")
    else:
        f.add("Прошу надати послугу. Додатки: копія паспорта, квитанція.")
    f.add(f"Дата {_d(today)}          Підпис ____________")
    admin = make_person(rng)
    f.add(f"Заяву прийняв адміністратор ЦНАП {admin.initials}")
    return f


def make_forms(n: int, seed: int = 0) -> list[Form]:
    """``n`` forms, deterministic by ``seed``."""
    rng = random.Random(seed)
    return [make_form(rng) for _ in range(n)]


# --- OCR-like noise ----------------------------------------------------------

_DIGIT_TO_CONFUSION = {
    "0": ["О", "O", "о"], "1": ["І", "I", "l"], "3": ["З"], "6": ["Б"], "5": ["S"], "8": ["B"],
}  # fmt: skip
_CYR_TO_LAT = {"а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "і": "i", "х": "x",
               "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O",
               "Р": "P", "С": "C", "Т": "T", "І": "I", "Х": "X"}  # fmt: skip
_LAT_TO_CYR = {v: k for k, v in _CYR_TO_LAT.items() if k.islower()}


def _confuse_digits(text: str, rng: random.Random, max_fixes: int = 2) -> str:
    """Replace up to ``max_fixes`` digits with look-alike letters."""
    chars = list(text)
    spots = [i for i, ch in enumerate(chars) if ch in _DIGIT_TO_CONFUSION]
    for i in rng.sample(spots, min(len(spots), rng.randint(1, max_fixes))):
        chars[i] = rng.choice(_DIGIT_TO_CONFUSION[chars[i]])
    return "".join(chars)


def _split_digits(text: str, rng: random.Random, max_spaces: int = 2) -> str:
    """Insert single spaces between two digits, as OCR does in spaced-out fields."""
    chars = list(text)
    spots = [i for i in range(1, len(chars)) if chars[i - 1].isdigit() and chars[i].isdigit()]
    for i in sorted(rng.sample(spots, min(len(spots), rng.randint(1, max_spaces))), reverse=True):
        chars.insert(i, " ")
    return "".join(chars)


def _swap_glyphs(text: str, table: dict[str, str], rng: random.Random, rate: float) -> str:
    return "".join(table[ch] if ch in table and rng.random() < rate else ch for ch in text)


def _noisy_piece(piece: Piece, rng: random.Random) -> Piece:
    kind = piece.label.kind if piece.label else None
    text = piece.text
    if kind in ("rnokpp", "edrpou", "iban"):
        # A check digit confirms these, so confusions must be recovered.
        if rng.random() < 0.6:
            body_start = 2 if kind == "iban" else 0
            text = text[:body_start] + _confuse_digits(text[body_start:], rng)
        if rng.random() < 0.4:
            text = _split_digits(text, rng)
    elif kind == "passport":
        text = _swap_glyphs(text, _CYR_TO_LAT, rng, 0.5)
    elif kind == "email":
        text = _swap_glyphs(text, _LAT_TO_CYR, rng, 0.1)
    elif kind == "name":
        text = _swap_glyphs(text, _CYR_TO_LAT, rng, 0.05)
    elif kind is None and piece.decoy:
        if rng.random() < 0.5:
            text = _confuse_digits(text, rng, 1)
        if rng.random() < 0.3:
            text = _split_digits(text, rng, 1)
    elif kind is None:
        text = _swap_glyphs(text, _CYR_TO_LAT, rng, 0.02)
    return replace(piece, text=text)


def noisy(form: Form, seed: int) -> Form:
    """An OCR-like variant of ``form`` with the same ground truth."""
    rng = random.Random(seed)
    return Form([[_noisy_piece(p, rng) for p in line] for line in form.lines])


__all__ = [
    "Form",
    "Label",
    "Person",
    "Piece",
    "email_for",
    "foreign_series",
    "icao_check_digit",
    "id_card_number",
    "invalid_rnokpp",
    "make_form",
    "make_forms",
    "make_person",
    "noisy",
    "passport_series",
    "phone_text",
    "valid_edrpou",
    "valid_iban",
    "valid_rnokpp",
    "valid_unzr",
]
