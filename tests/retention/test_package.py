"""Downloading a plan's transfer package (a ZIP of its BagIt bag) and the list of what the
plans produced (acts, packages): the use cases, without HTTP."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import bagit
import pytest

from archive.audit import Action
from archive.users import Role
from retention.bag import bag_dir
from tests.retention.conftest import Centre, make_case
from usecases import retention as uc
from usecases.errors import Conflict, Denied, NotFound

D = dt.date


def _transferred(c: Centre) -> int:
    """Two uncollected results with no contact, transferred by an applied plan."""
    for i in range(2):
        make_case(c, i, registered=D(2026, 1, 5), ready=D(2026, 1, 31), contact=None)
    plan = uc.draft_plan(c.ctx(), as_of=D(2026, 5, 4))
    uc.approve_plan(c.ctx(), number=plan.number, decision="ЕК-9", date=D(2026, 5, 4))
    assert uc.apply_plan(c.ctx(), number=plan.number)["bag"]
    return plan.number


def _entries(c: Centre, action: Action) -> list[tuple[str, str]]:
    return [(e.actor, e.outcome) for e in c.events.log.entries(actions=[action.value])]


def unpack(data: bytes, where: Path) -> Path:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        zf.extractall(where)
    (root,) = list(where.iterdir())
    return root


def test_the_package_downloads_as_a_zip_that_validates(centre: Centre, tmp_path: Path) -> None:
    number = _transferred(centre)
    got = uc.transfer_package(centre.ctx(), number=number)
    assert got.filename == f"plan-{number}-bagit.zip" and got.media_type == "application/zip"
    # One entry, written before a byte is streamed.
    assert _entries(centre, Action.retention_package) == [("arch", "allowed")]
    chunks = list(got.chunks)
    assert len(chunks) > 1  # streamed file by file, never built whole
    data = b"".join(chunks)
    root = unpack(data, tmp_path / "out")
    assert root.name == f"plan-{number}"
    bag = bagit.Bag(str(root))
    bag.validate()  # every payload checksum and the tag manifest, after the round trip
    assert bag.info["Payload-Cases"] == "2"
    names = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert "data/опис-справ.pdf" in names and "data/METS.xml" in names
    assert got.files == len(names)
    # Nothing was left on the server beside the bag.
    assert (bag_dir(centre.archive, number) / "bagit.txt").is_file()
    assert not list(bag_dir(centre.archive, number).parent.glob("*.zip"))


@pytest.mark.parametrize("role", [Role.administrator, Role.official, Role.dpo, Role.sysadmin])
def test_other_roles_are_denied_and_logged(centre: Centre, role: Role) -> None:
    number = _transferred(centre)
    with pytest.raises(Denied):
        uc.transfer_package(centre.ctx(role, "other"), number=number)
    with pytest.raises(Denied):
        uc.list_outputs(centre.ctx(role, "other"))
    assert _entries(centre, Action.retention_package) == [("other", "denied")]
    assert _entries(centre, Action.retention_outputs) == [("other", "denied")]


def test_no_package_is_not_found(centre: Centre) -> None:
    with pytest.raises(NotFound):
        uc.transfer_package(centre.ctx(), number=99)
    # A plan that destroys only: an act, no package.
    make_case(centre, 1, registered=D(2024, 2, 1), ready=D(2024, 2, 10), collected=D(2024, 2, 12))
    plan = uc.draft_plan(centre.ctx(), as_of=D(2028, 2, 1))
    with pytest.raises(NotFound) as err:
        uc.transfer_package(centre.ctx(), number=plan.number)  # not applied yet
    assert err.value.code == "no_package"
    uc.approve_plan(centre.ctx(), number=plan.number, decision="ЕК-1")
    uc.agree_plan(centre.ctx(), number=plan.number, reference="ЕПК-1")
    uc.apply_plan(centre.ctx(), number=plan.number)
    with pytest.raises(NotFound):
        uc.transfer_package(centre.ctx(), number=plan.number)


def test_a_damaged_package_is_not_offered(centre: Centre) -> None:
    number = _transferred(centre)
    path = bag_dir(centre.archive, number)
    victim = next((path / "data" / "objects").rglob("*.pdf"))
    victim.write_bytes(victim.read_bytes() + b"x")  # the size no longer matches Payload-Oxum
    with pytest.raises(Conflict) as err:
        uc.transfer_package(centre.ctx(), number=number)
    assert err.value.code == "package_damaged"
    (path / "bag-info.txt").write_text("Source-Organization: інший\n", encoding="utf-8")
    with pytest.raises(Conflict):
        uc.transfer_package(centre.ctx(), number=number)


def test_the_list_of_acts_and_packages(centre: Centre) -> None:
    transfer = _transferred(centre)
    make_case(centre, 7, registered=D(2024, 2, 1), ready=D(2024, 2, 10), collected=D(2024, 2, 12))
    plan = uc.draft_plan(centre.ctx(), as_of=D(2028, 2, 1))
    uc.approve_plan(centre.ctx(), number=plan.number, decision="ЕК-2")
    uc.agree_plan(centre.ctx(), number=plan.number, reference="ЕПК-2")
    uc.apply_plan(centre.ctx(), number=plan.number)
    uc.draft_plan(centre.ctx(), as_of=D(2028, 2, 2))  # a draft produced nothing: not listed

    rows = uc.list_outputs(centre.ctx())
    assert [r.plan for r in rows] == [plan.number, transfer]
    destroyed, moved = rows
    assert destroyed.act is not None and destroyed.package is None
    assert destroyed.act["cases"] == 1 and destroyed.counts.get("dispose") == 1
    assert destroyed.epk_reference == "ЕПК-2"
    assert moved.act is None and moved.package is not None
    assert moved.package["cases"] == 2 and moved.package["on_server"]
    assert moved.counts.get("transfer") == 2 and moved.ek_decision == "ЕК-9"
    assert moved.as_json()["package"]["files"] >= 2
    assert _entries(centre, Action.retention_outputs) == [("arch", "allowed")]
