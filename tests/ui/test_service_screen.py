"""The Service screen from an empty database, keys only: the defaults and what to fill in, the details form (wrong
values kept on screen with their reasons, a stale save refused), the milestone rules file loaded and cleared."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlmodel import select

from coordinator_tui.config import Settings
from coordinator_tui.db import Database
from coordinator_tui.models import Service
from coordinator_tui.services import service_details as service
from coordinator_tui.ui.app import CoordinatorApp
from coordinator_tui.ui.screens.service_details import ServiceDetailsScreen
from coordinator_tui.ui.widgets.confirm import ConfirmScreen
from coordinator_tui.ui.widgets.forms import FormScreen
from tests.postgres_server import both_databases
from tests.ui.helpers import SIZE, pilot_test, settle, type_text

pytestmark = both_databases


def shown(screen: ServiceDetailsScreen, row: str) -> str:
    return str(screen.query_one(f"#service-{row}").render())


def stored(db: Database) -> Service:
    with db.read_session() as s:
        return s.exec(select(Service)).one()


@pilot_test
async def test_entering_the_details_from_an_empty_database_with_keys_only(db: Database, tmp_path: Path) -> None:
    rules = tmp_path / "northshire.toml"
    rules.write_text('[[milestone]]\nid = "rsg_hello"\nenabled = false\n', encoding="utf-8")
    app = CoordinatorApp(database=db, settings=Settings())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f6")  # the patient filter has the focus: the function key still switches
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ServiceDetailsScreen)
        notice = str(screen.query_one("#service-notice").render())
        assert "To fill in: name, phone and address. Press e" in notice
        assert "(none: itineraries cannot say whom to call)" in shown(screen, "phone-on-the-day")
        assert shown(screen, "children-s-clinic-day") == "09:00–16:00"

        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen)
        await pilot.press("ctrl+u")
        await type_text(pilot, "Northshire Rare Disease Service")
        await pilot.press("tab")
        await type_text(pilot, "Alström clinic")
        await pilot.press("tab")
        await type_text(pilot, "12345")  # not a UK number
        await pilot.press("tab")
        await type_text(pilot, "Exampleton Children's Hospital")
        await pilot.press("tab", "tab")  # on to the children's day end
        await pilot.press("ctrl+u")
        await type_text(pilot, "08:00")  # before the day starts
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is form
        assert "is not a UK phone number" in form.field_errors["phone"]
        assert "must be after the day starts (09:00)" in form.field_errors["child_day_end"]
        assert form.values()["short_name"] == "Alström clinic"  # what was typed stays on screen
        assert db.read(service.find_service) is None  # nothing written

        await pilot.press("ctrl+u")  # the phone field has the focus (the first one wrong)
        await type_text(pilot, "0121 496 0000")
        await pilot.press("tab", "tab", "tab", "ctrl+u")
        await type_text(pilot, "15:30")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        row = stored(db)
        assert (row.name, row.short_name, row.phone) == (
            "Northshire Rare Disease Service",
            "Alström clinic",
            "0121 496 0000",
        )
        assert (row.address, row.child_day_end, row.settings_moved_on) == (
            "Exampleton Children's Hospital",
            dt.time(15, 30),
            dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC),
        )
        assert app.title == "Northshire Rare Disease Service"
        assert shown(screen, "phone-on-the-day") == "0121 496 0000"
        assert not screen.query_one("#service-notice").has_class("-shown")

        await pilot.press("r")
        await settle(pilot)
        await type_text(pilot, str(tmp_path / "nowhere.toml"))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        assert "there is no file at" in app.screen.field_errors["rules_file"]
        await pilot.press("ctrl+u")
        await type_text(pilot, str(rules))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)  # what it would change first (no patients yet)
        assert "No patients yet: nothing to regenerate." in app.screen.detail
        assert stored(db).milestone_rules == ""
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is screen
        assert stored(db).milestone_rules_name == "northshire.toml"
        assert "northshire.toml (3 lines)" in shown(screen, "milestone-rules")

        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert stored(db).milestone_rules == ""


@pilot_test
async def test_a_stale_save_is_refused_with_a_clear_message_and_the_form_kept(db: Database) -> None:
    service.save_service_details(db, {"phone": "0121 496 0000", "address": "1 Example Road"}, expected_version=0)
    app = CoordinatorApp(database=db, settings=Settings())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen)
        # Another coordinator saves meanwhile.
        service.save_service_details(db, {"phone": "0121 496 0999"}, expected_version=2)
        await pilot.press("tab", "tab", "ctrl+u")
        await type_text(pilot, "0121 496 0111")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is form
        assert "was changed by test-coordinator" in form.message and "not saved" in form.message
        assert form.values()["phone"] == "0121 496 0111"
    assert stored(db).phone == "0121 496 0999"


@pilot_test
async def test_the_app_moves_an_older_settings_file_once_then_warns_and_takes_its_title_from_the_database(
    db: Database,
) -> None:
    older = Settings(service_values={"service_name": "Westshire Hub", "adult_day_end": "16:30"})
    app = CoordinatorApp(database=db, settings=older)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.title == "Westshire Hub"
        [moved] = [n for n in app._notifications if n.title == "Settings"]
        assert moved.severity == "information" and moved.message.startswith("moved service_name, adult_day_end from")
    assert service.service_details(db).adult_day_end == dt.time(16, 30)

    edited = Settings(service_values={"service_name": "Edited Later"})
    app = CoordinatorApp(database=db, settings=edited)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.title == "Westshire Hub"
        [ignored] = [n for n in app._notifications if n.title == "Settings"]
        assert ignored.severity == "warning" and ignored.message.startswith("service_name in ")
        assert "ignored" in ignored.message and "\n" not in ignored.message
    assert service.service_details(db).name == "Westshire Hub"
