"""Fitting the terminal: table columns fitted to the width (never "Em" for Email), a navigation bar holding every
screen at 80 columns, and a footer whose keys are all whole at 80x24."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets._footer import FooterKey

from coordinator_tui.ui.app import CoordinatorApp
from coordinator_tui.ui.navigation import TOP_LEVEL_SCREENS, TopLevelScreen
from coordinator_tui.ui.screens.patient_record import CARE_TEAM_COLUMNS, CareTeamTable, ContactsTable
from coordinator_tui.ui.widgets.footer import ScreenFooter
from coordinator_tui.ui.widgets.nav import bar_text
from coordinator_tui.ui.widgets.tables import Column, fit_columns
from tests.ui.helpers import pilot_test, settle, type_text

#: The bar once the Service and Venues screens are there (whether or not they are registered yet).
SIX_SCREENS = [
    *TOP_LEVEL_SCREENS[:4],
    TopLevelScreen("5", "service", "Service", "unused:Unused", "f6"),
    TopLevelScreen("6", "venues", "Venues", "unused:Unused", "f7"),
]


def screen_lines(pilot: Pilot[Any]) -> list[str]:
    return [strip.text for strip in pilot.app.screen._compositor.render_strips()]


# ----------------------------------------------------------------------------------------------------------------
# Columns
# ----------------------------------------------------------------------------------------------------------------


def test_columns_keep_their_width_when_there_is_room() -> None:
    columns = [Column("Name", 20, 10), Column("Email", 30, drop=1)]
    assert fit_columns(columns, 200) == [("Name", 20), ("Email", 30)]


def test_the_least_important_column_goes_first_then_the_others_shrink_to_their_minimum() -> None:
    columns = [Column("Name", 20, 10), Column("Role", 20, 8, drop=2), Column("Email", 30, drop=1)]
    # 2 cells of padding per column and 2 for the scroll bar: 10+2 + 30+2 + 2 = 46 without Role.
    assert fit_columns(columns, 46) == [("Name", 10), ("Email", 30)]
    assert fit_columns(columns, 50) == [("Name", 14), ("Email", 30)]
    assert fit_columns(columns, 56) == [("Name", 10), ("Role", 8), ("Email", 30)]


def test_a_column_that_grows_first_gets_the_spare_room_first() -> None:
    columns = [Column("Who", 16, 8), Column("What", 44, 24, grows_first=True)]
    # 2 cells of padding per column and 2 for the scroll bar: 8+2 + 24+2 + 2 = 38, so 12 to spare at 50.
    assert fit_columns(columns, 50) == [("Who", 8), ("What", 36)]
    assert fit_columns(columns, 62) == [("Who", 12), ("What", 44)]


def test_a_column_never_dropped_stays_even_when_nothing_fits() -> None:
    assert fit_columns([Column("Name", 20, 10), Column("Email", 30, drop=1)], 5) == [("Name", 10)]


@pytest.mark.parametrize("width", [80, 100, 120, 160, 200])
def test_the_care_team_columns_fit_and_email_is_whole_or_left_out(width: int) -> None:
    columns = fit_columns(CARE_TEAM_COLUMNS, width)
    assert sum(size + 2 for _title, size in columns) <= width - 2
    sizes = dict(columns)
    assert sizes["Discipline"] >= len("Specialist nursing") and sizes["Name"] >= 20
    assert sizes.get("Email", 30) >= 30  # a cut email is of no use
    if width >= 120:
        assert "Email" in sizes and "Phone" in sizes


# ----------------------------------------------------------------------------------------------------------------
# The navigation bar
# ----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("typing", [False, True])
@pytest.mark.parametrize("current", [entry.mode for entry in SIX_SCREENS])
def test_the_navigation_bar_shows_every_screen_at_80_columns(typing: bool, current: str) -> None:
    text = bar_text(SIX_SCREENS, current, 78, typing=typing).plain.rstrip()
    assert len(text) <= 78, text
    for entry in SIX_SCREENS:
        key = entry.function_key.upper() if typing else entry.key
        assert f"{key} " in text
    assert "Patients" in text and "Venues" in text and "Service" in text and "…" not in text


def test_the_navigation_bar_keeps_its_roomy_look_when_there_is_room() -> None:
    text = bar_text(SIX_SCREENS, "patients", 118).plain
    assert text.startswith("[1 Patients]  2 Clinic days   3 Professionals ")


# ----------------------------------------------------------------------------------------------------------------
# On screen
# ----------------------------------------------------------------------------------------------------------------


async def open_record(pilot: Pilot[Any], tab: str) -> None:
    await settle(pilot)
    await type_text(pilot, "EXH100022")  # the demo's Gus Bramblecombe: ten in the care team
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    await pilot.press(tab)
    await settle(pilot)


@pilot_test
async def test_at_120_columns_the_care_team_shows_whole_emails_and_disciplines(app: CoordinatorApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await open_record(pilot, "c")
        table = app.screen.query_one(CareTeamTable)
        titles = [str(column.label) for column in table.columns.values()]
        assert "Email" in titles and "Discipline" in titles
        text = "\n".join(screen_lines(pilot))
        assert "Specialist nursing" in text
        emails = [str(table.get_row_at(i)[titles.index("Email")]).strip() for i in range(table.row_count)]
        assert emails and all(email.endswith("@example.org") for email in emails), emails
        assert all(email in text for email in emails)


@pilot_test
async def test_columns_follow_a_resize(app: CoordinatorApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await open_record(pilot, "f")
        wide = [str(column.label) for column in app.screen.query_one(ContactsTable).columns.values()]
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        narrow = [str(column.label) for column in app.screen.query_one(ContactsTable).columns.values()]
        assert "Email" in wide and "Email" not in narrow and narrow[0] == "Name"
        assert app.screen.query_one(ContactsTable).row_count > 0


def assert_footer_keys_whole(pilot: Pilot[Any], where: str) -> None:
    footer = pilot.app.screen.query_one(ScreenFooter)
    last_line = screen_lines(pilot)[-1]
    keys = list(footer.query(FooterKey))
    assert keys, where
    for key in keys:
        shown = f"{key.key_display} {key.description}".strip()
        assert key.region.right <= pilot.app.size.width, f"{where}: {shown!r} runs off the screen"
        assert shown in last_line, f"{where}: {shown!r} is not whole in {last_line!r}"
    assert any(key.action == "help" for key in keys), where


RECORD_TABS = ["c", "f", "v", "t"]


@pilot_test
async def test_at_80x24_every_footer_key_is_whole_on_every_screen(app: CoordinatorApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for entry in TOP_LEVEL_SCREENS:
            await pilot.press(entry.function_key)
            await settle(pilot)
            assert_footer_keys_whole(pilot, entry.title)
            await pilot.press("tab")
            await settle(pilot)
            assert_footer_keys_whole(pilot, f"{entry.title} after Tab")
        await pilot.press("f2", "slash")  # back to the patient list's filter box
        await settle(pilot)
        await open_record(pilot, "c")
        for tab in RECORD_TABS:
            await pilot.press(tab)
            await settle(pilot)
            assert_footer_keys_whole(pilot, f"record tab {tab}")
        await pilot.press("c")
        await settle(pilot)
        assert "p Edit patient" in screen_lines(pilot)[-1]
