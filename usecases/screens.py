"""The screens a caller may open, derived from the policy's capabilities (for menus).

An adapter that shows a menu (the web pages) asks this instead of keeping
its own copy of who may do what: each screen names the capability of the
policy (:mod:`usecases.policy`) that its use cases require, so a change of
the policy changes the menu with it. The screens still decide nothing: each
one calls its use case, which asks the policy again and logs.
"""

from __future__ import annotations

from dataclasses import dataclass

from usecases.context import Context
from usecases.policy import Capability, allows, may_use_break_glass
from usecases.registry import use_case


@dataclass(frozen=True, slots=True)
class Screen:
    """One screen of a menu: a stable code, its path and its Ukrainian name."""

    code: str
    path: str
    label: str


HOME = Screen("home", "/", "Головна")

# In menu order. ``None``: a slot whose screens have not landed yet (never shown).
CATALOGUE: tuple[tuple[Screen, Capability | None], ...] = (
    (Screen("desk", "/desk", "Черга дня"), Capability.upload),
    (Screen("register", "/cases/new", "Зареєструвати справу"), Capability.upload),
    (Screen("scans", "/scans", "Скановані пачки"), Capability.upload),
    (Screen("search", "/search", "Пошук документів"), Capability.search),
    (Screen("department", "/department", "Справи мого відділу"), Capability.department_cases),
    # Retention plans, holds, acts, rules (the archivist); fixity also for the sysadmin.
    (Screen("retention", "/retention", "Зберігання та передавання"), Capability.manage_retention),
    (Screen("fixity", "/fixity", "Цілісність сховища"), Capability.check_fixity),
    (Screen("log", "/log", "Журнал доступу"), Capability.read_audit),
    (Screen("review", "/log/review", "На перевірку"), Capability.read_audit),
    (Screen("verify", "/log/verify", "Перевірка журналу"), Capability.verify_audit),
    (Screen("users", "/users", "Користувачі"), Capability.manage_users),
    (
        Screen("approvals", "/users/pending", "Схвалення облікових записів"),
        Capability.approve_users,
    ),
    (Screen("health", "/health", "Стан сервісів"), Capability.maintain),
)


@dataclass(frozen=True, slots=True)
class Screens:
    """The caller's menu (home first) and whether they may ask for break-glass access."""

    menu: tuple[Screen, ...]
    break_glass: bool

    def paths(self) -> list[str]:
        return [s.path for s in self.menu]


@use_case(
    None,
    why_unaudited=(
        "lists the screens the caller's role opens; reads no personal data and changes "
        "nothing (each screen's own use case is audited)"
    ),
)
def my_screens(ctx: Context) -> Screens:
    """The screens the caller's capabilities open, in menu order, home first."""
    p = ctx.principal
    shown = tuple(s for s, cap in CATALOGUE if cap is not None and allows(p, cap))
    return Screens((HOME, *shown), may_use_break_glass(p))


def every_screen() -> tuple[Screen, ...]:
    """Every screen that exists (tests check each is refused to whoever is not shown it)."""
    return (HOME, *(s for s, cap in CATALOGUE if cap is not None))


__all__ = ["CATALOGUE", "HOME", "Screen", "Screens", "every_screen", "my_screens"]
