"""The person's menu, and the Ukrainian names of the archive's values.

The menu comes from :func:`usecases.screens.my_screens`, which derives it
from the policy's capabilities (no copy of the policy here). It only decides
which links to *show*: every page still calls its use case, which asks the
policy and refuses (and logs) whatever the role may not do.
``tests/web/test_browser.py`` checks the two agree — each link a role is
shown opens, each screen it is not shown is refused.
"""

from __future__ import annotations

from fastapi import Request

from api.web import session
from archive import cases as desk
from usecases.policy import Principal
from usecases.screens import Screen, Screens, every_screen, my_screens

__all__ = ["LABELS", "Screen", "Screens", "every_screen", "screens"]


def screens(request: Request, who: Principal) -> Screens:
    """The person's menu, from the use-case layer (asked once per request)."""
    known: Screens | None = getattr(request.state, "screens", None)
    if known is None or getattr(request.state, "screens_for", None) != who.login:
        known = my_screens(session.context(request, who))
        request.state.screens = known
        request.state.screens_for = who.login
    return known


LABELS: dict[str, dict[str, str]] = {
    "role": {
        "administrator": "адміністратор ЦНАП",
        "official": "посадова особа",
        "archivist": "архіваріус",
        "dpo": "відповідальна особа з питань захисту персональних даних",
        "sysadmin": "системний адміністратор",
    },
    "package": {"input": "вхідний пакет", "output": "вихідний пакет"},
    "source": {"scanner": "сканер", "sharing": "Дія (поширення)", "upload": "завантаження"},
    "state": {
        "accepted": "прийнято",
        "processing": "обробляється",
        "archived": "в архіві",
        "rejected": "відхилено",
    },
}
LABELS["status"] = dict(desk.STATUS_UA)
LABELS["notify"] = dict(desk.NOTIFY_UA)
LABELS["delivery"] = dict(desk.DELIVERY_UA)
LABELS["recipient"] = {"applicant": "заявнику особисто", "representative": "представнику"}
LABELS["package_title"] = dict(desk.PACKAGE_UA)
LABELS["field"] = {
    "issue_date": "Дата видачі",
    "valid_until": "Дійсний до",
    "series": "Серія",
    "number": "Номер",
    "issuer": "Орган, що видав",
    "service": "Послуга",
    "applicant": "Заявник",
}
LABELS["meta_source"] = {
    "model": "визначено автоматично",
    "correction": "виправлено вручну",
    "meta": "з метаданих поширення",
}
LABELS["outcome"] = {"allowed": "дозволено", "denied": "відмовлено", "failed": "збій"}
LABELS["file_status"] = {
    "archived": "заархівовано",
    "duplicate": "вже є в архіві",
    "rejected": "відхилено",
    "accepted": "прийнято, обробляється",
}
LABELS["batch_status"] = {
    "done": "усе розкладено по справах",
    "review": "частину відкладено на перевірку",
    "duplicate": "цю пачку вже завантажували",
    "failed": "пачку не вдалося прочитати",
}
LABELS["part_state"] = {
    "attached": "долучено до справи",
    "held": "відкладено на перевірку",
    "empty": "порожня (лише титульний аркуш)",
}
LABELS["action"] = {
    "document.text": "читання тексту",
    "document.metadata": "перегляд метаданих",
    "document.page_image": "перегляд сторінки",
    "document.pdf": "завантаження PDF",
    "document.redacted": "копія з маскуванням",
    "document.download": "завантаження оригіналу",
    "document.findings": "перегляд знайдених даних",
    "document.upload": "завантаження файлів",
    "search": "пошук",
    "search.identifier": "пошук за ідентифікатором",
    "export": "експорт",
    "auth.login": "вхід",
    "auth.login_failed": "невдалий вхід",
    "auth.logout": "вихід",
    "user.add": "створення користувача",
    "user.disable": "вимкнення користувача",
    "user.list": "перегляд користувачів",
    "user.approve": "схвалення облікового запису",
    "user.bind_oidc": "прив’язування OpenID Connect",
    "document.fields": "перегляд реквізитів",
    "document.type_correct": "виправлення типу документа",
    "audit.read": "читання журналу",
    "audit.subject": "звіт для суб’єкта даних",
    "audit.verify": "перевірка журналу",
    "audit.seal": "печатка журналу",
    "audit.review": "перегляд відмов і екстреного доступу",
    "case.register": "реєстрація справи",
    "case.read": "перегляд справи",
    "case.find": "пошук справи",
    "case.list": "черга дня",
    "case.send": "передавання справи",
    "case.notify": "повідомлення заявника",
    "case.issue": "видача результату",
    "case.cover_sheet": "друк титульного аркуша",
    "case.inventory": "друк опису",
    "case.routing_sheet": "друк листа проходження",
    "batch.upload": "завантаження пачки",
    "batch.held": "перегляд відкладених частин",
    "batch.attach": "долучення частини",
    "intake.held": "перегляд відкладених доставок і листів",
    "intake.attach": "долучення доставки чи листа",
    "intake.reject": "відхилення доставки чи листа",
    "index.rebuild": "перебудова індексу",
    "system.health": "стан сервісів",
}
LABELS["action"].update(
    {
        "retention.rules_load": "завантаження номенклатури і правил",
        "retention.rules_show": "перегляд номенклатури і правил",
        "retention.plan": "перегляд того, що настало",
        "retention.draft": "складання проєкту плану",
        "retention.plans": "перегляд планів",
        "retention.plan_read": "перегляд плану",
        "retention.approve": "затвердження ЕК",
        "retention.agree": "погодження ЕПК",
        "retention.apply": "виконання плану",
        "retention.transfer": "передавання на архівне зберігання",
        "retention.destroy": "знищення",
        "retention.export": "передавання до державного архіву",
        "retention.review": "перегляд архіваріусом",
        "retention.act": "акт про вилучення для знищення",
        "retention.package": "завантаження пакета передавання",
        "retention.outputs": "перегляд актів і пакетів передавання",
        "retention.hold": "установлення утримання",
        "retention.release": "зняття утримання",
        "retention.holds": "перегляд утримань",
        "retention.todo": "невитребувані результати",
        "fixity.check": "перевірка цілісності",
        "fixity.results": "результати перевірок цілісності",
    }
)
# Retention: what a rule does, where a plan stands, what became of a line.
LABELS["ret_action"] = {
    "notify": "надіслати результат поштою",
    "transfer": "передати на архівне зберігання",
    "review": "переглянути архіваріусу",
    "dispose": "знищити за актом",
    "export": "передати до державного архіву",
}
LABELS["plan_state"] = {
    "drafted": "проєкт",
    "approved": "затверджено ЕК",
    "agreed": "погоджено ЕПК",
    "applying": "виконується (не завершено)",
    "applied": "виконано",
}
LABELS["item_state"] = {
    "pending": "очікує",
    "done": "виконано",
    "skipped": "пропущено: утримання",
}
LABELS["blocked"] = {"hold": "справа під утриманням"}
LABELS["clock"] = {
    "closed": "з 1 січня року після закриття справи",
    "result_ready": "від дня, коли результат був готовий",
}
LABELS["fixity"] = {
    "ok": "цілі",
    "corrupt": "пошкоджені",
    "missing": "відсутні",
}
