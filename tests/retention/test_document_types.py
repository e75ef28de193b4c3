"""Retention rules select by document type (the metadata vocabulary): validated at load
with the line and a Ukrainian reason, and planning selects the cases holding such a document."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from archive.metadata_models import DocumentMetadata
from archive.models import Case, Document, Package, PackageKind
from retention.rules import RulesError, parse
from tests.retention.conftest import Centre, make_case
from usecases import retention as uc

D = dt.date

RULES = """\
year: 2026
nomenclature:
  - index: "01-05"
    title: Справи
    period: {years: 3}
    article: ст. 1
rules:
  - id: extracts
    title: Витяги на перегляд
    action: review
    select: {document_types: [%s], package: output}
    clock: result_ready
    after: {months: 1}
"""


def test_types_by_code_label_and_group() -> None:
    rs = parse(RULES % '"Витяг з реєстру", contract')
    rule = rs.rule("extracts")
    assert rule is not None
    assert rule.select.document_types == ("registry_extract", "contract")


def test_unknown_type_refused_with_its_line() -> None:
    with pytest.raises(RulesError) as exc:
        parse(RULES % '"паспортт"')
    [problem] = exc.value.problems
    assert problem.line == 11  # the select line
    assert "паспортт" in problem.message and "немає у словнику" in problem.message


def _set_type(c: Centre, number: str, kind: str) -> None:
    with c.archive.db.session() as s:
        case_id = s.scalar(select(Case.id).where(Case.number == number))
        doc = s.scalar(
            select(Document)
            .join(Package, Package.id == Document.package_id)
            .where(Document.case_id == case_id, Package.kind == PackageKind.output)
        )
        assert doc is not None
        s.add(DocumentMetadata(document_id=doc.id, type=kind, confidence=0.9))


def test_planning_selects_cases_by_document_type(centre: Centre) -> None:
    c = centre
    uc.load_rules(c.ctx(), text=RULES % "registry_extract", name="types.yaml")
    extract = make_case(c, 1, registered=D(2026, 1, 5), ready=D(2026, 1, 20))
    contract = make_case(c, 2, registered=D(2026, 1, 5), ready=D(2026, 1, 20))
    untyped = make_case(c, 3, registered=D(2026, 1, 5), ready=D(2026, 1, 20))
    _set_type(c, extract, "registry_extract")
    _set_type(c, contract, "contract")
    due = uc.plan_due(c.ctx(), as_of=D(2026, 3, 1))
    assert {(x.case, x.rule) for x in due.lines} == {(extract, "extracts")}
    assert untyped not in {x.case for x in due.lines}
