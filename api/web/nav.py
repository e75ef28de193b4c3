"""The menu each role sees, and the Ukrainian names of the archive's values.

The menu only decides which links to *show*: every page still calls its use
case, which asks the policy and refuses (and logs) whatever the role may
not do. ``tests/web/test_roles.py`` checks the two agree — each link a
role is shown opens, each screen it is not shown is refused — so a change
of the policy that the menu missed fails the build.
"""

from __future__ import annotations

from dataclasses import dataclass

from archive.users import Role


@dataclass(frozen=True, slots=True)
class Screen:
    path: str
    label: str


HOME = Screen("/", "Головна")
SEARCH = Screen("/search", "Пошук документів")
USERS = Screen("/users", "Користувачі")
VERIFY = Screen("/log/verify", "Перевірка журналу")

# Screens in the order they appear in the menu.
SCREENS: dict[Role, tuple[Screen, ...]] = {
    Role.administrator: (HOME, SEARCH),
    Role.official: (HOME, SEARCH),
    Role.archivist: (HOME, SEARCH),
    Role.dpo: (HOME, VERIFY),
    Role.sysadmin: (HOME, USERS, VERIFY),
}

# Roles that may ask for break-glass access (the policy decides; this only offers the form).
BREAK_GLASS = frozenset({Role.administrator, Role.official, Role.archivist})


def menu(role: Role) -> tuple[Screen, ...]:
    return SCREENS.get(role, (HOME,))


def may_offer_break_glass(role: Role) -> bool:
    return role in BREAK_GLASS


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
