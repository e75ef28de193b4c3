"""Issue 9, item 10: printed forms never overwrite each other — a cover sheet or
routing sheet of one centre's case never replaces another centre's file of the
same number."""

from __future__ import annotations

import uuid

from tests.usecases.conftest import HOME, OTHER, World
from tests.usecases.holes import make_case
from usecases import forms


def test_same_number_in_two_centres_prints_two_files(world: World) -> None:
    number = f"2026/5{uuid.uuid4().hex[:4]}"
    make_case(world.archive, number, centre=HOME)
    make_case(world.archive, number, centre=OTHER)
    for print_form in (forms.print_cover_sheet, forms.print_routing_sheet):
        home = print_form(world.ctx("local"), number=number, centre=HOME)
        home_bytes = home.path.read_bytes()
        other = print_form(world.ctx("local"), number=number, centre=OTHER)
        assert home.path != other.path
        assert home.path.parent == other.path.parent == world.archive.settings.print_dir
        # The first centre's file is still its own.
        assert home.path.read_bytes() == home_bytes
        assert other.path.read_bytes() != home_bytes


def test_centres_that_differ_only_in_punctuation_do_not_collide() -> None:
    a = forms.form_path_name("2026/1", "ЦНАП Житомир", "опис")
    b = forms.form_path_name("2026/1", "ЦНАП-Житомир", "опис")
    assert a != b and a.endswith("-опис.pdf") and "/" not in a
