"""F1 on every top-level screen (and with the focus moved along it): every heading of the help is a human title,
never a widget's class name ("── ClinicListTable ──")."""

from __future__ import annotations

import re
from typing import Any

import pytest
from textual.pilot import Pilot

from coordinator_tui.ui.app import CoordinatorApp
from coordinator_tui.ui.navigation import TOP_LEVEL_SCREENS
from coordinator_tui.ui.widgets.help import HelpScreen
from tests.ui.helpers import SIZE, pilot_test, settle

CAMEL_CASE = re.compile(r"^[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+$")  # ClinicListTable, PatientTable, DataTable


def class_names(pilot: Pilot[Any]) -> set[str]:
    """Every class name of the screen's widgets (and their bases) and of the screen."""
    screen = pilot.app.screen
    names: set[str] = set()
    for node in [screen, *screen.walk_children()]:
        names.update(cls.__name__ for cls in type(node).__mro__)
    return names


async def help_headings(pilot: Pilot[Any]) -> tuple[str, list[str]]:
    await pilot.press("f1")
    await settle(pilot)
    help_screen = pilot.app.screen
    assert isinstance(help_screen, HelpScreen)
    headings = [help_screen.help_title, *dict.fromkeys(entry.section for entry in help_screen.entries)]
    await pilot.press("escape")
    await settle(pilot)
    return help_screen.help_title, headings


def assert_human(headings: list[str], classes: set[str], where: str) -> None:
    for heading in headings:
        title = heading.removesuffix(" (after Tab)")
        assert title not in classes, f"{where}: the help heading {heading!r} is a class name"
        assert not CAMEL_CASE.match(title), f"{where}: the help heading {heading!r} looks like a class name"


@pytest.mark.parametrize("entry", TOP_LEVEL_SCREENS, ids=[entry.mode for entry in TOP_LEVEL_SCREENS])
@pilot_test
async def test_every_help_heading_is_a_human_title(app: CoordinatorApp, entry: Any) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(entry.function_key or entry.key)
        await settle(pilot)
        assert app.current_mode == entry.mode
        seen: set[str] = set()
        for step in range(4):  # the screen as it opens, then with the focus on each of the next widgets
            classes = class_names(pilot)
            _title, headings = await help_headings(pilot)
            assert_human(headings, classes, f"{entry.title}, focus step {step}")
            seen.update(headings)
            await pilot.press("tab")
            await settle(pilot)
        assert entry.title in seen


@pilot_test
async def test_the_clinic_list_is_called_so_in_the_help(app: CoordinatorApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        _title, headings = await help_headings(pilot)
        assert "Clinic list" in headings and "ClinicListTable" not in headings
