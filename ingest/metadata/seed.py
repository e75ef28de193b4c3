# ruff: noqa: E501  (form templates: one printed line per source line reads best)
"""The seed corpus: documents of every type, generated from realistic templates.

Nothing is downloaded and no real person is in it: names, numbers and dates
are drawn from a seeded random generator, so the corpus is the same on every
machine. The classifier is trained on it (plus the centre's corrections);
the tests and ``bench/metadata.py`` render the same specimens to images and
score the type and the fields read back. Each specimen carries the truth of
its fields (``Specimen.fields``: ISO dates, numbers as printed without
spaces, series in Cyrillic or Latin capitals).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from archive.doctypes import DocType


@dataclass(slots=True)
class Specimen:
    """One generated document: its type, the template used, its lines and field truth."""

    type: DocType
    layout: str
    lines: list[str]
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


# --- values -----------------------------------------------------------------------

SURNAMES = (
    "Шевченко", "Коваленко", "Бондаренко", "Ткаченко", "Кравченко", "Олійник", "Мельник",
    "Шевчук", "Поліщук", "Лисенко", "Гнатюк", "Кузьмич", "Грищенко", "Савчук", "Юрченко",
    "Ярошенко", "Федорів", "Гаврилюк", "Романюк", "Петрів", "Остапчук", "Дмитренко",
)  # fmt: skip
NAMES_F = ("Олена", "Мар'яна", "Ірина", "Наталія", "Оксана", "Юлія", "Богдана", "Софія")
NAMES_M = ("Тарас", "Андрій", "Олег", "Євген", "Ігор", "Остап", "Дмитро", "Василь")
PATR_F = ("Іванівна", "Петрівна", "Олексіївна", "Миколаївна", "Степанівна", "Богданівна")
PATR_M = ("Іванович", "Петрович", "Григорович", "Юрійович", "Васильович", "Романович")
CITIES = (
    ("Львів", "Львівській", "Львівського"), ("Житомир", "Житомирській", "Житомирського"),
    ("Тернопіль", "Тернопільській", "Тернопільського"), ("Вінниця", "Вінницькій", "Вінницького"),
    ("Ужгород", "Закарпатській", "Ужгородського"), ("Рівне", "Рівненській", "Рівненського"),
    ("Луцьк", "Волинській", "Луцького"), ("Полтава", "Полтавській", "Полтавського"),
)  # fmt: skip
STREETS = ("Шевченка", "Грушевського", "Франка", "Лесі Українки", "Соборна", "Зелена")
DISTRICTS = ("Шевченківським", "Франківським", "Галицьким", "Залізничним", "Личаківським")
SERVICES = (
    "реєстрація місця проживання",
    "зняття з реєстрації місця проживання",
    "видача довідки про склад сім'ї",
    "державна реєстрація народження дитини",
    "оформлення паспорта громадянина України у формі ID-картки",
    "надання відомостей з Державного земельного кадастру",
    "державна реєстрація речового права на нерухоме майно",
    "призначення державної соціальної допомоги",
    "державна реєстрація фізичної особи-підприємця",
    "видача дозволу на порушення об'єкта благоустрою",
    "взяття на облік внутрішньо переміщеної особи",
)
BANKS = ("АТ КБ «ПриватБанк»", "АТ «Ощадбанк»", "АТ «Укрсиббанк»", "АТ «Райффайзен Банк»")
MONTHS = (
    "січня", "лютого", "березня", "квітня", "травня", "червня",
    "липня", "серпня", "вересня", "жовтня", "листопада", "грудня",
)  # fmt: skip
# Cyrillic letters printed in passport and certificate series.
SERIES_CYR = "АБВГДЕЖКМНОПРСТХЧ"
SERIES_LAT = "ABCEFGHKMNPTX"
ROMAN = ("I", "II", "III", "IV", "V")  # Latin capitals, as on the forms


def person(rng: random.Random) -> tuple[str, str, str]:
    if rng.random() < 0.5:
        return rng.choice(SURNAMES), rng.choice(NAMES_F), rng.choice(PATR_F)
    return rng.choice(SURNAMES), rng.choice(NAMES_M), rng.choice(PATR_M)


def full_name(rng: random.Random) -> str:
    return " ".join(person(rng))


def a_date(rng: random.Random, start: int = 2005, end: int = 2025) -> date:
    first = date(start, 1, 1)
    return first + timedelta(days=rng.randrange((date(end, 12, 28) - first).days))


def dotted(d: date) -> str:
    return d.strftime("%d.%m.%Y")


def in_words(d: date) -> str:
    return f"{d.day:02d} {MONTHS[d.month - 1]} {d.year} р."


def quoted(d: date) -> str:
    return f"«{d.day:02d}» {MONTHS[d.month - 1]} {d.year} р."


def spaced(d: date) -> str:
    return d.strftime("%d %m %Y")


def digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def rnokpp(rng: random.Random) -> str:
    """A ten-digit taxpayer number with a correct check digit."""
    body = digits(rng, 9)
    weights = (-1, 5, 7, 9, 4, 6, 10, 5, 7)
    check = sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11 % 10
    return body + str(check)


def address(rng: random.Random, city: str) -> str:
    return f"м. {city}, вул. {rng.choice(STREETS)}, буд. {rng.randint(1, 120)}, кв. {rng.randint(1, 200)}"


def city(rng: random.Random) -> tuple[str, str, str]:
    return rng.choice(CITIES)


def add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def pick(rng: random.Random, *options: str) -> str:
    return rng.choice(options)


# --- templates --------------------------------------------------------------------

Template = Callable[[random.Random], Specimen]


def _application(rng: random.Random) -> Specimen:
    c, _obl, _ = city(rng)
    name = full_name(rng)
    service = rng.choice(SERVICES)
    d = a_date(rng, 2019)
    layout = rng.choice(("head", "form"))
    if layout == "head":
        lines = [
            f"Начальнику центру надання адміністративних послуг м. {c}",
            f"{name}",
            f"що проживає за адресою: {address(rng, c)}",
            f"тел. +380{digits(rng, 9)}",
            "ЗАЯВА",
            f"Прошу надати адміністративну послугу: {service}.",
            "До заяви додаю документи згідно з описом вхідного пакета.",
            "Даю згоду на обробку моїх персональних даних відповідно до Закону України",
            "«Про захист персональних даних».",
            f"{quoted(d)}                      Підпис ________",
        ]
    else:
        lines = [
            "ЗАЯВА",
            "про надання адміністративної послуги",
            f"Заявник: {name}",
            f"Адреса: {address(rng, c)}",
            f"Послуга: {service}",
            f"Спосіб отримання результату: {pick(rng, 'особисто в ЦНАП', 'поштою', 'електронною поштою')}",
            f"Дата: {dotted(d)}",
            "Підпис заявника __________",
            f"Заяву прийняв адміністратор ЦНАП {rng.choice(SURNAMES)} {rng.choice('АБВГДОТ')}.",
        ]
    return Specimen(
        DocType.application,
        f"application/{layout}",
        lines,
        {"issue_date": d.isoformat(), "service": service, "applicant": name},
    )


def _passport_booklet(rng: random.Random) -> Specimen:
    c, obl, _ = city(rng)
    sur, nm, pt = person(rng)
    series = "".join(rng.choice(SERIES_CYR) for _ in range(2))
    number = digits(rng, 6)
    d = a_date(rng, 1996, 2016)
    issuer = (
        f"{rng.choice(DISTRICTS)} РВ {c} ГУ ДМС України в {obl} області"
        if rng.random() < 0.6
        else f"{rng.choice(DISTRICTS)} РВ УМВС України в {obl} області"
    )
    lines = [
        "ПАСПОРТ ГРОМАДЯНИНА УКРАЇНИ",
        f"{series} {number}" if rng.random() < 0.5 else f"Серія {series} № {number}",
        f"Прізвище {sur}",
        f"Ім'я {nm}",
        f"По батькові {pt}",
        f"Дата народження {dotted(a_date(rng, 1950, 1998))}",
        f"Місце народження м. {c}",
        f"Паспорт виданий {issuer}",
        f"{in_words(d)}" if rng.random() < 0.5 else f"Дата видачі {dotted(d)}",
        "Підпис посадової особи ________",
    ]
    return Specimen(
        DocType.passport_booklet,
        "passport_booklet/page1",
        lines,
        {"series": series, "number": number, "issue_date": d.isoformat(), "issuer": issuer},
    )


def _passport_id_card(rng: random.Random) -> Specimen:
    sur, nm, pt = person(rng)
    number = digits(rng, 9)
    d = a_date(rng, 2016, 2025)
    until = add_years(d, 10)
    born = a_date(rng, 1950, 2008)
    authority = digits(rng, 4)
    lines = [
        "УКРАЇНА / UKRAINE",
        "ПАСПОРТ ГРОМАДЯНИНА УКРАЇНИ / PASSPORT OF THE CITIZEN OF UKRAINE",
        f"Прізвище / Surname {sur}",
        f"Ім'я / Given names {nm}",
        f"По батькові / Patronymic {pt}",
        f"Стать / Sex {pick(rng, 'Ж/F', 'Ч/M')}  Громадянство / Nationality Україна/UKR",
        f"Дата народження / Date of birth {spaced(born)}",
        f"Запис № / Record No. {born.strftime('%Y%m%d')}-{digits(rng, 5)}",
        f"Дійсний до / Date of expiry {spaced(until)}",
        f"Документ № / Document No. {number}",
        f"Дата видачі / Date of issue {spaced(d)}",
        f"Орган, що видав / Authority {authority}",
    ]
    return Specimen(
        DocType.passport_id_card,
        "passport_id_card/front+back",
        lines,
        {
            "number": number,
            "issue_date": d.isoformat(),
            "valid_until": until.isoformat(),
            "issuer": authority,
        },
    )


def _foreign_passport(rng: random.Random) -> Specimen:
    sur, nm, _ = person(rng)
    series = "".join(rng.choice(SERIES_LAT) for _ in range(2))
    number = digits(rng, 6)
    d = a_date(rng, 2015, 2025)
    until = add_years(d, 10)
    authority = digits(rng, 4)
    lines = [
        "УКРАЇНА UKRAINE",
        "ПАСПОРТ / PASSPORT",
        f"Тип / Type P   Код держави / Code of State UKR   Паспорт № / Passport No. {series}{number}",
        f"Прізвище / Surname {sur}",
        f"Ім'я / Given Names {nm}",
        f"Дата народження / Date of birth {spaced(a_date(rng, 1950, 2010))}",
        f"Дата видачі / Date of issue {spaced(d)}",
        f"Дата закінчення строку дії / Date of expiry {spaced(until)}",
        f"Орган, що видав / Authority {authority}",
        f"P<UKR{sur.upper()[:5]}<<<<<<<<<<<<<<<<<<<<<<<<<",
    ]
    return Specimen(
        DocType.foreign_passport,
        "foreign_passport/data_page",
        lines,
        {
            "series": series,
            "number": number,
            "issue_date": d.isoformat(),
            "valid_until": until.isoformat(),
            "issuer": authority,
        },
    )


def _taxpayer_card(rng: random.Random) -> Specimen:
    _c, obl, _ = city(rng)
    name = full_name(rng)
    number = rnokpp(rng)
    d = a_date(rng, 1998, 2024)
    issuer = f"ГУ ДПС у {obl} області"
    layout = rng.choice(("card", "certificate"))
    if layout == "card":
        lines = [
            "ДЕРЖАВНА ПОДАТКОВА СЛУЖБА УКРАЇНИ",
            "КАРТКА ПЛАТНИКА ПОДАТКІВ",
            "Реєстраційний номер облікової картки платника податків",
            f"{number}",
            f"{name}",
            f"Дата народження {dotted(a_date(rng, 1950, 2008))}",
            f"Дата реєстрації {dotted(d)}",
            f"Видана {issuer}",
        ]
    else:
        lines = [
            "ДОВІДКА",
            "про присвоєння реєстраційного номера облікової картки платника податків",
            f"Видана {issuer}",
            f"Прізвище, ім'я, по батькові: {name}",
            f"РНОКПП: {number}",
            f"Дата присвоєння: {dotted(d)}",
            "Фізична особа включена до Державного реєстру фізичних осіб - платників податків.",
        ]
    return Specimen(
        DocType.taxpayer_card,
        f"taxpayer_card/{layout}",
        lines,
        {"number": number, "issue_date": d.isoformat(), "issuer": issuer},
    )


def _civil(rng: random.Random, kind: DocType) -> Specimen:
    c, obl, rod = city(rng)
    series = f"{rng.choice(ROMAN)}-{''.join(rng.choice(SERIES_CYR) for _ in range(2))}"
    number = digits(rng, 6)
    d = a_date(rng, 2000, 2025)
    issuer = pick(
        rng,
        f"{rng.choice(DISTRICTS)} відділ державної реєстрації актів цивільного стану у місті {c}",
        f"Відділ державної реєстрації актів цивільного стану {rod} міського управління юстиції",
    )
    act = digits(rng, rng.randint(2, 4))
    a = full_name(rng)
    if kind == DocType.birth_certificate:
        title = "СВІДОЦТВО ПРО НАРОДЖЕННЯ"
        body = [
            f"Громадянин(ка) {a}",
            f"народився(лася) {in_words(a_date(rng, 2000, 2025))}",
            f"Місце народження м. {c}, {obl} область",
            f"про що {dotted(d)} складено актовий запис № {act}",
            f"Батько {full_name(rng)}",
            f"Мати {full_name(rng)}",
        ]
    elif kind == DocType.marriage_certificate:
        title = "СВІДОЦТВО ПРО ШЛЮБ"
        body = [
            f"Громадянин {full_name(rng)}",
            f"та громадянка {a}",
            f"уклали шлюб {in_words(d)}",
            f"про що складено актовий запис № {act}",
            f"Прізвища після державної реєстрації шлюбу: чоловіка {rng.choice(SURNAMES)}, "
            f"дружини {rng.choice(SURNAMES)}",
        ]
    else:
        title = "СВІДОЦТВО ПРО СМЕРТЬ"
        body = [
            f"Громадянин(ка) {a}",
            f"помер(ла) {in_words(a_date(rng, 2000, 2025))}",
            f"про що складено актовий запис № {act}",
            f"Місце смерті м. {c}",
        ]
    lines = [
        "УКРАЇНА",
        title,
        *body,
        f"Місце державної реєстрації {issuer}",
        f"Дата видачі {dotted(d)}",
        f"Серія {series} № {number}",
        "Посадова особа ________  М.П.",
    ]
    return Specimen(
        kind,
        f"{kind.value}/form",
        lines,
        {"series": series, "number": number, "issue_date": d.isoformat(), "issuer": issuer},
    )


def _idp(rng: random.Random) -> Specimen:
    c, _obl, _ = city(rng)
    number = f"{digits(rng, 4)}-{digits(rng, 10)}"
    d = a_date(rng, 2016, 2025)
    issuer = f"Управління соціального захисту населення {pick(rng, 'виконавчого комітету', 'міської ради')} м. {c}"
    name = full_name(rng)
    lines = [
        "ДОВІДКА",
        "про взяття на облік внутрішньо переміщеної особи",
        f"№ {number}   від {dotted(d)}",
        f"Видана {issuer}",
        f"Прізвище, ім'я, по батькові: {name}",
        f"Дата народження: {dotted(a_date(rng, 1940, 2010))}",
        f"Зареєстроване місце проживання: м. {pick(rng, 'Маріуполь', 'Бахмут', 'Херсон', 'Донецьк')}",
        f"Фактичне місце проживання/перебування: {address(rng, c)}",
        "Довідка дійсна безстроково, крім випадків, передбачених законом.",
    ]
    return Specimen(
        DocType.certificate_idp,
        "certificate_idp/form",
        lines,
        {"number": number, "issue_date": d.isoformat(), "issuer": issuer},
    )


def _family(rng: random.Random) -> Specimen:
    c, _obl, _ = city(rng)
    number = str(rng.randint(1, 9999))
    d = a_date(rng, 2016, 2025)
    issuer = f"Центр надання адміністративних послуг м. {c}"
    lines = [
        issuer,
        f"ДОВІДКА № {number}",
        f"від {dotted(d)}",
        "про склад сім'ї або зареєстрованих у житловому приміщенні осіб",
        f"Видана {full_name(rng)} про те, що за адресою {address(rng, c)}",
        "зареєстровані:",
        f"1. {full_name(rng)}, {dotted(a_date(rng, 1950, 2000))} р.н., заявник",
        f"2. {full_name(rng)}, {dotted(a_date(rng, 1950, 2000))} р.н., {pick(rng, 'дружина', 'чоловік', 'мати')}",
        f"3. {full_name(rng)}, {dotted(a_date(rng, 2005, 2020))} р.н., {pick(rng, 'син', 'донька')}",
        "Довідка видана для подання за місцем вимоги.",
    ]
    return Specimen(
        DocType.certificate_family,
        "certificate_family/form",
        lines,
        {"number": number, "issue_date": d.isoformat(), "issuer": issuer},
    )


def _income(rng: random.Random) -> Specimen:
    c, _obl, _ = city(rng)
    number = f"{rng.randint(1, 999)}/{rng.randint(1, 99)}"
    d = a_date(rng, 2018, 2025)
    issuer = pick(
        rng,
        f"ТзОВ «{pick(rng, 'Галицькі пекарні', 'Західбуд', 'Агросвіт', 'Медсервіс')}»",
        f"Комунальне підприємство «{c}водоканал»",
    )
    lines = [
        issuer,
        f"Вих. № {number} від {dotted(d)}",
        "ДОВІДКА ПРО ДОХОДИ",
        f"Видана {full_name(rng)} у тому, що він (вона) працює на посаді "
        f"{pick(rng, 'бухгалтера', 'інженера', 'водія', 'менеджера')}",
        f"та за період з {dotted(a_date(rng, 2018, 2024))} по {dotted(d)} отримав(ла) дохід:",
        f"заробітна плата — {rng.randint(40, 300)} {rng.randint(100, 999)} грн {rng.randint(10, 99)} коп.",
        "Довідка видана для подання до органу соціального захисту населення.",
        "Директор ________   Головний бухгалтер ________",
    ]
    return Specimen(
        DocType.certificate_income,
        "certificate_income/letter",
        lines,
        {"number": number, "issue_date": d.isoformat(), "issuer": issuer},
    )


def _cert_other(rng: random.Random) -> Specimen:
    c, _obl, _ = city(rng)
    number = str(rng.randint(10, 99999))
    d = a_date(rng, 2016, 2025)
    what = rng.choice(
        (
            ("про несудимість", "Міністерство внутрішніх справ України"),
            ("з місця навчання", f"{c}ський національний університет"),
            ("про реєстрацію місця проживання", f"Центр надання адміністративних послуг м. {c}"),
            ("медична про стан здоров'я", f"КНП «Міська поліклініка № {rng.randint(1, 9)}» м. {c}"),
        )
    )
    issuer = what[1]
    lines = [
        issuer,
        "ДОВІДКА",
        f"{what[0]}",
        f"№ {number} від {dotted(d)}",
        f"Видана {full_name(rng)}, {dotted(a_date(rng, 1950, 2008))} року народження,",
        "про те, що відомості, наведені нижче, відповідають наявним даним.",
        "Довідка видана для пред'явлення за місцем вимоги.",
        "Відповідальна особа ________",
    ]
    return Specimen(
        DocType.certificate_other,
        "certificate_other/letter",
        lines,
        {"number": number, "issue_date": d.isoformat(), "issuer": issuer},
    )


def _extract(rng: random.Random) -> Specimen:
    c, _obl, _ = city(rng)
    number = digits(rng, 9)
    d = a_date(rng, 2016, 2025)
    registry, issuer = rng.choice(
        (
            (
                "з Державного реєстру речових прав на нерухоме майно",
                f"Державний реєстратор Центру надання адміністративних послуг м. {c}",
            ),
            (
                "з Єдиного державного реєстру юридичних осіб, фізичних осіб-підприємців "
                "та громадських формувань",
                "Міністерство юстиції України",
            ),
            (
                "з реєстру територіальної громади",
                f"Центр надання адміністративних послуг м. {c}",
            ),
            (
                "з Державного земельного кадастру про земельну ділянку",
                f"Відділ у м. {c} ГУ Держгеокадастру",
            ),
        )
    )
    lines = [
        "ВИТЯГ",
        f"{registry}",
        f"Індексний номер витягу: {number}",
        f"Дата, час формування: {dotted(d)} {rng.randint(8, 17):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}",
        f"Сформовано: {issuer}",
        f"Відомості про суб'єкта: {full_name(rng)}",
        f"Адреса об'єкта: {address(rng, c)}",
        f"Реєстраційний номер об'єкта нерухомого майна: {digits(rng, 13)}",
    ]
    return Specimen(
        DocType.registry_extract,
        "registry_extract/form",
        lines,
        {"number": number, "issue_date": d.isoformat(), "issuer": issuer},
    )


def _decision(rng: random.Random) -> Specimen:
    c, _obl, rod = city(rng)
    number = str(rng.randint(1, 2999))
    d = a_date(rng, 2016, 2025)
    issuer = pick(
        rng,
        f"Виконавчий комітет {rod} міської ради",
        f"{rod.removesuffix('ого')}а міська рада",
    )
    lines = [
        "УКРАЇНА",
        issuer.upper(),
        "РІШЕННЯ",
        f"від {dotted(d)} № {number}"
        if rng.random() < 0.6
        else f"{quoted(d)}   м. {c}   № {number}",
        f"Про {pick(rng, 'надання дозволу на порушення об`єкта благоустрою', 'присвоєння поштової адреси', 'надання статусу дитини, позбавленої батьківського піклування', 'затвердження висновку органу опіки')}",
        "Розглянувши заяву та подані документи, керуючись Законом України",
        "«Про місцеве самоврядування в Україні», виконавчий комітет",
        "ВИРІШИВ:",
        f"1. Надати {full_name(rng)} дозвіл згідно з поданою заявою.",
        "2. Контроль за виконанням рішення покласти на заступника міського голови.",
        f"Міський голова ________ {rng.choice(NAMES_M)} {rng.choice(SURNAMES).upper()}",
    ]
    return Specimen(
        DocType.decision,
        "decision/form",
        lines,
        {"number": number, "issue_date": d.isoformat(), "issuer": issuer},
    )


def _contract(rng: random.Random) -> Specimen:
    c, _obl, _ = city(rng)
    number = f"{rng.randint(1, 300)}/{rng.randint(1, 12):02d}-{rng.randint(2016, 2025)}"
    d = a_date(rng, 2016, 2025)
    kind = pick(
        rng,
        "КУПІВЛІ-ПРОДАЖУ КВАРТИРИ",
        "ОРЕНДИ ЖИТЛОВОГО ПРИМІЩЕННЯ",
        "ДАРУВАННЯ",
        "ПРО НАДАННЯ ПОСЛУГ",
    )
    lines = [
        f"ДОГОВІР № {number}",
        kind,
        f"м. {c}                                          {quoted(d)}",
        f"{full_name(rng)} (далі — Сторона 1), з одного боку, та",
        f"{full_name(rng)} (далі — Сторона 2), з другого боку,",
        "уклали цей договір про таке:",
        "1. ПРЕДМЕТ ДОГОВОРУ",
        f"1.1. Сторона 1 передає, а Сторона 2 приймає об'єкт за адресою: {address(rng, c)}.",
        f"2. Ціна договору становить {rng.randint(10, 990)} 000 грн.",
        "3. Договір набирає чинності з моменту підписання сторонами.",
        "Підписи сторін: ________ ________",
    ]
    return Specimen(
        DocType.contract,
        "contract/form",
        lines,
        {"number": number, "issue_date": d.isoformat()},
    )


def _attorney(rng: random.Random) -> Specimen:
    c, _obl, rod = city(rng)
    series = "".join(rng.choice(SERIES_CYR) for _ in range(3))
    number = digits(rng, 6)
    d = a_date(rng, 2016, 2024)
    until = add_years(d, rng.choice((1, 3, 5)))
    issuer = f"Приватний нотаріус {rod} міського нотаріального округу {rng.choice(SURNAMES)} {rng.choice('АВГДІОТ')}.{rng.choice('АВГДІОТ')}."
    lines = [
        "ДОВІРЕНІСТЬ",
        f"Місто {c}, {in_words(d).replace(' р.', ' року')}",
        f"Я, {full_name(rng)}, {dotted(a_date(rng, 1950, 2000))} року народження,",
        f"цією довіреністю уповноважую {full_name(rng)}",
        "представляти мої інтереси в центрі надання адміністративних послуг, подавати",
        "та отримувати документи, розписуватися від мого імені.",
        f"Довіреність видана строком до {dotted(until)}.",
        f"Посвідчено {issuer}",
        f"Зареєстровано в реєстрі за № {rng.randint(1, 3000)}",
        f"{series} {number}",
    ]
    return Specimen(
        DocType.power_of_attorney,
        "power_of_attorney/notarial",
        lines,
        {
            "series": series,
            "number": number,
            "issue_date": d.isoformat(),
            "valid_until": until.isoformat(),
            "issuer": issuer,
        },
    )


def _receipt(rng: random.Random) -> Specimen:
    c, obl, _ = city(rng)
    number = f"{digits(rng, 4)}-{digits(rng, 4)}-{digits(rng, 4)}"
    d = a_date(rng, 2019, 2025)
    bank = rng.choice(BANKS)
    lines = [
        f"{bank}",
        f"КВИТАНЦІЯ № {number}",
        f"Дата операції: {dotted(d)} {rng.randint(8, 20):02d}:{rng.randint(0, 59):02d}",
        f"Платник: {full_name(rng)}",
        f"Отримувач: ГУК у {obl} обл./{c}/22012500",
        f"Код отримувача (ЄДРПОУ): {digits(rng, 8)}",
        f"Рахунок отримувача: UA{digits(rng, 27)}",
        f"Призначення платежу: *;101;{rnokpp(rng)};адміністративний збір за {rng.choice(SERVICES)}",
        f"Сума: {rng.randint(20, 900)}.{digits(rng, 2)} грн   Комісія: 0.00 грн",
        "Статус: проведено",
    ]
    return Specimen(
        DocType.payment_receipt,
        "payment_receipt/bank",
        lines,
        {"number": number, "issue_date": d.isoformat(), "issuer": bank},
    )


def _inventory(rng: random.Random) -> Specimen:
    _c, _, _ = city(rng)
    d = a_date(rng, 2019, 2025)
    number = f"{d.year}-{rng.randint(1, 99999):05d}"
    docs = rng.sample(
        [
            "Заява",
            "Копія паспорта громадянина України",
            "Копія картки платника податків",
            "Свідоцтво про народження дитини",
            "Квитанція про сплату адміністративного збору",
            "Довіреність",
            "Витяг з Державного реєстру речових прав",
            "Договір купівлі-продажу",
        ],
        4,
    )
    lines = [
        "ОПИС ВХІДНОГО ПАКЕТА ДОКУМЕНТІВ",
        f"до справи № {number}",
        f"Суб'єкт звернення: {full_name(rng)}",
        f"Послуга: {rng.choice(SERVICES)}",
        "№ з/п  Назва документа  Кількість аркушів",
        *[f"{i}  {t}  {rng.randint(1, 4)}" for i, t in enumerate(docs, start=1)],
        f"Дата: {dotted(d)}",
        "Опис склав адміністратор ЦНАП ________",
        "Опис отримав суб'єкт звернення ________",
    ]
    return Specimen(
        DocType.inventory,
        "inventory/form",
        lines,
        {"number": number, "issue_date": d.isoformat()},
    )


def _driver(rng: random.Random) -> Specimen:
    sur, nm, _ = person(rng)
    series = "".join(rng.choice(SERIES_CYR) for _ in range(3))
    number = digits(rng, 6)
    d = a_date(rng, 2014, 2025)
    until = add_years(d, 30)
    issuer = f"ТСЦ {digits(rng, 4)}"
    lines = [
        "УКРАЇНА",
        "ПОСВІДЧЕННЯ ВОДІЯ / DRIVING LICENCE",
        f"1. {sur}",
        f"2. {nm}",
        f"3. {dotted(a_date(rng, 1950, 2005))} {pick(rng, 'Україна', 'УКР')}",
        f"4a. {dotted(d)}   4b. {dotted(until)}",
        f"4c. {issuer}",
        f"5. {series}{number}",
        f"9. {pick(rng, 'B', 'B, C', 'A, B', 'B, C1')}",
    ]
    return Specimen(
        DocType.driver_license,
        "driver_license/card",
        lines,
        {
            "series": series,
            "number": number,
            "issue_date": d.isoformat(),
            "valid_until": until.isoformat(),
            "issuer": issuer,
        },
    )


def _vehicle(rng: random.Random) -> Specimen:
    series = "".join(rng.choice(SERIES_CYR) for _ in range(3))
    number = digits(rng, 6)
    d = a_date(rng, 2014, 2025)
    issuer = f"ТСЦ {digits(rng, 4)}"
    lines = [
        "СВІДОЦТВО ПРО РЕЄСТРАЦІЮ ТРАНСПОРТНОГО ЗАСОБУ",
        f"{series} {number}",
        f"A. Реєстраційний номер {rng.choice('АВКН')}{rng.choice('АВКН')}{digits(rng, 4)}{rng.choice('ВКМО')}{rng.choice('ВКМО')}",
        f"B. Дата першої реєстрації {dotted(a_date(rng, 2000, 2014))}",
        f"I. Дата реєстрації {dotted(d)}",
        f"D.1 Марка {pick(rng, 'VOLKSWAGEN', 'SKODA', 'RENAULT', 'TOYOTA')}",
        f"C.1.1 Власник {full_name(rng).upper()}",
        f"E. VIN {''.join(rng.choice('ABCDEFGHJKLMNPRSTUVWXYZ0123456789') for _ in range(17))}",
        f"Видане {issuer}",
    ]
    return Specimen(
        DocType.vehicle_registration,
        "vehicle_registration/card",
        lines,
        {"series": series, "number": number, "issue_date": d.isoformat(), "issuer": issuer},
    )


# Documents that are none of the above, some written to look like them.
_DECOYS = (
    (
        "ІНФОРМАЦІЙНА КАРТКА АДМІНІСТРАТИВНОЇ ПОСЛУГИ",
        "Перелік документів: заява, паспорт громадянина України, картка платника податків,",
        "свідоцтво про народження дитини, квитанція про оплату адміністративного збору.",
        "Строк надання послуги: до 10 робочих днів. Результат: рішення або витяг.",
        "Спосіб отримання відповіді: особисто, поштою, електронною поштою.",
    ),
    (
        "ТЕХНІЧНИЙ ПАСПОРТ",
        "на квартиру (садибний житловий будинок)",
        "Загальна площа — {a} кв. м, житлова площа — {b} кв. м",
        "Експлікація приміщень квартири: кухня, кімната, санвузол, коридор.",
        "Інвентаризаційну справу виготовлено ФОП {p}.",
    ),
    (
        "Шановний пане {p}!",
        "Повідомляємо, що Ваш лист розглянуто. Для вирішення питання просимо звернутися",
        "до центру надання адміністративних послуг з документами, що посвідчують особу.",
        "З повагою, начальник відділу ________",
    ),
    (
        "ПОВІДОМЛЕННЯ",
        "про готовність результату надання адміністративної послуги",
        "Результат можна отримати у центрі з понеділка по п'ятницю з 9:00 до 18:00.",
        "Вихідний пакет документів зберігається у ЦНАП протягом двох місяців.",
    ),
    (
        "ПЛАН-СХЕМА земельної ділянки",
        "Масштаб 1:{a}00. Площа ділянки {b} га. Суміжні землекористувачі: {p}.",
        "Межі ділянки позначено на місцевості межовими знаками.",
    ),
    (
        "АКТ ОБСТЕЖЕННЯ МАТЕРІАЛЬНО-ПОБУТОВИХ УМОВ",
        "Комісією у складі {p} та інших проведено обстеження умов проживання.",
        "Житло має всі зручності, утримується в належному стані.",
        "Висновок комісії додається.",
    ),
)


def _decoy(rng: random.Random) -> Specimen:
    i = rng.randrange(len(_DECOYS))
    fill = {"a": rng.randint(20, 150), "b": rng.randint(10, 90), "p": full_name(rng)}
    lines = [line.format(**fill) for line in _DECOYS[i]]
    return Specimen(DocType.other, f"other/decoy{i}", lines, {})


TEMPLATES: dict[DocType, Template] = {
    DocType.application: _application,
    DocType.passport_booklet: _passport_booklet,
    DocType.passport_id_card: _passport_id_card,
    DocType.foreign_passport: _foreign_passport,
    DocType.taxpayer_card: _taxpayer_card,
    DocType.birth_certificate: lambda rng: _civil(rng, DocType.birth_certificate),
    DocType.marriage_certificate: lambda rng: _civil(rng, DocType.marriage_certificate),
    DocType.death_certificate: lambda rng: _civil(rng, DocType.death_certificate),
    DocType.certificate_idp: _idp,
    DocType.certificate_family: _family,
    DocType.certificate_income: _income,
    DocType.certificate_other: _cert_other,
    DocType.registry_extract: _extract,
    DocType.decision: _decision,
    DocType.contract: _contract,
    DocType.power_of_attorney: _attorney,
    DocType.payment_receipt: _receipt,
    DocType.inventory: _inventory,
    DocType.driver_license: _driver,
    DocType.vehicle_registration: _vehicle,
    DocType.other: _decoy,
}


def specimen(kind: DocType, seed: int) -> Specimen:
    """One document of ``kind``, the same for the same seed."""
    return TEMPLATES[kind](random.Random(f"{kind.value}:{seed}"))


def corpus(per_type: int, *, seed: int = 0) -> Iterator[Specimen]:
    """``per_type`` specimens of every type (decoys for ``other``), in type order."""
    for kind in TEMPLATES:
        for i in range(per_type):
            yield specimen(kind, seed * 100_000 + i)


# --- OCR slips, to train on text that looks like what the OCR returns -------------

_LOOKALIKE = {
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "х": "x", "і": "i", "у": "y",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
    "С": "C", "Т": "T", "Х": "X", "І": "I",
}  # fmt: skip
_NUMBER_SIGN = ("Мо", "Ме", "Ne", "No", "N", "М")


def ocr_slips(text: str, rng: random.Random, rate: float = 0.03) -> str:
    """``text`` with the slips Tesseract makes: look-alike letters, № misread, lost letters."""
    out: list[str] = []
    for ch in text:
        r = rng.random()
        if ch == "№" and r < 0.5:
            out.append(rng.choice(_NUMBER_SIGN))
        elif ch in _LOOKALIKE and r < rate * 2:
            out.append(_LOOKALIKE[ch])
        elif ch.isalpha() and r < rate * 2.3:
            continue  # a letter lost
        elif ch == " " and r < rate:
            continue  # two words run together
        elif ch.isalpha() and r > 1 - rate / 2:
            out.append(ch + rng.choice("ілтн"))
        else:
            out.append(ch)
    return "".join(out)
