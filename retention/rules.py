"""Nomenclature of files and retention rules as data, validated at load.

The centre approves a nomenclature of files (номенклатура справ) each year:
entries with an index, a title, a retention period (years, ``dzn`` — until
the need passes — or ``permanent``) and the article of the standard list of
documents it rests on. Rules select cases (by service, package, whether the
result was collected, whether there is a contact, the case status) and say
what happens when: ``notify``, ``transfer``, ``review``, ``dispose`` or
``export``. Articles and periods are the centre's data, never constants here.

A file with an error is refused as a whole, each problem with its line and a
reason in Ukrainian; the rules in force stay in force.
"""

from __future__ import annotations

import fnmatch
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from retention.clock import Period

ACTIONS = ("notify", "transfer", "review", "dispose", "export")
CLOCKS = ("closed", "result_ready")
PACKAGES = ("input", "output")
STATUSES = ("registered", "sent", "result_received", "issued", "archived")
EXAMPLE = Path(__file__).parent / "example_rules.yaml"


@dataclass(frozen=True, slots=True)
class Problem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"рядок {self.line}: {self.message}"


class RulesError(Exception):
    """The file is refused: every problem found, each with its line."""

    def __init__(self, name: str, problems: list[Problem]) -> None:
        self.name = name
        self.problems = problems
        super().__init__(f"{name}: " + "; ".join(str(p) for p in problems))


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry of the nomenclature of files."""

    index: str
    title: str
    period: Period
    article: str
    notes: str = ""


@dataclass(frozen=True, slots=True)
class Selector:
    """Which cases a rule applies to (``None``: any)."""

    services: tuple[str, ...] | None = None
    package: str | None = None
    collected: bool | None = None
    contact: bool | None = None
    statuses: tuple[str, ...] | None = None
    # Codes of the metadata vocabulary: the case holds a document of one of these types
    # (in the output package when ``package: output``).
    document_types: tuple[str, ...] | None = None

    def service_matches(self, service: str | None) -> bool:
        if self.services is None:
            return True
        name = (service or "").casefold()
        return any(fnmatch.fnmatchcase(name, pat.casefold()) for pat in self.services)


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    title: str
    action: str
    select: Selector
    clock: str
    period: Period
    entry: Entry | None = None
    retain: Period | None = None
    line: int = 0

    @property
    def article(self) -> str | None:
        return self.entry.article if self.entry else None


@dataclass(frozen=True, slots=True)
class RuleSet:
    year: int
    name: str
    sha256: str
    entries: dict[str, Entry]
    rules: tuple[Rule, ...]
    example: bool = False
    text: str = field(default="", repr=False)

    def rule(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)


# --- parsing ------------------------------------------------------------------


class _Checker:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, node: yaml.Node | None, message: str) -> None:
        line = node.start_mark.line + 1 if node is not None else 1
        self.problems.append(Problem(line, message))

    def mapping(self, node: yaml.Node, what: str) -> dict[str, tuple[yaml.Node, yaml.Node]] | None:
        if not isinstance(node, yaml.MappingNode):
            self.fail(node, f"{what}: очікується набір «ключ: значення»")
            return None
        out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for k, v in node.value:
            key = str(k.value)
            if key in out:
                self.fail(k, f"ключ «{key}» повторюється")
            out[key] = (k, v)
        return out

    def unknown(
        self, m: dict[str, tuple[yaml.Node, yaml.Node]], allowed: set[str], what: str
    ) -> None:
        for key, (k, _v) in m.items():
            if key not in allowed:
                known = ", ".join(sorted(allowed))
                self.fail(k, f"{what}: невідомий ключ «{key}» (можливі: {known})")

    def text(self, node: yaml.Node, what: str, *, max_len: int = 500) -> str | None:
        if not isinstance(node, yaml.ScalarNode) or node.tag.endswith((":null", ":bool")):
            self.fail(node, f"{what}: очікується текст")
            return None
        value = " ".join(str(node.value).split())
        if not value or len(value) > max_len:
            self.fail(node, f"{what}: від 1 до {max_len} символів")
            return None
        return value

    def integer(self, node: yaml.Node, what: str, lo: int, hi: int) -> int | None:
        if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":int"):
            value = int(node.value)
            if lo <= value <= hi:
                return value
        self.fail(node, f"{what}: очікується ціле число від {lo} до {hi}")
        return None

    def boolean(self, node: yaml.Node, what: str) -> bool | None:
        if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":bool"):
            return str(node.value).lower() in {"true", "yes", "on"}
        self.fail(node, f"{what}: очікується true або false")
        return None

    def period(self, node: yaml.Node, what: str) -> Period | None:
        """``{years: 3}``, ``{months: 2}``, ``dzn`` or ``permanent``."""
        if isinstance(node, yaml.ScalarNode) and node.value in (
            "dzn",
            "ДЗН",
            "permanent",
            "постійно",
        ):
            return Period("dzn" if node.value in ("dzn", "ДЗН") else "permanent")
        m = self.mapping(node, what) if isinstance(node, yaml.MappingNode) else None
        if m is None or len(m) != 1 or next(iter(m)) not in ("years", "months"):
            if m is not None or not isinstance(node, yaml.MappingNode):
                self.fail(
                    node, f"{what}: очікується {{years: N}}, {{months: N}}, dzn або permanent"
                )
            return None
        kind, (_k, v) = next(iter(m.items()))
        amount = self.integer(v, what, 1, 200)
        return Period(kind, amount) if amount is not None else None

    def choice(self, node: yaml.Node, what: str, options: tuple[str, ...]) -> str | None:
        value = self.text(node, what, max_len=64)
        if value is not None and value not in options:
            self.fail(node, f"{what}: «{value}» — можливі значення: {', '.join(options)}")
            return None
        return value

    def texts(self, node: yaml.Node, what: str) -> tuple[str, ...] | None:
        if isinstance(node, yaml.SequenceNode):
            values = [self.text(n, what) for n in node.value]
            if not node.value:
                self.fail(node, f"{what}: порожній список")
            return tuple(v for v in values if v is not None)
        value = self.text(node, what)
        return (value,) if value is not None else None


def parse(text: str, name: str = "rules.yaml", *, example: bool = False) -> RuleSet:
    """Validate a nomenclature-and-rules file; raise :class:`RulesError` listing every problem."""
    c = _Checker()
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise RulesError(
            name, [Problem(line, f"файл не є коректним YAML ({exc.problem})")]
        ) from exc
    if root is None:
        raise RulesError(name, [Problem(1, "файл порожній")])
    top = c.mapping(root, "файл")
    if top is None:
        raise RulesError(name, c.problems)
    c.unknown(top, {"year", "title", "nomenclature", "rules"}, "файл")
    year = (
        c.integer(top["year"][1], "year (рік, з 1 січня якого діють правила)", 2000, 2200)
        if "year" in top
        else None
    )
    if "year" not in top:
        c.fail(root, "немає ключа year: рік, з 1 січня якого діє номенклатура")
    entries: dict[str, Entry] = {}
    if "nomenclature" not in top:
        c.fail(root, "немає розділу nomenclature (номенклатура справ)")
    elif not isinstance(top["nomenclature"][1], yaml.SequenceNode):
        c.fail(top["nomenclature"][1], "nomenclature: очікується список статей номенклатури")
    else:
        for node in top["nomenclature"][1].value:
            entry = _entry(c, node)
            if entry is None:
                continue
            if entry.index in entries:
                c.fail(node, f"індекс справи «{entry.index}» повторюється")
            entries[entry.index] = entry
    rules: list[Rule] = []
    if "rules" not in top:
        c.fail(root, "немає розділу rules (правила)")
    elif not isinstance(top["rules"][1], yaml.SequenceNode):
        c.fail(top["rules"][1], "rules: очікується список правил")
    else:
        for node in top["rules"][1].value:
            rule = _rule(c, node, entries)
            if rule is None:
                continue
            if any(r.id == rule.id for r in rules):
                c.fail(node, f"правило «{rule.id}» повторюється")
            rules.append(rule)
    if c.problems or year is None:
        raise RulesError(name, sorted(c.problems, key=lambda p: p.line))
    return RuleSet(
        year=year,
        name=name,
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        entries=entries,
        rules=tuple(rules),
        example=example,
        text=text,
    )


def _entry(c: _Checker, node: yaml.Node) -> Entry | None:
    m = c.mapping(node, "стаття номенклатури")
    if m is None:
        return None
    c.unknown(m, {"index", "title", "period", "article", "notes"}, "стаття номенклатури")
    for key in ("index", "title", "period", "article"):
        if key not in m:
            c.fail(node, f"стаття номенклатури: немає ключа {key}")
    index = c.text(m["index"][1], "index (індекс справи)", max_len=64) if "index" in m else None
    title = c.text(m["title"][1], "title (заголовок справи)") if "title" in m else None
    period = c.period(m["period"][1], "period (строк зберігання)") if "period" in m else None
    article = c.text(m["article"][1], "article (стаття переліку)") if "article" in m else None
    notes = c.text(m["notes"][1], "notes (примітки)") if "notes" in m else ""
    if index is None or title is None or period is None or article is None:
        return None
    return Entry(index, title, period, article, notes or "")


def _rule(c: _Checker, node: yaml.Node, entries: dict[str, Entry]) -> Rule | None:
    m = c.mapping(node, "правило")
    if m is None:
        return None
    allowed = {"id", "title", "action", "select", "clock", "after", "nomenclature", "retain"}
    c.unknown(m, allowed, "правило")
    for key in ("id", "action", "clock"):
        if key not in m:
            c.fail(node, f"правило: немає ключа {key}")
    rid = c.text(m["id"][1], "id правила", max_len=64) if "id" in m else None
    title = c.text(m["title"][1], "title правила") if "title" in m else rid
    action = c.choice(m["action"][1], "action (дія)", ACTIONS) if "action" in m else None
    clock = (
        c.choice(m["clock"][1], "clock (від чого лічиться строк)", CLOCKS) if "clock" in m else None
    )
    after = c.period(m["after"][1], "after (через який час)") if "after" in m else None
    retain = (
        c.period(m["retain"][1], "retain (строк незмінності в архіві)") if "retain" in m else None
    )
    entry: Entry | None = None
    if "nomenclature" in m:
        _k, v = m["nomenclature"]
        index = c.text(v, "nomenclature (індекс справи)", max_len=64)
        if index is not None:
            entry = entries.get(index)
            if entry is None:
                c.fail(v, f"індексу «{index}» немає в номенклатурі цього файлу")
    select = _selector(c, m["select"][1]) if "select" in m else Selector()
    if rid is None or action is None or clock is None or select is None:
        return None
    period = after or (entry.period if entry else None)
    if period is None:
        c.fail(node, f"правило «{rid}»: вкажіть after або nomenclature зі строком зберігання")
        return None
    if not period.finite:
        c.fail(
            node,
            f"правило «{rid}»: строк «{period.label()}» не має кінця — для дії {action} "
            "вкажіть after (напр. {years: 5}) для перегляду",
        )
        return None
    if action == "dispose" and entry is None:
        c.fail(
            node, f"правило «{rid}»: знищення можливе лише за статтею номенклатури (nomenclature)"
        )
        return None
    if action == "dispose" and entry is not None and not entry.period.finite:
        c.fail(node, f"правило «{rid}»: справи зі строком «{entry.period.label()}» не знищуються")
        return None
    if action == "dispose" and clock != "closed":
        c.fail(
            node,
            f"правило «{rid}»: строк для знищення лічиться від закриття справи (clock: closed)",
        )
        return None
    return Rule(
        id=rid,
        title=title or rid,
        action=action,
        select=select,
        clock=clock,
        period=period,
        entry=entry,
        retain=retain,
        line=node.start_mark.line + 1,
    )


def _selector(c: _Checker, node: yaml.Node) -> Selector | None:
    m = c.mapping(node, "select")
    if m is None:
        return None
    c.unknown(
        m, {"service", "package", "collected", "contact", "status", "document_types"}, "select"
    )
    data: dict[str, Any] = {}
    if "service" in m:
        data["services"] = c.texts(m["service"][1], "service (послуга)")
    if "package" in m:
        data["package"] = c.choice(m["package"][1], "package (пакет)", PACKAGES)
    if "collected" in m:
        data["collected"] = c.boolean(m["collected"][1], "collected (результат отримано)")
    if "contact" in m:
        data["contact"] = c.boolean(m["contact"][1], "contact (є адреса чи контакт)")
    if "status" in m:
        statuses = c.texts(m["status"][1], "status (стан справи)")
        for s in statuses or ():
            if s not in STATUSES:
                c.fail(m["status"][1], f"status: «{s}» — можливі: {', '.join(STATUSES)}")
        data["statuses"] = statuses
    if "document_types" in m:
        data["document_types"] = _document_types(c, m["document_types"][1])
    return Selector(**data)


def _document_types(c: _Checker, node: yaml.Node) -> tuple[str, ...] | None:
    """Types by code, Ukrainian label, Diia name or group, resolved to their codes."""
    from archive.doctypes import resolve_types

    names = c.texts(node, "document_types (типи документів)")
    if names is None:
        return None
    codes: list[str] = []
    for name in names:
        found = resolve_types(name)
        if not found:
            c.fail(
                node,
                f"document_types: «{name}» — такого типу документа немає у словнику "
                "(перелік: cnap-archive metadata types)",
            )
        codes.extend(str(t) for t in found if str(t) not in codes)
    return tuple(codes)


def load_file(path: Path) -> RuleSet:
    """Read and validate a rules file (raises :class:`RulesError`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise RulesError(path.name, [Problem(1, "файл має бути в кодуванні UTF-8")]) from exc
    return parse(text, path.name)


def example() -> RuleSet:
    """The shipped example (an example for the centre to replace, never the centre's data)."""
    return parse(EXAMPLE.read_text(encoding="utf-8"), EXAMPLE.name, example=True)
